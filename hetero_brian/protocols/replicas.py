"""K perturbed replicas of a network simulated in the same run, for Lyapunov analysis.

:func:`replicate_spec` turns a :class:`~hetero_brian.network.spec.NetworkSpec` into one whose
every population holds ``n_copies`` blocks of the original population (block 0 is the reference,
blocks 1..K the replicas): recurrent connectivity is block-diagonal (the original ``i``, ``j`` with
block offsets), and each block's input projection comes from the *same* input group, so every
replica receives identical input spikes. :class:`ReplicaSimulator` builds (compiles) that network
once and runs it with the reference's sampled parameters tiled over the blocks and the initial
membrane potential of replica ``k`` displaced by ``epsilon_k`` (in units of the threshold distance
``v_th - v_rest``, RMS over neurons). :meth:`ReplicaSimulator.run_renormalised` chains runs of the
same binary, rescaling every replica's deviation back to its epsilon between them (Benettin).

Notes
-----
On a fixed time grid a spike happens at the first step with ``v > v_th``. A perturbation too small
to move any threshold crossing to another step never reaches other neurons: between spikes it
decays as ``exp(-t / tau_m,i)`` and the next reset (``v = v_reset``) erases it exactly. The
infinitesimal exponent measured by clock-driven replicas is therefore at most ``-1 / tau_max`` by
construction, whether the network is chaotic or not; finite perturbations that move spikes are
what reveal divergence. An exact event-based method (Engelken, Wolf & Abbott) is not implemented.

References
----------
G. Benettin, L. Galgani, A. Giorgilli, J.-M. Strelcyn, Meccanica 15:9-30 (1980).
S. Jahnke, R.-M. Memmesheimer, M. Timme, "Stable irregular dynamics in complex neural networks",
Phys. Rev. Lett. 100:048102 (2008).
R. Engelken, F. Wolf, L. F. Abbott, "Lyapunov spectra of chaotic recurrent neural networks",
Phys. Rev. Research 5:043044 (2023).
"""
import time
from dataclasses import replace

import numpy as np
from brian2 import Quantity, second, volt

from ..results.records import PopulationRecord, SimulationResult, Trace
from ..random import SeedStreams
from ..network.recording import Recording, StateRecord
from ..simulate import Simulator
from ..network.builder import sample_network_parameters
from ..network.spec import NetworkSpec, Population, Projection

__all__ = ["replicate_spec", "ReplicaSimulator", "GRID_NOTE", "check_epsilons"]

GRID_NOTE = ("clock-driven replicas: a perturbation that moves no spike to another time step decays as "
             "exp(-t/tau_m) and is erased exactly by the next reset, so the infinitesimal exponent is at "
             "most -1/tau_max by construction, chaotic or not; finite perturbations reveal divergence "
             "(no exact event-based method is used)")


def replicate_spec(spec, n_copies):
    """The spec of ``n_copies`` identical, uncoupled copies of ``spec`` in one network.

    Parameters
    ----------
    spec : NetworkSpec
        The network to replicate (populations, inputs, projections).
    n_copies : int
        Number of blocks (>= 2): the reference plus ``n_copies - 1`` replicas.

    Returns
    -------
    NetworkSpec
        Same names; population ``p`` has ``n_copies * n_p`` neurons, block ``k`` being neurons
        ``k n_p .. (k + 1) n_p - 1``. Projections between populations are block-diagonal
        (``i + k n_source``, ``j + k n_target``); projections from an input repeat the input's
        ``i`` for every block, so all blocks receive the same input spikes.
    """
    if isinstance(n_copies, bool) or not isinstance(n_copies, (int, np.integer)) or n_copies < 2:
        raise ValueError(f"n_copies must be an integer >= 2 (reference plus replicas); got {n_copies!r}")
    if not isinstance(spec, NetworkSpec):
        raise TypeError(f"spec must be a NetworkSpec; got {type(spec).__name__}")
    sizes = {p.name: p.n_neurons for p in spec.populations}
    populations = tuple(Population(p.name, p.n_neurons * int(n_copies), p.model) for p in spec.populations)
    projections = []
    for projection in spec.projections:
        i, j = np.asarray(projection.i, dtype=np.int64), np.asarray(projection.j, dtype=np.int64)
        blocks = np.arange(int(n_copies))
        if projection.target not in sizes:
            raise ValueError(f"projection {projection.name!r} targets the input {projection.target!r}; "
                             "replicas need every projection to end on a population")
        j_all = (j[None, :] + blocks[:, None] * sizes[projection.target]).ravel()
        if projection.source in sizes:
            i_all = (i[None, :] + blocks[:, None] * sizes[projection.source]).ravel()
        else:
            i_all = np.tile(i, int(n_copies))
        projections.append(Projection(projection.name, projection.source, projection.target, projection.synapse,
                                      i_all, j_all))
    return NetworkSpec(populations=populations, projections=tuple(projections), inputs=spec.inputs, dt=spec.dt,
                       shared_constants=spec.shared_constants)


