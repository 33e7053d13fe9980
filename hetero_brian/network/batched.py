"""K independent copies of a network spec as one spec (block-diagonal), and results split back.

Copy ``k`` of a population of ``N`` neurons holds neurons ``k N ... (k + 1) N - 1`` of the batched
population; copy ``k``'s synapses of a projection are one contiguous block, in the order of that
copy's ``(i, j)`` arrays, with the copy's index offsets added. No synapse crosses copies, so each
copy's neurons receive exactly the events, in the same order, that a single run of that copy
delivers: a batched run reproduces the single runs bit for bit, given the same parameters and the
same input spikes.

Which inputs are equal per copy
-------------------------------
- :class:`~hetero_brian.network.spec.SpikeInput` and
  :class:`~hetero_brian.network.spec.RasterInput`: spikes fixed host-side, equal to single runs.
- :class:`~hetero_brian.network.spec.PoissonInput` and
  :class:`~hetero_brian.network.spec.RateInput` (and any device noise): drawn on the device from one
  generator for the whole batch, so each copy's spikes differ from its single run (same statistics,
  not the same numbers). Draw such input host-side (a ``RasterInput``) where equality matters.

Per-copy parameters come from each copy's own seed stream (:func:`batch_parameters`). A parameter
declared as one shared value (``Constant`` distribution with ``shared_constants=True``) must be
equal in every copy; build with ``shared_constants=False`` to vary it per copy.
"""
from dataclasses import dataclass, replace

import numpy as np
from brian2 import Quantity

from ..errors import ConfigError
from ..results.records import PopulationRecord, SimulationResult, SpikeTrains, SynapseTable, Trace
from .spec import NetworkSpec, PoissonInput, Population, RasterInput, RateInput, SpikeInput

#: Input types whose spikes are drawn host-side: batched runs equal single runs exactly.
EXACT_INPUTS = (SpikeInput, RasterInput)


@dataclass(frozen=True)
class BatchLayout:
    """Where each copy lives in a batched spec.

    Attributes
    ----------
    n_copies : int
    sizes : dict of str -> int
        Neurons per copy of every population and input.
    synapse_offsets : dict of str -> tuple of int
        Per projection, the ``n_copies + 1`` boundaries of the copies' synapse blocks.
    """

    n_copies: int
    sizes: dict
    synapse_offsets: dict

    def neuron_slice(self, name, copy):
        size = self.sizes[name]
        return slice(copy * size, (copy + 1) * size)

    def synapse_slice(self, name, copy):
        offsets = self.synapse_offsets[name]
        return slice(offsets[copy], offsets[copy + 1])


def _structure(spec):
    """What must be equal between copies: names, kinds, sizes, models and the time step."""
    description = spec.describe()
    for projection in description["projections"]:
        projection.pop("n_synapses")  # connectivity may differ per copy (its own structure seed)
    return description


def batch_specs(specs):
    """One spec holding ``specs`` (K copies of one structure) side by side.

    Parameters
    ----------
    specs : sequence of NetworkSpec
        The copies: same populations, inputs and projections (names, sizes, models), each with its
        own connectivity and input values.

    Returns
    -------
    (NetworkSpec, BatchLayout)

    Raises
    ------
    ConfigError
        When the copies differ in structure, or an input type cannot be batched.
    """
    specs = list(specs)
    if not specs:
        raise ConfigError("batch_specs needs at least one spec")
    first = specs[0]
    for index, spec in enumerate(specs[1:], start=1):
        if _structure(spec) != _structure(first):
            raise ConfigError(f"copy {index} differs from copy 0 in its populations, inputs, projections, models or "
                              "dt; batched copies share one structure (connectivity and values may differ)")
    n_copies = len(specs)
    populations = tuple(Population(p.name, p.n_neurons * n_copies, p.model) for p in first.populations)
    inputs = tuple(_batch_input([spec.inputs[k] for spec in specs]) for k in range(len(first.inputs)))
    sizes = {item.name: int(item.n_neurons) for item in (*first.populations, *first.inputs)}
    projections, synapse_offsets = [], {}
    for k, projection in enumerate(first.projections):
        copies = [spec.projections[k] for spec in specs]
        i = np.concatenate([np.asarray(c.i, dtype=np.int64) + copy * sizes[projection.source] for copy, c in enumerate(copies)])
        j = np.concatenate([np.asarray(c.j, dtype=np.int64) + copy * sizes[projection.target] for copy, c in enumerate(copies)])
        projections.append(replace(projection, i=i, j=j))
        synapse_offsets[projection.name] = tuple(int(v) for v in np.cumsum([0] + [c.n_synapses for c in copies]))
    spec = NetworkSpec(populations=populations, projections=tuple(projections), inputs=inputs, dt=first.dt,
                       shared_constants=first.shared_constants)
    return spec, BatchLayout(n_copies, sizes, synapse_offsets)


