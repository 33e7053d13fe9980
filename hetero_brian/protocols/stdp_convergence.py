"""STDP trained in chunks until the weight distribution stops changing, then memory capacity and activity.

The reservoir of :mod:`hetero_brian.protocols.memory_capacity` is built once per seed with one
phase of ``n_steps`` input steps. Training is a sequence of runs of that build (chunks), each with
STDP on, a fresh i.i.d. input sequence and the excitatory-to-excitatory weights the previous chunk
ended with (run-time arguments, no recompilation). After chunk ``c`` the weights ``w_c`` are
compared with ``w_{c-1}`` (``w_0``: the initial weights):

* ``ks_c``: the Kolmogorov-Smirnov distance between the two weight distributions (the largest
  difference of their empirical cumulative distribution functions; blind to which synapse holds
  which weight), the convergence criterion;
* ``l1_c = |w_c - w_{c-1}|_1 / |w_{c-1}|_1``: the relative change of the weight vector (recorded;
  under additive STDP single weights keep hopping between the bounds after the distribution has
  settled, so it need not fall).

Training stops after the first chunk ``c`` at which ``ks`` has stayed below a threshold for
``patience`` consecutive chunks (converged at ``c``), or after ``max_chunks`` chunks (not
converged; the reached state and the whole ``ks`` / ``l1`` history are recorded either way). The
default threshold is the 5 % critical value of the two-sample KS test for two samples of the
number ``n`` of ee synapses, ``1.358 sqrt(2 / n)`` (:func:`ks_critical_value`): successive
distributions then differ by no more than two independent draws of one distribution would. The
KS distance between the last weights and those ``patience`` chunks before (``ks_window``) is
recorded as a check for slow drift. Then
one run of ``n_steps`` with plasticity off gives the states, Jaeger's memory capacity above its
shuffled control and the activity, as in :func:`hetero_brian.protocols.memory_capacity.run_seed`.
Each chunk starts from the initial membrane and trace values (a reset between chunks; the weights
alone carry the learning), so the first steps of a chunk are a short transient.

References
----------
H. Jaeger, "Short term memory in echo state networks", GMD Report 152 (2001).
B. Chakraborty, S. Mukhopadhyay, ICLR 2023, arXiv:2302.11618.
"""
import time
from typing import Literal, Optional

import numpy as np
from brian2 import volt
from pydantic import Field

from ..config import StrictModel
from ..errors import ConfigError

from ..network.hrsnn import variant_name, variant_parameters
from ..network.recording import Recording
from ..network.spec import RasterInput
from ..random import SeedStreams
from ..simulate import Simulator
from .heterogeneity_sweep import input_raster
from .memory_capacity import CELLS, measured_row, shared_build_spec


class ConvergenceOptions(StrictModel):
    """The keys of STDP training to convergence, shared by every scenario that offers it.

    A scenario's ``Config`` inherits them (``class Config(HRSNNParameters, ConvergenceOptions)``);
    the chunk is the scenario's own fixed training length (``n_steps`` input steps of the
    ``memory_capacity`` scenario, ``n_stdp_samples`` presentations of the HRSNN 2x2).
    """

    stdp_training: Literal["fixed", "converged"] = Field(
        "fixed", description="'fixed': the scenario's fixed STDP training length; 'converged': chunks of that "
                             "length until the ee weight distribution stops changing")
    convergence_threshold: Optional[float] = Field(
        None, description="KS distance between successive ee weight distributions counted as unchanged "
                          "(None: the two-sample 5 % critical value for the number of ee synapses)")
    convergence_patience: int = Field(3, description="successive chunks below the threshold that end training")
    max_chunks: int = Field(15, description="most STDP chunks (training stops unconverged)")


def check_convergence_options(config):
    """Raise :class:`ConfigError` naming the first bad key of :class:`ConvergenceOptions`."""
    for name in ("convergence_patience", "max_chunks"):
        if getattr(config, name) < 1:
            raise ConfigError(f"{name} must be >= 1; got {getattr(config, name)!r}")
    if config.convergence_threshold is not None and not 0 < config.convergence_threshold < 1:
        raise ConfigError(f"convergence_threshold must be in (0, 1); got {config.convergence_threshold!r}")


def ks_distance(first, second):
    """Kolmogorov-Smirnov distance between the empirical distributions of two samples (0 to 1)."""
    first, second = np.sort(np.ravel(first)), np.sort(np.ravel(second))
    if first.size == 0 or second.size == 0:
        raise ValueError("ks_distance needs two non-empty samples")
    points = np.concatenate([first, second])
    cdf_first = np.searchsorted(first, points, side="right") / first.size
    cdf_second = np.searchsorted(second, points, side="right") / second.size
    return float(np.max(np.abs(cdf_first - cdf_second)))


