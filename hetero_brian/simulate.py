"""Run a network spec on a backend and return a :class:`~hetero_brian.results.SimulationResult`.

:func:`simulate` runs once. :class:`Simulator` builds (and, for standalone backends, compiles) once
and runs many times: each run may use another seed (new heterogeneous parameters and device noise
on the same connectivity), other parameter values and other raster inputs, all passed to the
compiled binary as run arguments.

Examples
--------
>>> from brian2 import ms, mV, Hz
>>> from hetero_brian.models.neurons import LIF
>>> from hetero_brian.network.spec import NetworkSpec, Population, PoissonInput, Projection
>>> from hetero_brian.models.synapses import StaticSynapse
>>> from hetero_brian.network.connectivity import fixed_probability
>>> i, j = fixed_probability(20, 10, 0.5, rng=1, allow_self=True)
>>> spec = NetworkSpec(populations=(Population("cells", 10, LIF()),),
...                    inputs=(PoissonInput("drive", 20, 50 * Hz),),
...                    projections=(Projection("feed", "drive", "cells", StaticSynapse(weight=4 * mV), i, j),))
>>> result = simulate(spec, 100 * ms, backend="runtime", seed=3)  # doctest: +SKIP
"""
import contextvars
import dataclasses
import gc
import hashlib
import json
import logging
import time

import numpy as np
from brian2 import Quantity, SpikeMonitor, StateMonitor, second

from .backends import get_backend
from .backends.base import environment_versions
from .backends.interrupts import InterruptWatch, repair_brian_interrupt_handler
from .collect import check_finite, copier, read_only
from .errors import ConfigError, SimulationError, SimulationInterrupted, UnitError
from .network.builder import assignable_value, build, parameter_targets, sample_network_parameters
from .network.recording import Recording
from .network.spec import RateInput, check_rates
from .random import SeedStreams, check_seed
from .results.records import PopulationRecord, SimulationResult, SpikeTrains, SynapseTable, Trace

#: the progress report of simulators given none (``hetero-brian run`` sets "stderr"; None: silent)
DEFAULT_REPORT = contextvars.ContextVar("hetero_brian_default_report", default=None)
_PHASES = logging.getLogger("hetero_brian.phases")  # shown by the command line (experiment.phases)
repair_brian_interrupt_handler()  # Brian2's handler calls SIG_IGN in a background shell (a TypeError)


def _check_duration(duration, dt):
    if not isinstance(duration, Quantity) or not duration.has_same_dimensions(second):
        raise UnitError(f"duration must be a time quantity (e.g. 1*second); got {duration!r}")
    steps = float(duration) / float(dt)
    if not float(duration) > 0:
        raise ValueError(f"duration must be > 0; got {duration!r}")
    if abs(steps - round(steps)) > 1e-6:
        raise ValueError(f"duration {duration!r} is not a multiple of dt = {dt!r} ({steps:.6g} steps)")


