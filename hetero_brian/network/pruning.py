"""Pruning masks -> network specs: the recurrent E/I network as one signed population, and the pruned spec.

Pruning rules (``hetero_brian.analysis.lnp``, ``hetero_brian.analysis.pruning``) see the recurrent
synapses of a reservoir as one population of ``n_exc + n_inh`` neurons with signed weights
(:func:`signed_network`); they return the kept neurons and a mask over those synapses, and
:func:`pruned_spec` turns both back into a spec with fewer neurons and synapses.
"""
from dataclasses import replace

import numpy as np
from brian2 import mV

from ..errors import ConfigError
from .spec import NetworkSpec, Projection

RESERVOIR_POPULATIONS = ("exc", "inh")


def signed_network(spec, threshold_distance=15 * mV):
    """The recurrent synapses as one population, weights signed and in units of ``threshold_distance``.

    Parameters
    ----------
    spec : NetworkSpec
        A reservoir with populations ``exc`` and ``inh`` (inhibitory indices follow the excitatory).
    threshold_distance : brian2.Quantity
        Voltage from rest to threshold (the weight unit).

    Returns
    -------
    i, j : numpy.ndarray of int
        Pre- and postsynaptic indices in the joint numbering, projection by projection (the order
        :func:`pruned_spec` expects its mask in).
    w : numpy.ndarray of float
        Mean weight of each synapse's projection times its sign, over ``threshold_distance``.
    n_exc : int
    """
    n_exc = spec.population("exc").n_neurons
    offsets = {"exc": 0, "inh": n_exc}
    i, j, w = [], [], []
    for projection in spec.projections:
        if projection.source not in offsets:
            continue
        synapse = projection.synapse
        i.append(np.asarray(projection.i) + offsets[projection.source])
        j.append(np.asarray(projection.j) + offsets[projection.target])
        w.append(np.full(projection.n_synapses, synapse.sign * float(synapse.weight.mean / threshold_distance)))
    return np.concatenate(i), np.concatenate(j), np.concatenate(w), n_exc


def pruned_spec(spec, kept_neurons, synapse_mask):
    """A new spec with the kept neurons (original joint indices) and the kept recurrent synapses.

    Parameters
    ----------
    spec : NetworkSpec
        A reservoir with populations ``exc`` and ``inh``.
    kept_neurons : array_like of int
        Joint indices (``exc`` first) of the neurons to keep.
    synapse_mask : numpy.ndarray of bool
        Over the recurrent synapses in the order of :func:`signed_network`.

    Returns
    -------
    NetworkSpec
        Same models, inputs, time step and ``structure_seed``; input projections keep their
        synapses onto kept neurons; empty projections are dropped (Brian2 cannot connect them).

    Raises
    ------
    ConfigError
        If every neuron of ``exc`` or ``inh`` would be removed.
    """
    n_exc = spec.population("exc").n_neurons
    kept_neurons = np.sort(np.asarray(kept_neurons))
    kept = {"exc": kept_neurons[kept_neurons < n_exc], "inh": kept_neurons[kept_neurons >= n_exc] - n_exc}
    new_index = {name: np.full(spec.population(name).n_neurons, -1) for name in RESERVOIR_POPULATIONS}
    for name in kept:
        if kept[name].size == 0:
            raise ConfigError(f"pruning removed every {name} neuron; lower neuron_fraction")
        new_index[name][kept[name]] = np.arange(kept[name].size)
    projections, offset = [], 0
    for projection in spec.projections:
        i, j = np.asarray(projection.i), np.asarray(projection.j)
        if projection.source in new_index:
            alive = synapse_mask[offset:offset + i.size]
            offset += i.size
            alive = alive & (new_index[projection.source][i] >= 0) & (new_index[projection.target][j] >= 0)
            i = new_index[projection.source][i[alive]]
        else:
            alive = new_index[projection.target][j] >= 0
            i = i[alive]
        j = new_index[projection.target][j[alive]]
        if i.size == 0:
            continue  # Brian2 cannot connect an empty projection; it has no effect anyway
        projections.append(Projection(projection.name, projection.source, projection.target, projection.synapse, i, j))
    populations = tuple(replace(p, n_neurons=int(kept[p.name].size)) for p in spec.populations)
    return NetworkSpec(populations=populations, projections=tuple(projections), inputs=spec.inputs, dt=spec.dt,
                       shared_constants=spec.shared_constants, structure_seed=spec.structure_seed)
