"""The hetero-brian command: end-to-end demo run, one-line errors with exit status 2, no overwriting."""
import json
import os
import stat

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


def test_show_lists_keys_defaults_dimensions_and_help(capsys):
    assert main(["show", "demo"]) == 0
    text = capsys.readouterr().out
    assert "duration" in text and "1.0 s" in text and "second" in text and "simulated time" in text
    assert "gamma(mean=20.0 ms, cv=0.5)" in text
    for name in ("stdp_pruning_mnist", "hrsnn_fsdd"):  # nested sections appear as dotted keys
        assert main(["show", name]) == 0
        assert "dt" in capsys.readouterr().out
    assert main(["show", "dmeo"]) == 2


def test_show_has_help_text_for_every_key_inherited_from_the_library_parameters():
    from hetero_brian.experiment.commands import describe_scenario
    from hetero_brian.experiment.runner import load_scenario, scenario_names
    from hetero_brian.network.diehl_cook import DiehlCookParameters
    from hetero_brian.network.hrsnn import HRSNNParameters
    from hetero_brian.network.multimodal import MultimodalParameters
    from hetero_brian.protocols.hrsnn_2x2 import HRSNNRunConfig

    bases = (HRSNNParameters, HRSNNRunConfig, DiehlCookParameters, MultimodalParameters)
    for base in bases:
        assert all(field.description for field in base.model_fields.values()), base.__name__
    checked = 0
    for name in scenario_names():
        config = load_scenario(name).Config
        inherited = {key for base in bases if issubclass(config, base) for key in base.model_fields}
        if not inherited:
            continue
        help_column = describe_scenario(name).splitlines()[2].index(" help") + 1  # key, default, dimension, help
        rows = {line.split()[0]: line[help_column:].strip() for line in describe_scenario(name).splitlines()[3:]
                if line.strip() and not line.startswith("set keys")}
        missing = sorted(key for key in inherited if not rows[key])
        assert not missing, f"{name}: no help text for {missing}"
        checked += 1
    assert checked >= 3  # the HRSNN, Diehl & Cook and multimodal scenarios


def test_show_has_help_text_for_every_key_of_every_scenario():
    """Every key of every scenario, the scenario's own keys included, has a help line that says more
    than the key's name (issue 21: no exemption list)."""
    from hetero_brian.experiment.commands import _rows, describe_scenario
    from hetero_brian.experiment.runner import load_scenario, scenario_names

    names = scenario_names()
    assert len(names) >= 13
    for name in names:
        config = load_scenario(name).Config
        keys = [key for key, *_ in _rows(config, config().model_dump(mode="json"))]
        assert len(keys) >= len(config.model_fields), name
        header, *lines = describe_scenario(name).splitlines()[2:]
        help_column = header.index(" help") + 1  # the columns are as wide as the longest key
        lines = [line for line in lines if line.strip() and not line.startswith("set keys")]
        rows = {line.split()[0]: line[help_column:].strip() for line in lines}
        assert sorted(rows) == sorted(keys), name
        missing = sorted(key for key, text in rows.items() if not text)
        assert not missing, f"{name}: no help text for {missing}"
        bare = sorted(key for key, text in rows.items() if text.replace(" ", "_").lower() == key.lower())
        assert not bare, f"{name}: the help of {bare} only repeats the name"


def test_srnn_scenarios_share_their_training_keys_and_keep_their_defaults():
    """srnn_digits and srnn_ecg inherit one set of training keys (and their help) and change defaults only."""
    from hetero_brian.experiment.runner import load_scenario
    from hetero_brian.training.parameters import SRNNTrainingOptions

    digits, ecg = (load_scenario(name).Config() for name in ("srnn_digits", "srnn_ecg"))
    assert isinstance(digits, SRNNTrainingOptions) and isinstance(ecg, SRNNTrainingOptions)
    assert (digits.n_hidden, digits.epochs, digits.batch_size, digits.decay_every, digits.loss_start_step) == (128, None, 64, None, None)
    assert (ecg.n_hidden, ecg.epochs, ecg.batch_size, ecg.decay_every, ecg.loss_start_step) == (36, 150, 32, 100, 10)
    assert ecg.crop_steps == 200 and ecg.baselines == ["rnn", "gru", "lstm"]
    assert digits.model_dump(mode="json")["tau_m"] == {"distribution": "normal", "mean": "20.0 ms", "std": "5.0 ms", "low": "1.0 ms"}


