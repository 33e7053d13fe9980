"""divergence_rate on spiking-like data: the detected exponential range, and no rate from white noise."""
import numpy as np
import pytest
from brian2 import Hz, mV, ms

from hetero_brian.analysis.trajectory_divergence import divergence_rate

TIMES = np.arange(0.0, 0.5, 5e-3)  # 100 samples, s


def _jump_then_exponential(seed, rate=30.0, jump=50.0, n_dims=50):
    """A finite kick: x50 within the first sample (a moved spike), then e^(rate t), saturating at 10."""
    rng = np.random.default_rng(seed)
    reference = rng.standard_normal((TIMES.size, n_dims))  # attractor size sqrt(2 n_dims) = 10
    direction = rng.standard_normal(n_dims)
    direction /= np.linalg.norm(direction)
    growth = 1e-3 * np.exp(rate * TIMES)
    growth[1:] *= jump
    separation = 10 * growth / (10 + growth) * np.exp(0.05 * rng.standard_normal(TIMES.size))
    return reference, reference + separation[:, None] * direction


@pytest.mark.parametrize("seed", range(5))
def test_the_initial_jump_is_skipped_and_the_fit_reports_its_range(seed):
    reference, perturbed = _jump_then_exponential(seed)
    result = divergence_rate(TIMES, reference, perturbed)
    assert result.regime == "diverging"
    assert result.rate == pytest.approx(30.0, rel=0.05)  # the old fit from the jump gave about 39
    begin, end = result.fit_samples
    assert begin >= 1 and "initial jump" in result.message
    assert end - begin + 1 >= 8 and result.r_squared >= 0.95 and result.log_change >= 1.0
    assert result.fit_window == (TIMES[begin], TIMES[end])
    assert result.distance[end] < result.saturation_distance


@pytest.mark.parametrize("seed", range(5))
def test_white_noise_gives_no_rate(seed):
    rng = np.random.default_rng(seed)
    reference = rng.standard_normal((TIMES.size, 20))
    cases = {
        "independent": rng.standard_normal((TIMES.size, 20)),           # saturated from the start
        "small noise": reference + 1e-3 * rng.standard_normal((TIMES.size, 20)),  # no growth at all
    }
    for name, perturbed in cases.items():
        result = divergence_rate(TIMES, reference, perturbed)
        assert result.regime == "unresolved" and np.isnan(result.rate), (name, result.rate)
        assert "no exponential range" in result.message and result.fit_window is None
    at_rest = divergence_rate(TIMES, np.zeros((TIMES.size, 1)), np.abs(rng.standard_normal(TIMES.size)))
    assert at_rest.regime == "unresolved" and np.isnan(at_rest.rate)


def test_too_few_e_folds_are_not_an_exponential_range():
    reference = np.zeros((TIMES.size, 1))
    slow = 1e-3 * np.exp(1.0 * TIMES)[:, None]  # 0.5 e-folds in the whole record
    result = divergence_rate(TIMES, reference, slow)
    assert result.regime == "unresolved" and "e-folds" in result.message
    assert divergence_rate(TIMES, reference, slow, min_log_change=0.25).rate == pytest.approx(1.0, rel=1e-6)


def test_bad_fit_options():
    reference = np.zeros((TIMES.size, 1))
    with pytest.raises(ValueError, match="min_r_squared"):
        divergence_rate(TIMES, reference, reference + 1e-3, min_r_squared=1.5)


def test_benettin_refuses_delays_and_names_the_alternative():
    from hetero_brian.backends.runtime import RuntimeBackend
    from hetero_brian.models.neurons import LIF
    from hetero_brian.models.synapses import StaticSynapse
    from hetero_brian.network.connectivity import fixed_probability
    from hetero_brian.network.spec import NetworkSpec, PoissonInput, Population, Projection
    from hetero_brian.protocols.replicas import ReplicaSimulator

    i, j = fixed_probability(8, 8, 0.3, rng=2)
    ii, jj = fixed_probability(5, 8, 0.5, rng=3, allow_self=True)
    spec = NetworkSpec(populations=(Population("cells", 8, LIF(tau_m=20 * ms)),),
                       inputs=(PoissonInput("drive", 5, 100 * Hz),),
                       projections=(Projection("rec", "cells", "cells", StaticSynapse(weight=2 * mV, delay=1.5 * ms), i, j),
                                    Projection("feed", "drive", "cells", StaticSynapse(weight=6 * mV), ii, jj)))
    with ReplicaSimulator(spec, [1e-3], 5 * ms, backend=RuntimeBackend(target="numpy"), seed=1) as replicas:
        with pytest.raises(ValueError) as error:
            replicas.run_renormalised(11)
    message = str(error.value)
    assert "'rec' has synaptic delays (up to 1.5 ms)" in message and "in flight" in message
    assert "divergence_rate" in message and "ReplicaSimulator.run" in message