def _tile(value, n_copies):
    array = np.tile(np.asarray(value, dtype=float), n_copies)
    dim = getattr(value, "dim", None)
    return Quantity(array, dim=dim) if dim is not None and not dim.is_dimensionless else array


def check_epsilons(epsilons):
    """Validate perturbation sizes (dimensionless, in units of the threshold distance)."""
    epsilons = np.asarray(epsilons, dtype=float)
    if epsilons.ndim != 1 or epsilons.size == 0:
        raise ValueError(f"epsilons must be a non-empty 1-D sequence of perturbation sizes; got shape {epsilons.shape}")
    if not np.all(np.isfinite(epsilons)) or np.any(epsilons < 0) or np.any(epsilons > 1):
        raise ValueError(f"epsilons must be in [0, 1] (units of the threshold distance v_th - v_rest); got {epsilons!r}")
    return epsilons


class ReplicaSimulator:
    """Reference plus K perturbed replicas of ``spec`` in one build and one run.

    Parameters
    ----------
    spec : NetworkSpec
        The network (every population's model must have ``v``, ``v_th`` and ``v_rest``).
    epsilons : sequence of float
        Perturbation size of each replica (K values; 0 gives an unperturbed replica), as the RMS
        over all neurons of the initial ``v`` displacement divided by each neuron's
        ``v_th - v_rest``. Typical range 1e-9 (infinitesimal) to 1e-2 (finite). Repeat a value to
        estimate the probability of divergence at that size over several random directions.
    duration : brian2.Quantity
        Duration of one run (for :meth:`run_renormalised`: the renormalisation interval).
    backend : str
        ``"runtime"``, ``"cpp_standalone"`` or ``"auto"`` (one compilation for all runs).
    seed : int, optional
        Master seed: heterogeneous parameters, initial state and perturbation directions.
    record_interval : brian2.Quantity
        Sampling interval of the membrane states (default: every 1 ms).
    build_root : str, optional
        Root folder of standalone builds.

    Notes
    -----
    The heterogeneous parameters are sampled once for the original spec (the ``heterogeneity``
    stream of ``seed``) and tiled over the blocks as run arguments, so every block is the same
    network. The reference's initial ``v`` is uniform in ``[v_reset, v_th)`` (stream
    ``replica_initial``); replica ``k`` starts at ``v + epsilon_k (v_th - v_rest) u_k`` with
    ``u_k`` a Gaussian direction scaled to unit RMS (stream ``replica_directions``).
    """

    def __init__(self, spec, epsilons, duration, backend="auto", seed=None, record_interval=None,
                 build_root=None):
        self.epsilons = check_epsilons(epsilons)
        self.base = spec
        self.n_copies = self.epsilons.size + 1
        self.spec = replicate_spec(spec, self.n_copies)
        self.streams = SeedStreams(seed)
        self._sample(spec)
        self.state_variables = {
            p.name: tuple(name for name, unit in p.model.state_variables().items()
                          if getattr(unit, "dim", None) is not None and unit.dim == volt.dim)
            for p in spec.populations
        }
        interval = record_interval if record_interval is not None else 1e-3 * second
        states = tuple(StateRecord(p.name, self.state_variables[p.name], tuple(range(p.n_neurons)), interval)
                       for p in self.spec.populations)
        self.record_interval = float(interval)
        # standalone groups read their values from the run's folder: keep it until the final state
        # is read (run_renormalised), then discard it here
        self.simulator = Simulator(self.spec, duration, backend=backend, seed=self.streams.master_seed,
                                   recording=Recording(spikes="all", states=states), build_root=build_root,
                                   keep_run_directories=True)
        self.duration = float(duration)

    def _sample(self, spec):
        """Sample the heterogeneous parameters of ``spec`` (one block) and check them."""
        self.sampled = sample_network_parameters(spec, self.streams)
        self.threshold_distance = {}
        for population in spec.populations:
            values = self.sampled[population.name]
            if not {"v_th", "v_rest"} <= set(values) or "v" not in population.model.state_variables():
                raise ValueError(f"population {population.name!r}: replicas perturb v in units of v_th - v_rest; "
                                 f"model {type(population.model).__name__} lacks v, v_th or v_rest")
            distance = np.asarray(values["v_th"], dtype=float) - np.asarray(values["v_rest"], dtype=float)
            if np.any(distance <= 0):
                raise ValueError(f"population {population.name!r}: v_th - v_rest must be > 0 for every neuron")
            self.threshold_distance[population.name] = distance
            smallest = float(np.min(self.epsilons[self.epsilons > 0])) if np.any(self.epsilons > 0) else 1.0
            floor = 64 * np.finfo(float).eps * float(np.max(np.abs(np.asarray(values["v_th"], dtype=float))))
            if smallest * float(np.min(distance)) <= floor:
                raise ValueError(f"epsilons: the smallest perturbation {smallest:.3g} x (v_th - v_rest) = "
                                 f"{smallest * float(np.min(distance)):.3g} V is below the floating-point "
                                 f"resolution {floor:.3g} V of the membrane potential of {population.name!r}")

    def use_models(self, models):
        """Replace population models by others of the same equations (e.g. another tau_m spread).

        The parameters are resampled (``heterogeneity`` stream of the seed) and passed as run
        arguments, so the compiled network is reused: no new build.

        Parameters
        ----------
        models : dict of str -> neuron spec
            Per population name, a spec of the same type as the original one.
        """
        populations = []
        for population in self.base.populations:
            model = models.get(population.name, population.model)
            if (type(model) is not type(population.model) or model.equations() != population.model.equations()
                    or model.reset() != population.model.reset()):
                raise ValueError(f"models[{population.name!r}] must have the same equations as the built model "
                                 f"({type(population.model).__name__}); got {type(model).__name__}")
            populations.append(Population(population.name, population.n_neurons, model))
        unknown = set(models) - {p.name for p in self.base.populations}
        if unknown:
            raise ValueError(f"models: unknown populations {sorted(unknown)}; known {[p.name for p in self.base.populations]}")
        for old, new in zip(self.base.populations, populations):
            varying = sorted(set(self.base.shared_parameters(old.model)) - set(new.model.constant_parameters()))
            if varying:
                raise ValueError(f"models[{old.name!r}] varies {varying}, built as one shared value (Constant); build "
                                 f"with NetworkSpec(shared_constants=False) to pass other heterogeneity levels")
        self.base = replace(self.base, populations=tuple(populations))
        self._sample(self.base)

    def __enter__(self):
        self.simulator.__enter__()
        return self

    def __exit__(self, kind, error, traceback):
        return self.simulator.__exit__(kind, error, traceback)

    @property
    def n_compilations(self):
        """Compilations made by the backend (0 for the runtime device)."""
        return self.simulator.backend.n_compilations

    # -- state -------------------------------------------------------------------------------------
    def reference_initial_state(self):
        """Initial state of one block: ``v`` uniform in ``[v_reset, v_th)``, other states 0 (SI)."""
        rng = self.streams.generator("replica_initial")
        state = {}
        for population in self.base.populations:
            values = self.sampled[population.name]
            low = np.asarray(values.get("v_reset", values["v_rest"]), dtype=float)
            high = np.asarray(values["v_th"], dtype=float)
            state[population.name] = {name: np.zeros(population.n_neurons) for name in self.state_variables[population.name]}
            state[population.name]["v"] = low + (high - low) * rng.random(population.n_neurons)
        return state

    def _directions(self):
        """Unit-RMS Gaussian directions, shape (K, total neurons of one block)."""
        n_total = sum(p.n_neurons for p in self.base.populations)
        directions = self.streams.generator("replica_directions").standard_normal((self.epsilons.size, n_total))
        return directions / np.sqrt(np.mean(directions ** 2, axis=1, keepdims=True))

    def _parameters(self, block_states, lastspike=None):
        """Run arguments: tiled sampled parameters and the per-block states (dict name -> array)."""
        parameters = {}
        for population in self.base.populations:
            for name, value in self.sampled[population.name].items():
                parameters[f"{population.name}.{name}"] = _tile(value, self.n_copies)
            for variable in self.state_variables[population.name]:
                stacked = np.concatenate([block[population.name][variable] for block in block_states])
                parameters[f"{population.name}.{variable}"] = Quantity(stacked, dim=volt.dim)
            if lastspike is not None:
                parameters[f"{population.name}.lastspike"] = Quantity(lastspike[population.name], dim=second.dim)
        for projection in self.base.projections:
            for name, value in self.sampled[projection.name].items():
                if name != "delay":
                    parameters[f"{projection.name}.{name}"] = _tile(value, self.n_copies)
        return parameters

    def perturbed_states(self, reference):
        """Block states: the reference, then each replica displaced in ``v`` by its epsilon."""
        directions = self._directions()
        blocks = [reference]
        for k, epsilon in enumerate(self.epsilons):
            block, offset = {}, 0
            for population in self.base.populations:
                n = population.n_neurons
                block[population.name] = {name: np.array(value, dtype=float) for name, value in reference[population.name].items()}
                scale = self.threshold_distance[population.name]
                block[population.name]["v"] = block[population.name]["v"] + epsilon * scale * directions[k, offset:offset + n]
                offset += n
            blocks.append(block)
        return blocks

    # -- runs --------------------------------------------------------------------------------------
    def _provenance(self, method, renormalisation_interval=None, n_segments=1):
        return {
            "n_copies": self.n_copies, "epsilons": [0.0, *map(float, self.epsilons)],
            "epsilon_unit": "threshold distance v_th - v_rest (RMS over neurons)",
            "perturbed_variable": "v", "state_variables": {k: list(v) for k, v in self.state_variables.items()},
            "block_sizes": {p.name: int(p.n_neurons) for p in self.base.populations},
            "method": method, "renormalisation_interval": renormalisation_interval, "n_segments": n_segments,
            "segment_duration": self.duration, "record_interval": self.record_interval,
            "tau_max": self._tau_max(), "base_spec": self.base.describe(), "grid_note": GRID_NOTE,
        }

    def _tau_max(self):
        values = [np.max(np.asarray(self.sampled[p.name]["tau_m"], dtype=float))
                  for p in self.base.populations if "tau_m" in self.sampled[p.name]]
        return float(max(values)) if values else None

    def _fix_record(self, result, provenance):
        """Record the tiled (actually simulated) parameters instead of the replicated spec's draws."""
        populations = {
            p.name: PopulationRecord(p.n_neurons * self.n_copies,
                                     {k: np.tile(np.asarray(v, dtype=float), self.n_copies) for k, v in self.sampled[p.name].items()},
                                     {k: str(v.dim) if hasattr(v, "dim") else "1" for k, v in self.sampled[p.name].items()})
            for p in self.base.populations
        }
        synapses = {}
        for name, table in result.synapses.items():
            extra = {k: np.tile(np.asarray(self.sampled[name][k], dtype=float), self.n_copies) for k in table.extra
                     if k in self.sampled[name]}
            extra["w_initial"] = np.tile(np.asarray(self.sampled[name]["weight"], dtype=float), self.n_copies)
            synapses[name] = replace(table, extra=extra)
        return replace(result, populations=populations, synapses=synapses,
                       provenance=dict(result.provenance, replicas=provenance))

    def run(self, initial_state=None, seed=None, parameters=None):
        """One run of reference and replicas; returns a SimulationResult.

        Parameters
        ----------
        initial_state : dict, optional
            Per population, per state variable, the reference's initial values (SI arrays of one
            block); default :meth:`reference_initial_state`.
        seed : int, optional
            Seed of this run's device randomness (Poisson input), shared by all blocks.
        parameters : dict, optional
            Further overrides ``{"owner.variable": value}`` for the replicated network (scalars,
            or arrays covering all blocks for parameters that are not one shared value), e.g. a
            constant drive ``{"cells.I_ext": 20*mV}``.

        Returns
        -------
        SimulationResult
            Spikes and sampled states of all blocks (block ``k`` = neurons ``k n .. (k+1) n - 1``);
            ``provenance["replicas"]`` holds epsilons, block sizes, method and the grid note.
        """
        reference = initial_state if initial_state is not None else self.reference_initial_state()
        blocks = self.perturbed_states(reference)
        label = f"replicas-{time.time_ns()}"
        result = self.simulator.run(seed=seed, label=label, parameters={**self._parameters(blocks), **(parameters or {})})
        self.simulator.backend.discard_run(label)
        return self._fix_record(result, self._provenance("replicas in one run (clock-driven)"))

    def _read_blocks(self):
        """Final state of every block (list of dict population -> variable -> array) and lastspike."""
        blocks = [dict() for _ in range(self.n_copies)]
        lastspike = {}
        for population in self.base.populations:
            group, n = self.simulator.built.groups[population.name], population.n_neurons
            for variable in self.state_variables[population.name]:
                values = np.asarray(getattr(group, variable)[:], dtype=float)
                for k in range(self.n_copies):
                    blocks[k].setdefault(population.name, {})[variable] = values[k * n:(k + 1) * n].copy()
            lastspike[population.name] = np.asarray(group.lastspike[:], dtype=float)
        return blocks, lastspike

    def _distance(self, block, reference):
        total, count = 0.0, 0
        for population in self.base.populations:
            scale = self.threshold_distance[population.name]
            for variable in self.state_variables[population.name]:
                total += float(np.sum(((block[population.name][variable] - reference[population.name][variable]) / scale) ** 2))
            count += population.n_neurons
        return float(np.sqrt(total / count))

    def run_renormalised(self, n_segments, initial_state=None, seed=0, parameters=None):
        """Benettin renormalisation: ``n_segments`` runs of ``duration``, rescaling in between.

        After each segment the full state deviation (every volt-valued state variable, in units
        of the threshold distance) of replica ``k`` from the reference is measured, ``ln(d_k /
        epsilon_k)`` recorded, and the deviation rescaled to ``epsilon_k``; replicas take the
        reference's refractory clock (``lastspike``). A deviation erased exactly (``d_k = 0``, the
        clock-driven reset) is recorded as ``-inf`` and replaced by a fresh random direction.

        Parameters
        ----------
        n_segments : int
            Number of renormalisation intervals (>= 11: the first is discarded as transient).
        initial_state : dict, optional
            Reference initial state (default :meth:`reference_initial_state`).
        seed : int
            Seed of the first segment's input; segment ``s`` uses ``seed + s`` (fresh Poisson
            input per segment, identical across blocks).
        parameters : dict, optional
            Further overrides, as in :meth:`run`.

        Returns
        -------
        SimulationResult
            Trace ``replicas.log_growth`` (values ``(n_segments, K)``, times the segment ends, in s)
            and ``replicas.distance`` (the distances before rescaling); no spikes.

        Raises
        ------
        ValueError
            For plastic projections or synaptic delays (their state cannot be carried between
            segments: the message names the alternative, the two-trajectory estimate of one
            continuous run), zero epsilons or fewer than 10 segments.
        """
        if isinstance(n_segments, bool) or not isinstance(n_segments, (int, np.integer)) or n_segments < 11:
            raise ValueError(f"n_segments must be an integer >= 11 (10 after a transient one, for a standard error); got {n_segments!r}")
        if np.any(self.epsilons <= 0):
            raise ValueError(f"epsilons must all be > 0 for renormalisation; got {self.epsilons!r}")
        for projection in self.base.projections:
            if projection.synapse.plastic_rule is not None:
                raise ValueError(f"projection {projection.name!r} is plastic: its weights and traces cannot be carried "
                                 "between renormalisation segments; use a static network")
            delays = np.asarray(self.sampled[projection.name].get("delay", 0.0), dtype=float)
            if np.any(delays > 0):
                raise ValueError(
                    f"projection {projection.name!r} has synaptic delays (up to {1e3 * float(np.max(delays)):.3g} ms): "
                    "Benettin renormalisation restarts every segment from the saved neuron states, so spikes still in "
                    "flight at a segment's end would be lost and the exponent would be wrong. Use the two-trajectory "
                    "estimate of one continuous run instead (ReplicaSimulator.run, then "
                    "hetero_brian.analysis.trajectory_divergence.divergence_rate, or finite_size_exponents of "
                    "hetero_brian.analysis.finite_size_lyapunov), which keeps every delayed spike")
        reference = initial_state if initial_state is not None else self.reference_initial_state()
        blocks, lastspike = self.perturbed_states(reference), None
        log_growth = np.zeros((n_segments, self.epsilons.size))
        distances = np.zeros_like(log_growth)
        rng = self.streams.generator("replica_renormalisation")
        wall = 0.0
        for segment in range(n_segments):
            label = f"segment-{segment:04d}-{time.time_ns()}"
            result = self.simulator.run(seed=int(seed) + segment, label=label,
                                        parameters={**self._parameters(blocks, lastspike), **(parameters or {})})
            wall += result.provenance["wall_time"]
            finals, lastspike_all = self._read_blocks()
            self.simulator.backend.discard_run(label)
            reference = finals[0]
            new_blocks = [reference]
            for k, epsilon in enumerate(self.epsilons):
                d = self._distance(finals[k + 1], reference)
                distances[segment, k] = d
                log_growth[segment, k] = np.log(d / epsilon) if d > 0 else -np.inf
                factor = epsilon / d if d > 0 else 0.0
                block = {}
                for population in self.base.populations:
                    block[population.name] = {
                        variable: reference[population.name][variable]
                        + factor * (finals[k + 1][population.name][variable] - reference[population.name][variable])
                        for variable in self.state_variables[population.name]}
                if d == 0:  # erased exactly: start again from a fresh direction of size epsilon
                    n_total = sum(p.n_neurons for p in self.base.populations)
                    direction = rng.standard_normal(n_total)
                    direction /= np.sqrt(np.mean(direction ** 2))
                    offset = 0
                    for population in self.base.populations:
                        n = population.n_neurons
                        block[population.name]["v"] = (block[population.name]["v"] + epsilon
                                                       * self.threshold_distance[population.name] * direction[offset:offset + n])
                        offset += n
                new_blocks.append(block)
            blocks = new_blocks
            # every block takes the reference's refractory clock, shifted to the next run's t = 0
            lastspike = {p.name: np.tile(lastspike_all[p.name][:p.n_neurons], self.n_copies) - self.duration
                         for p in self.base.populations}
        times = self.duration * np.arange(1, n_segments + 1)
        indices = np.arange(1, self.n_copies, dtype=np.int64)
        traces = {"replicas.log_growth": Trace("replicas", "log_growth", "1", times, indices, log_growth),
                  "replicas.distance": Trace("replicas", "distance", "1", times, indices, distances)}
        provenance = dict(result.provenance, t_stop=float(times[-1]), wall_time=wall,
                          replicas=self._provenance("Benettin renormalisation over segments (clock-driven)",
                                                    self.duration, int(n_segments)))
        return SimulationResult(traces=traces, populations=self._fix_record(result, {}).populations,
                                provenance=provenance)
