"""Lyapunov analysis of trained SRNNs: replica divergence in Brian2 and the map's Jacobian spectrum."""
from dataclasses import replace

import numpy as np
import pytest

from hetero_brian.backends.runtime import RuntimeBackend
from hetero_brian.training.dynamics import jacobian_exponents, replica_divergence
from hetero_brian.training.parameters import initial_parameters


def _parameters():
    parameters = initial_parameters(5, 12, 3, seed=3)
    rng = np.random.default_rng(3)
    return replace(parameters, input_weights=parameters.input_weights * 3, recurrent_weights=parameters.recurrent_weights * 0.3,
                   hidden_bias=rng.uniform(-0.01, 0.03, 12))


def test_jacobian_spectrum_is_minus_one_over_the_time_constants():
    parameters = _parameters()
    expected = np.sort(np.concatenate([-1 / np.asarray(parameters.tau_m), -1 / np.asarray(parameters.tau_adp)]))[::-1]
    np.testing.assert_allclose(jacobian_exponents(parameters), expected, rtol=1e-12)


def test_a_perturbation_that_moves_no_spike_decays_with_the_slowest_membrane():
    parameters = _parameters()
    inputs = np.random.default_rng(5).normal(0.3, 1.0, size=(150, 5))
    divergence = replica_divergence(parameters, inputs, epsilon=1e-9, n_replicas=2, backend=RuntimeBackend(target="numpy"))
    assert divergence.spike_mismatch.tolist() == [0.0, 0.0]
    for result in divergence.results:
        assert result.regime == "contracting"
        # reset by subtraction keeps the perturbation; it decays as alpha_i^k, the slowest neuron last
        assert result.rate == pytest.approx(-1 / float(np.max(np.asarray(parameters.tau_m))), rel=0.15)
    with pytest.raises(ValueError, match="epsilon must be a positive"):
        replica_divergence(parameters, inputs, epsilon=0.0)
