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


def _reservoir(seed, connectivity):
    """A small E/I reservoir with per-synapse STDP (40 neurons, 50 Poisson inputs) drawn from ``seed``."""
    from hetero_brian.models.synapses import STDP
    from hetero_brian.network.reservoir import ReservoirSynapses, reservoir_spec

    stdp = STDP(weight=0.6 * mV, w_max=1.2 * mV, tau_pre=Gamma(20 * ms, 0.5), tau_post=Gamma(20 * ms, 0.5),
                eta_plus=0.02, eta_minus=0.021)
    synapses = ReservoirSynapses(ee=stdp, ei=StaticSynapse(weight=0.6 * mV), ie=StaticSynapse(weight=3 * mV, sign=-1),
                                 ii=StaticSynapse(weight=3 * mV, sign=-1), input=StaticSynapse(weight=4 * mV))
    return reservoir_spec(40, PoissonInput("input", 50, 50 * Hz), seed, neuron=LIF(tau_m=Gamma(20 * ms, 0.5)),
                          synapses=synapses, p_recurrent=0.2, p_input=0.4, connectivity=connectivity)


def test_fixed_in_degree_reservoir_gives_exact_in_degrees_and_seed_independent_counts():
    first, second = (_reservoir(seed, "fixed_in_degree") for seed in (1, 2))
    sizes = {"exc": 32, "inh": 8, "input": 50}
    for one, other in zip(first.projections, second.projections):
        n_pre = sizes[one.source]
        expected = min(round((0.4 if one.source == "input" else 0.2) * n_pre), n_pre - (one.source == one.target))
        assert np.array_equal(np.bincount(one.j, minlength=sizes[one.target]), np.full(sizes[one.target], expected))
        if one.source == one.target:
            assert np.all(one.i != one.j)
        assert one.n_synapses == other.n_synapses and not np.array_equal(one.i, other.i)
    assert first.describe() == second.describe()  # counts, not indices: the same build


def test_fixed_probability_gives_each_seed_its_own_structure_key_and_says_so():
    import inspect

    from hetero_brian.experiment.runner import load_scenario
    from hetero_brian.network.reservoir import reservoir_spec

    def key(spec):
        return Simulator(spec, 100 * ms, backend="cpp_standalone", seed=1).structure_key()

    probability = [_reservoir(seed, "fixed_probability") for seed in (1, 2)]
    in_degree = [_reservoir(seed, "fixed_in_degree") for seed in (1, 2)]
    assert key(probability[0]) != key(probability[1])  # the documented cost: a new seed compiles again
    assert key(in_degree[0]) == key(in_degree[1])
    assert "recompiles" in inspect.getdoc(reservoir_spec)
    demo = load_scenario("demo").Config
    assert demo().connectivity == "fixed_in_degree"
    assert "recompiles for every new seed" in demo.model_fields["connectivity"].description
    with pytest.raises(ValueError, match="connectivity must be one of"):
        _reservoir(1, "fixed_count")


def _build_files(directory):
    """Modification times (ns) of the compiled objects and the binary of a build folder."""
    from pathlib import Path

    files = [path for path in Path(directory).rglob("*.o")] + [Path(directory) / "main"]
    return {str(path): path.stat().st_mtime_ns for path in files}


@pytest.mark.standalone
def test_a_reservoir_with_a_new_seed_reuses_the_binary_and_runs_its_own_connectivity(tmp_path):
    """Two seeds of a fixed in-degree reservoir: one compilation, and the second seed's connectivity
    (new static arrays of the same lengths) reaches the binary: its run equals a fresh runtime build."""
    from hetero_brian.backends.cpp_standalone import MAKE_LOG

    first_spec, second_spec = (_reservoir(seed, "fixed_in_degree") for seed in (1, 2))
    with Simulator(first_spec, 300 * ms, backend="cpp_standalone", seed=1, build_root=tmp_path) as first:
        assert first.backend.n_compilations == 1
        first_result = first.run()
    compiled = _build_files(first.backend.directory)
    assert len(compiled) > 10
    with Simulator(second_spec, 300 * ms, backend="cpp_standalone", seed=2, build_root=tmp_path) as second:
        assert second.backend.directory == first.backend.directory
        assert second.backend.n_compilations == 0
        with open(f"{second.backend.directory}/{MAKE_LOG}") as log:
            assert log.read().strip() == "make: Nothing to be done for 'all'."
        assert _build_files(second.backend.directory) == compiled  # no object file rewritten, no new link
        result = second.run()
    assert result.provenance["backend"]["n_compilations"] == 0
    assert not np.array_equal(result.synapses["ee"].i, first_result.synapses["ee"].i)
    assert np.array_equal(result.synapses["ee"].i, second_spec.projections[0].i)
    reference = simulate(second_spec, 300 * ms, backend="runtime:numpy", seed=2)
    for name in ("exc", "inh"):
        assert reference.spikes[name].node_ids.size > 20
        assert np.array_equal(result.spikes[name].node_ids, reference.spikes[name].node_ids)
        assert np.array_equal(result.spikes[name].timestamps, reference.spikes[name].timestamps)
    np.testing.assert_allclose(result.synapses["ee"].w, reference.synapses["ee"].w, rtol=1e-12, atol=0)
