"""Synaptic operations and energy per inference of a spiking network against equivalent RNNs.

A spiking network pays one accumulate (AC) per synaptic event: every spike of a presynaptic neuron
is delivered to each of its outgoing synapses (its fan-out). A conventional recurrent network pays
one multiply-accumulate (MAC) per weight per time step. Energies use the 45 nm figures of Horowitz
(2014) for 32-bit floating point: ``E_AC = 0.9 pJ`` (add) and ``E_MAC = 4.6 pJ`` (multiply 3.7 pJ +
add 0.9 pJ), as in the comparison of Yin, Corradi & Bohte (2020, 2021). All energies are in joules.

Examples
--------
Neuron 0 projects to two targets, neuron 1 to one; spikes of 0, 1, 0 cost 2 + 1 + 2 SOPs:

>>> fan_out([0, 0, 1], 2)
array([2, 1])
>>> from hetero_brian.results import SpikeTrains
>>> synaptic_operations(SpikeTrains(node_ids=[0, 1, 0], timestamps=[0.0, 0.1, 0.2], n_neurons=2), [0, 0, 1])
5
>>> float(snn_energy(5))  # 5 x 0.9 pJ
4.5e-12
>>> rnn_macs(n_inputs=2, hidden_sizes=3, n_steps=10)  # 10 x 3 x (2 + 3)
150

Per-sample energies of a saved result: ``snn_energy(synaptic_operations_from_result(result,
sample_boundaries=boundaries).total)``.

References
----------
Horowitz (2014), "Computing's energy problem (and what we can do about it)", IEEE ISSCC, 10-14.
Yin, Corradi & Bohte (2020), arXiv:2005.11633; Nature Machine Intelligence 3:905-913 (2021).
"""
from dataclasses import dataclass

import numpy as np

from hetero_brian.analysis._spike_checks import _spike_trains
from hetero_brian.units import to_si
from hetero_brian.errors import ResultsError

__all__ = [
    "ENERGY_PER_AC", "ENERGY_PER_MAC", "fan_out", "synaptic_operations",
    "synaptic_operations_per_sample", "snn_energy", "recurrent_macs", "rnn_macs", "lstm_macs",
    "gru_macs", "mac_energy", "energy_comparison", "SynapticOperations",
    "synaptic_operations_from_result",
]

ENERGY_PER_AC = 0.9e-12   # J, 32-bit float add, 45 nm (Horowitz 2014)
ENERGY_PER_MAC = 4.6e-12  # J, 32-bit float multiply + add, 45 nm (Horowitz 2014)

# gates (weight matrices acting on [x, h]) and elementwise operations per hidden unit and step
_CELLS = {
    # Elman: h = tanh(W x + U h + b): 1 gate; elementwise: 1 bias add
    "rnn": (1, 1),
    # LSTM: i, f, g, o gates; elementwise: 4 bias adds, c = f*c + i*g (2), h = o*tanh(c) (1)
    "lstm": (4, 7),
    # GRU: r, z, n gates; elementwise: 3 bias adds, r*(U_n h) (1), h = (1-z)*n + z*h (2)
    "gru": (3, 6),
}


def _energy(value, name):
    value = float(to_si(value, "joule", name))
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite energy >= 0 J; got {value} J")
    return value


def _indices(values, name):
    values = np.asarray(values)
    if values.ndim != 1 or (values.size and not np.issubdtype(values.dtype, np.integer)):
        raise ValueError(f"{name} must be a 1-D integer array; got dtype {values.dtype}, "
                         f"shape {values.shape}")
    return values.astype(np.int64, copy=False)


def fan_out(presynaptic_indices, n_neurons, mask=None):
    """Number of outgoing synapses of each presynaptic neuron.

    Parameters
    ----------
    presynaptic_indices : array_like of int, shape (n_synapses,)
        The ``i`` column of a synapse table.
    n_neurons : int
        Size of the presynaptic population.
    mask : array_like of bool, shape (n_synapses,), optional
        Synapses to count (e.g. those kept after pruning); default all.

    Returns
    -------
    ndarray of int, shape (n_neurons,)
    """
    indices = _indices(presynaptic_indices, "presynaptic_indices")
    if indices.size and (indices.min() < 0 or indices.max() >= n_neurons):
        raise ValueError(f"presynaptic_indices must lie in [0, n_neurons={n_neurons}); got "
                         f"[{indices.min()}, {indices.max()}]")
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != indices.shape:
            raise ValueError(f"mask must have the shape of presynaptic_indices {indices.shape}; "
                             f"got {mask.shape}")
        indices = indices[mask]
    return np.bincount(indices, minlength=int(n_neurons))


