"""Frozen network specs: populations, inputs, projections and the time step.

Plain values only (numbers, arrays, Brian2 quantities and model specs), no Brian2 objects: a spec
can be built, compared, described and pickled anywhere; :mod:`hetero_brian.network.builder`
turns it into a Brian2 ``Network`` on the current device.
"""
from dataclasses import dataclass, field

import numpy as np
from brian2 import Hz, Quantity, ms, second

from ..errors import UnitError
from ..random import check_seed

NAME_CHARACTERS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


def _check_name(name, what):
    if not isinstance(name, str) or not name or not set(name) <= NAME_CHARACTERS or name[0].isdigit():
        raise ValueError(f"{what} name must be lower-case letters, digits and '_' (not starting with a digit); got {name!r}")
    return name


@dataclass(frozen=True)
class Population:
    """A group of ``n_neurons`` neurons of one model spec."""

    name: str
    n_neurons: int
    model: object

    def __post_init__(self):
        _check_name(self.name, "population")
        if isinstance(self.n_neurons, bool) or not isinstance(self.n_neurons, (int, np.integer)) or self.n_neurons <= 0:
            raise ValueError(f"population {self.name!r}: n_neurons must be a positive integer; got {self.n_neurons!r}")


@dataclass(frozen=True, eq=False)
class SpikeInput:
    """Fixed input spike trains (``SpikeGeneratorGroup``): the same on every backend.

    Parameters
    ----------
    name : str
    n_neurons : int
        Number of input channels.
    indices : array of int
        Channel of each spike.
    times : brian2.Quantity
        Spike times (time), same length as ``indices``.
    """

    name: str
    n_neurons: int
    indices: np.ndarray
    times: Quantity

    def __post_init__(self):
        _check_name(self.name, "input")
        if not isinstance(self.times, Quantity) or not self.times.has_same_dimensions(second):
            raise UnitError(f"input {self.name!r}: times must be a time quantity array; got {type(self.times).__name__}")
        indices = np.asarray(self.indices)
        if indices.shape != np.shape(self.times):
            raise ValueError(f"input {self.name!r}: indices and times differ in length ({indices.shape} vs {np.shape(self.times)})")
        if indices.size and (indices.min() < 0 or indices.max() >= self.n_neurons):
            raise ValueError(f"input {self.name!r}: indices must be in [0, {self.n_neurons}); got range "
                             f"[{indices.min()}, {indices.max()}]")


@dataclass(frozen=True, eq=False)
class RasterInput:
    """Input spikes as a time x channel 0/1 raster read through a 2-D ``TimedArray``.

    Unlike :class:`SpikeInput`, the raster's *values* can be replaced between runs of one compiled
    standalone binary (``run_args``), so many input samples share one compilation.

    Parameters
    ----------
    name : str
    raster : numpy.ndarray
        uint8 array of shape ``(n_steps, n_channels)``; 1 marks a spike in that step.
    dt : brian2.Quantity
        Time step of the raster (normally the simulation ``dt``).
    """

    name: str
    raster: np.ndarray
    dt: Quantity

    def __post_init__(self):
        _check_name(self.name, "input")
        raster = np.asarray(self.raster)
        if raster.ndim != 2 or raster.shape[1] == 0:
            raise ValueError(f"input {self.name!r}: raster must have shape (n_steps, n_channels); got {raster.shape}")

    @property
    def n_neurons(self):
        return int(np.shape(self.raster)[1])


