"""Conversion from PyTorch ANNs, the STDB and DIET-SNN surrogates, and Brian2 inference of converted networks."""
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hetero_brian.training.ann import UnsupportedLayerError, relu_mlp, small_cnn, to_converted_network  # noqa: E402
from hetero_brian.training.conversion import ConvertedNetwork, simulate_converted  # noqa: E402
from hetero_brian.training.converted_export import run_converted_in_brian  # noqa: E402
from hetero_brian.training.spiking_feedforward import (SpikingFeedforward, diet_snn, linear_surrogate,  # noqa: E402
                                                       stdb_surrogate)


def test_stdb_surrogate_matches_its_definition():
    dt = np.array([0.0, 1.0, 7.0, 250.0])
    for alpha, beta in ((0.3, 0.01), (1.0, 0.5)):
        np.testing.assert_allclose(stdb_surrogate(dt, alpha, beta).numpy(), alpha * np.exp(-beta * dt), rtol=1e-15)
    u = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.5], dtype=torch.float64)
    np.testing.assert_allclose(linear_surrogate(u, torch.tensor(1.0, dtype=torch.float64), 0.3).numpy(),
                               0.3 * np.maximum(0, 1 - np.abs(u.numpy() - 1.0)), rtol=1e-15)


def test_stdb_gradient_uses_time_since_last_spike():
    network = ConvertedNetwork([np.array([[2.0]]), np.array([[1.0]])], [1.0], input_shape=(1,))
    model = SpikingFeedforward(network, "stdb", alpha=0.3, beta=0.1)
    x = torch.tensor([[0.6]], dtype=torch.float64)
    model(x, 3, "direct").sum().backward()
    # u: 1.2 (spike, step 0), 0.2 + 1.2 = 1.4 (spike, step 1), 0.4 + 1.2 = 1.6 (spike, step 2); time since the
    # previous spike 0 (none yet: counted from the sample's start, as in Rathi's code), 1, 1;
    # du_t / dw_1 = 0.6 (t + 1) (the reset is detached); out = w_2 sum(s) / 3
    assert model.weights[1].grad.item() == pytest.approx(1.0)
    expected = 0.3 * (np.exp(-0.1 * 0) * 0.6 + np.exp(-0.1) * (1.2 + 1.8)) / 3.0
    assert model.weights[0].grad.item() == pytest.approx(expected, rel=1e-12)


def test_stdb_counts_a_silent_neuron_from_the_sample_start():
    # Rathi's code starts its last-spike tensor at zeros, so before the first spike dt = step (not "never")
    network = ConvertedNetwork([np.array([[2.0]]), np.array([[1.0]])], [1.0], input_shape=(1,))
    model = SpikingFeedforward(network, "stdb", alpha=0.3, beta=0.1)
    model(torch.tensor([[0.2]], dtype=torch.float64), 3, "direct").sum().backward()
    # u: 0.4, 0.8, 1.2 (first spike at step 2); dt = 0, 1, 2; du_t / dw_1 = 0.2 (t + 1)
    expected = 0.3 * (0.2 + np.exp(-0.1) * 0.4 + np.exp(-0.2) * 0.6) / 3.0
    assert model.weights[0].grad.item() == pytest.approx(expected, rel=1e-12)


def test_torch_model_converts_with_conv_and_pooling():
    model = small_cnn(channels=2, seed=1)
    network = to_converted_network(model, (1, 28, 28))
    assert [w.shape for w in network.weights] == [(2 * 24 * 24, 784), (128, 2 * 24 * 24), (10, 128)]
    x = np.random.default_rng(0).random((3, 1, 28, 28))
    with torch.no_grad():
        hidden = torch.relu(model[0](torch.as_tensor(x)))
        expected = model[4](model[3](model[2](hidden))).numpy()
    flat = np.maximum(x.reshape(3, -1) @ network.weights[0].T, 0) @ network.weights[1].T
    np.testing.assert_allclose(flat, expected, rtol=1e-10, atol=1e-12)


