"""The builder: per-parameter random streams, names, and wiring checks."""
import dataclasses

import numpy as np
import pytest
from brian2 import Hz, mV, ms, second

from brian_helpers import use_numpy_target

from hetero_brian.backends.base import CLOCK_NAME
from hetero_brian.distributions import Constant, Gamma, Uniform
from hetero_brian.models.neurons import LIF
from hetero_brian.models.synapses import STDP, StaticSynapse
from hetero_brian.errors import ConfigError
from hetero_brian.network.builder import assignable_value, build, sample_network_parameters
from hetero_brian.network.spec import NetworkSpec, PoissonInput, Population, Projection
from hetero_brian.network.connectivity import fixed_probability
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


def _two_population_spec(shared_constants=True):
    stdp = STDP(weight=Uniform(0.1 * mV, 0.9 * mV), w_max=1 * mV, tau_pre=Gamma(20 * ms, 0.5), eta_plus=0.02)
    i, j = fixed_probability(8, 6, 0.5, rng=2, allow_self=True)
    return NetworkSpec(populations=(Population("a", 8, LIF(tau_m=Gamma(20 * ms, 0.3))), Population("b", 6, LIF())),
                       projections=(Projection("ab", "a", "b", stdp, i, j),), shared_constants=shared_constants)


def test_constant_parameters_are_one_shared_value_and_others_per_element():
    use_numpy_target()
    built = build(_two_population_spec(), SeedStreams(4), clock_name=CLOCK_NAME)
    a, b, ab = built.groups["a"], built.groups["b"], built.synapses["ab"]
    assert not a.variables["tau_m"].scalar and a.tau_m[:].shape == (8,)
    assert a.variables["v_th"].scalar and b.variables["tau_m"].scalar
    assert float(b.tau_m[:]) == pytest.approx(0.02) and float(a.v_th[:]) == pytest.approx(-0.05)
    assert not ab.variables["taupre"].scalar and ab.variables["taupost"].scalar and ab.variables["eta_plus"].scalar
    assert float(ab.eta_plus[:]) == pytest.approx(0.02)
    per_element = build(_two_population_spec(shared_constants=False), SeedStreams(4), clock_name=CLOCK_NAME)
    assert not any(per_element.groups["b"].variables[name].scalar for name in ("tau_m", "v_th", "t_ref"))
    assert not per_element.synapses["ab"].variables["eta_plus"].scalar
    assert _two_population_spec().describe() != _two_population_spec(False).describe()  # another structure


def test_shared_value_refuses_different_values_and_names_the_parameter():
    use_numpy_target()
    built = build(_two_population_spec(), SeedStreams(4), clock_name=CLOCK_NAME)
    group = built.groups["b"]
    assert float(assignable_value(group, "tau_m", np.full(6, 0.01) * second, "b.tau_m") / second) == pytest.approx(0.01)
    assert assignable_value(group, "tau_m", np.array([]) * second, "b.tau_m") is None
    assert assignable_value(built.groups["a"], "tau_m", np.full(8, 0.01) * second, "a.tau_m").shape == (8,)
    with pytest.raises(ConfigError, match=r"b\.tau_m is one shared value.*shared_constants=False"):
        assignable_value(group, "tau_m", np.linspace(0.01, 0.02, 6) * second, "b.tau_m")


def test_masked_stdp_keeps_its_mask_per_synapse():
    from hetero_brian.network.diehl_cook import diehl_cook_synapse
    synapse = diehl_cook_synapse()
    assert "mask" not in synapse.constant_parameters() and "eta_plus" in synapse.constant_parameters()
    with pytest.raises(ValueError, match="shared_constants must be True or False"):
        NetworkSpec(populations=(Population("a", 3, LIF()),), shared_constants="yes")


def test_constant_per_element_parameters_hold_no_per_element_copy():
    """A Constant's samples are a read-only broadcast view, assigned to Brian2 as one value."""
    from hetero_brian.network.builder import uniform_or_array

    use_numpy_target()
    spec = NetworkSpec(shared_constants=False, **{k: getattr(_two_population_spec(), k) for k in ("populations", "projections")})
    sampled = sample_network_parameters(spec, SeedStreams(4))
    weights, eta = sampled["ab"]["weight"], sampled["ab"]["eta_plus"]
    assert np.asarray(eta).strides == (0,) and not np.asarray(eta).flags.writeable and eta.shape == (spec.projections[0].n_synapses,)
    assert np.asarray(weights).strides != (0,)  # Uniform: one sample per synapse
    assert float(uniform_or_array(eta)) == pytest.approx(0.02) and uniform_or_array(weights) is weights
    built = build(spec, SeedStreams(4), clock_name=CLOCK_NAME)
    np.testing.assert_array_equal(built.synapses["ab"].eta_plus[:], np.full(spec.projections[0].n_synapses, 0.02))
    np.testing.assert_array_equal(built.groups["b"].tau_m[:], np.full(6, 0.02) * second)
