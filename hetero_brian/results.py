"""Saved simulation results: one HDF5 file per run, written atomically.

A :class:`SimulationResult` holds plain SI numpy arrays (no Brian2 objects, and this module never
imports brian2, so ``analysis`` can use it):

* ``spikes``: ``/spikes/<population>/node_ids`` and ``/timestamps`` (attribute ``units = "s"``),
  group attribute ``n_neurons``: the SONATA spike layout, readable by other tools;
* ``synapses``: ``/synapses/<name>/{i, j, w, <extra>...}``, attributes ``source`` and ``target``;
* ``traces``: ``/traces/<name>/{times, indices, values}``, attributes ``owner``, ``variable``,
  ``units``;
* ``populations``: ``/populations/<name>/<parameter>`` (attribute ``units``), attribute
  ``n_neurons``;
* ``provenance`` and ``metrics``: JSON strings in root attributes.

Root attributes ``format = "hetero_brian.results"``, ``format_version = 1`` and ``status``;
``status`` becomes ``"complete"`` only after everything else is written. :func:`save` writes a
temporary file in the target directory, fsyncs it and renames it over the target, so a killed
writer leaves either no file or the previous complete one. Run directories of standalone runs
(manifests, unique subdirectories, locks) live in :mod:`hetero_brian.rundirs` and NWB export in
:mod:`hetero_brian.nwb_export`; both are re-exported here.

Examples
--------
>>> import numpy as np, tempfile, os
>>> result = SimulationResult(spikes={"E": SpikeTrains([0, 1], [0.01, 0.02], n_neurons=4)})
>>> path = os.path.join(tempfile.mkdtemp(), "run.h5")
>>> _ = save(result, path)
>>> load(path) == result
True
"""

import json
import logging
import math
import os
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from hetero_brian._results_common import _check_name, _json_default, _json_normalise
from hetero_brian.errors import ResultsError
from hetero_brian.nwb_export import to_nwb  # noqa: F401  (re-exported)
from hetero_brian.rundirs import (  # noqa: F401  (re-exported: older code imports them from here)
    MANIFEST_NAME,
    OutputDirectory,
    RunManifest,
    directory_lock,
    process_alive,
    read_manifest,
    socket_hostname,
    unique_subdir,
)

__all__ = [
    "SpikeTrains",
    "SynapseTable",
    "Trace",
    "Population",
    "SimulationResult",
    "save",
    "save_arrays",
    "load",
    "result_equal",
    "summary",
    "to_nwb",
    "FORMAT_NAME",
    "FORMAT_VERSION",
]

FORMAT_NAME = "hetero_brian.results"
FORMAT_VERSION = 1
_COMPRESS_MIN_ELEMENTS = 1 << 14
_LOG = logging.getLogger(__name__)


def _as_array(value, dtype, name, ndim):
    if hasattr(value, "dim"):  # a brian2 Quantity: its array holds SI values
        value = np.asarray(value)
    try:
        array = np.array(value, dtype=dtype, copy=True)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be convertible to a {np.dtype(dtype)} array; got {value!r}") from error
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional; got shape {array.shape}")
    return array


def _arrays_equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def _dicts_of_arrays_equal(a, b):
    return a.keys() == b.keys() and all(_arrays_equal(a[key], b[key]) for key in a)


@dataclass(eq=False)
class SpikeTrains:
    """Spikes of one population: ``node_ids`` (int64) fired at ``timestamps`` (float64, s)."""

    node_ids: np.ndarray
    timestamps: np.ndarray
    n_neurons: int

    def __post_init__(self):
        self.node_ids = _as_array(self.node_ids, np.int64, "node_ids", 1)
        self.timestamps = _as_array(self.timestamps, np.float64, "timestamps (s)", 1)
        if isinstance(self.n_neurons, bool) or not isinstance(self.n_neurons, (int, np.integer)):
            raise ValueError(f"n_neurons must be an integer >= 0; got {self.n_neurons!r}")
        self.n_neurons = int(self.n_neurons)
        if self.n_neurons < 0:
            raise ValueError(f"n_neurons must be >= 0; got {self.n_neurons}")
        if self.node_ids.shape != self.timestamps.shape:
            raise ValueError(
                f"node_ids and timestamps must have the same length; got {self.node_ids.size} "
                f"and {self.timestamps.size}"
            )
        if self.node_ids.size and (self.node_ids.min() < 0 or self.node_ids.max() >= self.n_neurons):
            raise ValueError(
                f"node_ids must lie in [0, n_neurons={self.n_neurons}); got values in "
                f"[{self.node_ids.min()}, {self.node_ids.max()}]"
            )
        if not np.all(np.isfinite(self.timestamps)):
            raise ValueError("timestamps must be finite; got NaN or infinite values")

    def __eq__(self, other):
        return (
            isinstance(other, SpikeTrains)
            and self.n_neurons == other.n_neurons
            and _arrays_equal(self.node_ids, other.node_ids)
            and _arrays_equal(self.timestamps, other.timestamps)
        )


