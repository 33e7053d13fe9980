"""Tests of analysis.pruning: spike-correlation masks, quantisation, schedule, activity pruning."""
import numpy as np
import pytest

from hetero_brian.analysis import pruning, quantisation
from hetero_brian.errors import DegenerateNetworkError
from hetero_brian.results import SpikeTrains

T_STOP = 20.0   # s
BIN = 0.01      # s
WINDOW = {"t_start": 0.0, "t_stop": T_STOP}


def _spike_trains(seed=0):
    """Post neuron 0 driven by pre 0 and 1 (same bins), post 1 by pre 2 and 3; pre 4 random, pre 5 silent."""
    rng = np.random.default_rng(seed)
    n_bins = int(round(T_STOP / BIN))

    def train(rate):
        bins = np.flatnonzero(rng.random(n_bins) < rate * BIN)
        return bins

    drive = [train(15.0), train(15.0)]
    pre_trains = [drive[0], drive[0], drive[1], drive[1], train(15.0), np.array([], dtype=np.int64)]
    post_trains = [drive[0], drive[1]]

    def flatten(trains):
        ids = np.concatenate([np.full(t.size, k) for k, t in enumerate(trains)]).astype(np.int64)
        bins = np.concatenate(trains)
        times = (bins + rng.uniform(0.1, 0.9, bins.size)) * BIN   # jitter inside the bin
        return ids, times

    return flatten(pre_trains), flatten(post_trains)


def _all_to_all(n_pre, n_post):
    i, j = np.meshgrid(np.arange(n_pre), np.arange(n_post), indexing="ij")
    return i.ravel(), j.ravel()


def _independent_correlation(pre, post, i, j, n_pre, n_post):
    edges = np.arange(0.0, T_STOP + BIN / 2, BIN)
    pre_counts = np.array([np.histogram(pre[1][pre[0] == k], edges)[0] for k in range(n_pre)], float)
    post_counts = np.array([np.histogram(post[1][post[0] == k], edges)[0] for k in range(n_post)], float)
    out = np.zeros(i.size)
    for s in range(i.size):
        x, y = pre_counts[i[s]], post_counts[j[s]]
        if x.std() > 0 and y.std() > 0:
            out[s] = np.corrcoef(x, y)[0, 1]
    return out


def test_correlation_matches_corrcoef_and_chunking(monkeypatch):
    pre, post = _spike_trains()
    i, j = _all_to_all(6, 2)
    expected = _independent_correlation(pre, post, i, j, 6, 2)
    got = pruning.spike_correlation(i, j, SpikeTrains(*pre, 6), SpikeTrains(*post, 2), BIN, **WINDOW)
    np.testing.assert_allclose(got, expected, atol=1e-10)
    monkeypatch.setattr(pruning, "_CHUNK_ENTRIES", 2)       # one presynaptic row per chunk
    chunked = pruning.spike_correlation(i, j, SpikeTrains(*pre, 6), SpikeTrains(*post, 2), BIN, **WINDOW)
    np.testing.assert_allclose(chunked, expected, atol=1e-10)
    assert got[(i == 5)].tolist() == [0.0, 0.0]               # silent neuron: defined as 0


def test_masks_keep_exactly_the_correlated_synapses():
    pre, post = _spike_trains(seed=3)
    i, j = _all_to_all(6, 2)
    correlated = ((i == 0) | (i == 1)) & (j == 0) | ((i == 2) | (i == 3)) & (j == 1)
    scores = pruning.spike_correlation(i, j, SpikeTrains(*pre, 6), SpikeTrains(*post, 2), BIN, **WINDOW)
    by_threshold = pruning.keep_mask(scores, j, 2, threshold=0.5)
    by_fraction = pruning.keep_mask(scores, j, 2, keep_fraction=2 / 6)
    np.testing.assert_array_equal(by_threshold, correlated)
    np.testing.assert_array_equal(by_fraction, correlated)


def test_keep_fraction_counts_and_previous_mask():
    rng = np.random.default_rng(1)
    j = rng.integers(0, 5, 200)
    scores = rng.normal(size=200)
    mask = rng.random(200) < 0.7
    new = pruning.keep_mask(scores, j, 5, keep_fraction=0.3, mask=mask)
    assert not np.any(new & ~mask)
    for post in range(5):
        alive = np.flatnonzero(mask & (j == post))
        n_keep = int(np.ceil(0.3 * alive.size))
        best = alive[np.argsort(-scores[alive])[:n_keep]]
        assert set(np.flatnonzero(new & (j == post))) == set(best)


