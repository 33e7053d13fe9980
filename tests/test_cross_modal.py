"""Offline measures of how label-specific cross-modal links are (analysis.cross_modal)."""
import numpy as np
import pytest

from hetero_brian.analysis.cross_modal import coactivity_weights, same_label_fraction, spike_label_purity
from hetero_brian.network.connectivity import all_to_all


def test_same_label_fraction_counts_labelled_pairs_only():
    i, j = all_to_all(3, 2)
    pre, post = np.array([0, 1, -1]), np.array([0, 1])
    weights = np.ones(i.size)
    weights[(i == 2)] = 100.0  # unlabelled pre neuron: ignored
    fraction, chance = same_label_fraction(i, j, weights, pre, post)
    assert fraction == pytest.approx(0.5) and chance == pytest.approx(0.5)
    weights[(i == 0) & (j == 0)] = 3.0
    fraction, _ = same_label_fraction(i, j, weights, pre, post)
    assert fraction == pytest.approx(4 / 6)


def test_same_label_fraction_rejects_negative_weights():
    i, j = all_to_all(2, 2)
    with pytest.raises(ValueError, match=">= 0"):
        same_label_fraction(i, j, np.array([1.0, -1.0, 0.0, 0.0]), np.array([0, 1]), np.array([0, 1]))


def test_coactivity_weights_follow_the_selectivity_of_the_neurons():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    # pre neuron k fires for label k; post neuron k fires for label k with probability p_k
    pre = np.stack([labels == 0, labels == 1], axis=1).astype(float) * 5
    selectivity = np.array([1.0, 0.6])
    post = np.zeros((labels.size, 2))
    for k in range(2):
        own = labels == k
        post[:, k] = np.where(own, rng.random(labels.size) < selectivity[k], rng.random(labels.size) < 1 - selectivity[k]) * 3
    i, j = all_to_all(2, 2)
    weights = coactivity_weights(i, j, pre, post)
    for k in range(2):
        assert weights[j == k].sum() == pytest.approx(1.0)
    # post neuron 0 only ever fires with pre neuron 0; post neuron 1 with pre 1 about 60 % of its spikes
    assert weights[(i == 0) & (j == 0)][0] == pytest.approx(1.0)
    assert weights[(i == 1) & (j == 1)][0] == pytest.approx(0.6, abs=0.06)
    fraction, chance = same_label_fraction(i, j, weights, np.array([0, 1]), np.array([0, 1]))
    assert fraction == pytest.approx(0.8, abs=0.04) and chance == 0.5


def test_coactivity_weights_of_a_silent_post_neuron_are_zero_and_shapes_are_checked():
    i, j = all_to_all(2, 2)
    weights = coactivity_weights(i, j, np.ones((3, 2)), np.array([[1, 0], [2, 0], [0, 0]]))
    assert np.all(weights[j == 1] == 0) and weights[j == 0].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="one row per sample"):
        coactivity_weights(i, j, np.ones((3, 2)), np.ones((4, 2)))


def test_spike_label_purity_weights_every_spike():
    counts = np.array([[4, 0, 1], [0, 2, 2], [1, 1, 0]])
    labels = np.array([0, 1, 0])
    assignments = np.array([0, 1, -1])
    # spikes of a neuron whose label matches the sample: 4 + 2 + 1 = 7 of 11
    assert spike_label_purity(counts, labels, assignments) == pytest.approx(7 / 11)
    assert np.isnan(spike_label_purity(np.zeros((3, 3)), labels, assignments))
    with pytest.raises(ValueError, match="n_samples=3"):
        spike_label_purity(counts[:2], labels, assignments)
