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
                 "brian_sequences=2", "baselines=[lstm]"]
    output, metrics = run_scenario("srnn_digits", overrides=overrides, backend="runtime", seed=3, out=tmp_path / "run")
    assert metrics["brian_spikes_identical_float64"] is True
    assert metrics["steps"] == 28 and metrics["channels"] == 28 and metrics["test_sequences"] == 40
    assert 0 <= metrics["test_accuracy"] <= 1 and metrics["epochs"] == 1
    assert 0 <= metrics["baseline_logistic_accuracy"] <= 1 and 0 <= metrics["lstm_test_accuracy"] <= 1
    assert abs(metrics["lstm_parameters"] - metrics["trainable_parameters"]) < 0.2 * metrics["trainable_parameters"]
    # analog input: every channel every step (28 x 28) x fan-out 6 (no zero weights after one epoch)
    assert metrics["operations_input_events_per_sequence"] == 28 * 28 * 6
    assert 0 < metrics["operations_input_nonzero_events_per_sequence"] < 28 * 28 * 6
    assert metrics["reference_baseline"] == "lstm" and "gru_test_accuracy" not in metrics
    assert metrics["energy_ratio_lstm"] == pytest.approx(metrics["energy_lstm_joule"] / metrics["energy_snn_joule"])
    assert (output / "checkpoint.pt").is_file() and (output / "trained_parameters.npz").is_file()
    assert (output / "baseline_lstm.pt").is_file()


@pytest.mark.slow
def test_srnn_digits_mnist_pixels_trains_and_exports_identical_spikes(shared_data, tmp_path):
    """Pixel by pixel (784 steps, 1 channel): a few updates on a tiny subset, then Brian2 gives the
    float64 forward pass's spikes on two test images."""
    from hetero_brian.experiment.runner import run_scenario

    folder = shared_data / "mnist"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    overrides = [f"data={folder}", "task=mnist_pixels", "epochs=1", "n_hidden=8", "n_train=64", "n_test=8",
                 "batch_size=16", "brian_sequences=2", "baselines=[]", "baseline=false"]
    output, metrics = run_scenario("srnn_digits", overrides=overrides, backend="runtime", seed=3, out=tmp_path / "run")
    assert metrics["steps"] == 784 and metrics["channels"] == 1 and metrics["train_sequences"] == 64
    assert metrics["brian_spikes_identical_float64"] is True
    assert metrics["spikes_per_neuron_per_step"] > 0  # the comparison is not between two silent networks
    assert metrics["operations_input_events_per_sequence"] == 784 * 8 and "reference_baseline" not in metrics


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


@pytest.mark.slow
def test_baselines_trained_in_a_background_process_equal_those_trained_in_place(tmp_path):
    import torch

    from hetero_brian.training.checkpoint import load_checkpoint
    from hetero_brian.training.evaluation import start_baselines
    from hetero_brian.training.trainer import TrainingSettings

    rng = np.random.default_rng(2)
    inputs = rng.normal(size=(24, 6, 3)).astype(np.float32)
    labels = np.repeat((inputs[:, :, 0].sum(axis=1) > 0).astype(np.int64)[:, None], 6, axis=1)
    data = {"train_inputs": inputs[:16], "train_labels": labels[:16], "test_inputs": inputs[16:], "test_labels": labels[16:]}
    settings = TrainingSettings(epochs=2, batch_size=8, loss_start_step=5, progress=False)
    results = {}
    for background in (False, True):
        folder = tmp_path / str(background)
        folder.mkdir()
        results[background] = start_baselines(["gru"], 200, 2, data, settings, seed=4, folder=folder, background=background)()
    assert results[True] == results[False] and results[True]["gru"]["parameters"] > 0
    states = [load_checkpoint(tmp_path / str(flag) / "baseline_gru.pt")["model"] for flag in (False, True)]
    for name, value in states[0].items():
        assert torch.equal(value, states[1][name]), name