def synaptic_operations(spikes, presynaptic_indices, mask=None):
    """Total synaptic operations: ``SOPs = sum over spikes of the spiking neuron's fan-out``.

    Parameters
    ----------
    spikes : SpikeTrains
        Spikes of the presynaptic population (restrict them to the window of interest first); its
        ``n_neurons`` is the size of that population.
    presynaptic_indices, mask
        As in :func:`fan_out`.

    Returns
    -------
    int
    """
    spikes = _spike_trains(spikes)
    return _synaptic_operations(spikes.node_ids, presynaptic_indices, spikes.n_neurons, mask)


def _synaptic_operations(node_ids, presynaptic_indices, n_neurons, mask):
    """Array core of :func:`synaptic_operations`."""
    node_ids = _indices(node_ids, "node_ids")
    fan = fan_out(presynaptic_indices, n_neurons, mask)
    if node_ids.size and (node_ids.min() < 0 or node_ids.max() >= fan.size):
        raise ValueError(f"node_ids must lie in [0, n_neurons={fan.size}); got "
                         f"[{node_ids.min()}, {node_ids.max()}]")
    return int(fan[node_ids].sum())


def synaptic_operations_per_sample(spikes, presynaptic_indices, sample_boundaries, mask=None):
    """Synaptic operations in each sample ``[sample_boundaries[s], sample_boundaries[s + 1])``.

    Parameters
    ----------
    spikes : SpikeTrains
        Spikes of the presynaptic population (times in s).
    presynaptic_indices, mask
        As in :func:`fan_out`.
    sample_boundaries : array_like of float, shape (n_samples + 1,)
        Strictly increasing, in seconds.

    Returns
    -------
    ndarray of int, shape (n_samples,)
    """
    spikes = _spike_trains(spikes)
    return _synaptic_operations_per_sample(spikes.node_ids, spikes.timestamps, presynaptic_indices,
                                           spikes.n_neurons, sample_boundaries, mask)


def _synaptic_operations_per_sample(node_ids, timestamps, presynaptic_indices, n_neurons, sample_boundaries,
                                    mask):
    """Array core of :func:`synaptic_operations_per_sample`."""
    node_ids = _indices(node_ids, "node_ids")
    timestamps = to_si(timestamps, "second", "timestamps").ravel()
    boundaries = to_si(sample_boundaries, "second", "sample_boundaries").ravel()
    if timestamps.shape != node_ids.shape:
        raise ValueError(f"timestamps and node_ids must have equal length; got "
                         f"{timestamps.size} and {node_ids.size}")
    if boundaries.size < 2 or not np.all(np.diff(boundaries) > 0):
        raise ValueError("sample_boundaries must be >= 2 strictly increasing times; got "
                         f"{boundaries[:5]}")
    fan = fan_out(presynaptic_indices, n_neurons, mask)
    sample = np.searchsorted(boundaries, timestamps, side="right") - 1
    keep = (sample >= 0) & (sample < boundaries.size - 1)
    if node_ids.size and (node_ids.min() < 0 or node_ids.max() >= fan.size):
        raise ValueError(f"node_ids must lie in [0, n_neurons={fan.size}); got "
                         f"[{node_ids.min()}, {node_ids.max()}]")
    sops = np.bincount(sample[keep], fan[node_ids[keep]], minlength=boundaries.size - 1)
    return np.rint(sops).astype(np.int64)


