"""Song, Miller & Abbott (2000): additive STDP from 1,000 Poisson inputs onto one neuron ends bimodal."""
import numpy as np
import pytest
from brian2 import Hz, mV, ms, second

from hetero_brian.distributions import Uniform
from hetero_brian.models.neurons import ConductanceLIF
from hetero_brian.models.synapses import STDP
from hetero_brian.network.spec import NetworkSpec, PoissonInput, Population, Projection
from hetero_brian.network.connectivity import all_to_all
from hetero_brian.simulate import simulate


W_MAX = 0.01


def _song_abbott_spec(precision="float64"):
    """Parameters of Song et al. (2000) as in Brian2's examples/synapses/STDP.py."""
    neuron = ConductanceLIF(tau_m=10 * ms, v_rest=-74 * mV, v_reset=-60 * mV, v_th=-54 * mV, e_exc=0 * mV,
                            tau_e=5 * ms, t_ref=0 * ms, theta_plus=0 * mV)
    stdp = STDP(weight=Uniform(0, W_MAX), w_max=W_MAX, target="g_e", rule="additive", tau_pre=20 * ms,
                tau_post=20 * ms, eta_plus=0.01, eta_minus=0.0105, precision=precision)
    i, j = all_to_all(1000, 1)
    return NetworkSpec(populations=(Population("neuron", 1, neuron),),
                       inputs=(PoissonInput("inputs", 1000, 15 * Hz),),
                       projections=(Projection("plastic", "inputs", "neuron", stdp, i, j),), dt=0.1 * ms)


@pytest.mark.standalone
@pytest.mark.slow
def test_additive_stdp_drives_weights_to_a_bimodal_distribution(tmp_path):
    spec, w_max = _song_abbott_spec(), W_MAX  # 100 s
    duration = 100.0
    result = simulate(spec, duration * second, backend="cpp_standalone", seed=1, build_root=tmp_path)
    u = result.synapses["plastic"].w / w_max
    initial = result.synapses["plastic"].extra["w_initial"] / w_max
    assert np.mean((initial < 0.2) | (initial > 0.8)) == pytest.approx(0.4, abs=0.05)  # uniform start
    # bimodal (U-shaped): most weights in the outer fifths, both extreme tenths at least twice their
    # uniform share, the middle depleted. Measured here: 61 %, 23 % / 17 %, 25 % (seed 1).
    assert np.mean((u < 0.2) | (u > 0.8)) > 0.5
    assert np.mean(u < 0.1) > 0.2 and np.mean(u > 0.9) > 0.12
    assert np.mean((u > 0.3) & (u < 0.7)) < 0.32
    rate = result.spikes["neuron"].node_ids.size / duration
    assert 1 < rate < 60  # the postsynaptic rate is regulated, not silent or runaway


@pytest.mark.standalone
@pytest.mark.slow
def test_float32_synapses_reproduce_the_float64_experiment(tmp_path):
    # measured (seed 1, 100 s): same postsynaptic spikes, |du| mean 4.4e-7, max 3.5e-6 (u = w / w_max)
    results = {precision: simulate(_song_abbott_spec(precision), 100 * second, backend="cpp_standalone", seed=1,
                                   build_root=tmp_path / precision) for precision in ("float64", "float32")}
    u64, u32 = (np.asarray(results[precision].synapses["plastic"].w) / W_MAX for precision in ("float64", "float32"))
    assert np.max(np.abs(u32 - u64)) < 1e-4
    for statistic in (lambda u: np.mean((u < 0.2) | (u > 0.8)), lambda u: np.mean(u < 0.1), lambda u: np.mean(u > 0.9)):
        assert statistic(u32) == pytest.approx(statistic(u64), abs=0.01)
    rates = [results[precision].spikes["neuron"].node_ids.size for precision in ("float64", "float32")]
    assert rates[1] == pytest.approx(rates[0], rel=0.02)
