"""Trained CNNs keep their shared kernel values: STDB/DIET train one value per kernel entry, and the export
states the trained convolution as explicit connectivity with those values (issue 18)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
signal = pytest.importorskip("scipy.signal")

from hetero_brian.training.ann import to_converted_network  # noqa: E402
from hetero_brian.training.conversion import simulate_converted  # noqa: E402
from hetero_brian.training.converted_export import converted_network_spec, run_converted_in_brian  # noqa: E402
from hetero_brian.training.spiking_feedforward import SpikingFeedforward, diet_snn, hybrid_stdb  # noqa: E402

nn = torch.nn


def _tiny_cnn():
    torch.manual_seed(2)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, bias=False), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
                          nn.Linear(2 * 3 * 3, 6, bias=False), nn.ReLU(), nn.Linear(6, 3, bias=False)).double()
    network = to_converted_network(model, (1, 8, 8), thresholds=[0.2, 0.1])
    rng = np.random.default_rng(4)
    return model, network, rng.random((24, 1, 8, 8)), rng.integers(0, 3, 24)


def _convolved(kernels, image):
    return np.stack([signal.correlate2d(image[0], kernels[o, 0], mode="valid") for o in range(kernels.shape[0])])


@pytest.mark.parametrize("method", ["diet", "stdb"])
def test_trained_cnn_keeps_one_value_per_kernel_entry(method):
    model, network, images, labels = _tiny_cnn()
    kernels = model[0].weight.detach().numpy()
    np.testing.assert_array_equal(network.sharing[0].values, kernels)
    train = diet_snn if method == "diet" else hybrid_stdb
    trained = train(network, images, labels, n_steps=4, epochs=2, learning_rate=5e-2, batch_size=8)
    trained_kernels = trained.sharing[0].values
    assert trained_kernels.shape == (2, 1, 3, 3) and not np.allclose(trained_kernels, kernels)
    for image in images[:3]:  # the trained first layer is still the correlation with the trained kernels
        np.testing.assert_allclose((trained.weights[0] @ image.ravel()).reshape(2, 6, 6), _convolved(trained_kernels, image),
                                   rtol=1e-12, atol=1e-14)
    # the next layer is still the trained linear layer over 2x2-averaged pixels (pooling stays folded)
    linear = trained.sharing[1].values
    pooled = trained.weights[1].reshape(6, 2, 3, 2, 3, 2)
    np.testing.assert_array_equal(pooled, np.broadcast_to(0.25 * linear.reshape(6, 2, 3, 1, 3, 1), pooled.shape))
    # the Brian2 spec (Poisson input: the convolution is a projection) carries exactly the trained kernel values
    projection = converted_network_spec(trained, 5, "poisson").projections[0]
    weights = np.asarray(projection.synapse.weight.values_si)
    assert set(np.unique(weights)) <= set(trained_kernels.ravel())
    dense = np.zeros((72, 64))
    dense[projection.j, projection.i] = weights
    for image in images[:3]:
        np.testing.assert_array_equal(dense @ image.ravel() == 0, trained.weights[0] @ image.ravel() == 0)
        np.testing.assert_allclose((dense @ image.ravel()).reshape(2, 6, 6), _convolved(trained_kernels, image),
                                   rtol=1e-12, atol=1e-14)


def test_trained_cnn_gives_the_autodiff_spikes_in_brian2():
    _, network, images, labels = _tiny_cnn()
    trained = diet_snn(network, images, labels, n_steps=4, epochs=2, learning_rate=5e-2, batch_size=8)
    model = SpikingFeedforward(trained, "linear")
    with torch.no_grad():
        model(torch.as_tensor(images[:2]), 12, "direct", record_spikes=True)
    reference = simulate_converted(trained, images[:2], 12, "direct", exact=True, record_spikes=True)
    runs = run_converted_in_brian(trained, images[:2], 12, "direct")
    assert sum(int(grid.sum()) for run in runs for grid in run.spikes) > 20
    for index, run in enumerate(runs):
        for layer, grid in enumerate(run.spikes):
            np.testing.assert_array_equal(grid, model.recorded_spikes[layer][:, index])
            np.testing.assert_array_equal(grid, reference.spikes[layer][:, index])


def test_a_sharing_that_does_not_reproduce_the_weights_is_refused():
    from hetero_brian.training.conversion import ConvertedNetwork

    _, network, _, _ = _tiny_cnn()
    broken = network.weights[0].copy()
    row, column = np.argwhere(network.sharing[0].index == 4)[0]
    broken[row, column] += 0.1  # one synapse leaves its kernel entry
    with pytest.raises(ValueError, match="sharing\\[0\\] does not reproduce"):
        ConvertedNetwork([broken] + list(network.weights[1:]), network.thresholds, input_shape=(1, 8, 8),
                         sharing=network.sharing)