def test_unsupported_layers_are_named():
    with pytest.raises(UnsupportedLayerError, match="Sigmoid"):
        to_converted_network(torch.nn.Sequential(torch.nn.Linear(4, 3, bias=False), torch.nn.Sigmoid(),
                                                 torch.nn.Linear(3, 2, bias=False)), (4,))
    with pytest.raises(UnsupportedLayerError, match="bias"):
        to_converted_network(torch.nn.Sequential(torch.nn.Linear(4, 3)), (4,))
    with pytest.raises(UnsupportedLayerError, match="takes 4 inputs"):
        to_converted_network(relu_mlp(4, (3,), 2), (5,))


def test_diet_snn_trains_leak_and_threshold():
    rng = np.random.default_rng(0)
    first = rng.normal(0, 0.5, (8, 6))
    first[0, :3] = 0.0  # absent synapses (e.g. outside a convolution kernel) must stay absent
    network = ConvertedNetwork([first, rng.normal(0, 0.5, (3, 8))], [0.5], [0.9], input_shape=(6,))
    images, labels = rng.random((32, 6)), rng.integers(0, 3, 32)
    trained = diet_snn(network, images, labels, n_steps=5, epochs=2, learning_rate=1e-2, batch_size=16)
    assert trained.leaks[0] != 0.9 and trained.thresholds[0] != 0.5
    assert np.all(trained.weights[0][0, :3] == 0) and np.any(trained.weights[0] != first)


def _converted(seed=5):
    rng = np.random.default_rng(seed)
    return ConvertedNetwork([rng.normal(0, 0.3, (20, 16)), rng.normal(0, 0.3, (12, 20)), rng.normal(0, 0.3, (3, 12))],
                            [0.5, 0.4], input_shape=(4, 4)), rng.random((2, 4, 4))


@pytest.mark.parametrize("encoding", ["direct", "poisson"])
def test_brian2_runtime_gives_the_reference_spikes(encoding):
    network, images = _converted()
    reference = simulate_converted(network, images, 30, encoding, rng=5, exact=True, record_spikes=True)
    runs = run_converted_in_brian(network, images, 30, encoding, rng=5)
    for index, run in enumerate(runs):
        assert sum(grid.sum() for grid in run.spikes) > 50
        for layer, grid in enumerate(run.spikes):
            np.testing.assert_array_equal(grid, reference.spikes[layer][:, index])
        np.testing.assert_array_equal(run.output, reference.output[-1, index])
        counts = [reference.spike_counts[layer][index] for layer in range(2)]
        assert run.synaptic_operations["layer_1_layer_2"] == int(counts[0] @ np.count_nonzero(network.weights[1], axis=0))


def test_torch_forward_matches_the_reference():
    network, images = _converted()
    reference = simulate_converted(network, images, 30, "direct")
    model = SpikingFeedforward(network)
    assert model.output_scale == pytest.approx(0.5 * 0.4)
    with torch.no_grad():
        output = model(torch.as_tensor(images), 30, "direct").numpy()
    np.testing.assert_allclose(output * 30 / model.output_scale, reference.output[-1], rtol=0, atol=1e-12)


@pytest.mark.standalone
def test_brian2_cpp_standalone_gives_the_reference_spikes(tmp_path):
    network, images = _converted()
    reference = simulate_converted(network, images, 30, "direct", exact=True, record_spikes=True)
    build_root = os.environ.get("HETERO_BRIAN_BUILD_ROOT", str(tmp_path))
    runs = run_converted_in_brian(network, images, 30, "direct", backend="cpp_standalone", build_root=build_root)
    for index, run in enumerate(runs):
        for layer, grid in enumerate(run.spikes):
            np.testing.assert_array_equal(grid, reference.spikes[layer][:, index])
        np.testing.assert_array_equal(run.output, reference.output[-1, index])
