"""The Diehl & Cook network: a tiny run learns a two-class toy set; masks, normalisation, bad inputs."""
import numpy as np
import pytest
from brian2 import Hz, mV, ms

from hetero_brian.analysis.assignment import accuracy, assign_labels, classify
from hetero_brian.backends.runtime import RuntimeBackend
from hetero_brian.distributions import Constant
from hetero_brian.errors import UnitError
from hetero_brian.network.diehl_cook import DiehlCookParameters, MaskedSTDP, diehl_cook_spec
from hetero_brian.protocols.diehl_cook import DiehlCookNetwork
from hetero_brian.protocols.presentation import presentation_rates

N_PIXELS = 16


def toy_images(n_images, rng):
    """Class 0 lights the left half of a 4x4 image, class 1 the right half (with pixel noise)."""
    labels = np.arange(n_images) % 2
    images = np.zeros((n_images, 4, 4))
    for k, label in enumerate(labels):
        images[k, :, 2 * label:2 * label + 2] = 255
    images = np.clip(images + rng.uniform(0, 40, images.shape), 0, 255)
    return images.reshape(n_images, -1), labels


def toy_parameters(normalisation="run", input_mode="raster"):
    return DiehlCookParameters(n_excitatory=4, max_rate=200 * Hz, t_present=60 * ms, t_rest=10 * ms,
                               dt=1 * ms, images_per_run=10, total_weight=4.0, normalisation=normalisation,
                               eta_plus=0.05, x_target=0.1, input_mode=input_mode)


@pytest.mark.slow
@pytest.mark.parametrize("normalisation, input_mode", [("run", "raster"), ("spike", "raster"), ("run", "rate")])
def test_tiny_network_learns_two_classes_above_chance(normalisation, input_mode, tmp_path):
    rng = np.random.default_rng(0)
    train, _ = toy_images(30, rng)
    label_images, label_labels = toy_images(10, rng)
    test_images, test_labels = toy_images(10, rng)
    left = np.tile(np.repeat([1.0, 0.0], 2), 4)  # pixel belongs to the left half
    with DiehlCookNetwork(toy_parameters(normalisation, input_mode), N_PIXELS, backend=RuntimeBackend(target="numpy"),
                          seed=2, build_root=tmp_path) as network:
        initial = network.weights.reshape(4, N_PIXELS).copy()  # post-ordered: row = neuron
        theta_before = network.theta.copy()
        training = network.present(train, learn=True, rng=1)
        learned = network.weights.reshape(4, N_PIXELS)
        # host-side normalisation: every neuron's input weights sum to total_weight
        np.testing.assert_allclose(learned.sum(axis=1), 4.0, rtol=1e-9)
        # theta: theta_0 exp(-T / tau_theta) + theta_plus sum_k exp(-(T - t_k) / tau_theta), tau_theta = 1e4 s
        ids, times = training.excitatory_spikes.node_ids, training.excitatory_spikes.timestamps
        spikes = np.bincount(ids, minlength=4)
        decay = np.exp(-(training.t_stop - times) / 1e4)
        expected = theta_before * np.exp(-training.t_stop / 1e4) + np.bincount(ids, 0.05e-3 * decay, minlength=4)
        np.testing.assert_allclose(network.theta, expected, rtol=1e-6)
        # learning makes the weights selective for one half: |left - right| share grows
        def selectivity(weights):
            share = weights @ left / weights.sum(axis=1)
            return np.abs(share - 0.5)
        winners = spikes > 0
        assert selectivity(learned)[winners].mean() > 2 * selectivity(initial)[winners].mean()
        assert selectivity(learned).max() > 0.15
        theta_trained = network.theta.copy()
        labelling = network.present(label_images, learn=False, rng=2)
        test = network.present(test_images, learn=False, rng=3)
        np.testing.assert_array_equal(network.theta, theta_trained)  # frozen without learning
    assignments = assign_labels(labelling.counts, label_labels, 2)
    predictions = classify(test.counts, assignments, 2)
    # chance is 0.5; short 60 ms presentations leave some images without any vote (-1)
    assert accuracy(predictions, test_labels) >= 0.7
    assert np.sum((predictions >= 0) & (predictions != test_labels)) <= 1