def test_run_prints_phases_and_metrics_with_units_and_writes_0644_figures(tmp_path, capsys):
    out = tmp_path / "demo"
    old_umask = os.umask(0o022)
    try:
        assert main(["run", "demo", *TINY_DEMO, "--seed", "2", "--out", str(out)]) == 0
    finally:
        os.umask(old_umask)
    captured = capsys.readouterr()
    for phase in ("building the network", "preparing (runtime)", "simulating 0.05 s", "saving", "done in"):
        assert phase in captured.err
    assert "  rate_exc_hz: " in captured.out and captured.out.split("rate_exc_hz: ")[1].splitlines()[0].endswith(" Hz")
    assert " s\n" in captured.out.split("wall_time_total: ")[1][:20] + "\n"
    for name in ("demo.png", "demo.h5", "metrics.json", "config.yaml", "manifest.json"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o644, name
    assert main(["run", "demo", *TINY_DEMO, "--out", str(tmp_path / "quiet"), "--quiet"]) == 0
    assert "simulating" not in capsys.readouterr().err


def test_runs_lists_each_run_with_its_status(tmp_path, capsys):
    root = tmp_path / "runs"
    assert main(["run", "demo", *TINY_DEMO, "--seed", "9", "--out", str(root / "a")]) == 0
    capsys.readouterr()
    assert main(["runs", str(root)]) == 0
    line = capsys.readouterr().out.strip()
    assert "complete" in line and "demo" in line and "seed 9" in line
    assert main(["runs", str(tmp_path / "missing")]) == 2


def test_plot_population_and_projection_options_with_titles(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["run", "demo", *TINY_DEMO, "--seed", "1", "--out", str(out)]) == 0
    from hetero_brian.analysis.plot_command import _weight_unit

    for kind, option in (("raster", ["--population", "inh"]), ("weights", ["--projection", "ie"]),
                         ("tau", ["--population", "inh"])):
        figure = tmp_path / f"{kind}.png"
        assert main(["plot", str(out / "demo.h5"), "--kind", kind, *option, "--out", str(figure)]) == 0
        assert figure.stat().st_size > 5_000
    assert _weight_unit(load(out / "demo.h5"), "ie") == "V"
    capsys.readouterr()
    assert main(["plot", str(out / "demo.h5"), "--population", "nope"]) == 2
    assert "has no recorded spikes of population 'nope'; it has exc, inh" in capsys.readouterr().err


def test_cache_reports_where_and_size_prunes_beyond_the_cap_and_cleans(tmp_path, monkeypatch, capsys):
    from hetero_brian.experiment.build_cache import cache_builds, prune_build_cache
    from hetero_brian.results.rundirs import directory_lock

    monkeypatch.setenv("HETERO_BRIAN_BUILD_ROOT", str(tmp_path / "builds"))
    for index, size in enumerate((3000, 2000, 1000)):
        build = tmp_path / "builds" / f"key{index}-0"
        build.mkdir(parents=True)
        (build / "main").write_bytes(b"x" * size)
        os.utime(build, (1000 + index, 1000 + index))
    assert main(["cache"]) == 0
    text = capsys.readouterr().out
    assert str(tmp_path / "builds") in text and "3 builds" in text and "cap 5.00 GB" in text
    assert prune_build_cache(cap_bytes=5500) == 1  # the least recently used goes first
    assert [path.name for path, _, _ in cache_builds()] == ["key1-0", "key2-0"]
    with directory_lock(tmp_path / "builds" / "key1-0"):  # in use: never deleted
        assert prune_build_cache(cap_bytes=10) == 1
    assert [path.name for path, _, _ in cache_builds()] == ["key1-0"]
    monkeypatch.setenv("HETERO_BRIAN_CACHE_MAX_GB", "-1")
    assert main(["cache"]) == 2
    monkeypatch.delenv("HETERO_BRIAN_CACHE_MAX_GB")
    assert main(["cache", "--clean"]) == 0
    assert cache_builds() == []


def test_show_into_a_closed_pipe_ends_quietly_with_141():
    """``hetero-brian show X | head -1``: the reader leaves before everything is written."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "hetero_brian.cli", "show", "demo"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    process.stdout.close()  # before the child (still importing) writes a byte
    error = process.stderr.read()
    assert process.wait(timeout=120) == 141 and error == "", error
