"""Spiking Lyapunov analysis on synthetic replica results and distance curves (no simulation)."""
import math

import numpy as np
import pytest

from hetero_brian.analysis.replica_distances import membrane_distance, spike_mismatch
from hetero_brian.analysis.spiking_lyapunov import analyse_replicas
from hetero_brian.analysis.spiking_regime import (benettin_exponent, classify_regime, divergence_probability,
                                                  regime_from_distances)
from hetero_brian.results import PopulationRecord, SimulationResult, SpikeTrains, Trace

TAU = 0.02
V_REST, V_TH = -0.065, -0.050


def synthetic_result(epsilons, n=5, duration=0.2, record=1e-3, diverge=(), seed=0):
    """Reference v random; replica k: deviation eps_k * 15 mV * u exp(-t/TAU), or growing if in diverge."""
    rng = np.random.default_rng(seed)
    times = np.arange(0, duration, record)
    n_copies = len(epsilons) + 1
    reference = V_REST + 0.015 * rng.random((times.size, n))
    blocks, ids, stamps = [reference], [], []
    ref_spikes = [(rng.random() * duration, i) for i in range(n) for _ in range(8)]
    for t, i in ref_spikes:
        ids.append(i), stamps.append(t)
    for k, eps in enumerate(epsilons, start=1):
        u = rng.standard_normal(n)
        u /= np.sqrt(np.mean(u ** 2))
        growth = np.minimum(eps * np.exp(40 * times), 0.5) if k in diverge else eps * np.exp(-times / TAU)
        blocks.append(reference + 0.015 * u[None, :] * growth[:, None])
        if k in diverge:
            for _ in range(8 * n):
                ids.append(k * n + rng.integers(n)), stamps.append(rng.random() * duration)
        else:
            for t, i in ref_spikes:
                ids.append(k * n + i), stamps.append(t)
    values = np.concatenate(blocks, axis=1)
    info = {"n_copies": n_copies, "epsilons": [0.0, *epsilons], "block_sizes": {"cells": n},
            "method": "synthetic replicas", "tau_max": TAU, "renormalisation_interval": None}
    return SimulationResult(
        spikes={"cells": SpikeTrains(np.array(ids), np.array(stamps), n * n_copies)},
        traces={"cells.v": Trace("cells", "v", "V", times, np.arange(n * n_copies), values)},
        populations={"cells": PopulationRecord(n * n_copies, {"v_rest": np.full(n * n_copies, V_REST),
                                                         "v_th": np.full(n * n_copies, V_TH)}, {})},
        provenance={"dt": 1e-4, "t_stop": duration, "replicas": info})


def test_membrane_distance_matches_the_constructed_deviation():
    result = synthetic_result([1e-8, 1e-3])
    times, distance, _ = membrane_distance(result)
    np.testing.assert_allclose(distance[:, 0], 1e-8 * np.exp(-times / TAU), rtol=1e-5, atol=1e-14)
    np.testing.assert_allclose(distance[:, 1], 1e-3 * np.exp(-times / TAU), rtol=1e-7)


def test_spike_mismatch_counts_unshared_spikes():
    info = {"n_copies": 3, "epsilons": [0, 1e-3, 1e-2], "block_sizes": {"cells": 2}}
    # reference: neuron 0 at 1 ms and 12 ms; replica 1 identical; replica 2 misses the 12 ms spike, adds one
    ids = np.array([0, 0, 2, 2, 4, 5])
    stamps = np.array([0.001, 0.012, 0.001, 0.012, 0.001, 0.013])
    result = SimulationResult(spikes={"cells": SpikeTrains(ids, stamps, 6)},
                              provenance={"t_stop": 0.02, "replicas": info})
    starts, mismatch = spike_mismatch(result, 0.01)
    np.testing.assert_allclose(starts, [0.0, 0.01])
    np.testing.assert_allclose(mismatch[:, 0], [0.0, 0.0])
    # bin 2: reference {n0: 1}, replica 2 {n1: 1}: |1-0| + |0-1| over 2 spikes = 1
    np.testing.assert_allclose(mismatch[:, 1], [0.0, 1.0])
    with pytest.raises(ValueError, match="bin_size"):
        spike_mismatch(result, 0.0)


def test_benettin_recovers_known_rate_and_error():
    rng = np.random.default_rng(1)
    interval, rate, noise = 0.01, -37.0, 0.05
    log_growth = rate * interval + noise * rng.standard_normal(400)
    result = benettin_exponent(log_growth, interval, 1e-9, 1e-4, n_transient=0, n_blocks=20, tau_max=0.03)
    expected = float(np.mean(log_growth)) / interval  # independent computation of the estimator
    assert result.exponents[0] == pytest.approx(expected)
    assert abs(result.exponents[0] - rate) < 4 * result.standard_error[0]
    # the standard error of a mean of 400 iid values of std noise/interval
    assert result.standard_error[0] == pytest.approx(noise / interval / math.sqrt(400), rel=0.4)
    assert result.epsilon == 1e-9 and result.renormalisation_interval == interval and result.dt == 1e-4
    assert result.grid_bound == pytest.approx(-1 / 0.03) and result.label == "small-perturbation"
    erased = benettin_exponent(np.r_[log_growth[:20], -np.inf], interval, 1e-9, 1e-4)
    assert erased.upper_bound and erased.n_erased == 1


