"""HDF5 files of :class:`~hetero_brian.results.records.SimulationResult`: one file per run, written atomically.

Layout:

* ``spikes``: the SONATA spike layout, readable by other tools (libsonata, bmtk, NEST's SONATA
  reader): ``/spikes/<population>/node_ids`` (uint64) and ``/timestamps`` (float64, seconds) with the
  attribute ``units = "s"``, and the group attribute ``sorting``, an HDF5 enum
  ``{none: 0, by_id: 1, by_time: 2}`` (int8, libsonata's type) saying how the spikes were written
  (``by_time`` when the timestamps are non-decreasing, else ``none``); ``n_neurons`` is our own
  group attribute. SONATA's default time unit is *milliseconds*: a tool that ignores ``units``
  reads our seconds as milliseconds, so ``units`` is always written and readers must honour it;
* ``synapses``: ``/synapses/<name>/{i, j, w, <extra>...}``, attributes ``source`` and ``target``;
* ``traces``: ``/traces/<name>/{times, indices, values}``, attributes ``owner``, ``variable``,
  ``units``;
* ``populations``: ``/populations/<name>/<parameter>`` (attribute ``units``), attribute
  ``n_neurons``;
* ``provenance`` and ``metrics``: JSON strings in root attributes.

Root attributes ``format = "hetero_brian.results"``, ``format_version = 2`` and ``status``;
version 1 files (int64 ``node_ids``, ``sorting`` a string) still load;
``status`` becomes ``"complete"`` only after everything else is written. :func:`save` goes through
:func:`hetero_brian.results.atomic.write_atomically`, so a killed writer leaves either no file or
the previous complete one.

Examples
--------
>>> import tempfile, os
>>> from hetero_brian.results.records import SimulationResult, SpikeTrains
>>> result = SimulationResult(spikes={"E": SpikeTrains([0, 1], [0.01, 0.02], n_neurons=4)})
>>> path = os.path.join(tempfile.mkdtemp(), "run.h5")
>>> _ = save(result, path)
>>> load(path) == result
True
"""

import json
import shutil
from pathlib import Path

import h5py
import numpy as np

from hetero_brian.errors import ResultsError
from hetero_brian.results._common import _json_default
from hetero_brian.results.atomic import write_atomically
from hetero_brian.results.records import PopulationRecord, SimulationResult, SpikeTrains, SynapseTable, Trace

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "save", "load", "estimate_size"]

FORMAT_NAME = "hetero_brian.results"
FORMAT_VERSION = 2
#: SONATA's ``sorting`` enum, with libsonata's int8 base type (``SpikeReader::Population::Sorting``).
SORTING_TYPE = h5py.enum_dtype({"none": 0, "by_id": 1, "by_time": 2}, basetype="i1")
SORTING_CODES = {"none": 0, "by_id": 1, "by_time": 2}
_COMPRESS_MIN_ELEMENTS = 1 << 14


def estimate_size(result):
    """Upper bound of the file size in bytes: array bytes + JSON + ~4 KiB per HDF5 object + 64 KiB."""
    n_bytes, n_objects = 65536, 1
    for spikes in result.spikes.values():
        n_bytes += spikes.node_ids.nbytes + spikes.timestamps.nbytes
        n_objects += 3
    for table in result.synapses.values():
        n_bytes += (
            table.i.nbytes + table.j.nbytes + table.w.nbytes + sum(a.nbytes for a in table.extra.values())
        )
        n_objects += 4 + len(table.extra)
    for trace in result.traces.values():
        n_bytes += trace.times.nbytes + trace.indices.nbytes + trace.values.nbytes
        n_objects += 4
    for population in result.populations.values():
        n_bytes += sum(a.nbytes for a in population.parameters.values())
        n_objects += 1 + len(population.parameters)
    n_bytes += 4 * len(json.dumps(result.provenance)) + 4 * len(json.dumps(result.metrics))
    return n_bytes + 4096 * n_objects


