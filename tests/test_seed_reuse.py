"""A new seed reuses the compiled binary when the connectivity keeps its sizes (issue 20, item 6)."""
import numpy as np
import pytest
from brian2 import Hz, mV, ms

from hetero_brian.distributions import Gamma, Uniform
from hetero_brian.models.neurons import LIF
from hetero_brian.models.synapses import StaticSynapse
from hetero_brian.network.connectivity import fixed_in_degree
from hetero_brian.network.spec import NetworkSpec, PoissonInput, Population, Projection
from hetero_brian.simulate import Simulator, simulate


def in_degree_network(seed):
    """Connectivity drawn from ``seed`` with a fixed in-degree: the same synapse count for every seed."""
    i, j = fixed_in_degree(20, 10, 12, rng=seed, allow_self=True)
    return NetworkSpec(populations=(Population("cells", 10, LIF(tau_m=Gamma(10 * ms, 0.3))),),
                       inputs=(PoissonInput("drive", 20, 100 * Hz),),
                       projections=(Projection("feed", "drive", "cells", StaticSynapse(weight=Uniform(2 * mV, 5 * mV)),
                                               i, j),),
                       structure_seed=seed)


@pytest.mark.standalone
def test_a_new_seed_with_new_connectivity_of_the_same_size_does_not_compile(tmp_path):
    with Simulator(in_degree_network(1), 200 * ms, backend="cpp_standalone", seed=1, build_root=tmp_path) as first:
        first.run()
    second_spec = in_degree_network(2)
    assert not np.array_equal(second_spec.projections[0].i, first.spec.projections[0].i)
    with Simulator(second_spec, 200 * ms, backend="cpp_standalone", seed=2, build_root=tmp_path) as second:
        assert second.backend.directory == first.backend.directory
        assert second.backend.n_compilations == 0  # neither the connectivity nor the seed is in the sources
        result = second.run()
    reference = simulate(second_spec, 200 * ms, backend="runtime:numpy", seed=2)
    assert reference.spikes["cells"].node_ids.size > 10
    assert np.array_equal(result.spikes["cells"].node_ids, reference.spikes["cells"].node_ids)
    assert np.array_equal(result.spikes["cells"].timestamps, reference.spikes["cells"].timestamps)
    assert np.array_equal(result.synapses["feed"].i, second_spec.projections[0].i)
