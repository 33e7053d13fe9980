"""Per-sample spike features (analysis.features) against hand-computed values."""
import math

import numpy as np
import pytest

from hetero_brian.analysis.features import (check_sample_boundaries, filtered_traces, period_boundaries,
                                            sample_spike_counts)
from hetero_brian.results import SpikeTrains

BOUNDARIES = np.array([[0.0, 0.1], [0.15, 0.25]])


def test_counts_match_hand_count():
    # neuron, time: two samples of 100 ms, two 50-ms bins each; spikes in the rest are ignored
    node_ids = np.array([0, 1, 0, 2, 1, 0, 2, 2])
    times = np.array([0.01, 0.02, 0.06, 0.099, 0.12, 0.15, 0.2, 0.26])
    counts = sample_spike_counts(SpikeTrains(node_ids, times, 3), BOUNDARIES, n_bins=2)
    expected = np.zeros((2, 2, 3), dtype=int)
    expected[0, 0, 0] = 1  # 0.01
    expected[0, 0, 1] = 1  # 0.02
    expected[0, 1, 0] = 1  # 0.06
    expected[0, 1, 2] = 1  # 0.099
    expected[1, 0, 0] = 1  # 0.15 (start of sample 1 belongs to it)
    expected[1, 1, 2] = 1  # 0.20 (start of bin 1)
    np.testing.assert_array_equal(counts, expected)


def test_counts_sum_to_spikes_inside_windows():
    rng = np.random.default_rng(4)
    times = np.sort(rng.uniform(0, 0.3, 500))
    node_ids = rng.integers(0, 7, 500)
    counts = sample_spike_counts(SpikeTrains(node_ids, times, 7), BOUNDARIES, n_bins=3)
    inside = ((times >= 0) & (times < 0.1)) | ((times >= 0.15) & (times < 0.25))
    assert counts.sum() == inside.sum()
    for neuron in range(7):
        assert counts[1, :, neuron].sum() == np.sum((node_ids == neuron) & (times >= 0.15) & (times < 0.25))


def test_traces_closed_form():
    tau = 0.02
    node_ids = np.array([0, 0, 1])
    times = np.array([0.01, 0.03, 0.16])
    traces = filtered_traces(SpikeTrains(node_ids, times, 2), BOUNDARIES, tau, n_bins=2)
    # sample 0, bin ends 0.05 and 0.1
    assert traces[0, 0, 0] == pytest.approx(math.exp(-0.04 / tau) + math.exp(-0.02 / tau))
    assert traces[0, 1, 0] == pytest.approx(math.exp(-0.09 / tau) + math.exp(-0.07 / tau))
    assert traces[0, :, 1].tolist() == [0.0, 0.0]
    # sample 1, bin ends 0.2 and 0.25
    assert traces[1, 0, 1] == pytest.approx(math.exp(-0.04 / tau))
    assert traces[1, 1, 1] == pytest.approx(math.exp(-0.09 / tau))
    assert traces[1, :, 0].tolist() == [0.0, 0.0]


def test_long_tau_trace_equals_cumulative_count():
    rng = np.random.default_rng(1)
    times = np.sort(rng.uniform(0, 0.25, 200))
    node_ids = rng.integers(0, 4, 200)
    spikes = SpikeTrains(node_ids, times, 4)
    counts = sample_spike_counts(spikes, BOUNDARIES, n_bins=4)
    traces = filtered_traces(spikes, BOUNDARIES, 1e9, n_bins=4)
    np.testing.assert_allclose(traces, np.cumsum(counts, axis=1), rtol=1e-6)


def test_period_boundaries():
    np.testing.assert_allclose(period_boundaries(BOUNDARIES), [0.0, 0.15, 0.3])
    np.testing.assert_allclose(period_boundaries(BOUNDARIES, t_stop=0.4), [0.0, 0.15, 0.4])
    with pytest.raises(ValueError, match="t_stop"):
        period_boundaries(BOUNDARIES, t_stop=0.2)


@pytest.mark.parametrize("boundaries, message", [
    (np.array([0.0, 0.1]), "shape"),
    (np.array([[0.0, 0.1], [0.05, 0.2]]), "overlap"),
    (np.array([[0.1, 0.1]]), "t_stop > t_start"),
    (np.array([[0.0, np.nan]]), "finite"),
])
def test_bad_boundaries(boundaries, message):
    with pytest.raises(ValueError, match=message):
        check_sample_boundaries(boundaries)


def test_bad_spikes_and_bins():
    with pytest.raises(ValueError, match="node_ids must lie"):
        sample_spike_counts(SpikeTrains([0, 3], [0.0, 0.01], 3), BOUNDARIES)
    with pytest.raises(ValueError, match="same length"):
        sample_spike_counts(SpikeTrains([0, 1], [0.0], 3), BOUNDARIES)
    with pytest.raises(ValueError, match="n_bins"):
        sample_spike_counts(SpikeTrains([0], [0.0], 3), BOUNDARIES, n_bins=0)
    with pytest.raises(ValueError, match="n_neurons"):
        sample_spike_counts(SpikeTrains([], [], 0), BOUNDARIES)
    with pytest.raises(ValueError, match="tau"):
        filtered_traces(SpikeTrains([0], [0.0], 3), BOUNDARIES, tau=0.0)