@dataclass(frozen=True, eq=False)
class AnalogInput:
    """Analog values per step and channel (time x channel), read through a 2-D ``TimedArray``.

    Every channel emits an event in every step that carries its value ``x`` of that step; a
    synapse model reads it as ``x_pre`` (e.g. ``I_post += w * x_pre``,
    :class:`~hetero_brian.models.discrete.AnalogSynapse`). This is how discrete-time networks
    trained on analog frames (log-mel features, pixel rows) receive their input. Like
    :class:`RasterInput`, the values can be replaced between runs of one build.

    Parameters
    ----------
    name : str
    values : numpy.ndarray
        Float array of shape ``(n_steps, n_channels)`` (dimensionless, finite); row ``k`` is read
        in step ``k``.
    dt : brian2.Quantity
        Time step of the rows (the simulation ``dt``).
    """

    name: str
    values: np.ndarray
    dt: Quantity

    def __post_init__(self):
        _check_name(self.name, "input")
        values = np.asarray(self.values)
        if values.ndim != 2 or values.shape[1] == 0 or values.shape[0] == 0:
            raise ValueError(f"input {self.name!r}: values must have shape (n_steps, n_channels); got {values.shape}")
        if not np.issubdtype(values.dtype, np.number) or not np.all(np.isfinite(values)):
            raise ValueError(f"input {self.name!r}: values must be finite numbers")

    @property
    def n_neurons(self):
        return int(np.shape(self.values)[1])


def check_rates(rates, name, dt=None):
    """Refuse rates (Hz) of input ``name`` that are not finite and >= 0, or (given ``dt``) that
    exceed one spike per step."""
    rates = np.asarray(rates, dtype=float)
    if not np.all(np.isfinite(rates)) or rates.min() < 0:
        raise ValueError(f"input {name!r}: rates must be finite and >= 0 (Hz); got minimum {rates.min()!r}")
    if dt is not None and rates.max() * float(dt) > 1:
        raise ValueError(f"input {name!r}: rates up to {rates.max():g} Hz exceed one spike per step at dt = {dt!r}")


@dataclass(frozen=True, eq=False)
class RateInput:
    """Poisson spike trains generated on the device from piecewise-constant rates.

    The rates are a 2-D ``TimedArray`` read by a ``PoissonGroup``: like :class:`RasterInput`
    their values can be replaced between runs of one compiled binary (``Simulator.run(inputs=...)``),
    but a run receives ``n_rows x n_channels`` numbers instead of a spike raster of
    ``n_steps x n_channels``, and the spikes are drawn on the device (seeded by the run's device
    seed, see ``Simulator.run(noise_seed=...)``).

    Parameters
    ----------
    name : str
    rates : numpy.ndarray
        Rates in Hz (plain numbers), shape ``(n_rows, n_channels)``; row ``k`` holds during
        ``[k row_duration, (k + 1) row_duration)``, the last row after the end.
    row_duration : brian2.Quantity
        Duration of one row (a multiple of the network's ``dt``).
    """

    name: str
    rates: np.ndarray
    row_duration: Quantity

    def __post_init__(self):
        _check_name(self.name, "input")
        rates = np.asarray(self.rates, dtype=float)
        if rates.ndim != 2 or rates.shape[0] == 0 or rates.shape[1] == 0:
            raise ValueError(f"input {self.name!r}: rates must have shape (n_rows, n_channels); got {rates.shape}")
        check_rates(rates, self.name)
        if not isinstance(self.row_duration, Quantity) or not self.row_duration.has_same_dimensions(second) \
                or not float(self.row_duration) > 0:
            raise UnitError(f"input {self.name!r}: row_duration must be a positive time (e.g. 50*ms); got {self.row_duration!r}")

    @property
    def n_neurons(self):
        return int(np.shape(self.rates)[1])


@dataclass(frozen=True, eq=False)
class PoissonInput:
    """Independent Poisson spike trains generated on the device (seeded from the master seed).

    Parameters
    ----------
    name : str
    n_neurons : int
    rate : brian2.Quantity
        Rate per channel (frequency; scalar or array of ``n_neurons``).
    """

    name: str
    n_neurons: int
    rate: Quantity

    def __post_init__(self):
        _check_name(self.name, "input")
        if not isinstance(self.rate, Quantity) or not self.rate.has_same_dimensions(Hz):
            raise UnitError(f"input {self.name!r}: rate must be a frequency (e.g. 10*Hz); got {self.rate!r}")


