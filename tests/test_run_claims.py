"""Pre-write checks of ``hetero-brian run`` (issue 21): two runs planning the same empty ``--out`` at the
same instant, and the disk-space check before anything is written."""
import pytest

from hetero_brian.cli import main
from hetero_brian.errors import ResultsError
from hetero_brian.experiment import runner
from hetero_brian.experiment.checks import RUN_RECORD_BYTES
from hetero_brian.experiment.run_folders import plan_run_folder, prepare_run_folder

SHORT = ["--set", "n_neurons=40", "--set", "n_inputs=40", "--backend", "runtime:numpy", "--set", "duration=50 ms"]


@pytest.mark.parametrize("existing", [False, True])
def test_two_plans_of_the_same_empty_folder_claim_it_once(existing, tmp_path):
    out = tmp_path / "run"
    if existing:
        out.mkdir()
    first, second = (plan_run_folder(out, "demo", {}, None) for _ in range(2))  # planned at the same instant
    assert first.action == second.action == "create"
    assert prepare_run_folder(first) == out
    with pytest.raises(ResultsError, match="just claimed by another run"):
        prepare_run_folder(second)
    assert [entry.name for entry in out.iterdir()] == ["config.yaml"]


def test_the_loser_of_a_race_for_out_exits_2_with_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    real_prepare = runner.prepare_run_folder

    def race(plan):  # another process claims the folder between this run's plan and its first write
        real_prepare(plan)
        (out / "config.yaml").write_text("winner\n")
        return real_prepare(plan)

    monkeypatch.setattr(runner, "prepare_run_folder", race)
    assert main(["run", "demo", *SHORT, "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1 and "just claimed by another run" in error
    assert [entry.name for entry in out.iterdir()] == ["config.yaml"]
    assert (out / "config.yaml").read_text() == "winner\n"


def test_a_run_whose_results_do_not_fit_on_the_disk_exits_2_with_the_numbers_and_writes_nothing(
        tmp_path, monkeypatch, capsys):
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**6, 10**6 - 1000, 1000))  # 1 kB free
    monkeypatch.delenv("HETERO_BRIAN_SKIP_MEMORY_CHECK", raising=False)
    out = tmp_path / "run"
    assert main(["run", "demo", *SHORT, "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1
    assert "GiB" in error and "free there" in error and str(out) in error
    assert not out.exists()
    monkeypatch.chdir(tmp_path)
    assert main(["run", "demo", *SHORT]) == 2
    assert not list(tmp_path.glob("hetero_brian_runs/*"))


def test_the_disk_estimate_comes_from_the_scenario_or_its_network(tmp_path):
    from types import SimpleNamespace

    from hetero_brian.experiment.checks import expected_disk_bytes
    from hetero_brian.experiment.runner import load_scenario, resolve_config

    demo = load_scenario("demo")
    config = resolve_config(demo, overrides=["n_neurons=40", "n_inputs=40", "duration=50 ms"])
    from_network = expected_disk_bytes(demo, config, seed=1)
    assert from_network > 0  # spikes of 40 recorded neurons at 50 Hz for 50 ms
    assert expected_disk_bytes(SimpleNamespace(disk_bytes=lambda config: 123), config, 1) == 123.0 + RUN_RECORD_BYTES
    assert expected_disk_bytes(SimpleNamespace(), config, 1) is None


def test_every_scenario_states_how_much_it_writes_before_it_runs():
    from hetero_brian.experiment.checks import expected_disk_bytes
    from hetero_brian.experiment.runner import load_scenario, scenario_names

    names = scenario_names()
    assert len(names) >= 13
    for name in names:
        module = load_scenario(name)
        n_bytes = expected_disk_bytes(module, module.Config(), seed=1)
        assert n_bytes is not None and n_bytes > RUN_RECORD_BYTES, name


def test_a_scenario_without_a_network_spec_is_refused_when_it_cannot_fit(tmp_path, monkeypatch, capsys):
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**6, 10**6 - 1000, 1000))  # 1 kB free
    monkeypatch.delenv("HETERO_BRIAN_SKIP_MEMORY_CHECK", raising=False)
    out = tmp_path / "toy"
    assert main(["run", "toy_objective", "--seed", "1", "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1
    assert "writing about" in error and "GiB" in error and "free there" in error and str(out) in error
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name, options", [("toy_objective", ["--set", "n_units=400"]), ("demo", SHORT)])
def test_the_disk_estimate_is_not_below_what_a_run_writes(name, options, tmp_path):
    from hetero_brian.experiment.checks import expected_disk_bytes
    from hetero_brian.experiment.runner import load_scenario, resolve_config

    module = load_scenario(name)
    overrides = [value for flag, value in zip(options, options[1:]) if flag == "--set"]
    estimate = expected_disk_bytes(module, resolve_config(module, overrides=overrides), seed=3)
    out = tmp_path / name
    assert main(["run", name, *options, "--seed", "3", "--out", str(out)]) == 0
    written = sum(path.stat().st_size for path in out.rglob("*") if path.is_file())
    assert written > 0 and estimate >= written
