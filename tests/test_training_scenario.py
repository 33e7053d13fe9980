"""The srnn_ecg scenario end to end on a tiny configuration (one epoch, 4 neurons, one Brian2 run)."""
import json

import pytest

pytest.importorskip("torch")


@pytest.mark.slow
def test_srnn_ecg_runs_end_to_end(shared_data, tmp_path):
    from hetero_brian.cli import run_scenario

    folder = shared_data / "qtdb"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    overrides = [f"data={folder}", "epochs=1", "n_hidden=4", "brian_sequences=1", "crop_steps=50", "batch_size=128",
                 "baselines=[lstm]"]
    output, metrics = run_scenario("srnn_ecg", overrides=overrides, backend="runtime", seed=3, out=tmp_path / "run")
    assert metrics["brian_spikes_identical_float64"] is True
    assert 0 <= metrics["test_accuracy"] <= 1 and metrics["epochs"] == 1
    assert metrics["energy_ratio_lstm_same_width"] > 1 and metrics["synaptic_operations_per_sequence"] > 0
    assert 0 <= metrics["lstm_test_accuracy"] <= 1 and "gru_test_accuracy" not in metrics
    assert abs(metrics["lstm_parameters"] - metrics["trainable_parameters"]) < 0.2 * metrics["trainable_parameters"]
    assert json.loads((output / "metrics.json").read_text())["seed"] == 3
    assert (output / "checkpoint.pt").is_file() and (output / "trained_parameters.npz").is_file()


def test_srnn_ecg_names_missing_data(tmp_path):
    from hetero_brian.cli import run_scenario

    with pytest.raises(FileNotFoundError, match="QTDB_train.mat"):
        run_scenario("srnn_ecg", overrides=[f"data={tmp_path}"], backend="runtime", seed=3, out=tmp_path / "run")