def ks_critical_value(n_samples, coefficient=1.358):
    """Two-sample KS distance exceeded with probability ~5 % by two samples of size ``n_samples`` of one distribution.

    ``coefficient * sqrt(2 / n_samples)`` (1.358: the asymptotic 5 % point of the Kolmogorov distribution).
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1; got {n_samples!r}")
    return float(coefficient * np.sqrt(2.0 / n_samples))


def relative_l1_change(previous, current):
    """``|current - previous|_1 / |previous|_1`` (inf when ``previous`` is all zero and they differ)."""
    previous, current = np.ravel(previous).astype(float), np.ravel(current).astype(float)
    if previous.shape != current.shape:
        raise ValueError(f"weight vectors differ in size: {previous.size} vs {current.size}")
    change, scale = float(np.abs(current - previous).sum()), float(np.abs(previous).sum())
    return change / scale if scale > 0 else (0.0 if change == 0 else float("inf"))


def convergence_chunk(ks_history, threshold, patience):
    """First chunk (1-based) closing a run of ``patience`` chunks with ``ks < threshold``; None if none.

    Parameters
    ----------
    ks_history : sequence of float
        ``ks_c`` for chunks ``c = 1, 2, ...`` (distance of the weights after chunk ``c`` to those before).
    threshold : float
        Largest KS distance counted as unchanged (dimensionless, in (0, 1)).
    patience : int
        Consecutive chunks below ``threshold`` required (>= 1).
    """
    if patience < 1 or not 0 < threshold < 1:
        raise ValueError(f"need patience >= 1 and 0 < threshold < 1; got {patience!r}, {threshold!r}")
    run = 0
    for chunk, distance in enumerate(ks_history, start=1):
        run = run + 1 if distance < threshold else 0
        if run >= patience:
            return chunk
    return None


def train_to_convergence(simulator, parameters, chunk_inputs, threshold, patience, max_chunks, w_max, label,
                         sampled=None, input_name="stimulus"):
    """Run STDP chunks until :func:`convergence_chunk` fires or ``max_chunks`` ran.

    Parameters
    ----------
    simulator : Simulator
        An active simulator of an HRSNN with a ``stimulus`` raster input and plastic ``ee``.
    parameters : dict
        Run-time parameters of the cell (:func:`variant_parameters`).
    chunk_inputs : callable
        ``chunk_inputs(c)`` -> the input raster of chunk ``c`` (1-based).
    threshold, patience, max_chunks
        The criterion (:func:`convergence_chunk`; ``threshold`` None: :func:`ks_critical_value` of the
        number of ee synapses) and the largest number of chunks.
    w_max : float
        Upper bound of the ee weights (volt, SI float).
    label : str
    sampled : dict, optional
        Heterogeneous parameters for ``Simulator.run(sampled=...)`` (default: the build's).
    input_name : str
        Name of the :class:`~hetero_brian.network.spec.RasterInput` that ``chunk_inputs`` feeds.

    Returns
    -------
    weights : numpy.ndarray
        The ee weights reached (volt, SI floats).
    state : dict
        ``converged`` (bool), ``chunks`` (run), ``converged_at`` (chunk or None), ``threshold``,
        ``ks_window`` (KS distance over the last ``patience`` chunks), ``ks``, ``l1``
        (per chunk), ``weight_mean``, ``weight_at_bounds`` (fraction of weights within 1 % of 0 or
        ``w_max``, per chunk, from chunk 0), ``w_max`` (volt).
    """
    weights = None
    state = {"ks": [], "l1": [], "weight_mean": [], "weight_at_bounds": []}
    history = []
    for chunk in range(1, max_chunks + 1):
        values = dict(parameters)
        if weights is not None:
            values["ee.w"] = weights * volt
        result = simulator.run(parameters=values, inputs={input_name: chunk_inputs(chunk)}, sampled=sampled,
                               label=f"{label}-chunk{chunk}-{time.time_ns()}")
        table = result.synapses["ee"]
        if weights is None:
            initial = np.asarray(table.extra["w_initial"], dtype=float)
            state["w_max"] = w_max
            threshold = ks_critical_value(initial.size) if threshold is None else threshold
            state["threshold"] = threshold
            history.append(initial)
            state["weight_mean"].append(float(initial.mean()))
            state["weight_at_bounds"].append(_at_bounds(initial, w_max))
            weights = initial
        new = np.asarray(table.w, dtype=float)
        state["ks"].append(ks_distance(weights, new))
        state["l1"].append(relative_l1_change(weights, new))
        state["weight_mean"].append(float(new.mean()))
        state["weight_at_bounds"].append(_at_bounds(new, state["w_max"]))
        weights = new
        history = (history + [new])[-(patience + 1):]
        print(f"{label} chunk {chunk}: KS {state['ks'][-1]:.4f}, L1 {state['l1'][-1]:.4f}, "
              f"mean w {1e3 * new.mean():.3f} mV", flush=True)
        converged_at = convergence_chunk(state["ks"], threshold, patience)
        if converged_at is not None:
            break
    state.update(converged=converged_at is not None, converged_at=converged_at, chunks=len(state["ks"]),
                 ks_window=ks_distance(history[0], history[-1]), patience=patience)
    return weights, state


def _at_bounds(weights, w_max):
    """Fraction of weights within 1 % of ``w_max`` of either bound."""
    return float(np.mean((weights <= 0.01 * w_max) | (weights >= 0.99 * w_max)))


def run_seed(config, run_seed, backend="auto", build_root=None):
    """Memory capacity, its control and the activity of every cell in ``config.variants`` after STDP converged.

    Parameters
    ----------
    config : the memory_capacity scenario's Config
        Uses ``n_steps`` (steps per chunk and of the measurement), ``convergence_threshold``,
        ``convergence_patience``, ``max_chunks`` besides the options of
        :func:`hetero_brian.protocols.memory_capacity.run_seed`.
    run_seed : int
    backend : str
    build_root : str, optional

    Returns
    -------
    list of dict
        The rows of :func:`~hetero_brian.protocols.memory_capacity.run_seed` plus ``convergence``
        (the state of :func:`train_to_convergence`) and ``training_steps``.
    """
    streams = SeedStreams(run_seed)
    input_rng = streams.generator("input")
    measured_u = input_rng.uniform(0.0, 1.0, config.n_steps)
    measured_raster = input_raster(measured_u, config, input_rng)
    spec, build_spec, sampled = shared_build_spec(config, RasterInput("stimulus", measured_raster, config.dt), run_seed)
    edges = float(config.step_duration) * np.arange(config.n_steps + 1)
    boundaries = np.stack([edges[:-1], edges[1:]], axis=1)
    chunk_seed = streams.integer_seed("training-chunks")

    def chunk_inputs(chunk):  # the same training sequence for every cell of a seed
        rng = np.random.default_rng([chunk_seed, chunk])
        return input_raster(rng.uniform(0.0, 1.0, config.n_steps), config, rng)

    rows = []
    start = time.perf_counter()
    with Simulator(build_spec, config.n_steps * config.step_duration, backend=backend, seed=run_seed,
                   recording=Recording(spikes=("exc", "inh")), build_root=build_root) as simulator:
        print(f"stdp convergence seed {run_seed}: network built, {time.perf_counter() - start:.0f} s", flush=True)
        for switches in CELLS:
            variant = variant_name(*switches)
            if variant not in config.variants:
                continue
            start = time.perf_counter()
            parameters = variant_parameters(spec, *switches)
            weights, state = train_to_convergence(simulator, parameters, chunk_inputs, config.convergence_threshold,
                                                  config.convergence_patience, config.max_chunks,
                                                  float(config.w_max_ee), f"seed {run_seed} {variant}",
                                                  sampled)
            result = simulator.run(parameters={**parameters, "ee.w": weights * volt, "ee.plastic": 0},
                                   inputs={"stimulus": measured_raster}, sampled=sampled, label=f"conv-{variant}-{run_seed}")
            row = measured_row(result, boundaries, measured_u, config, run_seed, variant, len(rows))
            net = row["mc_net"]
            row.update(activity_over_memory_capacity=row["spikes_per_neuron_per_step"] / net if net > 0 else float("inf"),
                       convergence=state, training_steps=state["chunks"] * config.n_steps,
                       wall_time_s=time.perf_counter() - start)
            rows.append(row)
            print(f"stdp convergence seed {run_seed} {variant}: "
                  f"{'converged at chunk ' + str(state['converged_at']) if state['converged'] else 'NOT converged'}"
                  f", MC {row['memory_capacity']:.2f} (shuffled {row['mc_shuffled']:.2f}), {row['rate_hz']:.1f} Hz, "
                  f"{row['wall_time_s']:.0f} s", flush=True)
    return rows


__all__ = ["ConvergenceOptions", "check_convergence_options", "convergence_chunk", "ks_critical_value", "ks_distance", "relative_l1_change", "run_seed", "train_to_convergence"]
