"""Tiny end-to-end runs of the pruning scenarios, and their configuration errors."""
import numpy as np
import pytest

from hetero_brian.backends.runtime import RuntimeBackend
from hetero_brian.errors import ConfigError
from hetero_brian.inputs.time_series import chaotic_series
from hetero_brian.protocols.diehl_cook_pruning import training_sequence
from hetero_brian.scenarios import lnp_prediction, stdp_pruning_mnist


def test_chaotic_series_follow_their_equations():
    step = 0.01
    for name in ("lorenz", "rossler"):
        series = chaotic_series(name, 400, step, transient=100)
        assert series.shape == (400, 3) and np.all(np.isfinite(series))
        derivative = (series[2:] - series[:-2]) / (2 * step)
        x, y, z = series[1:-1].T
        if name == "lorenz":
            expected = np.column_stack([10 * (y - x), x * (28 - z) - y, x * y - 8 / 3 * z])
        else:
            expected = np.column_stack([-y - z, x + 0.2 * y, 0.2 + z * (x - 5.7)])
        scale = np.abs(expected).max(axis=0)
        assert np.max(np.abs(derivative - expected) / scale) < 0.02


@pytest.mark.slow
def test_lnp_prediction_tiny_end_to_end(tmp_path):
    config = lnp_prediction.Config.from_dict({"n_neurons": 20, "n_points": 80, "washout": 10, "plots": False})
    metrics = lnp_prediction.run(config, tmp_path, backend=RuntimeBackend(target="numpy"), seed=4)
    assert metrics["lnp_synapse_sparsity"] >= 0.5
    assert metrics["ap_synapse_sparsity"] == pytest.approx(metrics["lnp_synapse_sparsity"], abs=0.02)
    assert metrics["ap_neuron_sparsity"] == pytest.approx(metrics["lnp_neuron_sparsity"], abs=0.06)
    for name in ("dense", "lnp", "ap"):
        assert np.isfinite(metrics[f"{name}_nrmse"]) and metrics[f"{name}_nrmse"] > 0
    assert (tmp_path / "lnp_report.json").exists()


@pytest.mark.slow
def test_stdp_pruning_mnist_tiny_end_to_end(tmp_path, shared_data):
    config = stdp_pruning_mnist.Config.from_dict({
        "data_path": str(shared_data / "mnist"), "n_excitatory": 3, "n_train": 10, "n_label": 5, "n_test": 5,
        "images_per_run": 5, "t_present": "40 ms", "t_rest": "10 ms", "dt": "1 ms", "prune_interval": 5,
        "test_levels": [2], "proxy": "correlation", "plots": False})
    metrics = stdp_pruning_mnist.run(config, tmp_path, backend=RuntimeBackend(target="numpy"), seed=5)
    n_synapses = 784 * 3
    # two pruning steps whose fractions land exactly on half of each neuron's 784 inputs
    assert metrics["pruned_synapses_kept"] == 392 * 3 and metrics["pruned_sparsity"] == 0.5
    assert metrics["pruned_q2_distinct_weights"] <= 2 * 1
    # the dense network pruned once by weight: half of each neuron's inputs, 2 levels
    assert metrics["one_shot_q2_synapses_kept"] == 392 * 3 and metrics["one_shot_q2_distinct_weights"] <= 2
    assert 0 <= metrics["dense_accuracy"] <= 1 and metrics["dense_synapses_kept"] == n_synapses
    assert metrics["pruned_energy_per_image"] > 0
    assert (tmp_path / "stdp_pruning_mnist.h5").exists()


