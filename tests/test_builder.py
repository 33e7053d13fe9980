"""The builder: per-parameter random streams, names, and wiring checks."""
import dataclasses

import numpy as np
import pytest
from brian2 import Hz, mV, ms

from hetero_brian.distributions import Constant, Gamma, Uniform
from hetero_brian.models.neurons import LIF
from hetero_brian.models.synapses import STDP, StaticSynapse
from hetero_brian.network.builder import NetworkSpec, PoissonInput, Population, Projection, sample_network_parameters
from hetero_brian.network.reservoir import homogeneous_twin, reservoir_spec
from hetero_brian.random import SeedStreams


def test_homogeneous_twin_shares_every_other_sampled_value():
    heterogeneous = LIF(tau_m=Gamma(20 * ms, 0.5), v_th=Uniform(-52 * mV, -48 * mV))
    twin = homogeneous_twin(heterogeneous)
    assert float(twin.tau_m.mean) == pytest.approx(0.02) and float(twin.tau_m.std) == 0 and float(twin.v_th.std) == 0
    homogeneous = dataclasses.replace(heterogeneous, tau_m=Constant(20 * ms))  # only tau_m homogeneous
    synapse = STDP(weight=Uniform(0.1 * mV, 0.9 * mV), w_max=1 * mV, tau_pre=Gamma(20 * ms, 0.5))
    i, j = np.arange(10), np.arange(10)
    specs = [NetworkSpec(populations=(Population("cells", 10, model),), projections=(Projection("ee", "cells", "cells", synapse, i, j),))
             for model in (heterogeneous, homogeneous)]
    first, second = (sample_network_parameters(spec, SeedStreams(8)) for spec in specs)
    assert not np.allclose(np.asarray(first["cells"]["tau_m"]), np.asarray(second["cells"]["tau_m"]))
    np.testing.assert_array_equal(first["cells"]["v_th"], second["cells"]["v_th"])
    np.testing.assert_array_equal(first["ee"]["tau_pre"], second["ee"]["tau_pre"])
    np.testing.assert_array_equal(first["ee"]["weight"], second["ee"]["weight"])


def test_neuron_level_traces_are_sampled_per_neuron():
    synapse = STDP(weight=0.5 * mV, w_max=1 * mV, tau_pre=Gamma(20 * ms, 0.5), traces="neuron")
    spec = NetworkSpec(populations=(Population("a", 7, LIF()), Population("b", 5, LIF())),
                       projections=(Projection("ab", "a", "b", synapse, np.zeros(3, int), np.arange(3)),))
    sampled = sample_network_parameters(spec, SeedStreams(1))
    assert sampled["ab"]["tau_pre"].shape == (7,) and sampled["ab"]["tau_post"].shape == (5,)
    assert sampled["ab"]["eta_plus"].shape == (3,)


@pytest.mark.parametrize("make, message", [
    (lambda: NetworkSpec(populations=(Population("a", 3, LIF()), Population("a", 3, LIF()))), "repeated: \\['a'\\]"),
    (lambda: NetworkSpec(populations=(Population("a", 3, LIF()),),
                         projections=(Projection("p", "a", "b", StaticSynapse(weight=1 * mV), [0], [0]),)), "unknown target 'b'"),
    (lambda: NetworkSpec(populations=(Population("a", 3, LIF()),),
                         projections=(Projection("p", "a", "a", StaticSynapse(weight=1 * mV), [5], [0]),)), "i out of range"),
    (lambda: PoissonInput("drive", 3, 5 * mV), "rate must be a frequency"),
    (lambda: reservoir_spec(3, PoissonInput("input", 3, 5 * Hz), 1), "n_neurons must be an integer >= 5"),
])
def test_bad_specs(make, message):
    with pytest.raises(ValueError, match=message):
        make()
