"""The hetero-brian command: end-to-end demo run, one-line errors with exit status 2, no overwriting."""
import json

import numpy as np
import pytest

from hetero_brian.cli import main
from hetero_brian.results import load

TINY_DEMO = ["--set", "n_neurons=40", "--set", "n_inputs=40", "--set", "duration=50 ms", "--backend", "runtime:numpy"]


def test_run_demo_end_to_end_writes_results_figure_config_and_metrics(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["run", "demo", *TINY_DEMO, "--seed", "3", "--out", str(out)]) == 0
    assert "results in" in capsys.readouterr().out
    result = load(out / "demo.h5")
    assert result.provenance["master_seed"] == 3
    assert result.populations["exc"].n_neurons == 32
    assert (out / "demo.png").stat().st_size > 10_000
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["seed"] == 3 and metrics["backend"] == "runtime"
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    # the same seed reproduces the run exactly
    again = tmp_path / "again"
    assert main(["run", "demo", *TINY_DEMO, "--seed", "3", "--out", str(again)]) == 0
    assert np.array_equal(load(again / "demo.h5").spikes["exc"].timestamps, result.spikes["exc"].timestamps)


def test_existing_output_is_refused_then_moved_aside_with_overwrite(tmp_path, capsys):
    out = tmp_path / "demo"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    assert main(["run", "demo", *TINY_DEMO, "--out", str(out)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["run", "demo", *TINY_DEMO, "--out", str(out), "--overwrite"]) == 0
    moved = [p for p in tmp_path.iterdir() if p.name.startswith("demo.old-")]
    assert len(moved) == 1 and (moved[0] / "precious.txt").read_text() == "keep me"


@pytest.mark.parametrize("arguments, message", [
    (["run", "dmeo"], "unknown scenario 'dmeo'.*did you mean 'demo'"),
    (["run", "demo", "--set", "n_neuron=5"], "n_neuron: unknown key.*did you mean 'n_neurons'"),
    (["run", "demo", "--set", "duration=5 mV"], "duration: got '5 mV', which has dimension volt but second is expected"),
    (["run", "demo", "--backend", "cpp_standalon"], "unknown backend 'cpp_standalon'"),
    (["info", "/nonexistent/result.h5"], "result.h5"),
])
def test_bad_input_gives_one_line_errors_and_exit_status_2(arguments, message, capsys, tmp_path):
    if arguments[:2] == ["run", "demo"]:
        arguments = [*arguments, "--out", str(tmp_path / "out")]
    assert main(arguments) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    import re

    assert re.search(message, error), error


def test_list_names_the_demo(capsys):
    assert main(["list"]) == 0
    assert "demo" in capsys.readouterr().out


def test_info_and_plot_of_a_results_file(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["run", "demo", *TINY_DEMO, "--seed", "1", "--out", str(out)]) == 0
    assert main(["info", str(out / "demo.h5")]) == 0
    assert "exc: 32 neurons" in capsys.readouterr().out
    for kind in ("raster", "tau", "weights"):
        figure = tmp_path / f"{kind}.png"
        assert main(["plot", str(out / "demo.h5"), "--kind", kind, "--out", str(figure)]) == 0
        assert figure.stat().st_size > 5_000


@pytest.mark.standalone
@pytest.mark.slow
def test_export_cpp_builds_with_make_and_reproduces_the_python_run(tmp_path):
    import subprocess

    from hetero_brian.experiment.cpp_export import load_exported_results

    settings = ["--set", "n_neurons=60", "--set", "n_inputs=40", "--set", "duration=100 ms", "--seed", "4"]
    assert main(["export-cpp", "demo", str(tmp_path / "project"), *settings]) == 0
    subprocess.run(["make", "-j2"], cwd=tmp_path / "project", check=True, capture_output=True)
    subprocess.run(["./main"], cwd=tmp_path / "project", check=True, capture_output=True)
    exported = load_exported_results(tmp_path / "project")
    assert main(["run", "demo", *settings, "--backend", "cpp_standalone", "--out", str(tmp_path / "python")]) == 0
    direct = load(tmp_path / "python" / "demo.h5")
    for name in ("exc", "inh"):
        assert np.array_equal(exported.spikes[name].timestamps, direct.spikes[name].timestamps)
    np.testing.assert_array_equal(exported.synapses["ee"].w, direct.synapses["ee"].w)
