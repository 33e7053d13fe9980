"""STDP to convergence: the criterion on weight sequences with a known answer, and a tiny spiking run."""
import json

import numpy as np
import pytest

from hetero_brian.protocols.stdp_convergence import (convergence_chunk, ks_critical_value, ks_distance,
                                                      relative_l1_change)


def test_ks_distance_known_values():
    assert ks_distance([1.0, 2.0, 3.0], [3.0, 1.0, 2.0]) == 0.0
    assert ks_distance([0.0, 0.0], [1.0, 1.0]) == 1.0
    # half of the mass moved past the other sample: the CDFs differ by 1/2
    assert ks_distance([0.0, 1.0], [1.0, 1.0]) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        ks_distance([], [1.0])


def test_ks_critical_value_is_exceeded_by_about_five_percent_of_same_distribution_pairs():
    rng = np.random.default_rng(4)
    n = 500
    exceeded = [ks_distance(rng.gamma(2.0, 1.0, n), rng.gamma(2.0, 1.0, n)) >= ks_critical_value(n)
                for _ in range(600)]
    assert 0.025 < np.mean(exceeded) < 0.085
    # a shift of half a standard deviation is far beyond it
    assert ks_distance(rng.normal(0, 1, n), rng.normal(0.5, 1, n)) > 2 * ks_critical_value(n)


def test_relative_l1_change_known_values():
    assert relative_l1_change([1.0, 1.0], [1.0, 3.0]) == pytest.approx(1.0)
    assert relative_l1_change([0.0], [0.0]) == 0.0
    assert relative_l1_change([0.0], [1.0]) == float("inf")


def _ks_history(snapshots):
    return [ks_distance(a, b) for a, b in zip(snapshots[:-1], snapshots[1:])]


def test_relaxing_distribution_converges_at_the_known_chunk():
    """Weights relax as w_c = w_inf + (w_0 - w_inf) exp(-c / 2); KS of the shifted copies is known."""
    rng = np.random.default_rng(1)
    target = rng.uniform(0.0, 1.0, 20000)
    snapshots = [target + 0.5 * np.exp(-c / 2.0) for c in range(0, 30)]
    history = _ks_history(snapshots)
    # two uniform(0, 1) samples shifted by s differ by KS ~ s: s_c = 0.5 (e^{-(c-1)/2} - e^{-c/2})
    shifts = 0.5 * (np.exp(-(np.arange(1, 30) - 1) / 2.0) - np.exp(-np.arange(1, 30) / 2.0))
    expected_first = int(np.argmax(shifts < 0.02)) + 1  # first chunk below threshold (well clear of the sampling noise)
    assert convergence_chunk(history, 0.02, 1) == expected_first
    assert convergence_chunk(history, 0.02, 3) == expected_first + 2


def test_permuted_weights_have_converged_although_every_weight_moves():
    """Additive STDP at equilibrium: weights swap places, the distribution stays; L1 says otherwise."""
    rng = np.random.default_rng(2)
    weights = np.where(rng.random(5000) < 0.3, 1.0, 0.0)
    snapshots = [weights] + [rng.permutation(weights) for _ in range(4)]
    history = _ks_history(snapshots)
    assert convergence_chunk(history, 0.01, 2) == 2
    assert relative_l1_change(snapshots[0], snapshots[1]) > 0.5


def test_drifting_distribution_never_converges_and_a_single_dip_is_not_enough():
    snapshots = [np.linspace(0, 1, 1000) + 0.1 * c for c in range(10)]
    assert convergence_chunk(_ks_history(snapshots), 0.02, 2) is None
    assert convergence_chunk([0.5, 0.01, 0.5, 0.01, 0.01], 0.02, 2) == 5
    with pytest.raises(ValueError):
        convergence_chunk([0.1], 0.0, 1)
    with pytest.raises(ValueError):
        convergence_chunk([0.1], 0.1, 0)


@pytest.mark.slow
def test_tiny_spiking_run_trains_in_chunks_and_records_the_state(tmp_path):
    from brian_helpers import use_numpy_target
    from hetero_brian.scenarios import memory_capacity

    use_numpy_target()
    config = memory_capacity.Config(n_neurons=20, n_input=10, n_steps=300, max_delay=5, weight_input="4 mV",
                                    variants=["HoNHoS", "HoNHeS"], n_seeds=1, stdp_training="converged",
                                    max_chunks=3, convergence_threshold=0.5, convergence_patience=1)
    metrics = memory_capacity.run(config, tmp_path, backend="runtime", seed=3)
    rows = json.loads((tmp_path / "memory_capacity_runs.json").read_text())
    assert [row["variant"] for row in rows] == ["HoNHoS", "HoNHeS"]
    for row in rows:
        state = row["convergence"]
        assert 1 <= state["chunks"] <= 3 and len(state["ks"]) == state["chunks"]
        assert len(state["weight_mean"]) == state["chunks"] + 1
        assert state["converged"] == (state["converged_at"] is not None)
        # the weights moved in the first chunk (STDP on) from the constant initial weight
        assert state["ks"][0] > 0
    assert np.isfinite(metrics["rate_hz_HoNHeS_mean"])