@dataclass(eq=False)
class SynapseTable:
    """Synapses ``i -> j`` (int64) from ``source`` to ``target`` with weights ``w`` (SI) and
    per-synapse state ``extra`` (e.g. ``tau_pre`` in s, a boolean ``mask``)."""

    source: str
    target: str
    i: np.ndarray
    j: np.ndarray
    w: np.ndarray
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        _check_name(self.source, "source population")
        _check_name(self.target, "target population")
        self.i = _as_array(self.i, np.int64, "i", 1)
        self.j = _as_array(self.j, np.int64, "j", 1)
        self.w = _as_array(self.w, np.float64, "w", 1)
        if not self.i.shape == self.j.shape == self.w.shape:
            raise ValueError(
                f"i, j and w must have the same length; got {self.i.size}, {self.j.size}, {self.w.size}"
            )
        extra = {}
        for key, value in dict(self.extra).items():
            _check_name(key, "extra synapse variable")
            if key in ("i", "j", "w"):
                raise ValueError(f"extra must not redefine {key!r} (it is a column of its own)")
            value = np.asarray(value)
            array = _as_array(
                value, value.dtype if value.dtype.kind in "biuf" else np.float64, f"extra[{key!r}]", None
            )
            if array.shape[:1] != self.i.shape:
                raise ValueError(
                    f"extra[{key!r}] must have one entry per synapse ({self.i.size}); got shape {array.shape}"
                )
            extra[key] = array
        self.extra = extra

    def __eq__(self, other):
        return (
            isinstance(other, SynapseTable)
            and (self.source, self.target) == (other.source, other.target)
            and _dicts_of_arrays_equal(
                {"i": self.i, "j": self.j, "w": self.w}, {"i": other.i, "j": other.j, "w": other.w}
            )
            and _dicts_of_arrays_equal(self.extra, other.extra)
        )


@dataclass(eq=False)
class Trace:
    """Recorded state ``variable`` of ``owner`` (a population or synapse table) in ``units`` (SI
    unit name): ``values[t, k]`` at ``times[t]`` (s) for element ``indices[k]``."""

    owner: str
    variable: str
    units: str
    times: np.ndarray
    indices: np.ndarray
    values: np.ndarray

    def __post_init__(self):
        _check_name(self.owner, "trace owner")
        _check_name(self.variable, "trace variable")
        if not isinstance(self.units, str):
            raise ValueError(f"units must be a string such as 'V' or '1'; got {self.units!r}")
        self.times = _as_array(self.times, np.float64, "times (s)", 1)
        self.indices = _as_array(self.indices, np.int64, "indices", 1)
        self.values = _as_array(self.values, np.float64, "values", 2)
        expected = (self.times.size, self.indices.size)
        if self.values.shape != expected:
            raise ValueError(
                f"values must have shape (len(times), len(indices)) = {expected}; got {self.values.shape}"
            )

    def __eq__(self, other):
        return (
            isinstance(other, Trace)
            and (self.owner, self.variable, self.units) == (other.owner, other.variable, other.units)
            and _arrays_equal(self.times, other.times)
            and _arrays_equal(self.indices, other.indices)
            and _arrays_equal(self.values, other.values)
        )


@dataclass(eq=False)
class Population:
    """A neuron population: ``n_neurons`` and its per-neuron sampled ``parameters`` (SI arrays of
    length ``n_neurons``) with their SI ``units`` (e.g. ``{"tau_m": "s"}``)."""

    n_neurons: int
    parameters: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)

    def __post_init__(self):
        if (
            isinstance(self.n_neurons, bool)
            or not isinstance(self.n_neurons, (int, np.integer))
            or self.n_neurons < 0
        ):
            raise ValueError(f"n_neurons must be an integer >= 0; got {self.n_neurons!r}")
        self.n_neurons = int(self.n_neurons)
        parameters = {}
        for key, value in dict(self.parameters).items():
            _check_name(key, "parameter")
            array = _as_array(value, np.float64, f"parameters[{key!r}]", 1)
            if array.size != self.n_neurons:
                raise ValueError(
                    f"parameters[{key!r}] must have n_neurons={self.n_neurons} values; got {array.size}"
                )
            parameters[key] = array
        self.parameters = parameters
        self.units = dict(self.units)
        for key, unit in self.units.items():
            if key not in parameters or not isinstance(unit, str):
                raise ValueError(f"units must map parameter names to strings; got {key!r}: {unit!r}")

    def __eq__(self, other):
        return (
            isinstance(other, Population)
            and self.n_neurons == other.n_neurons
            and self.units == other.units
            and _dicts_of_arrays_equal(self.parameters, other.parameters)
        )


