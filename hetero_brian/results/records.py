"""In-memory records of one run: spikes, synapse tables, traces, sampled populations.

A :class:`SimulationResult` holds plain SI numpy arrays (no Brian2 objects; this package never
imports brian2, so ``hetero_brian.analysis`` can use it). :mod:`hetero_brian.results.hdf5` saves and
loads it. :class:`PopulationRecord` is the result side of a population (its size and sampled
parameters); the network side is the spec in :mod:`hetero_brian.network`.

Examples
--------
>>> trains = SpikeTrains([0, 1], [0.01, 0.02], n_neurons=4)
>>> SimulationResult(spikes={"E": trains}) == SimulationResult(spikes={"E": trains})
True
"""

import json
import math
from dataclasses import dataclass, field

import numpy as np

from hetero_brian.results._common import _check_name, _json_normalise

__all__ = ["SpikeTrains", "SynapseTable", "Trace", "PopulationRecord", "SimulationResult", "result_equal"]


def _as_array(value, dtype, name, ndim):
    """``value`` as an array of ``dtype``: a copy, except for a read-only array of that dtype, which
    nobody can change through this reference and is shared (e.g. a simulator's sampled parameters,
    identical in every run's result)."""
    if hasattr(value, "dim"):  # a brian2 Quantity: its array holds SI values
        value = np.asarray(value)
    if isinstance(value, np.ndarray) and value.dtype == dtype and not value.flags.writeable:
        if ndim is not None and value.ndim != ndim:
            raise ValueError(f"{name} must be {ndim}-dimensional; got shape {value.shape}")
        return value
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
class PopulationRecord:
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
            isinstance(other, PopulationRecord)
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
            ("populations", PopulationRecord),
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