@pytest.mark.parametrize("n_levels", [2, 4, 7])
def test_uniform_quantisation(n_levels):
    rng = np.random.default_rng(n_levels)
    w_min, w_max = 0.0, 1.0
    w = np.concatenate([rng.uniform(w_min, w_max, 2000), [w_min, w_max]])
    mask = rng.random(w.size) < 0.8
    mask[-2:] = True
    quantised, levels = quantisation.quantise_weights(w, n_levels, w_min, w_max, "uniform", mask)
    np.testing.assert_allclose(levels, w_min + (w_max - w_min) * np.arange(n_levels) / (n_levels - 1))
    assert np.unique(quantised[mask]).size == n_levels
    assert set(np.unique(quantised[mask])) <= set(levels)
    assert quantised[mask].min() >= w_min and quantised[mask].max() <= w_max
    step = (w_max - w_min) / (n_levels - 1)
    assert np.all(np.abs(quantised[mask] - w[mask]) <= step / 2 + 1e-12)
    np.testing.assert_array_equal(quantised[~mask], w[~mask])


def test_kmeans_quantisation_closed_form_and_bounds():
    rng = np.random.default_rng(2)
    centres = np.array([0.1, 0.45, 0.9])
    w = np.concatenate([c + rng.uniform(-0.03, 0.03, 100) for c in centres])
    quantised, levels = quantisation.quantise_weights(w, 3, 0.0, 1.0, "kmeans")
    expected = [w[k * 100:(k + 1) * 100].mean() for k in range(3)]
    np.testing.assert_allclose(levels, expected, rtol=1e-12)
    assert np.unique(quantised).size == 3
    # weights at the bounds, many levels: exactly L distinct values inside the bounds
    w = np.concatenate([rng.beta(0.3, 0.3, 3000), [0.0, 1.0, 1.0]])
    for n_levels in (2, 5, 16):
        quantised, levels = quantisation.quantise_weights(w, n_levels, 0.0, 1.0, "kmeans")
        assert np.unique(quantised).size == n_levels == np.unique(levels).size
        assert quantised.min() >= 0.0 and quantised.max() <= 1.0


def _optimal_kmeans_inertia(values, n_levels):
    """Exact 1-D k-means (dynamic programming over contiguous clusters of the sorted values)."""
    x = np.sort(values)
    n = x.size
    s1 = np.concatenate(([0.0], np.cumsum(x)))
    s2 = np.concatenate(([0.0], np.cumsum(x ** 2)))
    a, b = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    with np.errstate(invalid="ignore", divide="ignore"):
        cost = np.where(b > a, s2[b] - s2[a] - (s1[b] - s1[a]) ** 2 / (b - a), np.inf)
    best = cost[0]                                     # one cluster covering x[:b]
    for _ in range(n_levels - 1):
        best = np.min(best[:, None] + cost, axis=0)
    return best[n]


@pytest.mark.parametrize("n_levels", [3, 4, 6])
def test_kmeans_levels_near_the_exact_optimum(n_levels):
    w = np.random.default_rng(n_levels).gamma(2.0, 0.1, 300)
    optimum = _optimal_kmeans_inertia(w, n_levels)
    for n_groups, tolerance in ((1000, 1e-9), (100, 0.01)):     # exact; grouped then refined
        levels = quantisation.kmeans_levels(w, n_levels, n_groups=n_groups)
        ours = np.min((w[:, None] - levels[None, :]) ** 2, axis=1).sum()
        assert optimum * (1 - 1e-9) <= ours <= (1 + tolerance) * optimum


def test_schedule_and_pruning_step_with_weight_proxy():
    schedule = pruning.PruningSchedule(interval=5, interval_unit="sample", keep_fraction=0.5, n_levels=3,
                                       proxy="weight")
    np.testing.assert_array_equal(schedule.step_points(17), [5, 10, 15])
    assert pruning.PruningSchedule.per_step_fraction(0.25, 2) == pytest.approx(0.5)
    rng = np.random.default_rng(5)
    i, j = _all_to_all(10, 4)
    w = rng.uniform(0.0, 1.0, i.size)
    first = pruning.pruning_step(schedule, i, j, w, None, 10, 4, 0.0, 1.0)
    assert first.n_kept == 20 and first.sparsity == pytest.approx(0.5)
    for post in range(4):      # the 5 largest weights onto each post neuron survive
        onto = np.flatnonzero(j == post)
        assert set(np.flatnonzero(first.mask & (j == post))) == set(onto[np.argsort(-w[onto])[:5]])
    assert set(np.unique(first.w[first.mask])) <= {0.0, 0.5, 1.0}
    assert np.all(first.w[~first.mask] == 0.0)
    second = pruning.pruning_step(schedule, i, j, w, first.mask, 10, 4, 0.0, 1.0)
    assert not np.any(second.mask & ~first.mask) and second.n_kept == 12