@dataclass(eq=False)
class SimulationResult:
    """Everything one run produced, in SI units (see the module docstring for the file layout).

    ``provenance`` (master seed, specs, backend, versions, dt, wall time...) and ``metrics``
    (name -> float) are stored in their JSON form: numpy scalars and arrays become numbers and lists.
    """

    spikes: dict = field(default_factory=dict)
    synapses: dict = field(default_factory=dict)
    traces: dict = field(default_factory=dict)
    populations: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)

    def __post_init__(self):
        for attribute, kind in (
            ("spikes", SpikeTrains),
            ("synapses", SynapseTable),
            ("traces", Trace),
            ("populations", Population),
        ):
            value = getattr(self, attribute)
            if not isinstance(value, dict):
                raise ValueError(f"{attribute} must be a dict of {kind.__name__}; got {type(value).__name__}")
            for key, item in value.items():
                _check_name(key, attribute)
                if not isinstance(item, kind):
                    raise ValueError(
                        f"{attribute}[{key!r}] must be a {kind.__name__}; got {type(item).__name__}"
                    )
            setattr(self, attribute, dict(value))
        if not isinstance(self.provenance, dict):
            raise ValueError(f"provenance must be a dict; got {type(self.provenance).__name__}")
        self.provenance = _json_normalise(self.provenance, "provenance")
        metrics = {}
        for key, value in dict(self.metrics).items():
            try:
                metrics[str(key)] = float(value)
            except (TypeError, ValueError) as error:
                raise ValueError(f"metrics[{key!r}] must be a number; got {value!r}") from error
        self.metrics = metrics

    def __eq__(self, other):
        if not isinstance(other, SimulationResult):
            return NotImplemented
        same_metrics = self.metrics.keys() == other.metrics.keys() and all(
            self.metrics[k] == other.metrics[k]
            or (math.isnan(self.metrics[k]) and math.isnan(other.metrics[k]))
            for k in self.metrics
        )
        return (
            self.spikes == other.spikes
            and self.synapses == other.synapses
            and self.traces == other.traces
            and self.populations == other.populations
            and json.dumps(self.provenance, sort_keys=True) == json.dumps(other.provenance, sort_keys=True)
            and same_metrics
        )


def result_equal(first, second):
    """True when two results hold the same arrays (same dtypes, NaN equal to NaN) and metadata."""
    return first == second


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
        group.attrs["sorting"] = "by_time" if ordered else "none"
        _write_array(group, "node_ids", spikes.node_ids, compression)
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


def _aside_name(path):
    stamp = time.strftime("%Y%m%dT%H%M%S")
    candidate = path.with_name(f"{path.name}.old-{stamp}")
    counter = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.old-{stamp}-{counter}")
        counter += 1
    return candidate


def _fsync_directory(directory):
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


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
    temporary = directory / f"{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        with h5py.File(temporary, "w-", libver=("v108", "latest"), track_order=True) as handle:
            _write(handle, result, compression)
        with open(temporary, "rb+") as stream:
            os.fsync(stream.fileno())
        if path.exists():
            aside = _aside_name(path)
            try:
                os.link(path, aside)
            except OSError:
                os.replace(path, aside)
            _LOG.info("kept the previous results file '%s' as '%s'", path, aside)
        os.replace(temporary, path)
        _fsync_directory(directory)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise ResultsError(f"could not write results file '{path}': {error}") from error
        raise
    return path


def save_arrays(path, **arrays):
    """Write named arrays to a new ``.npz`` file (compressed) atomically; never replaces a file.

    For side products of a run (e.g. trained weights to resume from, spike counts for offline
    analysis) that do not fit a :class:`SimulationResult`. Raises ResultsError when ``path``
    exists, its directory is missing, or writing fails (no partial file is left).
    """
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"path must end in .npz; got '{path}'")
    if not path.parent.is_dir():
        raise ResultsError(f"cannot save arrays to '{path}': directory '{path.parent}' does not exist")
    if path.exists():
        raise ResultsError(f"'{path}' already exists; results are never replaced")
    temporary = path.with_name(f"{path.stem}.tmp-{os.getpid()}-{secrets.token_hex(4)}.npz")
    try:
        with open(temporary, "xb") as stream:
            np.savez_compressed(stream, **arrays)
            stream.flush()
            os.fsync(stream.fileno())
        os.link(temporary, path)  # fails instead of replacing a file that appeared meanwhile
        _fsync_directory(path.parent)
    except OSError as error:
        raise ResultsError(f"could not write '{path}': {error}") from error
    finally:
        temporary.unlink(missing_ok=True)
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
        result.spikes[name] = SpikeTrains(
            group["node_ids"][()], group["timestamps"][()], int(group.attrs["n_neurons"])
        )
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
        result.populations[name] = Population(int(group.attrs["n_neurons"]), parameters, units)
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
