"""ANN-to-SNN conversion: rates reproduce activations, threshold balancing, convolution as connectivity, bad input."""
import numpy as np
import pytest
from scipy.signal import correlate2d

from hetero_brian.network.convolution import (average_pooling_connectivity, connectivity_matrix,
                                              convolution_connectivity)
from hetero_brian.training.conversion import ConvertedNetwork, poisson_raster, simulate_converted
from hetero_brian.training.threshold_balancing import balance_thresholds, relu_activations


def _hand_built():
    """A 4-3-2 ReLU network with activations below the thresholds (no saturation)."""
    w1 = np.array([[0.5, 0.2, -0.3, 0.1], [0.1, 0.4, 0.2, -0.2], [-0.3, 0.1, 0.6, 0.3]])
    w2 = np.array([[0.7, -0.4, 0.5], [-0.2, 0.6, 0.3]])
    return ConvertedNetwork([w1, w2], [1.0], input_shape=(4,))


def test_firing_rates_reproduce_relu_activations():
    network = _hand_built()
    images = np.array([[0.9, 0.5, 0.2, 0.7], [0.1, 0.8, 0.6, 0.3], [0.4, 0.4, 0.9, 0.0]])
    activations = relu_activations(network.weights, images)[0]
    assert activations.max() < 1.0
    n_steps = 1000
    run = simulate_converted(network, images, n_steps, "direct")
    rates = run.spike_counts[0] / n_steps
    # reset by subtraction with direct input: |rate - a| <= 1 / n_steps exactly
    np.testing.assert_allclose(rates, activations, rtol=0, atol=1.0 / n_steps + 1e-12)
    output = run.output[-1] / n_steps  # the output layer integrates the rates times the weights
    np.testing.assert_allclose(output, activations @ network.weights[1].T, rtol=0, atol=2.0 / n_steps)


def test_poisson_rates_reproduce_activations_statistically():
    network = _hand_built()
    image = np.array([[0.9, 0.5, 0.2, 0.7]])
    run = simulate_converted(network, image, 20000, "poisson", rng=4)
    expected = relu_activations(network.weights, image)[0]
    np.testing.assert_allclose(run.spike_counts[0] / 20000, expected, rtol=0, atol=0.02)


def test_threshold_balancing_picks_the_documented_statistic():
    rng = np.random.default_rng(0)
    weights = [rng.normal(0, 0.5, (30, 16)), rng.normal(0, 0.5, (20, 30)), rng.normal(0, 0.5, (5, 20))]
    network = ConvertedNetwork(weights, [1.0, 1.0], input_shape=(16,))
    images = rng.random((200, 16))
    first, second = relu_activations(weights, images)
    by_max = balance_thresholds(network, images, "max")
    assert by_max.thresholds[0] == pytest.approx(first.max())
    assert by_max.thresholds[1] == pytest.approx(second.max() / first.max())
    robust = balance_thresholds(network, images, "percentile", percentile=99.9)
    p1, p2 = np.percentile(first, 99.9), np.percentile(second, 99.9)
    assert robust.thresholds == pytest.approx((p1, p2 / p1))
    assert robust.thresholds[0] < by_max.thresholds[0]
    by_spikes = balance_thresholds(network, images[:20], "spike_norm", n_steps=50, rng=3)
    rasters = np.stack([poisson_raster(image, 50, np.random.default_rng(3)) for image in images[:1]])
    assert by_spikes.thresholds[0] >= float(np.max(rasters[0] @ weights[0].T))  # the max over all images
    generator = np.random.default_rng(3)
    all_rasters = np.stack([poisson_raster(image, 50, generator) for image in images[:20]]).astype(float)
    assert by_spikes.thresholds[0] == pytest.approx(float(np.max(all_rasters @ weights[0].T)))
    first_layer = network.with_thresholds([by_spikes.thresholds[0], 1.0])
    run = simulate_converted(first_layer, images[:20], 50, "poisson", rasters=all_rasters, record_spikes=True)
    assert by_spikes.thresholds[1] == pytest.approx(float(np.max(run.spikes[0].astype(float) @ weights[1].T)))


def test_convolution_as_connectivity_equals_correlate2d():
    rng = np.random.default_rng(1)
    image = rng.random((2, 7, 6))
    kernels = rng.normal(size=(3, 2, 3, 2))
    i, j, w, shape = convolution_connectivity(image.shape, kernels)
    assert shape == (3, 5, 5)
    out = (connectivity_matrix(i, j, w, image.size, int(np.prod(shape))) @ image.ravel()).reshape(shape)
    for o in range(3):
        expected = sum(correlate2d(image[c], kernels[o, c], mode="valid") for c in range(2))
        np.testing.assert_allclose(out[o], expected, rtol=0, atol=1e-12)
    # weight sharing: every synapse holds one of the kernel's values
    assert set(np.unique(w)) <= set(np.unique(kernels))


def test_padding_stride_and_average_pooling():
    rng = np.random.default_rng(2)
    image = rng.random((1, 6, 6))
    kernel = rng.normal(size=(1, 1, 3, 3))
    i, j, w, shape = convolution_connectivity(image.shape, kernel, stride=2, padding=1)
    out = (connectivity_matrix(i, j, w, image.size, int(np.prod(shape))) @ image.ravel()).reshape(shape)
    padded = np.pad(image[0], 1)
    np.testing.assert_allclose(out[0], correlate2d(padded, kernel[0, 0], mode="valid")[::2, ::2], atol=1e-12)
    i, j, w, shape = average_pooling_connectivity(image.shape, 2)
    pooled = (connectivity_matrix(i, j, w, image.size, 9) @ image.ravel()).reshape(shape)
    np.testing.assert_allclose(pooled[0], image[0].reshape(3, 2, 3, 2).mean(axis=(1, 3)), atol=1e-12)


def test_bad_input_is_named():
    network = _hand_built()
    with pytest.raises(ValueError, match="n_steps"):
        simulate_converted(network, np.zeros((1, 4)), 0)
    with pytest.raises(ValueError, match="wrong input shape"):
        simulate_converted(network, np.zeros((1, 5)), 10)
    with pytest.raises(ValueError, match="negative or zero threshold"):
        ConvertedNetwork(network.weights, [-0.5])
    with pytest.raises(ValueError, match="takes 5 inputs but layer 1 has 3"):
        ConvertedNetwork([np.ones((3, 4)), np.ones((2, 5))], [1.0])
    with pytest.raises(ValueError, match="encoding"):
        simulate_converted(network, np.zeros((1, 4)), 5, encoding="rate")
    with pytest.raises(ValueError, match="method"):
        balance_thresholds(network, np.zeros((1, 4)), "mean")