class Simulator:
    """Build once, run many: a network on one backend.

    Parameters
    ----------
    spec : NetworkSpec
    duration : brian2.Quantity or list of (brian2.Quantity, dict)
        Duration of every run (a multiple of ``spec.dt``), or phases run one after another in
        the same run, each with the assignments made before it, e.g.
        ``[(10*second, {}), (2*second, {"ee.plastic": 0})]`` (train, then test with plasticity off).
    backend : str or Backend
        ``"runtime"``, ``"cpp_standalone"``, ``"cuda_standalone"`` or ``"auto"``.
    seed : int, optional
        Master seed of the build: it fixes the heterogeneous parameters of runs that give no seed
        of their own. Connectivity is part of ``spec`` (generated before).
    recording : Recording
    report : {None, "text", "stdout", "stderr"}
        Brian2's progress report during runs (compiled into standalone code); None takes
        :data:`DEFAULT_REPORT` (the command line sets "stderr").
    build_root : str, optional
        Root folder of standalone builds.
    keep_run_directories : bool
        Keep each standalone run's raw ``results/<label>`` folder after collecting it (default:
        given up once the result is in memory: the next run writes into it, and the simulator's
        exit deletes the last one; failed or killed runs are always kept).
        Read values from the returned :class:`~hetero_brian.results.SimulationResult`, not from
        the Brian2 groups: after ``run`` returns, a standalone group's variables point into a
        folder that is gone.

    Notes
    -----
    Use as a context manager: the backend's device is active inside and restored on exit.
    """

    def __init__(self, spec, duration, backend="auto", seed=None, recording=Recording(), report=None,
                 build_root=None, keep_run_directories=False):
        phases = duration if isinstance(duration, (list, tuple)) else [(duration, {})]
        if not phases:
            raise ConfigError("duration needs at least one phase")
        for phase in phases:
            if not (isinstance(phase, (list, tuple)) and len(phase) == 2 and isinstance(phase[1], dict)):
                raise ConfigError(f"each phase must be (duration, assignments dict); got {phase!r}")
            _check_duration(phase[0], spec.dt)
        self.phases = [(phase_duration, dict(assignments)) for phase_duration, assignments in phases]
        duration = sum((float(d) for d, _ in self.phases), 0.0) * second
        report = DEFAULT_REPORT.get() if report is None else report
        if report not in (None, "text", "stdout", "stderr"):
            raise ConfigError(f"report must be None, 'text', 'stdout' or 'stderr'; got {report!r}")
        self.spec, self.duration, self.recording, self.report = spec, duration, recording, report
        self._spec_description = spec.describe()  # the spec is frozen: described once, not at every run
        self._spec_copy = copier(self._spec_description)  # each result gets its own copy, cheaply
        self._locations = {p.name: p.synapse.parameter_locations() for p in spec.projections}
        self.keep_run_directories = keep_run_directories
        self.backend = get_backend(backend, build_root=build_root)
        self.streams = SeedStreams(seed)
        self.built = None
        self.monitors = {}
        self._active = False
        self._run_counter = 0
        self._targets = None  # (built network, its parameter targets)
        self._baked = None  # (object name, variable) -> value the build holds (no run argument needed)
        self._indices = {}  # projection name -> (i, j) of its synapse tables (read-only int64)

    # -- lifecycle --------------------------------------------------------------------------------
    def structure_key(self):
        """Hash of everything that shapes the generated code (models, sizes, recording, versions)."""
        payload = json.dumps({
            "spec": self._spec_description, "recording": self.recording.describe(), "phases": [[float(d), {k: repr(v) for k, v in a.items()}] for d, a in self.phases],
            "versions": environment_versions(), "backend": self.backend.describe().get("backend"),
            "threads": self.backend.threads, "report": self.report,
        }, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:20]

    def __enter__(self):
        from .resources import check_memory, estimate_memory

        self.memory_estimate = estimate_memory(self.spec, self.duration, self.recording)
        check_memory(self.memory_estimate)
        self.backend.activate(self.structure_key())
        _PHASES.info("building the network (%d neurons)", sum(p.n_neurons for p in self.spec.populations))
        self._active = True
        try:
            self.built = build(self.spec, self.streams, clock_name=self.backend.clock_name)
            self._create_monitors()
            self.schedule = [
                (phase_duration, [(*self._resolve(key), value) for key, value in assignments.items()])
                for phase_duration, assignments in self.phases
            ]
            self.backend.default_seed = self.streams.brian_seed
            self._baked = None  # computed in full, then runs of the build seed write overrides only
            self._baked = self._values(self.streams, None, None)[2]
            _PHASES.info("compiling (%s)" if self.backend.standalone else "preparing (%s)", self.backend.name)
            self.backend.finalize(self.built.network, self.schedule, self.report)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, kind, error, traceback):
        if self._active:
            self.backend.deactivate()
            self._active = False
            self._release_brian_objects()
        return False

    def _release_brian_objects(self):
        """Drop the references to this simulator's Brian2 objects (the sampled values stay).

        Brian2 names generated objects (code objects, spike queues) uniquely among the *living*
        objects: while an old network lives, a new simulator of the same structure in this process
        gets other names (``..._1``), hence other sources and a full recompilation. Released
        objects let it reuse the cached binary (a relink at most).
        """
        if self.built is not None:
            self.built = dataclasses.replace(self.built, network=None, groups={}, synapses={}, timed_arrays={})
        self.monitors = {}
        self.schedule = []
        self._targets = None
        gc.collect()

    def _owner(self, name):
        if name in self.built.groups:
            return self.built.groups[name]
        if name in self.built.synapses:
            return self.built.synapses[name]
        known = sorted(self.built.groups) + sorted(self.built.synapses)
        raise ConfigError(f"unknown population or projection {name!r} in the recording; known: {known}")

    def _create_monitors(self):
        dt = self.spec.dt
        names = [p.name for p in self.spec.populations] if self.recording.spikes == "all" else list(self.recording.spikes)
        for name in names:
            monitor = SpikeMonitor(self._owner(name), name=f"spikes_{name}")
            self.monitors[("spikes", name)] = monitor
        for record in self.recording.states:
            owner = self._owner(record.owner)
            # the network's own clock when possible: every extra clock makes standalone code
            # generation order-dependent (see network.builder.build)
            timing = ({"clock": owner.clock} if record.interval is None or np.isclose(float(record.interval), float(dt))
                      else {"dt": record.interval})
            monitor = StateMonitor(owner, list(record.variables), record=np.asarray(record.indices, dtype=int),
                                   name=f"states_{record.owner}_{len(self.monitors)}", **timing)
            self.monitors[("states", record)] = monitor
        for name in self.recording.weight_snapshots:
            if self.recording.weight_interval is None:
                raise ConfigError("weight_snapshots need weight_interval (e.g. 100*ms)")
            synapses = self._owner(name)
            n_synapses = next(p.n_synapses for p in self.spec.projections if p.name == name)
            monitor = StateMonitor(synapses, "w", record=np.arange(n_synapses), dt=self.recording.weight_interval,
                                   name=f"weights_{name}")
            self.monitors[("weights", name)] = monitor
        self.built.network.add(*self.monitors.values())

    def _resolve(self, key):
        """``"owner.variable"`` -> (Brian2 object, variable name), parameters mapped to their holders."""
        owner, _, variable = str(key).partition(".")
        if not variable:
            raise ConfigError(f"parameter keys are 'owner.variable' (e.g. 'exc.tau_m', 'ee.plastic'); got {key!r}")
        targets = self._parameter_targets()
        target, brian_variable = targets.get((owner, variable), (None, variable))
        target = target if target is not None else self._owner(owner)
        if brian_variable not in target.variables:
            names = sorted(k for k in target.variables.keys() if not k.startswith("_"))
            raise ConfigError(f"{owner!r} has no variable {variable!r}; it has {names}")
        return target, brian_variable

    def _synapse_indices(self, projection):  # (i, j) as read-only int64 arrays, converted once per simulator
        key = projection.name
        self._indices[key] = self._indices.get(key) or (read_only(projection.i, np.int64), read_only(projection.j, np.int64))
        return self._indices[key]

    def _parameter_targets(self):
        """:func:`parameter_targets` of the built network (computed once per build)."""
        if self._targets is None or self._targets[0] is not self.built:
            self._targets = (self.built, parameter_targets(self.spec, self.built.groups, self.built.synapses))
        return self._targets[1]

    # -- runs -------------------------------------------------------------------------------------
    def _values(self, streams, parameters, inputs, sampled=None):
        """Run arguments: resampled heterogeneous parameters, initial values, overrides, inputs."""
        targets = self._parameter_targets()
        build_values = None
        if sampled is None:
            own = streams.master_seed == self.streams.master_seed
            build_values = self._baked if own else None
            sampled = self.built.sampled if own else sample_network_parameters(self.spec, streams)
        values = {}
        # the build's own parameters and initial values are what the build holds: only overrides remain
        for (owner, name), (target, variable) in (targets.items() if build_values is None else ()):
            if name == "delay":
                continue  # delays are structure (set at build)
            values[(owner, variable)] = (target, variable, sampled[owner][name])
        for population in (self.spec.populations if build_values is None else ()):
            group = self.built.groups[population.name]
            for variable, value in population.model.initial_values(sampled[population.name]).items():
                values[(population.name, variable)] = (group, variable, value)
        sampled = {owner: dict(parameters_of_owner) for owner, parameters_of_owner in sampled.items()}
        for key, value in (parameters or {}).items():
            target, brian_variable = self._resolve(key)
            values[(target.name, brian_variable)] = (target, brian_variable, value)
            owner, _, name = str(key).partition(".")
            if name in sampled.get(owner, {}):  # the result records the values actually used
                reference = sampled[owner][name]
                sampled[owner][name] = Quantity(np.broadcast_to(np.asarray(value, dtype=float), np.shape(reference)).copy(),
                                                dim=getattr(reference, "dim", None))
        run_values, arrays = {}, {}
        for target, variable, value in values.values():
            expected = target.variables[variable].dim
            if not (getattr(value, "dim", None) is expected or (expected.is_dimensionless and not hasattr(value, "dim"))):
                raise UnitError(f"value for {target.name}.{variable} must have the dimension of {target.variables[variable].unit}; got {value!r}")
            value = assignable_value(target, variable, value, f"{target.name}.{variable}")
            if value is None:
                continue
            array = arrays[(target.name, variable)] = np.asarray(value, dtype=float)
            baked = (self._baked or {}).get((target.name, variable))
            if baked is not None and baked.shape == array.shape and np.array_equal(baked, array):
                continue  # the build holds this value already: no run argument to write
            # a scalar sets every element (command line); arrays go as files, C-contiguous (Brian2 hashes the buffer)
            run_values[getattr(target, variable)] = Quantity(np.ascontiguousarray(array), dim=expected)
        for name, raster in (inputs or {}).items():
            if name not in self.built.timed_arrays:
                raise ConfigError(f"input {name!r} is not a RasterInput, AnalogInput or RateInput of this network; such inputs: "
                                  f"{sorted(self.built.timed_arrays)}")
            timed_array = self.built.timed_arrays[name]
            raster = np.asarray(raster, dtype=np.float64)
            if raster.shape != np.shape(timed_array.values):
                raise ValueError(f"input {name!r}: raster shape {raster.shape} differs from the built one "
                                 f"{np.shape(timed_array.values)}; a new shape needs a new build")
            if isinstance(self.spec.population(name), RateInput):
                check_rates(raster, name, self.spec.dt)
            if not np.array_equal(raster, timed_array.values):  # else: the build's values
                run_values[timed_array] = raster
        return run_values, sampled, arrays

    def run(self, seed=None, parameters=None, inputs=None, label=None, noise_seed=None, final_state=None,
            sampled=None):
        """Run once and collect the result.

        Parameters
        ----------
        seed : int, optional
            Master seed of this run: resamples heterogeneous parameters and seeds device noise and
            Poisson input. Default: the build's seed.
        noise_seed : int, optional
            Seeds only the device's random numbers (Poisson inputs, noise) while the parameters stay
            those of ``seed``: e.g. fresh input spikes for every batch of a training loop. Recorded
            in the result's provenance.
        parameters : dict, optional
            Overrides ``{"owner.variable": value}`` (e.g. ``{"exc.tau_m": 15*ms, "ee.plastic": 0}``).
        inputs : dict, optional
            New rasters for :class:`RasterInput` inputs, new values for :class:`AnalogInput`
            inputs, or new rates (Hz) for :class:`RateInput`
            inputs (same shape as built).
        label : str, optional
            Name of the run (default ``run-<n>``).
        final_state : dict of str -> tuple of str, optional
            Variables whose values at the end of the run are returned, e.g. ``{"exc": ("theta",),
            "input_exc": ("w",)}`` (owner: population or projection; variable: a state variable or
            a per-element parameter). Each becomes a one-sample :class:`~hetero_brian.results.Trace`
            ``result.traces[final_state_key(owner, variable)]`` at ``t_stop`` holding every element
            (SI values, ``values[0]``); see :func:`final_value`. Works on every backend (read before
            a standalone run's folder is discarded), so a protocol can carry state from one run to
            the next.
        sampled : dict of str -> dict of str -> brian2.Quantity, optional
            Heterogeneous parameters to use instead of those of ``seed`` (as sampled by
            :func:`~hetero_brian.network.builder.sample_network_parameters`; e.g. per-copy samples of
            a batched network); ``seed`` then only seeds the device.
        """
        if not self._active:
            raise SimulationError("Simulator.run needs an active simulator: use 'with Simulator(...) as sim:'")
        streams = self.streams if seed is None else SeedStreams(seed)
        wanted = self._final_state_targets(final_state)
        values, sampled, _ = self._values(streams, parameters, inputs, sampled)
        written = {(target.name, variable) for key in (parameters or {}) for target, variable in [self._resolve(key)]}
        self._run_counter += 1
        label = label or f"run-{self._run_counter:04d}-{streams.master_seed}-{time.time_ns()}"
        start = time.perf_counter()
        device_seed = streams.brian_seed if noise_seed is None else SeedStreams(check_seed(noise_seed, "noise_seed")).brian_seed
        _PHASES.info("simulating %.6g s of network time", float(self.duration))
        with InterruptWatch(self.backend.standalone, getattr(self.backend, "stopped_evidence", None)) as watch:
            try:
                self.backend.execute(self.built.network, self.schedule, self.report, values, device_seed, label)
            except SimulationError as error:
                if watch.interrupted:  # e.g. a standalone binary killed by a second Ctrl-C
                    raise SimulationInterrupted(f"run {label} interrupted (Ctrl-C); nothing was collected") from error
                raise
        wall_time = time.perf_counter() - start
        result = self._collect(streams, sampled, wall_time, label, written=written)
        if watch.interrupted:
            self._interrupted(result)
        result.traces.update(self._final_state(wanted))
        result.provenance.update(brian_seed=device_seed, noise_seed=noise_seed)
        check_finite(self.built)
        if not self.keep_run_directories:
            self.backend.discard_run(label)
        return result

    def _interrupted(self, result):
        """Mark ``result`` interrupted with the time actually simulated; raise SimulationInterrupted."""
        t_stop = self.backend.simulated_time(self.built.network, self.schedule)
        result.provenance.update(status="interrupted", t_stop=t_stop)
        if not self.keep_run_directories:
            self.backend.discard_run(result.provenance["run_label"])
        simulated = "an unknown time" if t_stop != t_stop else f"{t_stop:.6g} s"
        raise SimulationInterrupted(f"simulation interrupted (Ctrl-C) after {simulated} of "
                                    f"{float(self.duration):.6g} s", result=result)

    def _final_state_targets(self, final_state):
        """Check ``final_state`` before the run: ``[(owner, variable, Brian2 object, its variable name)]``."""
        if final_state is None:
            return []
        if not isinstance(final_state, dict):
            raise ConfigError(f"final_state must be a dict {{owner: (variable, ...)}}; got {final_state!r}")
        wanted = []
        for owner, variables in final_state.items():
            if isinstance(variables, str) or not isinstance(variables, (tuple, list)):
                raise ConfigError(f"final_state[{owner!r}] must be a tuple of variable names; got {variables!r}")
            for variable in variables:
                wanted.append((owner, variable, *self._resolve(f"{owner}.{variable}")))
        return wanted

    def _final_state(self, wanted):
        """One-sample traces at ``t_stop`` of the variables in ``wanted`` (SI values)."""
        traces = {}
        for owner, variable, target, brian_variable in wanted:
            values = getattr(target, brian_variable)[:]
            unit = str(values.dim) if hasattr(values, "dim") and not values.dim.is_dimensionless else "1"
            values = np.array(values, dtype=float, ndmin=1)
            traces[final_state_key(owner, variable)] = Trace(
                owner, variable, unit, np.array([float(self.duration)]), np.arange(values.size, dtype=np.int64),
                values[np.newaxis, :])
        return traces

    def _collect(self, streams, sampled, wall_time, label, after_run=True, written=()):
        """Assemble the result; ``after_run=False`` gives the static part only (no monitors read).

        Final weights are read back only where the run can change them (plastic projections, or
        ``w`` set by a phase or by ``written``, the run's ``(object, variable)`` overrides); a static
        projection's weights are its initial ones, in the weight variable's precision.
        """
        assigned = set(written) | {(target.name, variable) for _, assignments in self.schedule for target, variable, _ in assignments}
        spikes, traces = {}, {}
        for (kind, key), monitor in (self.monitors.items() if after_run else ()):
            if kind == "spikes":
                spikes[key] = SpikeTrains(np.asarray(monitor.i[:], dtype=np.int64), np.asarray(monitor.t[:], dtype=float),
                                          n_neurons=len(monitor.source))
            elif kind == "states":
                for variable in key.variables:
                    values = getattr(monitor, variable)
                    traces[f"{key.owner}.{variable}"] = Trace(
                        key.owner, variable, str(values.dim) if hasattr(values, "dim") else "1",
                        np.asarray(monitor.t[:], dtype=float), np.asarray(key.indices, dtype=np.int64),
                        np.asarray(values, dtype=float).T)
            else:
                traces[f"{key}.w"] = Trace(key, "w", "", np.asarray(monitor.t[:], dtype=float),
                                           np.arange(np.shape(monitor.w)[0], dtype=np.int64),
                                           np.asarray(monitor.w, dtype=float).T)
        synapses = {}
        for projection in self.spec.projections:
            group = self.built.synapses[projection.name]
            locations = self._locations[projection.name]
            # read-only views: every result shares the sampled arrays and the int64 indices (one
            # copy per build, not one per run and array; SynapseTable copies writeable arrays only)
            extra = {name: read_only(value, float) for name, value in sampled[projection.name].items()
                     if name != "weight" and locations.get(name) == "synapse"}
            extra["w_initial"] = read_only(sampled[projection.name]["weight"], float)
            variable = group.variables["w"]
            static = projection.synapse.plastic_rule is None and (group.name, "w") not in assigned and not variable.scalar
            if not after_run:
                weights = extra["w_initial"]
            elif static:  # the initial weights, rounded to the weight variable's precision
                weights = np.asarray(extra["w_initial"], dtype=variable.dtype)
            else:  # a copy: the runtime device may hand out its live array
                weights = np.array(group.w[:], dtype=float)
            # Brian2 keeps the order of the (i, j) arrays given to connect()
            i, j = self._synapse_indices(projection)
            synapses[projection.name] = SynapseTable(projection.source, projection.target, i, j,
                                                     read_only(weights, float), extra)
        populations = {}
        for population in self.spec.populations:
            values = sampled[population.name]
            populations[population.name] = PopulationRecord(
                population.n_neurons, {k: np.asarray(v, dtype=float) for k, v in values.items()},
                {k: str(v.dim) if hasattr(v, "dim") else "1" for k, v in values.items()})
        provenance = {
            "master_seed": streams.master_seed, "build_seed": self.streams.master_seed,
            "structure_seed": self.spec.structure_seed,
            "brian_seed": streams.brian_seed, "spec": self._spec_copy(), "recording": self.recording.describe(),
            "backend": self.backend.describe(), "versions": environment_versions(), "dt": float(self.spec.dt),
            "t_start": 0.0, "t_stop": float(self.duration), "wall_time": wall_time,
            "compile_time": self.backend.compile_time, "tau_min_over_dt": self.built.tau_min_over_dt,
            "run_label": label, "status": "complete",
        }
        return SimulationResult(spikes=spikes, synapses=synapses, traces=traces, populations=populations,
                                provenance=provenance)


def final_state_key(owner, variable):
    """Name of the trace that holds ``owner.variable`` at the end of a run (``Simulator.run(final_state=...)``)."""
    return f"{owner}.{variable}.final"


def final_value(result, owner, variable):
    """``owner.variable`` at the end of the run that produced ``result`` (SI array, one value per element).

    Raises
    ------
    KeyError
        When the run was not asked for it (``Simulator.run(final_state={owner: (variable,)})``).
    """
    key = final_state_key(owner, variable)
    if key not in result.traces:
        raise KeyError(f"{key!r} is not in the result: ask Simulator.run(final_state={{{owner!r}: ({variable!r},)}})")
    return result.traces[key].values[0]


def simulate(spec, duration, backend="auto", seed=None, recording=Recording(), report=None, build_root=None,
             final_state=None):
    """Build, run once and return the :class:`~hetero_brian.results.SimulationResult`
    (``final_state``: as in :meth:`Simulator.run`)."""
    with Simulator(spec, duration, backend=backend, seed=seed, recording=recording, report=report,
                   build_root=build_root) as simulator:
        return simulator.run(final_state=final_state)