def snn_energy(synaptic_operations, energy_per_ac=ENERGY_PER_AC, neuron_updates=0,
               energy_per_neuron_update=ENERGY_PER_MAC):
    """Energy of a spiking network in joules.

    Notes
    -----
    ``E = SOPs * E_AC + neuron_updates * E_update``. By default only synaptic operations are
    counted, as in Yin et al.; set ``neuron_updates = n_neurons * n_steps`` to charge one MAC for
    each neuron's state update per time step as well (an assumption, off by default).
    """
    if np.any(np.asarray(synaptic_operations) < 0) or np.any(np.asarray(neuron_updates) < 0):
        raise ValueError(f"synaptic_operations and neuron_updates must be >= 0; got "
                         f"{synaptic_operations!r}, {neuron_updates!r}")
    return (np.asarray(synaptic_operations, dtype=float) * _energy(energy_per_ac, "energy_per_ac")
            + np.asarray(neuron_updates, dtype=float)
            * _energy(energy_per_neuron_update, "energy_per_neuron_update"))


def recurrent_macs(cell, n_inputs, hidden_sizes, n_steps, n_outputs=0,
                   count_bias_and_elementwise=False):
    """Multiply-accumulate count of a (stacked) RNN, LSTM or GRU run for ``n_steps`` steps.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
        Elman RNN, LSTM (Hochreiter & Schmidhuber 1997) or GRU (Cho et al. 2014).
    n_inputs : int
        Input size of the first layer.
    hidden_sizes : int or sequence of int
        Hidden size of each stacked recurrent layer (layer l takes layer l-1's output).
    n_steps : int
        Number of time steps of one inference.
    n_outputs : int
        Size of a dense readout applied at every step on the last layer (0: no readout).
    count_bias_and_elementwise : bool
        Also count bias additions and elementwise products, one MAC each (default False).

    Returns
    -------
    int
        MACs of one inference.

    Notes
    -----
    Per step, a layer with input size ``n`` and hidden size ``h`` and ``g`` gates costs
    ``g h (n + h)`` MACs for its input and recurrent matrix products; ``g = 1`` (RNN), 4 (LSTM),
    3 (GRU). With ``count_bias_and_elementwise`` it adds ``e h``: ``e = 1`` (RNN: bias),
    7 (LSTM: 4 biases, ``f*c + i*g``, ``o*tanh(c)``), 6 (GRU: 3 biases, ``r*(U h)``,
    ``(1 - z)*n + z*h``), one bias per gate (PyTorch keeps two per gate, input and recurrent,
    which would add ``g h`` more). Nonlinearities (sigmoid, tanh) are never counted. The readout
    costs
    ``n_outputs h_last`` per step (+ ``n_outputs`` biases). Total = per-step sum x ``n_steps``.
    """
    if cell not in _CELLS:
        raise ValueError(f"cell must be one of {sorted(_CELLS)}; got {cell!r}")
    sizes = [int(hidden_sizes)] if np.ndim(hidden_sizes) == 0 else [int(h) for h in hidden_sizes]
    for name, value in (("n_inputs", n_inputs), ("n_steps", n_steps)):
        if int(value) < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    if not sizes or min(sizes) < 1 or int(n_outputs) < 0:
        raise ValueError(f"hidden_sizes must be positive and n_outputs >= 0; got "
                         f"hidden_sizes={hidden_sizes!r}, n_outputs={n_outputs!r}")
    gates, elementwise = _CELLS[cell]
    per_step, previous = 0, int(n_inputs)
    for hidden in sizes:
        per_step += gates * hidden * (previous + hidden)
        if count_bias_and_elementwise:
            per_step += elementwise * hidden
        previous = hidden
    per_step += int(n_outputs) * previous
    if count_bias_and_elementwise:
        per_step += int(n_outputs)
    return per_step * int(n_steps)


def rnn_macs(n_inputs, hidden_sizes, n_steps, n_outputs=0, count_bias_and_elementwise=False):
    """MACs of an Elman RNN; see :func:`recurrent_macs`."""
    return recurrent_macs("rnn", n_inputs, hidden_sizes, n_steps, n_outputs,
                          count_bias_and_elementwise)


def lstm_macs(n_inputs, hidden_sizes, n_steps, n_outputs=0, count_bias_and_elementwise=False):
    """MACs of an LSTM; see :func:`recurrent_macs`."""
    return recurrent_macs("lstm", n_inputs, hidden_sizes, n_steps, n_outputs,
                          count_bias_and_elementwise)


def gru_macs(n_inputs, hidden_sizes, n_steps, n_outputs=0, count_bias_and_elementwise=False):
    """MACs of a GRU; see :func:`recurrent_macs`."""
    return recurrent_macs("gru", n_inputs, hidden_sizes, n_steps, n_outputs,
                          count_bias_and_elementwise)