@pytest.mark.slow
def test_stdp_pruning_mnist_fixed_mask_phase_without_training_quantisation(tmp_path, shared_data):
    config = stdp_pruning_mnist.Config.from_dict({
        "data_path": str(shared_data / "mnist"), "n_excitatory": 2, "n_train": 10, "n_label": 4, "n_test": 4,
        "images_per_run": 5, "t_present": "40 ms", "t_rest": "10 ms", "dt": "1 ms", "prune_interval": 5,
        "prune_until": 0.5, "training_levels": None, "test_levels": [3], "plots": True})
    metrics = stdp_pruning_mnist.run(config, tmp_path, backend=RuntimeBackend(target="numpy"), seed=2)
    assert metrics["pruned_synapses_kept"] == 392 * 2  # one step, then 5 images with the mask fixed
    assert metrics["pruned_distinct_weights"] > 3  # no quantisation during training
    assert metrics["pruned_q3_distinct_weights"] <= 3
    assert (tmp_path / "pruning_mnist_accuracy.png").exists()


def test_training_sequence_repeats_every_training_image_once_per_epoch():
    train = np.array([7, 3, 9, 1, 5])
    sequence = training_sequence(train, 3, np.random.default_rng(4))
    assert sequence.size == 15 and np.array_equal(sequence[:5], train)  # first epoch in the split's order
    for epoch in range(3):
        assert sorted(sequence[5 * epoch:5 * (epoch + 1)]) == sorted(train)
    again = training_sequence(train, 3, np.random.default_rng(4))
    assert np.array_equal(sequence, again)
    assert np.array_equal(training_sequence(train, 1, np.random.default_rng(4)), train)


def test_stdp_pruning_mnist_dense_and_one_shot_only(tmp_path, shared_data):
    from hetero_brian.results import load

    config = stdp_pruning_mnist.Config.from_dict({
        "data_path": str(shared_data / "mnist"), "n_excitatory": 2, "n_train": 5, "n_label": 4, "n_test": 4,
        "images_per_run": 5, "t_present": "40 ms", "t_rest": "10 ms", "dt": "1 ms", "prune_interval": 5,
        "prune_during_training": False, "test_levels": [4], "plots": True, "n_epochs": 2,
        "theta_plus": "0.2 mV", "weight_inhibitory_excitatory": 20.0})
    metrics = stdp_pruning_mnist.run(config, tmp_path, backend=RuntimeBackend(target="numpy"), seed=2)
    assert metrics["n_epochs"] == 2 and metrics["n_runs"] >= 2  # two passes over the 5 images
    assert "dense_readout_accuracy" in metrics
    assert "pruned_accuracy" not in metrics and metrics["one_shot_q4_synapses_kept"] == 392 * 2
    assert set(load(tmp_path / "stdp_pruning_mnist.h5").synapses) == {"dense_input_exc"}
    assert (tmp_path / "pruning_mnist_weights.png").exists()


@pytest.mark.parametrize("module, values, match", [
    (stdp_pruning_mnist, {"n_train": 9000, "n_label": 900, "n_test": 200}, "10000"),
    (stdp_pruning_mnist, {"target_sparsity": 1.0}, "target_sparsity"),
    (stdp_pruning_mnist, {"test_levels": [1]}, "levels"),
    (stdp_pruning_mnist, {"prune_interval": 5000}, "prune_interval"),
    (stdp_pruning_mnist, {"prune_until": 0.0}, "prune_until"),
    (stdp_pruning_mnist, {"prune_until": 1.5}, "prune_until"),
    (stdp_pruning_mnist, {"n_train": 400, "prune_until": 0.25}, "prune_interval"),
    (stdp_pruning_mnist, {"n_epochs": 0}, "n_epochs"),
    (stdp_pruning_mnist, {"weight_inhibitory_excitatory": -1.0}, "weight_inhibitory_excitatory"),
    (lnp_prediction, {"n_neurons": 5}, "n_neurons"),
    (lnp_prediction, {"target_sparsity": 0.0}, "target_sparsity"),
    (lnp_prediction, {"n_points": 30}, "n_points"),
])
def test_bad_configurations(module, values, match, tmp_path):
    with pytest.raises(ConfigError, match=match):  # when the configuration is validated or at run time
        module.run(module.Config.from_dict(values), tmp_path, backend=RuntimeBackend(target="numpy"), seed=1)