def _write_array(group, name, array, compression, units=None):
    options = {}
    if compression and array.size >= _COMPRESS_MIN_ELEMENTS:
        options = {"compression": "gzip", "compression_opts": 4, "shuffle": True}
    dataset = group.create_dataset(name, data=array, **options)
    if units is not None:
        dataset.attrs["units"] = units
    return dataset


def _write(handle, result, compression):
    handle.attrs["format"] = FORMAT_NAME
    handle.attrs["format_version"] = FORMAT_VERSION
    handle.attrs["status"] = "writing"
    for section in ("spikes", "synapses", "traces", "populations"):
        handle.create_group(section, track_order=True)
    for name, spikes in result.spikes.items():
        group = handle["spikes"].create_group(name)
        group.attrs["n_neurons"] = spikes.n_neurons
        ordered = bool(np.all(np.diff(spikes.timestamps) >= 0))
        group.attrs.create("sorting", SORTING_CODES["by_time" if ordered else "none"], dtype=SORTING_TYPE)
        _write_array(group, "node_ids", spikes.node_ids.astype(np.uint64), compression)  # SONATA: uint64
        _write_array(group, "timestamps", spikes.timestamps, compression, units="s")
    for name, table in result.synapses.items():
        group = handle["synapses"].create_group(name, track_order=True)
        group.attrs["source"], group.attrs["target"] = table.source, table.target
        group.attrs["extra"] = json.dumps(list(table.extra))
        for column, array in [("i", table.i), ("j", table.j), ("w", table.w), *table.extra.items()]:
            _write_array(group, column, array, compression)
    for name, trace in result.traces.items():
        group = handle["traces"].create_group(name)
        group.attrs["owner"], group.attrs["variable"], group.attrs["units"] = (
            trace.owner,
            trace.variable,
            trace.units,
        )
        _write_array(group, "times", trace.times, compression, units="s")
        _write_array(group, "indices", trace.indices, compression)
        _write_array(group, "values", trace.values, compression, units=trace.units)
    for name, population in result.populations.items():
        group = handle["populations"].create_group(name, track_order=True)
        group.attrs["n_neurons"] = population.n_neurons
        group.attrs["units"] = json.dumps(population.units)
        for parameter, array in population.parameters.items():
            _write_array(group, parameter, array, compression, units=population.units.get(parameter, "1"))
    handle.attrs["provenance"] = json.dumps(result.provenance, default=_json_default)
    handle.attrs["metrics"] = json.dumps(result.metrics)
    handle.flush()
    handle.attrs["status"] = "complete"


def save(result, path, overwrite=False, compression=None):
    """Write ``result`` to ``path`` (HDF5) atomically.

    Parameters
    ----------
    result : SimulationResult
    path : str or path-like
        Target file; its directory must exist.
    overwrite : bool
        Replace an existing file. The old file is kept as ``<name>.old-<timestamp>`` (a hard link
        made before the atomic rename, so ``path`` always names a complete file).
    compression : None or "gzip"
        gzip (level 4, with shuffle) for arrays of at least 16384 elements.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ResultsError
        ``path`` exists and ``overwrite`` is False; the directory is missing; the disk lacks the
        estimated space (the message gives both numbers); or writing failed (no partial file is left).
    """
    if not isinstance(result, SimulationResult):
        raise ValueError(f"result must be a SimulationResult; got {type(result).__name__}")
    if compression not in (None, "gzip"):
        raise ValueError(f"compression must be None or 'gzip'; got {compression!r}")
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise ResultsError(f"cannot save results to '{path}': directory '{directory}' does not exist")
    if path.exists() and not overwrite:
        raise ResultsError(
            f"results file '{path}' already exists; pass overwrite=True (--overwrite) to replace it"
        )
    needed = estimate_size(result)
    free = shutil.disk_usage(directory).free
    if needed > free:
        raise ResultsError(
            f"not enough disk space to save '{path}': about {needed / 1e6:.1f} MB needed, "
            f"{free / 1e6:.1f} MB free in '{directory}'"
        )
    def write(temporary):
        with h5py.File(temporary, "w-", libver=("v108", "latest"), track_order=True) as handle:
            _write(handle, result, compression)

    try:
        write_atomically(path, write, "keep-previous" if overwrite else "refuse")
    except OSError as error:
        raise ResultsError(f"could not write results file '{path}': {error}") from error
    return path


