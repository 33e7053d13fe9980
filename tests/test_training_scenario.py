"""The srnn_ecg and srnn_digits scenarios end to end on tiny configurations (one epoch, one Brian2 run)."""
import json

import numpy as np
import pytest

pytest.importorskip("torch")


@pytest.mark.slow
def test_srnn_ecg_runs_end_to_end(shared_data, tmp_path):
    from hetero_brian.experiment.runner import run_scenario

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


@pytest.mark.slow
def test_srnn_ecg_yin_configuration_runs_with_a_validation_split(shared_data, tmp_path):
    """scenarios/srnn_ecg_yin.yaml (spiking adaptive readout, beta 0) on a tiny budget, 100 sequences held out."""
    from pathlib import Path

    from hetero_brian.experiment.runner import run_scenario

    folder = shared_data / "qtdb"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    config = Path(__file__).resolve().parents[1] / "scenarios" / "srnn_ecg_yin.yaml"
    overrides = [f"data={folder}", "epochs=1", "n_hidden=4", "brian_sequences=1", "crop_steps=50", "batch_size=128",
                 "baselines=[]", "validation_sequences=100"]
    output, metrics = run_scenario("srnn_ecg", config_file=config, overrides=overrides, backend="runtime", seed=3,
                                   out=tmp_path / "run")
    assert metrics["brian_spikes_identical_float64"] is True and metrics["validation_sequences"] == 100
    assert 0 <= metrics["validation_accuracy"] <= 1
    arrays = np.load(output / "trained_parameters.npz")
    assert str(arrays["readout"]) == "adaptive_spiking" and float(arrays["beta"]) == 0.0
    np.testing.assert_allclose(arrays["tau_m"], 0.02, atol=5 * 3.1e-5)  # homogeneous start, 5 Adam steps <= 0.03 ms


def test_srnn_ecg_names_missing_data(tmp_path):
    from hetero_brian.experiment.runner import run_scenario

    with pytest.raises(FileNotFoundError, match="QTDB_train.mat"):
        run_scenario("srnn_ecg", overrides=[f"data={tmp_path}"], backend="runtime", seed=3, out=tmp_path / "run")


@pytest.mark.slow
def test_srnn_digits_mnist_rows_runs_end_to_end(shared_data, tmp_path):
    from hetero_brian.experiment.runner import run_scenario

    folder = shared_data / "mnist"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    overrides = [f"data={folder}", "task=mnist_rows", "epochs=1", "n_hidden=6", "n_train=200", "n_test=40",
                 "brian_sequences=1", "baseline=false"]
    output, metrics = run_scenario("srnn_digits", overrides=overrides, backend="runtime", seed=3, out=tmp_path / "run")
    assert metrics["brian_spikes_identical_float64"] is True
    assert metrics["steps"] == 28 and metrics["channels"] == 28 and metrics["test_sequences"] == 40
    assert 0 <= metrics["test_accuracy"] <= 1 and metrics["epochs"] == 1
    assert (output / "checkpoint.pt").is_file() and (output / "trained_parameters.npz").is_file()


def test_srnn_digits_names_missing_data(tmp_path):
    from hetero_brian.experiment.runner import run_scenario

    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte"):
        run_scenario("srnn_digits", overrides=[f"data={tmp_path}", "task=mnist_rows"], backend="runtime", seed=3,
                     out=tmp_path / "run")


def test_digit_sequences_have_one_class_per_sequence(shared_data):
    from hetero_brian.training.data import mnist_row_sequences, sequence_labels

    folder = shared_data / "mnist"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    data = mnist_row_sequences(folder, n_train=30, n_test=10)
    assert data["train_inputs"].shape == (30, 28, 28) and data["test_inputs"].shape == (10, 28, 28)
    assert 0 <= data["train_inputs"].min() and data["train_inputs"].max() <= 1
    labels = sequence_labels(data["test_classes"], 28)
    assert labels.shape == (10, 28) and np.all(labels == data["test_classes"][:, None])
    with pytest.raises(ValueError, match="one class per sequence"):
        sequence_labels(np.zeros((2, 2), dtype=int), 3)
    with pytest.raises(ValueError, match="n_train \\+ n_test must be <= 10000"):
        mnist_row_sequences(folder, n_train=9000, n_test=2000)
