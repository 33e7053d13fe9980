"""Pruning masks -> spec (network/pruning.py) and the structure seed the family specs record."""
import numpy as np
import pytest
from brian2 import Hz

from hetero_brian.errors import ConfigError
from hetero_brian.network.spec import PoissonInput
from hetero_brian.network.pruning import pruned_spec, signed_network
from hetero_brian.network.reservoir import default_synapses, reservoir_from_stream, reservoir_spec
from hetero_brian.random import SeedStreams


def _spec(seed=3):
    return reservoir_spec(10, PoissonInput("input", 4, 10 * Hz), seed, synapses=default_synapses(False),
                          p_recurrent=0.5, p_input=0.5)


def test_reservoir_spec_draws_from_the_structure_stream_and_records_the_seed():
    spec = _spec(3)
    assert spec.structure_seed == 3
    again = reservoir_from_stream(10, PoissonInput("input", 4, 10 * Hz), SeedStreams(3).generator("structure"),
                                  synapses=default_synapses(False), p_recurrent=0.5, p_input=0.5)
    assert again.structure_seed is None
    for first, second in zip(spec.projections, again.projections):
        np.testing.assert_array_equal(first.i, second.i)
        np.testing.assert_array_equal(first.j, second.j)


def test_signed_network_numbers_inhibitory_after_excitatory():
    spec = _spec()
    i, j, w, n_exc = signed_network(spec)
    assert n_exc == 8
    recurrent = [p for p in spec.projections if p.source in ("exc", "inh")]
    assert i.size == sum(p.n_synapses for p in recurrent)
    # excitatory sources carry +0.5 mV / 15 mV, inhibitory ones -2 mV / 15 mV
    np.testing.assert_allclose(w[i < n_exc], 0.5 / 15)
    np.testing.assert_allclose(w[i >= n_exc], -2.0 / 15)


def test_pruned_spec_keeps_and_renumbers():
    spec = _spec()
    i, j, w, n_exc = signed_network(spec)
    kept = np.array([0, 2, 3, 5, 8, 9])  # exc 0, 2, 3, 5 and both inhibitory neurons
    mask = np.ones(i.size, bool)
    mask[::2] = False
    pruned = pruned_spec(spec, kept, mask)
    assert [p.n_neurons for p in pruned.populations] == [4, 2]
    assert pruned.structure_seed == spec.structure_seed
    new_index = np.full(10, -1)
    new_index[kept] = np.arange(kept.size)
    alive = mask & (new_index[i] >= 0) & (new_index[j] >= 0)
    offsets = {"exc": 0, "inh": 4}
    joint = [(new_index[a], new_index[b]) for a, b in zip(i[alive], j[alive])]
    rebuilt = [(a + offsets[p.source], b + offsets[p.target]) for p in pruned.projections
               if p.source in offsets for a, b in zip(p.i, p.j)]
    assert sorted(rebuilt) == sorted((int(a), int(b)) for a, b in joint)
    for projection in pruned.projections:
        if projection.source == "input":
            assert projection.j.max() < pruned.population(projection.target).n_neurons
    with pytest.raises(ConfigError, match="every exc neuron"):
        pruned_spec(spec, np.array([8, 9]), mask)
