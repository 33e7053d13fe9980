"""Sweep overhead (issue 20, item 4): a run passes only changed values and reads back only what can change."""
import numpy as np
from brian2 import Hz, mV, ms

from hetero_brian.distributions import Gamma, Uniform
from hetero_brian.models.neurons import LIF
from hetero_brian.models.synapses import StaticSynapse
from hetero_brian.network.connectivity import fixed_probability
from hetero_brian.network.spec import NetworkSpec, PoissonInput, Population, Projection
from hetero_brian.simulate import Simulator


def tiny_network():
    i, j = fixed_probability(20, 10, 0.5, rng=1, allow_self=True)
    return NetworkSpec(populations=(Population("cells", 10, LIF(tau_m=Gamma(10 * ms, 0.3))),),
                       inputs=(PoissonInput("drive", 20, 100 * Hz),),
                       projections=(Projection("feed", "drive", "cells", StaticSynapse(weight=Uniform(2 * mV, 5 * mV)), i, j),))


def test_a_run_passes_only_the_values_that_differ_from_the_build():
    with Simulator(tiny_network(), 20 * ms, backend="runtime:numpy", seed=3) as simulator:
        passed = []
        execute = simulator.backend.execute
        simulator.backend.execute = lambda network, schedule, report, values, *rest: (
            passed.append(sorted(f"{key.group_name}.{key.name}" for key in values)),
            execute(network, schedule, report, values, *rest))[1]
        simulator.run()
        simulator.run(parameters={"cells.tau_m": 7 * ms})
        simulator.run(seed=4)
        simulator.run(seed=3)  # the build's seed given explicitly
        simulator.run(parameters={"cells.tau_m": simulator.built.sampled["cells"]["tau_m"]})  # the build's values
    assert passed[0] == []  # the build's own values: nothing to pass
    assert passed[1] == ["cells.tau_m"]
    assert "cells.tau_m" in passed[2] and "feed.w" in passed[2]  # a new seed resamples every parameter
    assert passed[3] == [] and passed[4] == []


def test_static_weights_reported_without_reading_them_back_equal_the_groups_values():
    with Simulator(tiny_network(), 20 * ms, backend="runtime:numpy", seed=3) as simulator:
        result = simulator.run(seed=5)
        assert np.array_equal(result.synapses["feed"].w, np.asarray(simulator.built.synapses["feed"].w[:]))
        overridden = simulator.run(parameters={"feed.w": 3 * mV})
        assert np.array_equal(overridden.synapses["feed"].w, np.full(result.synapses["feed"].w.size, 3e-3))


def test_run_arguments_of_a_constant_distribution_are_contiguous_arrays():
    """A Constant (the HRSNN's tau_m at cv 0) is sampled as a zero-stride broadcast view; Brian2's standalone run
    arguments hash the array's buffer, which needs a C-contiguous copy (the cv = 0 point of a tau_m sweep failed)."""
    from hetero_brian.distributions import Constant
    from hetero_brian.network.builder import sample_network_parameters
    from hetero_brian.random import SeedStreams

    constant = tiny_network()
    spec = NetworkSpec(populations=(Population("cells", 10, LIF(tau_m=Constant(10 * ms))),),
                       inputs=constant.inputs, projections=constant.projections)
    sampled = sample_network_parameters(spec, SeedStreams(5))
    assert sampled["cells"]["tau_m"].strides == (0,)  # the view the bug came from
    with Simulator(tiny_network(), 20 * ms, backend="runtime:numpy", seed=3) as simulator:
        values = simulator._values(simulator.streams, None, None, sampled)[0]
        tau_m = next(value for key, value in values.items() if f"{key.group_name}.{key.name}" == "cells.tau_m")
        assert np.asarray(tau_m).flags.c_contiguous and np.allclose(np.asarray(tau_m), 0.01)
        simulator.run(sampled=sampled)
