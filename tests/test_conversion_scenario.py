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