def _batch_input(copies):
    first = copies[0]
    if isinstance(first, SpikeInput):
        size = first.n_neurons
        indices = np.concatenate([np.asarray(c.indices, dtype=np.int64) + k * size for k, c in enumerate(copies)])
        times = np.concatenate([np.asarray(c.times, dtype=float) for c in copies])
        return SpikeInput(first.name, size * len(copies), indices, Quantity(times, dim=first.times.dim))
    if isinstance(first, RasterInput):
        return RasterInput(first.name, np.concatenate([np.asarray(c.raster) for c in copies], axis=1), first.dt)
    if isinstance(first, RateInput):
        return RateInput(first.name, np.concatenate([np.asarray(c.rates, dtype=float) for c in copies], axis=1),
                         first.row_duration)
    if isinstance(first, PoissonInput):
        rates = [np.broadcast_to(np.asarray(c.rate, dtype=float), (c.n_neurons,)) for c in copies]
        return PoissonInput(first.name, first.n_neurons * len(copies), Quantity(np.concatenate(rates), dim=first.rate.dim))
    raise ConfigError(f"input {first.name!r} of type {type(first).__name__} cannot be batched")


def batch_parameters(sampled_copies):
    """Concatenate per-copy sampled parameters (``owner -> name -> array``) in copy order."""
    batched = {}
    for owner, values in sampled_copies[0].items():
        batched[owner] = {}
        for name, value in values.items():
            parts = [np.asarray(copy[owner][name], dtype=float) for copy in sampled_copies]
            batched[owner][name] = Quantity(np.concatenate(parts), dim=getattr(value, "dim", None))
    return batched


def batch_inputs(inputs_copies):
    """Concatenate per-copy run inputs (``name -> raster or rates``, time x channels) along channels."""
    names = set(inputs_copies[0])
    if any(set(inputs) != names for inputs in inputs_copies):
        raise ConfigError("every copy must give the same inputs (the same names)")
    return {name: np.concatenate([np.asarray(inputs[name]) for inputs in inputs_copies], axis=1) for name in names}


def split_result(result, layout, spec):
    """The per-copy results of a batched run (``spec``: the batched spec).

    Spikes, synapse tables (final weights and per-synapse parameters), populations and traces are
    split by copy and re-indexed from 0; provenance is copied with ``batch_copy`` and
    ``batch_size`` added.
    """
    kinds = {p.name: "population" for p in (*spec.populations, *spec.inputs)}
    kinds.update({p.name: "projection" for p in spec.projections})
    return [_copy_of(result, layout, kinds, copy) for copy in range(layout.n_copies)]


def _copy_of(result, layout, kinds, copy):
    spikes = {}
    for name, trains in result.spikes.items():
        part = layout.neuron_slice(name, copy)
        keep = (trains.node_ids >= part.start) & (trains.node_ids < part.stop)
        spikes[name] = SpikeTrains(trains.node_ids[keep] - part.start, trains.timestamps[keep], layout.sizes[name])
    synapses = {}
    for name, table in result.synapses.items():
        part = layout.synapse_slice(name, copy)
        source, target = layout.neuron_slice(table.source, copy), layout.neuron_slice(table.target, copy)
        synapses[name] = SynapseTable(table.source, table.target, table.i[part] - source.start, table.j[part] - target.start,
                                      table.w[part], {key: np.asarray(value)[part] for key, value in table.extra.items()})
    populations = {name: PopulationRecord(layout.sizes[name],
                                          {key: np.asarray(value)[layout.neuron_slice(name, copy)]
                                           for key, value in record.parameters.items()}, dict(record.units))
                   for name, record in result.populations.items()}
    traces = {}
    for key, trace in result.traces.items():
        part = layout.neuron_slice(trace.owner, copy) if kinds[trace.owner] == "population" \
            else layout.synapse_slice(trace.owner, copy)
        keep = (trace.indices >= part.start) & (trace.indices < part.stop)
        traces[key] = Trace(trace.owner, trace.variable, trace.units, trace.times, trace.indices[keep] - part.start,
                            trace.values[:, keep])
    provenance = dict(result.provenance, batch_copy=copy, batch_size=layout.n_copies)
    return SimulationResult(spikes=spikes, synapses=synapses, traces=traces, populations=populations,
                            provenance=provenance, metrics={})