def test_benettin_refuses_ill_posed_requests():
    growth = np.full(20, -0.1)
    with pytest.raises(ValueError, match="too short"):
        benettin_exponent(growth[:5], 0.01, 1e-6, 1e-4)
    with pytest.raises(ValueError, match="too long"):
        benettin_exponent(np.full(20, 5.0), 0.01, 1e-3, 1e-4)
    with pytest.raises(ValueError, match="multiple of dt"):
        benettin_exponent(growth, 0.01005, 1e-6, 1e-4)
    with pytest.raises(ValueError, match="precision"):
        benettin_exponent(growth, 0.01, 1e-16, 1e-4)
    with pytest.raises(ValueError, match="dt"):
        benettin_exponent(growth, 0.01, 1e-6, 0.0)
    with pytest.raises(ValueError, match="NaN"):
        benettin_exponent(np.r_[growth, np.nan], 0.01, 1e-6, 1e-4)


def curves(small_rate, finite_final, times):
    small = 1e-9 * np.exp(small_rate * times)
    finite = []
    for final in finite_final:
        finite.append(1e-2 + (final - 1e-2) * (1 - np.exp(-times / 0.05)))
    return np.column_stack([small, *finite])


@pytest.mark.parametrize("small_rate, finite_final, expected", [
    (-50.0, [1e-4, 1e-4, 1e-4], "stable"),
    (-50.0, [0.4, 0.45, 0.5], "stable chaos"),
    (30.0, [0.4, 0.45, 0.5], "chaotic"),
    (0.0, [0.4, 0.45, 0.5], "undetermined"),
])
def test_regime_from_synthetic_distance_curves(small_rate, finite_final, expected):
    times = np.linspace(0, 0.5, 501)
    regime = regime_from_distances(times, curves(small_rate, finite_final, times), [1e-9, 1e-2, 1e-2, 1e-2])
    assert regime.regime == expected
    if expected != "undetermined":
        assert regime.infinitesimal_exponent == pytest.approx(small_rate, rel=1e-6)


def test_classify_regime_keeps_evidence_apart_and_checks_inputs():
    result = classify_regime(-40.0, 1.0, [1e-3, 1e-2], [0.2, 0.9])
    assert result.regime == "stable chaos" and result.infinitesimal_exponent == -40.0
    assert classify_regime(-40.0, 1.0, [1e-3, 1e-2], [0.3, 0.3]).regime == "undetermined"
    with pytest.raises(ValueError, match="same|one shape"):
        classify_regime(-1.0, 0.1, [1e-3], [0.1, 0.2])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        classify_regime(-1.0, 0.1, [1e-3], [1.5])
    with pytest.raises(ValueError, match="distances"):
        regime_from_distances(np.arange(5.0), np.ones((4, 2)), [1e-9, 1e-2])


def test_divergence_probability_groups_by_size():
    probability = divergence_probability([1e-9, 1e-9, 1e-2, 1e-2, 1e-2, 1e-2], [0, 0, 1, 1, 1, 0])
    np.testing.assert_allclose(probability.epsilons, [1e-9, 1e-2])
    np.testing.assert_allclose(probability.probability, [0.0, 0.75])
    np.testing.assert_allclose(probability.standard_error, [0.0, math.sqrt(0.75 * 0.25 / 4)])
    np.testing.assert_array_equal(probability.n_trials, [2, 4])


def test_analyse_replicas_on_synthetic_stable_chaos():
    result = synthetic_result([1e-8, 1e-8, 1e-2, 1e-2], diverge=(3, 4))
    analysis = analyse_replicas(result, bin_size=0.01)
    assert analysis.infinitesimal_exponent == pytest.approx(-1 / TAU, rel=1e-3)
    assert analysis.grid_bound == pytest.approx(-1 / TAU)
    np.testing.assert_allclose(analysis.probability.probability, [0.0, 1.0])
    assert analysis.regime.regime == "stable chaos"
    assert analysis.finite_size_rates[1] == pytest.approx(40.0, rel=0.05)
    # FSLE: the 1e-8 replicas shrink (no scale reached); the 1e-2 ones double at 40/s until saturation
    fsle = analysis.finite_size
    grown = (fsle.n_pairs == 2) & (fsle.scales > 1e-2) & (fsle.scales < 0.12)
    assert np.sum(grown) >= 2 and np.all(fsle.n_pairs[fsle.scales < 1e-2] == 0)
    np.testing.assert_allclose(fsle.exponents[grown], 40.0, rtol=0.1)  # 1 ms samples, 17 ms doublings
    text = analysis.summary()
    for word in ("dt=", "duration=", "renormalisation interval", "+/-", "epsilon", "-1/tau_max", "finite-size"):
        assert word in text
    with pytest.raises(ValueError, match="too short"):
        analyse_replicas(synthetic_result([1e-8, 1e-2], duration=0.05))
    with pytest.raises(ValueError, match="ReplicaSimulator"):
        analyse_replicas(SimulationResult())