@dataclass(frozen=True, eq=False)
class Projection:
    """Synapses from ``source`` to ``target`` with the given ``(i, j)`` connectivity."""

    name: str
    source: str
    target: str
    synapse: object
    i: np.ndarray
    j: np.ndarray

    def __post_init__(self):
        _check_name(self.name, "projection")
        if np.shape(self.i) != np.shape(self.j):
            raise ValueError(f"projection {self.name!r}: i and j differ in length ({np.shape(self.i)} vs {np.shape(self.j)})")

    @property
    def n_synapses(self):
        return int(np.size(self.i))


@dataclass(frozen=True, eq=False)
class NetworkSpec:
    """Everything needed to build a network: populations, inputs, projections and the time step.

    ``shared_constants`` (default True) declares every parameter whose distribution is ``Constant``
    as one shared value per group or projection: generated code reads a scalar instead of a
    per-neuron or per-synapse array (faster, less memory), and the value can still be changed at
    run time as a scalar. Set it to False to pass different values per neuron or synapse at run
    time to a network built with constant parameters (e.g. one build for several heterogeneity
    levels, the homogeneous one first).

    ``structure_seed`` (int or None) is the seed that generated the connectivity (the
    ``structure`` stream of :class:`~hetero_brian.random.SeedStreams`), set by the family spec
    functions; the simulation records it in the result's provenance, so a result proves which seed
    made its connectivity. None: not known (connectivity given by hand).
    """

    populations: tuple
    projections: tuple = ()
    inputs: tuple = ()
    dt: Quantity = field(default_factory=lambda: 0.1 * ms)
    shared_constants: bool = True
    structure_seed: object = None

    def __post_init__(self):
        names = [item.name for item in (*self.populations, *self.inputs, *self.projections)]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"names must be unique across populations, inputs and projections; repeated: {duplicates}")
        sizes = {item.name: item.n_neurons for item in (*self.populations, *self.inputs)}
        for projection in self.projections:
            for side, name in (("source", projection.source), ("target", projection.target)):
                if name not in sizes:
                    raise ValueError(f"projection {projection.name!r}: unknown {side} {name!r}; known: {sorted(sizes)}")
            i, j = np.asarray(projection.i), np.asarray(projection.j)
            if i.size and (i.min() < 0 or i.max() >= sizes[projection.source]):
                raise ValueError(f"projection {projection.name!r}: i out of range [0, {sizes[projection.source]})")
            if j.size and (j.min() < 0 or j.max() >= sizes[projection.target]):
                raise ValueError(f"projection {projection.name!r}: j out of range [0, {sizes[projection.target]})")
        if not isinstance(self.dt, Quantity) or not self.dt.has_same_dimensions(second) or not float(self.dt) > 0:
            raise UnitError(f"dt must be a positive time quantity; got {self.dt!r}")
        if not isinstance(self.shared_constants, bool):
            raise ValueError(f"shared_constants must be True or False; got {self.shared_constants!r}")
        if self.structure_seed is not None:
            object.__setattr__(self, "structure_seed", check_seed(self.structure_seed, "structure_seed"))

    def population(self, name):
        return {p.name: p for p in (*self.populations, *self.inputs)}[name]

    def shared_parameters(self, model):
        """Parameters of ``model`` (a neuron or synapse spec) declared as one shared value."""
        return frozenset(model.constant_parameters()) if self.shared_constants else frozenset()

    def describe(self):
        """JSON-serialisable description (models, sizes, synapse counts): the structure's identity."""
        return {
            "dt": float(self.dt),
            "shared_constants": self.shared_constants,
            "populations": [{"name": p.name, "n_neurons": int(p.n_neurons), "model": p.model.describe()} for p in self.populations],
            "inputs": [{"name": s.name, "type": type(s).__name__, "n_neurons": int(s.n_neurons)} for s in self.inputs],
            "projections": [
                {"name": p.name, "source": p.source, "target": p.target, "n_synapses": p.n_synapses,
                 "synapse": p.synapse.describe()}
                for p in self.projections
            ],
        }