_INTERRUPTED_DURING_BASELINES = """
import time
import numpy as np
from hetero_brian.training.evaluation import start_baselines
from hetero_brian.training.trainer import TrainingSettings

if __name__ == "__main__":
    inputs = np.random.default_rng(2).normal(size=(64, 20, 3)).astype(np.float32)
    labels = np.repeat((inputs[:, :, 0].sum(axis=1) > 0).astype(np.int64)[:, None], 20, axis=1)
    data = {"train_inputs": inputs[:48], "train_labels": labels[:48], "test_inputs": inputs[48:],
            "test_labels": labels[48:]}
    settings = TrainingSettings(epochs=10**6, batch_size=8, loss_start_step=5, progress=False)
    pending = start_baselines(["gru"], 200, 2, data, settings, seed=4, background=True)
    print(pending._process.pid, flush=True)  # the worker, to check it is gone afterwards
    try:
        time.sleep(3)
        raise KeyboardInterrupt  # the SRNN's training was interrupted: the result is never asked for
    except KeyboardInterrupt:
        raise SystemExit(130)
"""


def test_an_interrupted_caller_neither_waits_for_nor_leaves_behind_its_background_baselines(tmp_path):
    import os
    import subprocess
    import sys
    import time

    script = tmp_path / "interrupted.py"
    script.write_text(_INTERRUPTED_DURING_BASELINES)
    started = time.monotonic()
    process = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert process.returncode == 130, process.stderr
    assert time.monotonic() - started < 120  # a million epochs: waiting for them would hit the timeout
    worker = int(process.stdout.split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(worker, 9)
        raise AssertionError(f"the baseline worker {worker} outlived its caller")


@pytest.mark.parametrize("name", ["srnn_mnist_pixels.yaml", "srnn_mnist_pixels_reduced.yaml"])
def test_pixel_mnist_configuration_files_are_valid(name):
    from pathlib import Path

    from hetero_brian.config import load_config_file
    from hetero_brian.scenarios.srnn_digits import Config

    config = Config(**load_config_file(Path(__file__).parents[1] / "scenarios" / "configs" / name))
    assert config.task == "mnist_pixels" and config.n_train + config.n_test <= 10000


def test_energy_against_baselines_charges_analog_inputs_as_macs_and_picks_the_reference():
    from hetero_brian.training.evaluation import energy_against_baselines

    operations = {"input_events": 100, "input_nonzero_events": 40, "recurrent": 50, "readout": 10}
    baselines = {"lstm": {"hidden": 4, "test_accuracy": 0.95}, "gru": {"hidden": 4, "test_accuracy": 0.90},
                 "rnn": {"hidden": 4, "test_accuracy": 0.50}}
    analog = energy_against_baselines(operations, True, baselines, 0.905, n_inputs=2, n_steps=3, n_outputs=2)
    assert analog["energy_snn_joule"] == pytest.approx(60 * 0.9e-12 + 100 * 4.6e-12)
    assert analog["energy_snn_nonzero_input_joule"] == pytest.approx(60 * 0.9e-12 + 40 * 4.6e-12)
    # GRU: 3 gates x 4 x (2 + 4) + readout 2 x 4, per step, 3 steps; LSTM: 4 gates
    assert analog["macs_gru"] == 240 and analog["macs_lstm"] == 312 and analog["macs_rnn"] == 96
    # LSTM and GRU are within 1 point of the SRNN or better; the GRU is the cheaper of the two
    assert analog["reference_baseline"] == "gru"
    assert analog["energy_ratio_reference"] == pytest.approx(240 * 4.6e-12 / (60 * 0.9e-12 + 100 * 4.6e-12))
    spikes = energy_against_baselines(operations, False, baselines, 0.99, n_inputs=2, n_steps=3, n_outputs=2)
    assert spikes["energy_snn_joule"] == pytest.approx(160 * 0.9e-12)
    assert spikes["reference_baseline"] == "lstm"  # none similar: the most accurate
    assert "E_AC 0.9 pJ" in spikes["energy_constants"] and "Horowitz" in spikes["energy_constants"]