def mac_energy(n_macs, energy_per_mac=ENERGY_PER_MAC):
    """Energy ``n_macs * E_MAC`` in joules."""
    if np.any(np.asarray(n_macs) < 0):
        raise ValueError(f"n_macs must be >= 0; got {n_macs!r}")
    return np.asarray(n_macs, dtype=float) * _energy(energy_per_mac, "energy_per_mac")


def energy_comparison(synaptic_operations_per_inference, n_inputs, hidden_sizes, n_steps,
                      n_outputs=0, energy_per_ac=ENERGY_PER_AC, energy_per_mac=ENERGY_PER_MAC,
                      count_bias_and_elementwise=False):
    """Energy per inference (J) of the SNN and of RNN, LSTM and GRU of the same sizes and steps.

    Returns
    -------
    dict
        ``{"SNN": ..., "RNN": ..., "LSTM": ..., "GRU": ...}`` in joules.
    """
    energies = {"SNN": float(snn_energy(synaptic_operations_per_inference, energy_per_ac))}
    for cell in ("rnn", "lstm", "gru"):
        macs = recurrent_macs(cell, n_inputs, hidden_sizes, n_steps, n_outputs,
                              count_bias_and_elementwise)
        energies[cell.upper()] = float(mac_energy(macs, energy_per_mac))
    return energies


@dataclass(frozen=True)
class SynapticOperations:
    """SOPs of a result: per synapse table, per source population and in total.

    Values are ints, or arrays of shape (n_samples,) when sample boundaries were given.
    """

    by_synapses: dict
    by_population: dict
    total: object


def synaptic_operations_from_result(result, synapse_names=None, sample_boundaries=None,
                                    use_mask=True):
    """Synaptic operations of a :class:`hetero_brian.results.SimulationResult`.

    Reads ``result.synapses[name].i`` / ``.source`` (and ``.extra["mask"]`` when present and
    ``use_mask``) and ``result.spikes[source].node_ids`` / ``.timestamps`` / ``.n_neurons``.

    Parameters
    ----------
    synapse_names : sequence of str, optional
        Synapse tables to count; default every table whose source population has recorded spikes.
    sample_boundaries : array_like of float, optional
        Sample boundaries in seconds, for SOPs per sample.

    Raises
    ------
    hetero_brian.errors.ResultsError
        If the result has no synapse tables, a named table is missing, or its source population's
        spikes were not recorded.
    """
    synapses = getattr(result, "synapses", None) or {}
    spikes = getattr(result, "spikes", None) or {}
    if not synapses:
        raise ResultsError("synaptic operations need the connectivity, but this result has no "
                           "synapse tables (result.synapses is empty); save the synapses "
                           "(i, j, w) when simulating")
    if synapse_names is None:
        names = [name for name, table in synapses.items() if table.source in spikes]
        if not names:
            raise ResultsError(f"no synapse table has a source population with recorded spikes; "
                               f"tables {sorted(synapses)} have sources "
                               f"{sorted({t.source for t in synapses.values()})}, spikes were "
                               f"recorded for {sorted(spikes)}")
    else:
        names = list(synapse_names)
    by_synapses, by_population = {}, {}
    for name in names:
        if name not in synapses:
            raise ResultsError(f"synapse table {name!r} is not in the result; available: "
                               f"{sorted(synapses)}")
        table = synapses[name]
        if table.source not in spikes:
            raise ResultsError(f"spikes of population {table.source!r} (the source of synapse "
                               f"table {name!r}) were not recorded; recorded: {sorted(spikes)}")
        trains = spikes[table.source]
        extra = getattr(table, "extra", None) or {}
        mask = extra.get("mask") if use_mask else None
        if sample_boundaries is None:
            value = _synaptic_operations(trains.node_ids, table.i, trains.n_neurons, mask)
        else:
            value = _synaptic_operations_per_sample(trains.node_ids, trains.timestamps, table.i,
                                                    trains.n_neurons, sample_boundaries, mask)
        by_synapses[name] = value
        by_population[table.source] = by_population.get(table.source, 0) + value
    total = sum(by_synapses.values())
    return SynapticOperations(by_synapses, by_population, total)
