"""Export of a :class:`~hetero_brian.results.records.SimulationResult` to an NWB 2 file.

Needs the optional package ``pynwb`` (``pip install hetero_brian[nwb]``), imported only when
:func:`to_nwb` is called.
"""

import json
from pathlib import Path

import numpy as np

from hetero_brian.errors import ResultsError
from hetero_brian.results._common import _json_default

__all__ = ["to_nwb"]


def to_nwb(result, path, session_description="hetero_brian simulation", overwrite=False):
    """Export a result to an NWB 2 file (needs the optional ``pynwb``: ``pip install hetero_brian[nwb]``).

    Spikes go to the ``units`` table (one row per neuron, a ``population`` column), traces to
    ``TimeSeries`` in ``acquisition``, synapse tables and population parameters to ``DynamicTable``s
    in a ``network`` processing module, provenance to the file's ``notes`` (JSON).
    """
    try:
        import pynwb
        from hdmf.common import DynamicTable, VectorData
    except ImportError as error:
        raise ImportError(
            "NWB export needs the optional package pynwb: "
            "pip install 'hetero_brian[nwb]' (or pip install pynwb)"
        ) from error
    from datetime import datetime, timezone
    import uuid

    path = Path(path)
    if path.exists() and not overwrite:
        raise ResultsError(f"NWB file '{path}' already exists; pass overwrite=True to replace it")
    nwbfile = pynwb.NWBFile(
        session_description=session_description,
        identifier=str(uuid.uuid4()),
        session_start_time=datetime.now(timezone.utc),
        notes=json.dumps(result.provenance, default=_json_default),
    )
    if result.spikes:
        nwbfile.add_unit_column("population", "population the neuron belongs to")
        nwbfile.add_unit_column("node_id", "index of the neuron within its population")
        for name, spikes in result.spikes.items():
            order = np.argsort(spikes.node_ids, kind="stable")
            ids, times = spikes.node_ids[order], spikes.timestamps[order]
            bounds = np.searchsorted(ids, np.arange(spikes.n_neurons + 1))
            for node in range(spikes.n_neurons):
                nwbfile.add_unit(
                    spike_times=np.sort(times[bounds[node] : bounds[node + 1]]), population=name, node_id=node
                )
    for name, trace in result.traces.items():
        nwbfile.add_acquisition(
            pynwb.TimeSeries(
                name=name,
                data=trace.values,
                unit=trace.units,
                timestamps=trace.times,
                description=f"{trace.owner}.{trace.variable} for elements {trace.indices.tolist()[:20]}",
            )
        )
    if result.synapses or result.populations:
        module = nwbfile.create_processing_module("network", "synapse tables and per-neuron parameters")
        tables = [
            (
                f"synapses_{name}",
                f"{table.source} -> {table.target}",
                {"i": table.i, "j": table.j, "w": table.w, **table.extra},
            )
            for name, table in result.synapses.items()
        ] + [
            (f"population_{name}", f"units: {json.dumps(population.units)}", population.parameters)
            for name, population in result.populations.items()
            if population.parameters
        ]
        for name, description, columns in tables:
            vectors = [
                VectorData(name=key, description=key, data=np.asarray(value))
                for key, value in columns.items()
            ]
            module.add(DynamicTable(name=name, description=description, columns=vectors))
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path
