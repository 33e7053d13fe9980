"""Tests of analysis.lnp: noise pruning, betweenness removal, heterogeneity edges, the LNP pipeline."""
import networkx
import numpy as np
import pytest

from hetero_brian.analysis import graph_edits, lnp, spectrum
from hetero_brian.errors import DegenerateNetworkError

TAU = 0.02   # s


def _symmetric_positive_network(n, rng, leading=0.9):
    """Dense symmetric non-negative weights with largest eigenvalue ``leading`` (stable: -I + W)."""
    weights = rng.lognormal(0.0, 1.0, (n, n))
    weights = 0.5 * (weights + weights.T)
    np.fill_diagonal(weights, 0.0)
    return weights * leading / np.max(np.abs(np.linalg.eigvalsh(weights)))


def _leading(weights, tau, n_leading):
    jacobian = (weights - np.eye(len(weights))) / tau[:, None]
    eigenvalues = np.linalg.eigvals(jacobian)
    return eigenvalues[np.argsort(-eigenvalues.real)][:n_leading]


def _relative_error(reference, other):
    return float(np.mean(np.abs(reference - other) / np.abs(reference)))


@pytest.mark.parametrize("weighting", ["none", "sensitivity"])
@pytest.mark.parametrize("heterogeneous", [False, True])
def test_noise_prune_preserves_leading_eigenvalues(weighting, heterogeneous):
    """At 50 % sparsity the 3 leading eigenvalues move < 3 % on average, half as much as under random pruning.

    Measured (12 seeds): about 1.3 % (homogeneous tau) and 1.7 % (gamma tau) against 7.2 % and 4.2 %
    for uniform random pruning with the same 1/p rescaling.
    """
    n, n_leading = 48, 3
    noise_errors, random_errors = [], []
    for seed in range(8):
        rng = np.random.default_rng(seed)
        weights = _symmetric_positive_network(n, rng)
        tau = rng.gamma(4.0, TAU / 4.0, n) if heterogeneous else np.full(n, TAU)
        i, j, w = spectrum.synapses_from_dense(weights)
        reference = _leading(weights, tau, n_leading)
        result = lnp.noise_prune(i, j, w, n, tau, rng, target_sparsity=0.5, lyapunov_weighting=weighting)
        assert result.mask.sum() == w.size // 2
        pruned = np.zeros((n, n))
        pruned[j, i] = result.w
        noise_errors.append(_relative_error(reference, _leading(pruned, tau, n_leading)))
        keep = rng.permutation(w.size)[: w.size // 2]        # uniform random pruning, same rescaling
        random_pruned = np.zeros((n, n))
        random_pruned[j[keep], i[keep]] = 2.0 * w[keep]
        random_errors.append(_relative_error(reference, _leading(random_pruned, tau, n_leading)))
    assert np.mean(noise_errors) < 0.03
    assert np.mean(noise_errors) < 0.5 * np.mean(random_errors)


def _two_bridged_clusters(n, rng):
    """Two dense clusters of n/2 neurons joined by 12 weak bridges (symmetric, leading eigenvalue 0.95)."""
    half = n // 2
    weights = rng.lognormal(0.0, 0.5, (n, n))
    weights[:half, half:] = 0.0
    weights[half:, :half] = 0.0
    bridge = rng.choice(half * half, 12, replace=False)
    weights[bridge // half, half + bridge % half] = 0.3
    weights = 0.5 * (weights + weights.T)
    np.fill_diagonal(weights, 0.0)
    return weights * 0.95 / np.max(np.linalg.eigvalsh(weights))


def test_covariance_term_keeps_weak_bridges():
    """The slow inter-cluster mode survives better than with probabilities proportional to |w| only.

    Measured (8 seeds, 2 leading eigenvalues): 13 % mean relative error against 40 % for |w|-only and
    35 % for uniform random sampling.
    """
    n = 48
    tau = np.full(n, TAU)
    noise_errors, magnitude_errors = [], []
    for seed in range(8):
        rng = np.random.default_rng(seed)
        weights = _two_bridged_clusters(n, rng)
        i, j, w = spectrum.synapses_from_dense(weights)
        reference = _leading(weights, tau, 2)
        result = lnp.noise_prune(i, j, w, n, tau, rng, 0.5, lyapunov_weighting="none")
        pruned = np.zeros((n, n))
        pruned[j, i] = result.w
        noise_errors.append(_relative_error(reference, _leading(pruned, tau, 2)))
        probability = lnp.keep_probabilities(np.abs(w), w.size // 2)
        keep = rng.random(w.size) < probability
        magnitude = np.zeros((n, n))
        magnitude[j[keep], i[keep]] = w[keep] / probability[keep]
        magnitude_errors.append(_relative_error(reference, _leading(magnitude, tau, 2)))
    assert np.mean(noise_errors) < 0.5 * np.mean(magnitude_errors)


def test_keep_probabilities_water_filling():
    scores = np.array([10.0, 5.0, 1.0, 1.0, 0.5, 0.0])
    probability = lnp.keep_probabilities(scores, 3)
    assert probability.sum() == pytest.approx(3.0)
    # 10 and 5 saturate; the rest share the remaining 1 in proportion to their scores
    np.testing.assert_allclose(probability, [1.0, 1.0, 1 / 2.5, 1 / 2.5, 0.5 / 2.5, 0.0])


def test_systematic_sampling_is_exact_and_unbiased():
    probability = np.array([1.0, 0.9, 0.5, 0.3, 0.2, 0.1])   # sums to 3
    rng = np.random.default_rng(0)
    draws = np.array([lnp._systematic_sample(probability, rng) for _ in range(4000)])
    assert np.all(draws.sum(axis=1) == 3)
    standard_error = np.sqrt(probability * (1 - probability) / 4000)
    assert np.all(np.abs(draws.mean(axis=0) - probability) <= 4 * standard_error + 1e-12)


def test_covariance_and_shift_of_unstable_network():
    rng = np.random.default_rng(3)
    n = 12
    weights = rng.normal(0.0, 2.0 / np.sqrt(n), (n, n))            # spectral radius ~2: unstable
    i, j, w = spectrum.synapses_from_dense(weights)
    jacobian = spectrum.linear_jacobian(i, j, w, n, TAU)
    np.testing.assert_allclose(jacobian, (weights - np.eye(n)) / TAU)
    covariance, shift = lnp.noise_covariance(jacobian, noise_std=0.5, stability_margin=1.0)
    shifted = jacobian - shift * np.eye(n)
    assert np.max(np.linalg.eigvals(shifted).real) == pytest.approx(-1.0)
    residual = shifted @ covariance + covariance @ shifted.T + 0.25 * np.eye(n)
    assert np.max(np.abs(residual)) < 1e-8 * np.max(np.abs(shifted @ covariance))
    stable = spectrum.linear_jacobian(i, j, 0.2 * w, n, TAU)
    assert lnp.noise_covariance(stable)[1] == 0.0


def test_linear_jacobian_agrees_with_rate_model():
    from hetero_brian.analysis.rate_model import rate_jacobian

    rng = np.random.default_rng(4)
    n = 10
    weights = rng.normal(0.0, 0.4, (n, n))
    tau = rng.uniform(0.01, 0.05, n)
    rates = rng.normal(0.0, 0.5, n)
    i, j, w = spectrum.synapses_from_dense(weights)
    slope = 1.0 - np.tanh(weights @ rates + 0.2) ** 2
    np.testing.assert_allclose(spectrum.linear_jacobian(i, j, w, n, tau, gain=slope),
                               rate_jacobian(rates, weights, tau, 0.2, gain_function="tanh"), rtol=1e-12)
    np.testing.assert_allclose(spectrum.linear_jacobian(i, j, w, n, tau),
                               rate_jacobian(rates, weights, tau, gain_function="linear"), rtol=1e-12)


def test_spectrum_with_rate_model_exponent():
    """For a linear rate network the largest Lyapunov exponent is the largest real part."""
    rng = np.random.default_rng(6)
    n = 8
    weights = rng.normal(0.0, 0.5 / np.sqrt(n), (n, n))
    i, j, w = spectrum.synapses_from_dense(weights)
    result = spectrum.spectrum(i, j, w, n, TAU, lyapunov_exponent=spectrum.rate_model_exponent("linear"))
    expected = np.max(np.linalg.eigvals((weights - np.eye(n)) / TAU).real)
    assert result.largest_real_part == pytest.approx(expected)
    assert result.largest_lyapunov_exponent == pytest.approx(expected, rel=0.02)
    assert result.connectivity_radius == pytest.approx(np.max(np.abs(np.linalg.eigvals(weights))))


def test_sensitivity_factors_match_finite_differences():
    rng = np.random.default_rng(8)
    n = 8
    weights = rng.normal(0.0, 0.5, (n, n))
    i, j, w = spectrum.synapses_from_dense(weights)
    jacobian = spectrum.linear_jacobian(i, j, w, n, TAU)
    factors = lnp.lyapunov_factors(jacobian, i, j, "sensitivity", n_leading=2, strength=1.0)
    epsilon = 1e-7
    base = np.sort(np.linalg.eigvals(jacobian).real)[::-1][:2]
    finite = np.empty(w.size)
    for s in range(w.size):           # removing a fraction epsilon of the synapse
        perturbed = jacobian.copy()
        perturbed[j[s], i[s]] *= 1 - epsilon
        finite[s] = np.abs(np.sort(np.linalg.eigvals(perturbed).real)[::-1][:2] - base).sum() / epsilon
    ratio = (factors - 1.0) / finite
    np.testing.assert_allclose(ratio, ratio.mean(), rtol=1e-3)


def _star_plus_path():
    """Hub 0 with leaves 1, 2, 3 and the path 0-4-5-6, every edge in both directions, unit weights."""
    edges = [(0, 1), (0, 2), (0, 3), (0, 4), (4, 5), (5, 6)]
    i = np.array([a for a, b in edges] + [b for a, b in edges])
    j = np.array([b for a, b in edges] + [a for a, b in edges])
    return i, j, np.ones(i.size)


@pytest.mark.parametrize("method", ["networkx", "csgraph"])
def test_betweenness_on_star_plus_path(method):
    i, j, w = _star_plus_path()
    centrality = graph_edits.betweenness_centrality(i, j, w, 7, method)
    # ordered pairs through each node, over (n - 1)(n - 2) = 30: hub 24, node 4: 16, node 5: 10
    np.testing.assert_allclose(centrality, np.array([24, 0, 0, 0, 16, 10, 0]) / 30.0)
    kept, new_i, new_j, new_w, mask, _ = graph_edits.remove_low_betweenness(i, j, w, 7, 5 / 7, method)
    np.testing.assert_array_equal(kept, [0, 4])
    assert sorted(zip(new_i.tolist(), new_j.tolist())) == [(0, 1), (1, 0)]
    assert mask.sum() == 2


def test_betweenness_uses_distance_one_over_weight():
    i, j = np.array([0, 0, 2]), np.array([1, 2, 1])
    weak_direct = graph_edits.betweenness_centrality(i, j, np.array([0.1, 1.0, 1.0]), 3)
    strong_direct = graph_edits.betweenness_centrality(i, j, np.array([1.0, 1.0, 1.0]), 3)
    np.testing.assert_allclose(weak_direct, [0.0, 0.0, 0.5])   # 0 -> 2 -> 1 (length 2) beats 10
    np.testing.assert_allclose(strong_direct, [0.0, 0.0, 0.0])


def test_csgraph_betweenness_matches_networkx_on_random_graph():
    rng = np.random.default_rng(2)
    n = 30
    adjacency = (rng.random((n, n)) < 0.2) * rng.normal(size=(n, n))
    i, j, w = spectrum.synapses_from_dense(adjacency)
    np.testing.assert_allclose(graph_edits.betweenness_centrality(i, j, w, n, "csgraph"),
                               graph_edits.betweenness_centrality(i, j, w, n, "networkx"), atol=1e-12)


def test_heterogeneity_edges_raise_degree_variance_locally():
    gains, local_uniform_gains, random_gains = [], [], []
    for seed in range(5):
        rng = np.random.default_rng(seed)
        n, n_edges = 60, 60
        adjacency = rng.random((n, n)) < 0.08
        np.fill_diagonal(adjacency, False)
        i, j, w = spectrum.synapses_from_dense(adjacency * 1.0)
        new_i, new_j, new_w, added = graph_edits.add_heterogeneity_edges(i, j, w, n, n_edges, rng, n_hops=2)
        assert added.sum() == n_edges and np.all(new_w[added] == 1.0)
        pairs = set(zip(new_i.tolist(), new_j.tolist()))
        assert len(pairs) == new_i.size and not np.any(new_i == new_j)      # no duplicate, no self-loop
        graph = networkx.Graph(list(zip(i.tolist(), j.tolist())))
        graph.add_nodes_from(range(n))
        for a, b in zip(new_i[added], new_j[added]):
            assert networkx.shortest_path_length(graph, int(a), int(b)) <= 2

        def degree_variance(pre, post):
            return np.var(np.bincount(pre, minlength=n) + np.bincount(post, minlength=n))

        uniform_i, uniform_j, _, _ = graph_edits.add_heterogeneity_edges(i, j, w, n, n_edges, rng, n_hops=2, exponent=0.0)
        local_uniform_gains.append(degree_variance(uniform_i, uniform_j) - degree_variance(i, j))
        free = np.argwhere(~adjacency.T & ~np.eye(n, dtype=bool))
        pick = free[rng.choice(len(free), n_edges, replace=False)]
        gains.append(degree_variance(new_i, new_j) - degree_variance(i, j))
        random_gains.append(degree_variance(np.r_[i, pick[:, 0]], np.r_[j, pick[:, 1]]) - degree_variance(i, j))
    # measured: mean gains about 4.5 (exponent 1), 2.3 (exponent 0, local uniform), ~2 (random edges)
    assert min(gains) > 0
    assert np.mean(gains) > 1.3 * np.mean(local_uniform_gains)
    assert np.mean(gains) > 1.3 * np.mean(random_gains)


def test_lyapunov_noise_prune_pipeline_statistics_and_hook():
    rng = np.random.default_rng(11)
    n = 40
    weights = _symmetric_positive_network(n, rng)
    i, j, w = spectrum.synapses_from_dense(weights)
    tau = rng.gamma(4.0, TAU / 4.0, n)
    calls = []

    def tuner(new_i, new_j, new_w, n_kept, tau_kept):
        calls.append((n_kept, tau_kept.shape))
        return 2.0 * tau_kept

    result = lnp.lyapunov_noise_prune(i, j, w, n, tau, 5, target_sparsity=0.5, neuron_fraction=0.1,
                                      n_added_edges=10, betweenness_method="csgraph", timescale_tuner=tuner)
    assert result.kept_neurons.size == 36 and result.neuron_sparsity == pytest.approx(0.1)
    assert result.is_added.sum() == 10
    assert result.synapse_sparsity == pytest.approx(1 - result.i.size / w.size)
    assert result.synapse_mask.sum() == result.i.size - 10
    assert calls == [(36, (36,))] and result.timescales_tuned
    np.testing.assert_allclose(result.tau, 2.0 * tau[result.kept_neurons])
    eigenvalues = np.linalg.eigvals((weights - np.eye(n)) / tau[:, None])
    assert result.spectrum_before.largest_real_part == pytest.approx(eigenvalues.real.max())
    assert result.spectrum_before.connectivity_radius == pytest.approx(0.9)
    pruned = np.zeros((36, 36))
    np.add.at(pruned, (result.j, result.i), result.w)
    expected_after = np.linalg.eigvals((pruned - np.eye(36)) / result.tau[:, None]).real.max()
    assert result.spectrum_after.largest_real_part == pytest.approx(expected_after)
    report = result.report(n_leading=3)
    assert report["synapse_sparsity"] == pytest.approx(result.synapse_sparsity)
    assert len(report["leading_eigenvalues_after"]) == 3


def test_lnp_bad_inputs():
    i, j, w = spectrum.synapses_from_dense(np.array([[0.0, 0.5], [0.5, 0.0]]))
    with pytest.raises(DegenerateNetworkError, match="left no synapse"):
        lnp.lyapunov_noise_prune(i, j, w, 2, TAU, 0, neuron_fraction=0.5)
    with pytest.raises(ValueError, match="target_sparsity must be in \\[0, 1\\)"):
        lnp.noise_prune(i, j, w, 2, TAU, 0, target_sparsity=1.0)
    with pytest.raises(ValueError, match="lyapunov_weighting must be one of"):
        lnp.noise_prune(i, j, w, 2, TAU, 0, lyapunov_weighting="lyapunov")
    with pytest.raises(ValueError, match="tau must be positive"):
        lnp.noise_prune(i, j, w, 2, -TAU, 0)
    with pytest.raises(ValueError, match="i, j and w must have the same length"):
        lnp.noise_prune(i, j, w[:1], 2, TAU, 0)
    with pytest.raises(ValueError, match="rng must be"):
        lnp.noise_prune(i, j, w, 2, TAU, None)
