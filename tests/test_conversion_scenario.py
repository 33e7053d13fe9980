"""The conversion_mnist scenario end to end on a tiny configuration."""
import json

import pytest

pytest.importorskip("torch")


@pytest.mark.slow
def test_conversion_mnist_runs_end_to_end(shared_data, tmp_path):
    from hetero_brian.experiment.runner import run_scenario

    folder = shared_data / "mnist"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    overrides = [f"data_path={folder}", "n_train=300", "n_test=100", "hidden=[32]", "ann_epochs=2", "n_normalisation=50",
                 "spike_norm_steps=20", "max_steps=30", "report_steps=[10,30]", "stdb_steps=5", "diet_steps=3",
                 "brian_images=1", "brian_steps=10"]
    output, metrics = run_scenario("conversion_mnist", overrides=overrides, backend="runtime", seed=3, out=tmp_path / "run")
    assert metrics["brian"]["spikes_identical_float64"] is True and metrics["brian"]["outputs_identical_float64"] is True
    assert 0 <= metrics["ann_accuracy"] <= 1 and metrics["ann_macs"] == 784 * 32 + 32 * 10
    for name in ("converted_percentile_direct", "converted_max_poisson", "converted_spike_norm_direct", "hybrid_stdb",
                 "diet_snn"):
        assert 0 <= metrics[name]["accuracy"] <= 1 and metrics[name]["synaptic_operations"] >= 0
    assert set(metrics["converted_max_direct"]["accuracy_at"]) == {"10", "30"}
    assert json.loads((output / "metrics.json").read_text())["seed"] == 3
    assert (output / "curves.npz").is_file() and (output / "conversion.png").is_file()


def test_conversion_mnist_names_a_bad_option(tmp_path):
    from hetero_brian.experiment.runner import run_scenario

    with pytest.raises(Exception, match="balancing"):
        run_scenario("conversion_mnist", overrides=["balancing=[mean]"], backend="runtime", seed=3, out=tmp_path / "run")


def _tiny_fsdd(shared_data, folder):
    recordings = shared_data / "fsdd" / "recordings"
    if not recordings.is_dir():
        pytest.skip(f"{recordings} is absent")
    folder.mkdir()
    for digit in range(10):
        for take in range(8):  # takes 0-4: test (50), 5-7: training (30)
            (folder / f"{digit}_george_{take}.wav").symlink_to(recordings / f"{digit}_george_{take}.wav")
    return folder


def test_fsdd_split_gives_fixed_size_log_mel_images(shared_data, tmp_path):
    import numpy as np

    from hetero_brian.training.conversion_study import fsdd_split

    folder = _tiny_fsdd(shared_data, tmp_path / "recordings")
    train_x, train_y, test_x, test_y = fsdd_split(folder, 12, 10, 8000, 2000, seed=1)
    assert train_x.shape == (30, 12, 10) and test_x.shape == (50, 12, 10) and train_x.dtype == np.float64
    assert np.bincount(test_y).tolist() == [5] * 10 and np.bincount(train_y).tolist() == [3] * 10
    assert train_x.min() == 0.0 and train_x.max() == 1.0 and 0.0 <= test_x.min() and test_x.max() <= 1.0
    again = fsdd_split(folder, 12, 10, 20, 40, seed=1)  # the cut keeps the seed's order
    np.testing.assert_array_equal(again[0], train_x[:20])
    np.testing.assert_array_equal(again[3], test_y[:40])


@pytest.mark.slow
def test_conversion_fsdd_variant_runs_end_to_end(shared_data, tmp_path):
    from hetero_brian.experiment.runner import run_scenario

    folder = _tiny_fsdd(shared_data, tmp_path / "recordings")
    overrides = ["dataset=fsdd", f"data_path={folder}", "n_mels=12", "n_frames=12", "hidden=[16]", "ann_epochs=2",
                 "stdb_epochs=1", "diet_epochs=1", "n_normalisation=20", "spike_norm_steps=10", "max_steps=20",
                 "report_steps=[10,20]", "stdb_steps=4", "diet_steps=3", "brian_images=1", "brian_steps=8"]
    output, metrics = run_scenario("conversion_mnist", overrides=overrides, backend="runtime", seed=2, out=tmp_path / "run")
    assert metrics["dataset"] == "fsdd" and metrics["epochs"] == {"ann_epochs": 2, "stdb_epochs": 1, "diet_epochs": 1}
    assert metrics["ann_macs"] == 144 * 16 + 16 * 10
    assert metrics["brian"]["spikes_identical_float64"] is True and metrics["brian"]["backend"] == "runtime"
    for name in ("converted_percentile_direct", "converted_spike_norm_poisson", "hybrid_stdb", "diet_snn"):
        assert 0 <= metrics[name]["accuracy"] <= 1
    assert (output / "conversion.png").is_file()


def _tiny_converted():
    import numpy as np

    from hetero_brian.training.conversion import ConvertedNetwork

    rng = np.random.default_rng(5)
    return ConvertedNetwork([rng.normal(0, 0.3, (12, 16)), rng.normal(0, 0.3, (3, 12))], [0.5],
                            input_shape=(4, 4)), rng.random((2, 4, 4))


def test_auto_backend_falls_back_to_the_runtime_and_says_why(monkeypatch, tmp_path):
    import numpy as np

    from hetero_brian.training import conversion_study

    network, images = _tiny_converted()
    monkeypatch.setattr(conversion_study, "compiler_available", lambda: False)
    runs, note = conversion_study._brian_runs(network, images, 5, "direct", np.random.default_rng(0), "auto", str(tmp_path))
    assert note == "runtime (fallback: no C++ compiler on the PATH)"
    assert runs[0].result.provenance["backend"]["backend"] == "runtime"

    real = conversion_study.run_converted_in_brian

    def broken_cpp(*arguments, backend="runtime", **options):
        if backend == "cpp_standalone":
            arguments[4].random(1000)  # a failure after drawing rasters must not shift the runtime's rasters
            raise RuntimeError("g++ failed")
        return real(*arguments, backend=backend, **options)

    monkeypatch.setattr(conversion_study, "compiler_available", lambda: True)
    monkeypatch.setattr(conversion_study, "run_converted_in_brian", broken_cpp)
    generator = np.random.default_rng(7)
    runs, note = conversion_study._brian_runs(network, images, 5, "poisson", generator, "auto", str(tmp_path))
    assert note.startswith("runtime (fallback: cpp_standalone failed: RuntimeError: g++ failed")
    expected = real(network, images, 5, "poisson", np.random.default_rng(7))  # same rasters as a direct runtime run
    for run, reference in zip(runs, expected):
        np.testing.assert_array_equal(run.output, reference.output)
