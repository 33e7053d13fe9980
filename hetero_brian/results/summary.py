"""A human-readable summary of a :class:`~hetero_brian.results.records.SimulationResult` (``hetero-brian info``).

Examples
--------
>>> from hetero_brian.results.records import SimulationResult, SpikeTrains
>>> print(summary(SimulationResult(spikes={"E": SpikeTrains([0], [0.5], n_neurons=2)})))
populations (1):
  E: 2 neurons, 1 spikes
synapses (0):
traces (0):
"""

import json

from hetero_brian.results._common import _json_default

__all__ = ["summary"]


def summary(result):
    """Human-readable summary: populations, spike counts and mean rates, synapses, traces,
    metrics and provenance (one line each)."""
    provenance = result.provenance
    duration = None
    if isinstance(provenance.get("t_start"), (int, float)) and isinstance(
        provenance.get("t_stop"), (int, float)
    ):
        duration = provenance["t_stop"] - provenance["t_start"]
    lines = []
    names = list(dict.fromkeys([*result.populations, *result.spikes]))
    lines.append(f"populations ({len(names)}):")
    for name in names:
        n_neurons = (
            result.populations[name].n_neurons
            if name in result.populations
            else result.spikes[name].n_neurons
        )
        text = f"  {name}: {n_neurons} neurons"
        if name in result.spikes:
            n_spikes = result.spikes[name].node_ids.size
            text += f", {n_spikes} spikes"
            if duration and duration > 0 and n_neurons > 0:
                text += f", mean rate {n_spikes / n_neurons / duration:.3g} Hz"
        if name in result.populations and result.populations[name].parameters:
            text += f", parameters: {', '.join(result.populations[name].parameters)}"
        lines.append(text)
    lines.append(f"synapses ({len(result.synapses)}):")
    for name, table in result.synapses.items():
        extra = f" (+ {', '.join(table.extra)})" if table.extra else ""
        lines.append(f"  {name}: {table.source} -> {table.target}, {table.i.size} synapses{extra}")
    lines.append(f"traces ({len(result.traces)}):")
    for name, trace in result.traces.items():
        lines.append(
            f"  {name}: {trace.owner}.{trace.variable} [{trace.units}], "
            f"{trace.times.size} samples x {trace.indices.size}"
        )
    if result.metrics:
        lines.append("metrics:")
        lines.extend(f"  {key}: {value:.6g}" for key, value in result.metrics.items())
    if provenance:
        lines.append("provenance:")
        for key, value in provenance.items():
            text = json.dumps(value, default=_json_default)
            lines.append(f"  {key}: {text if len(text) <= 100 else text[:97] + '...'}")
    return "\n".join(lines)