def test_pruning_step_with_correlation_proxy():
    pre, post = _spike_trains(seed=7)
    i, j = _all_to_all(6, 2)
    w = np.full(i.size, 0.5)
    schedule = pruning.PruningSchedule(interval=T_STOP, threshold=0.5, n_levels=2, quantisation="uniform",
                                       bin_size=BIN)
    step = pruning.pruning_step(schedule, i, j, w, None, 6, 2, 0.0, 1.0, SpikeTrains(*pre, 6),
                                SpikeTrains(*post, 2), **WINDOW)
    correlated = ((i == 0) | (i == 1)) & (j == 0) | ((i == 2) | (i == 3)) & (j == 1)
    np.testing.assert_array_equal(step.mask, correlated)
    assert step.n_kept == 4 and set(step.w[step.mask]) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="pre_spikes"):
        pruning.pruning_step(schedule, i, j, w, None, 6, 2, 0.0, 1.0)


def test_activity_prune_matches_independent_ranking():
    rng = np.random.default_rng(6)
    n = 20
    i, j = _all_to_all(n, n)
    keep = i != j
    i, j = i[keep], j[keep]
    w = rng.normal(size=i.size)
    rates = rng.permutation(np.arange(n, dtype=float) + 1.0)
    result = pruning.activity_prune(i, j, w, n, rates, synapse_sparsity=0.6, neuron_fraction=0.2)
    removed = np.argsort(rates)[:4]
    np.testing.assert_array_equal(result.kept_neurons, np.setdiff1d(np.arange(n), removed))
    assert result.i.size == int(np.ceil(0.4 * i.size - 1e-9))
    assert result.synapse_sparsity == pytest.approx(1 - result.i.size / i.size)
    assert result.neuron_sparsity == pytest.approx(0.2)
    alive = ~np.isin(i, removed) & ~np.isin(j, removed)
    score = np.where(alive, rates[i] * np.abs(w), -np.inf)
    np.testing.assert_array_equal(result.synapse_mask, np.isin(np.arange(i.size), np.argsort(-score)[:result.i.size]))
    np.testing.assert_array_equal(result.kept_neurons[result.i], i[result.synapse_mask])


def test_bad_inputs():
    j = np.array([0, 0, 1])
    scores = np.array([0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="mask must be .* length 3"):
        pruning.keep_mask(scores, j, 2, keep_fraction=0.5, mask=np.ones(4, bool))
    for bad in (0.0, -0.1, 1.5):
        with pytest.raises(ValueError, match="keep_fraction must be in \\(0, 1\\]"):
            pruning.keep_mask(scores, j, 2, keep_fraction=bad)
        with pytest.raises(ValueError, match="keep_fraction"):
            pruning.PruningSchedule(interval=1.0, keep_fraction=bad)
    for bad in (1, 0, 2.5):
        with pytest.raises(ValueError, match="n_levels must be an integer >= 2"):
            quantisation.quantise_weights(scores, bad, 0.0, 1.0)
    with pytest.raises(DegenerateNetworkError, match="kept 0 of 3"):
        pruning.keep_mask(scores, j, 2, threshold=0.5)
    with pytest.raises(ValueError, match="exactly one of threshold and keep_fraction"):
        pruning.keep_mask(scores, j, 2)
    with pytest.raises(ValueError, match="kept weights must lie in"):
        quantisation.quantise_weights(np.array([0.5, 1.2]), 2, 0.0, 1.0)
    with pytest.raises(ValueError, match="j must lie in"):
        pruning.keep_mask(scores, np.array([0, 0, 2]), 2, threshold=0.0)
    with pytest.raises(ValueError, match="t_stop must be > t_start"):
        pruning.spike_correlation([0], [0], SpikeTrains([0], [0.1], 1), SpikeTrains([0], [0.1], 1), 0.01, t_start=1.0,
                                  t_stop=0.5)
    with pytest.raises(ValueError, match="at least 4 distinct"):
        quantisation.kmeans_levels([0.1, 0.2, 0.2, 0.3], 4)


def test_per_step_fractions_land_exactly_on_the_target_count():
    from hetero_brian.analysis.pruning import PruningSchedule, keep_mask

    n_inputs, n_post = 784, 3
    j = np.repeat(np.arange(n_post), n_inputs)
    rng = np.random.default_rng(0)
    mask = np.ones(j.size, dtype=bool)
    fractions = PruningSchedule.per_step_fractions(0.5, 35, n_inputs)
    assert len(fractions) == 35 and all(0 < f <= 1 for f in fractions)
    for fraction in fractions:
        mask = keep_mask(rng.random(j.size), j, n_post, keep_fraction=fraction, mask=mask)
    np.testing.assert_array_equal(np.bincount(j[mask], minlength=n_post), [392] * n_post)
    # the constant per-step fraction, rounded up at every step, ends above the target (the old schedule)
    constant = np.ones(j.size, dtype=bool)
    for _ in range(35):
        constant = keep_mask(rng.random(j.size), j, n_post, keep_fraction=PruningSchedule.per_step_fraction(0.5, 35),
                             mask=constant)
    assert np.bincount(j[constant], minlength=n_post)[0] > 392
    with pytest.raises(ValueError, match="n_initial"):
        PruningSchedule.per_step_fractions(0.5, 3, 0)
