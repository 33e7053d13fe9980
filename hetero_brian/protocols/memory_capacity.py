"""Linear memory capacity of an HRSNN reservoir against its shuffled-input control, per cell of the 2x2.

A scalar i.i.d. input ``u_k ~ U(0, 1)`` is held for one step of ``step_duration``: the ``n_input``
input channels fire Poisson spikes at ``u_k * input_rate`` during step ``k``
(:func:`hetero_brian.protocols.heterogeneity_sweep.input_raster`). After ``n_train_steps`` steps with
STDP on, ``n_steps`` steps run with plasticity off; the spike counts of every excitatory and
inhibitory neuron in each of these steps are the reservoir state. Memory capacity follows Jaeger
(2001), summed over delays ``1..max_delay``, with the mean capacity of ``n_controls`` shuffled copies
of the input subtracted (:func:`hetero_brian.analysis.capacity.capacity_above_control`). The cells
(homogeneous or heterogeneous neurons x STDP) are runs of one build per seed.

The build is made from :func:`shared_build_spec`: the configuration with every heterogeneity
distribution at its :class:`~hetero_brian.network.hrsnn.HRSNNParameters` default, and the values
of the configured distributions (sampled host-side from the same seed streams as a build of the
configured network would, :func:`~hetero_brian.network.builder.sample_network_parameters`) are run
arguments. Configurations that differ only in these distributions (a Bayesian optimisation over
tau_m and STDP distributions, ``hetero-brian tune``) then share one compiled network.

References
----------
H. Jaeger, "Short term memory in echo state networks", GMD Report 152 (2001).
B. Chakraborty, S. Mukhopadhyay, "Heterogeneous neuronal and synaptic dynamics for spike-efficient
unsupervised learning: theory and design principles", ICLR 2023, arXiv:2302.11618.
"""
import time

import numpy as np

from ..analysis.capacity import capacity_above_control
from ..analysis.features import sample_spike_counts
from ..network.builder import sample_network_parameters
from ..network.hrsnn import HRSNNParameters, hrsnn_spec, variant_name, variant_parameters
from ..network.spec import RasterInput
from ..random import SeedStreams
from ..network.recording import Recording
from ..simulate import Simulator
from .heterogeneity_sweep import input_raster

CELLS = ((False, False), (True, False), (False, True), (True, True))
DISTRIBUTIONS = ("tau_m", "tau_adapt", "tau_pre", "tau_post", "eta_plus", "eta_minus")


def shared_build_spec(config, input_population, run_seed):
    """The configured spec, the spec to build (distributions at their defaults) and the configured samples.

    Parameters
    ----------
    config : HRSNNParameters
    input_population : RasterInput
    run_seed : int

    Returns
    -------
    spec : NetworkSpec
        The configured network (its means give :func:`variant_parameters`).
    build_spec : NetworkSpec
        Same structure and connectivity, every distribution of :data:`DISTRIBUTIONS` at its default:
        its code does not depend on the configured distributions.
    sampled : dict
        The configured network's heterogeneous parameters for ``Simulator.run(sampled=...)``.
    """
    defaults = HRSNNParameters.model_fields
    canonical = config.model_copy(update={name: defaults[name].default for name in DISTRIBUTIONS})
    spec = hrsnn_spec(config, input_population, run_seed)
    build_spec = hrsnn_spec(canonical, input_population, run_seed)
    for configured, built in zip(spec.projections, build_spec.projections):
        if not (np.array_equal(configured.i, built.i) and np.array_equal(configured.j, built.j)):
            raise RuntimeError(f"connectivity of {configured.name} depends on the distributions")
    return spec, build_spec, sample_network_parameters(spec, SeedStreams(run_seed))


def step_states(result, boundaries):
    """Spike counts ``(n_steps, n_exc + n_inh)`` of every reservoir neuron in every measured step."""
    return np.concatenate([sample_spike_counts(result.spikes[name], boundaries)[:, 0, :] for name in ("exc", "inh")],
                          axis=1)