def _read_json_attribute(handle, name, path):
    try:
        return json.loads(handle.attrs.get(name, "{}"))
    except (TypeError, ValueError) as error:
        raise ResultsError(
            f"results file '{path}' is corrupt: attribute {name!r} is not valid JSON"
        ) from error


def _read(handle, path):
    result = SimulationResult()
    for name, group in handle.get("spikes", {}).items():
        node_ids = group["node_ids"][()]  # uint64 (version 2) or int64 (version 1)
        if node_ids.size and node_ids.max() > np.iinfo(np.int64).max:
            raise ResultsError(f"results file '{path}' is corrupt: spikes/{name}/node_ids exceed 2**63")
        result.spikes[name] = SpikeTrains(node_ids.astype(np.int64), group["timestamps"][()],
                                          int(group.attrs["n_neurons"]))
    for name, group in handle.get("synapses", {}).items():
        extra = {key: group[key][()] for key in json.loads(group.attrs.get("extra", "[]"))}
        result.synapses[name] = SynapseTable(
            str(group.attrs["source"]),
            str(group.attrs["target"]),
            group["i"][()],
            group["j"][()],
            group["w"][()],
            extra,
        )
    for name, group in handle.get("traces", {}).items():
        result.traces[name] = Trace(
            str(group.attrs["owner"]),
            str(group.attrs["variable"]),
            str(group.attrs["units"]),
            group["times"][()],
            group["indices"][()],
            group["values"][()],
        )
    for name, group in handle.get("populations", {}).items():
        parameters = {key: dataset[()] for key, dataset in group.items()}
        units = json.loads(group.attrs.get("units", "{}"))
        result.populations[name] = PopulationRecord(int(group.attrs["n_neurons"]), parameters, units)
    result.provenance = _read_json_attribute(handle, "provenance", path)
    result.metrics = {
        key: float(value) for key, value in _read_json_attribute(handle, "metrics", path).items()
    }
    return result


def load(path):
    """Read a results file written by :func:`save`.

    Raises
    ------
    ResultsError
        The file is missing, not HDF5, truncated or corrupt, written by another program (no or
        another ``format`` attribute), by a newer format version, or not finished
        (``status != "complete"``: the writer was killed). The message names the path and the reason.
    """
    path = Path(path)
    if not path.exists():
        raise ResultsError(f"cannot load results file '{path}': it does not exist")
    if not path.is_file():
        raise ResultsError(f"cannot load results file '{path}': it is not a regular file")
    if not h5py.is_hdf5(path):
        raise ResultsError(f"cannot load results file '{path}': not an HDF5 file (corrupt or another format)")
    try:
        with h5py.File(path, "r") as handle:
            file_format = handle.attrs.get("format")
            if file_format != FORMAT_NAME:
                raise ResultsError(
                    f"cannot load results file '{path}': an HDF5 file but not a hetero_brian results file "
                    f"(format attribute {file_format!r}, expected {FORMAT_NAME!r})"
                )
            version = handle.attrs.get("format_version")
            if version is None or int(version) > FORMAT_VERSION:
                raise ResultsError(
                    f"cannot load results file '{path}': format_version {version!r} is not supported "
                    f"(this hetero_brian reads versions up to {FORMAT_VERSION})"
                )
            status = handle.attrs.get("status")
            if status != "complete":
                raise ResultsError(
                    f"cannot load results file '{path}': status is {status!r}, not 'complete' "
                    "(the writer did not finish: killed or crashed)"
                )
            return _read(handle, path)
    except ResultsError:
        raise
    except (OSError, KeyError, ValueError, TypeError, RuntimeError) as error:
        raise ResultsError(f"cannot load results file '{path}': corrupt or truncated ({error})") from error
