"""The README's quick start runs as written."""
import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _quick_start():
    match = re.search(r"## Quick start\n\n```python\n(.*?)```", README.read_text(), re.S)
    assert match, "the README has no Quick start python block"
    return match.group(1)


def test_quick_start_is_short():
    assert len(_quick_start().strip().splitlines()) <= 20


@pytest.mark.standalone
@pytest.mark.slow
def test_quick_start_runs_and_prints_a_rate(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HETERO_BRIAN_BUILD_ROOT", str(tmp_path))
    exec(compile(_quick_start(), str(README), "exec"), {})
    printed = capsys.readouterr().out.strip().splitlines()[-1]
    rate = float(printed.split()[0])
    assert printed.endswith("Hz") and rate > 0.5