def test_spike_normalisation_never_lifts_a_weight_above_w_max(tmp_path):
    # one weight at w_max and a small sum: scaling to total_weight at a spike would push it to 3.5 w_max,
    # where the power-law rule's (1 - w / w_max)**mu is undefined (the simulation used to end in NaN)
    rng = np.random.default_rng(6)
    images, _ = toy_images(10, rng)
    with DiehlCookNetwork(toy_parameters("spike"), N_PIXELS, backend=RuntimeBackend(target="numpy"), seed=3,
                          build_root=tmp_path) as network:
        weights = np.full(network.weights.size, 0.01)
        weights[network.i == 0] = 1.0  # pixel 0 (left half) at w_max onto every neuron
        network.set_synapses(weights, np.ones(weights.size, dtype=bool))
        training = network.present(images, learn=True, rng=5)
        assert training.excitatory_spikes.node_ids.size > 0
        assert np.all(np.isfinite(network.weights)) and network.weights.max() <= network.w_max


def test_masked_synapses_stay_at_zero_and_normalisation_uses_kept_ones(tmp_path):
    rng = np.random.default_rng(1)
    images, _ = toy_images(5, rng)
    with DiehlCookNetwork(toy_parameters(), N_PIXELS, backend=RuntimeBackend(target="numpy"), seed=3,
                          build_root=tmp_path) as network:
        mask = np.ones(network.weights.size, dtype=bool)
        mask[::3] = False
        network.set_synapses(network.weights, mask)
        network.normalise()
        network.present(images, learn=True, rng=4)
        assert np.all(network.weights[~mask] == 0)
        sums = np.bincount(network.j, network.weights * mask, minlength=4)
        np.testing.assert_allclose(sums, 4.0, rtol=1e-9)
        with pytest.raises(ValueError, match="shape"):
            network.set_synapses(network.weights[:-1], mask[:-1])
        with pytest.raises(ValueError, match="pixels"):
            network.present(np.zeros((2, 15)), learn=False, rng=1)
        with pytest.raises(ValueError, match=r"\[0, 255\]"):
            network.present(np.full((2, N_PIXELS), 300.0), learn=False, rng=1)


def test_spec_structure():
    spec = diehl_cook_spec(5, n_steps=10, n_inputs=7)
    projections = {p.name: p for p in spec.projections}
    assert projections["input_exc"].n_synapses == 35
    np.testing.assert_array_equal(projections["exc_inh"].i, projections["exc_inh"].j)
    assert projections["inh_exc"].n_synapses == 20 and np.all(projections["inh_exc"].i != projections["inh_exc"].j)
    assert "mask" in projections["input_exc"].synapse.parameter_infos()