def run_seed(config, run_seed, backend="auto", build_root=None):
    """Memory capacity, its control and the activity of every cell in ``config.variants`` for one seed.

    Parameters
    ----------
    config : HRSNNParameters with the options ``n_input``, ``n_steps``, ``n_train_steps``,
        ``step_duration``, ``input_rate``, ``max_delay``, ``ridge``, ``washout``, ``n_controls``, ``variants``.
    run_seed : int
        Seeds the connectivity, the parameters, the input and the controls.
    backend : str
    build_root : str, optional

    Returns
    -------
    list of dict
        Per cell: ``variant``, ``seed``, ``memory_capacity``, ``mc_shuffled``, ``mc_net``, ``mc_ratio``,
        ``r_squared`` (per delay), ``spikes_per_neuron_per_step``, ``rate_hz``, ``wall_time_s``.
    """
    streams = SeedStreams(run_seed)
    total_steps = config.n_train_steps + config.n_steps
    input_rng = streams.generator("input")
    u = input_rng.uniform(0.0, 1.0, total_steps)
    spec, build_spec, sampled = shared_build_spec(
        config, RasterInput("stimulus", input_raster(u, config, input_rng), config.dt), run_seed)
    phases = [(config.n_steps * config.step_duration, {"ee.plastic": 0})]
    if config.n_train_steps:
        phases.insert(0, (config.n_train_steps * config.step_duration, {}))
    edges = float(config.step_duration) * np.arange(config.n_train_steps, total_steps + 1)
    boundaries = np.stack([edges[:-1], edges[1:]], axis=1)
    measured_u = u[config.n_train_steps:]
    rows = []
    start = time.perf_counter()
    with Simulator(build_spec, phases, backend=backend, seed=run_seed, recording=Recording(spikes=("exc", "inh")),
                   build_root=build_root) as simulator:
        print(f"memory capacity seed {run_seed}: network built, {time.perf_counter() - start:.0f} s", flush=True)
        for switches in CELLS:
            variant = variant_name(*switches)
            if variant not in config.variants:
                continue
            start = time.perf_counter()
            result = simulator.run(parameters=variant_parameters(spec, *switches), sampled=sampled,
                                   label=f"mc-{variant}-{run_seed}")
            row = measured_row(result, boundaries, measured_u, config, run_seed, variant, len(rows))
            row["wall_time_s"] = time.perf_counter() - start
            rows.append(row)
            print(f"memory capacity seed {run_seed} {variant}: MC {row['memory_capacity']:.2f}, shuffled "
                  f"{row['mc_shuffled']:.2f} (x{row['mc_ratio']:.1f}), {row['rate_hz']:.1f} Hz, "
                  f"{row['wall_time_s']:.0f} s", flush=True)
    return rows


def measured_row(result, boundaries, measured_u, config, run_seed, variant, row_index):
    """Memory capacity and activity of one measured run: a row of the scenario's table.

    Parameters
    ----------
    result : SimulationResult
        The run whose last ``config.n_steps`` input steps are measured (``boundaries``, s).
    measured_u : ndarray
        The input values of those steps.
    row_index : int
        Position of the row in its table (seeds the shuffled control).

    Returns
    -------
    dict
        ``variant``, ``seed``, ``memory_capacity``, ``mc_shuffled``, ``mc_net``, ``mc_ratio``,
        ``r_squared`` (per delay), ``spikes_per_neuron_per_step``, ``rate_hz`` (Hz).
    """
    states = step_states(result, boundaries)
    capacity = capacity_above_control(measured_u, states, config.max_delay,
                                      np.random.default_rng([run_seed, row_index]), config.n_controls,
                                      ridge=config.ridge, washout=config.washout)
    activity = float(states.sum() / (config.n_neurons * config.n_steps))
    return {"variant": variant, "seed": run_seed, "memory_capacity": capacity.capacity,
            "mc_shuffled": capacity.control, "mc_net": capacity.net, "mc_ratio": capacity.ratio,
            "r_squared": capacity.r_squared.tolist(), "spikes_per_neuron_per_step": activity,
            "rate_hz": activity / float(config.step_duration)}


__all__ = ["CELLS", "DISTRIBUTIONS", "measured_row", "run_seed", "shared_build_spec", "step_states"]