@pytest.mark.parametrize("make, error, match", [
    (lambda: DiehlCookParameters(n_excitatory=0), ValueError, "n_excitatory"),
    (lambda: DiehlCookParameters(max_rate=63.75 * ms), ValueError, r"max_rate\n.*hertz is expected"),
    (lambda: DiehlCookParameters(t_present=350.2 * ms), ValueError, "multiple of dt"),
    (lambda: DiehlCookParameters(normalisation="never"), ValueError, "normalisation"),
    (lambda: DiehlCookParameters(input_mode="spikes"), ValueError, "input_mode must be one of"),
    (lambda: DiehlCookParameters(initial_theta=20 * ms), ValueError, r"initial_theta\n.*volt is expected"),
    (lambda: DiehlCookParameters(max_rate=3000 * Hz), ValueError, "one spike per step"),
    (lambda: diehl_cook_spec(1, 10), ValueError, "n_excitatory"),
    (lambda: MaskedSTDP(weight=Constant(0.1), w_max=1.0, mask=2.0), ValueError, "mask"),
    (lambda: MaskedSTDP(weight=Constant(0.1), w_max=1.0, total_weight=-1.0), ValueError, "total_weight"),
    (lambda: MaskedSTDP(weight=Constant(0.1), w_max=1.0, total_weight=1 * mV), UnitError, "total_weight"),
])
def test_bad_inputs(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_rate_input_presents_each_image_only_during_its_window():
    parameters = toy_parameters(input_mode="rate")
    assert parameters.row_steps == 10  # gcd of 60 and 10 steps
    spec = parameters.spec(N_PIXELS)
    assert spec.inputs[0].rates.shape == (70, N_PIXELS)  # 10 images x 7 rows of 10 ms
    rng = np.random.default_rng(4)
    images, _ = toy_images(10, rng)
    with DiehlCookNetwork(parameters, N_PIXELS, backend=RuntimeBackend(target="numpy"), seed=2) as network:
        rates, windows = presentation_rates(parameters, np.reshape(images, (10, -1)) / 255.0, [0.0] * 10)
        np.testing.assert_allclose(rates[:6], np.tile(images[0] / 255 * 200, (6, 1)))  # 60 ms of image 0
        assert np.all(rates[6] == 0)  # then 10 ms of rest
        np.testing.assert_allclose(windows[1], [0.07, 0.13])
        first = network.present(images, learn=False, rng=5)
        again = network.present(images, learn=False, rng=5)
        other = network.present(images, learn=False, rng=6)
    ids, times = first.input_spikes.node_ids, first.input_spikes.timestamps
    step = np.round((times - first.t_start) / 1e-3).astype(int) % 70  # 1 ms steps, 70 per image
    assert ids.size > 100 and np.all(step < 60)  # no input spike during the 10 ms of rest
    # expected input spikes: rates x 60 ms over every presentation (an image evoking fewer than
    # min_spikes = 5 spikes is shown again with 32 Hz more maximum rate); Poisson: within 5 SE
    expected = sum(image.sum() / 255 * (200 + 32 * repeat) * 0.06
                   for image, shown in zip(images, first.n_presentations) for repeat in range(shown))
    assert abs(ids.size - expected) < 5 * np.sqrt(expected)
    # the device draws the spikes from the noise seed taken from rng: same rng, same spikes
    np.testing.assert_array_equal(first.input_spikes.node_ids, again.input_spikes.node_ids)
    np.testing.assert_allclose(first.input_spikes.timestamps - first.t_start, again.input_spikes.timestamps - again.t_start)
    assert first.input_spikes.node_ids.size != other.input_spikes.node_ids.size or not np.array_equal(
        first.input_spikes.node_ids, other.input_spikes.node_ids)


def test_window_counts_count_only_spikes_inside_each_presentation():
    from hetero_brian.protocols.presentation import window_counts
    from hetero_brian.results import SpikeTrains

    windows = np.array([[0.0, 0.06], [0.07, 0.13]])  # 60 ms presentations, 10 ms rest
    spikes = SpikeTrains([0, 1, 1, 0, 2], [0.0, 0.059, 0.065, 0.07, 0.13], n_neurons=3)
    counts = window_counts(spikes, windows, 3)
    # 0.065 s falls in the rest, 0.13 s at the end of the second window (excluded)
    np.testing.assert_array_equal(counts, [[1, 1, 0], [1, 0, 0]])


def test_normalised_weights_sum_to_the_total_and_leave_silent_neurons_alone():
    from hetero_brian.protocols.presentation import normalised_weights

    post = np.array([0, 0, 1, 1, 2, 2])
    weights = np.array([1.0, 3.0, 0.0, 0.0, 0.5, 0.5])
    result = normalised_weights(weights, post, 3, 2.0, w_max=1.2)
    np.testing.assert_allclose(result, [0.5, 1.2, 0.0, 0.0, 1.0, 1.0])  # 1.5 clipped at w_max
    np.testing.assert_allclose(np.bincount(post, result)[[2]], [2.0])
