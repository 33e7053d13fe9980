"""Heterogeneity sweeps on one compiled HRSNN: activity and memory capacity against the cv of tau_m or STDP.

An HRSNN reservoir is driven by a scalar i.i.d. input ``u_k ~ U(0, 1)`` held for one step: the input
population fires Poisson spikes at ``u_k * input_rate`` during step ``k`` (:func:`input_raster`).
After ``n_train_steps`` steps with plasticity on, ``n_steps`` steps run with plasticity off; on
these, the per-step spike counts of the excitatory neurons are the reservoir state and the linear
memory capacity (Jaeger 2001) is measured. Every condition of a seed (:func:`conditions`) is one run
of the same build: the swept values are run-time arguments (:func:`run_seed`).

References
----------
H. Jaeger, "Short term memory in echo state networks", GMD Report 152 (2001).
B. Chakraborty, S. Mukhopadhyay, "Heterogeneous neuronal and synaptic dynamics for spike-efficient
unsupervised learning: theory and design principles", ICLR 2023, arXiv:2302.11618.
"""
import json
import time

import numpy as np
from brian2 import second

from ..analysis.capacity import activity_over_capacity, memory_capacity
from ..analysis.features import sample_spike_counts
from ..distributions import Gamma, LogNormal
from ..network.spec import RasterInput
from ..network.hrsnn import hrsnn_spec, variant_parameters
from ..random import SeedStreams
from ..results import save
from ..simulate import Simulator

SWEEPS = ("tau_m", "stdp")
SUMMARY_QUANTITIES = ("spikes_per_neuron_per_step", "rate_hz", "memory_capacity", "mc_shuffled", "objective",
                      "silent_fraction")


def input_raster(u, config, rng):
    """0/1 raster (n_dt_steps, n_input): channel spikes with probability ``u_k * input_rate * dt`` per dt."""
    per_step = int(round(float(config.step_duration) / float(config.dt)))
    probability = np.repeat(np.asarray(u, dtype=float) * float(config.input_rate) * float(config.dt), per_step)
    return (rng.random((probability.size, config.n_input)) < probability[:, None]).astype(np.uint8)


def spread_samples(family, mean, cv, n, rng, tau_min):
    """``n`` samples of ``family(mean, cv)`` (the mean itself when cv = 0), floored at ``tau_min`` (seconds)."""
    if cv == 0:
        return np.full(n, float(mean)) * second
    values = np.asarray(family(mean, cv).sample(n, rng), dtype=float)
    return np.maximum(values, float(tau_min)) * second


def conditions(cvs):
    """(sweep, cv) pairs to simulate; cv = 0 is one shared homogeneous condition."""
    pairs = [("tau_m", cv) for cv in cvs]
    pairs += [("stdp", cv) for cv in cvs if cv != 0]
    return pairs


def _condition_values(config, sweep, cv, baseline, sizes, sample_rng):
    """Run-time parameters of one condition: every tau and eta at its mean, the swept ones spread."""
    values = dict(baseline)
    if sweep == "tau_m":
        mean = config.tau_m.mean
        for population in ("exc", "inh"):
            values[f"{population}.tau_m"] = spread_samples(Gamma, mean, cv, sizes[population], sample_rng, config.tau_min)
    else:
        for name in ("tau_pre", "tau_post"):
            values[f"ee.{name}"] = spread_samples(LogNormal, getattr(config, name).mean, cv, sizes["ee"], sample_rng,
                                                  config.tau_min)
    return values


def _row(config, sweep, cv, index, net_seed, result, boundaries, measured_u, shuffle_rng, wall):
    """Activity, memory capacity (and its shuffled-input control) and the objective of one run."""
    n_exc, n_inh, step = config.n_excitatory, config.n_inhibitory, float(config.step_duration)
    exc, inh = result.spikes["exc"], result.spikes["inh"]
    counts = sample_spike_counts(exc, boundaries)[:, 0, :]
    inh_counts = sample_spike_counts(inh, boundaries)[:, 0, :]
    mc = memory_capacity(measured_u, counts, config.max_delay, ridge=config.ridge)
    floor = memory_capacity(shuffle_rng.permutation(measured_u), counts, config.max_delay, ridge=config.ridge)
    spikes_per_neuron = float((counts.sum() + inh_counts.sum()) / (config.n_neurons * config.n_steps))
    silent = float(np.mean(np.concatenate([counts.sum(axis=0), inh_counts.sum(axis=0)]) == 0))
    return {
        "sweep": sweep, "cv": float(cv), "seed": net_seed, "seed_index": index,
        "spikes_per_neuron_per_step": spikes_per_neuron,
        "rate_hz": spikes_per_neuron / step,
        "exc_rate_hz": float(counts.sum() / (n_exc * config.n_steps * step)),
        "inh_rate_hz": float(inh_counts.sum() / (n_inh * config.n_steps * step)),
        "silent_fraction": silent,
        "memory_capacity": mc.capacity, "mc_shuffled": floor.capacity,
        "r_squared": mc.r_squared.tolist(),
        "objective": (float(activity_over_capacity(spikes_per_neuron, mc.capacity))
                      if mc.capacity > 0 else float("inf")),
        "wall_time_s": wall,
    }


def run_seed(config, index, master, output, backend, build_root=None):
    """All conditions of one seed: one build, one run per condition.

    Parameters
    ----------
    config : HRSNNParameters with the sweep options
        ``n_input``, ``n_steps``, ``n_train_steps``, ``step_duration``, ``input_rate``, ``cvs``,
        ``tau_min``, ``max_delay``, ``ridge``, ``save_results`` besides the reservoir's fields.
    index : int
        Seed index; the network seed is stream ``replicate-<index>`` of ``master``
        (:meth:`~hetero_brian.random.SeedStreams.integer_seed`, below 2**31 for any 63-bit master).
    master : int
    output : pathlib.Path
        Folder for ``rows.jsonl`` (one line appended per condition) and the saved results.
    backend : str or Backend
    build_root : str, optional

    Returns
    -------
    list of dict
        One row per condition (see :func:`conditions`).
    """
    net_seed = SeedStreams(master).integer_seed(f"replicate-{index}")
    streams = SeedStreams(net_seed)
    total_steps = config.n_train_steps + config.n_steps
    input_rng = streams.generator("input")
    u = input_rng.uniform(0.0, 1.0, total_steps)
    raster = input_raster(u, config, input_rng)
    spec = hrsnn_spec(config, RasterInput("stimulus", raster, config.dt), streams)
    sizes = {"exc": config.n_excitatory, "inh": config.n_inhibitory,
             "ee": next(p.n_synapses for p in spec.projections if p.name == "ee")}
    baseline = variant_parameters(spec, False, False)  # every tau and eta at its mean
    phases = [(config.n_steps * config.step_duration, {"ee.plastic": 0})]
    if config.n_train_steps:
        phases.insert(0, (config.n_train_steps * config.step_duration, {"ee.plastic": 1}))
    edges = float(config.step_duration) * np.arange(config.n_train_steps, total_steps + 1)  # shared edges: no overlap
    boundaries = np.stack([edges[:-1], edges[1:]], axis=1)
    measured_u = u[config.n_train_steps:]
    shuffle_rng = streams.generator("shuffle")
    rows = []
    with Simulator(spec, phases, backend=backend, seed=net_seed, build_root=build_root) as simulator:
        for sweep, cv in conditions(config.cvs):
            sample_rng = np.random.default_rng([net_seed, SWEEPS.index(sweep), int(round(cv * 1000))])
            values = _condition_values(config, sweep, cv, baseline, sizes, sample_rng)
            start = time.perf_counter()
            result = simulator.run(seed=net_seed, parameters=values, label=f"{sweep}-cv{cv:g}-seed{index}")
            wall = time.perf_counter() - start
            row = _row(config, sweep, cv, index, net_seed, result, boundaries, measured_u, shuffle_rng, wall)
            rows.append(row)
            if config.save_results:
                save(result, output / f"{sweep}-cv{cv:g}-seed{index}.h5")
            with open(output / "rows.jsonl", "a", encoding="utf-8") as handle:
                handle.write(json.dumps(row) + "\n")
            print(f"seed {index} {sweep} cv={cv:g}: {row['spikes_per_neuron_per_step']:.3f} spikes/neuron/step "
                  f"({row['rate_hz']:.1f} Hz), MC={row['memory_capacity']:.2f} (shuffled {row['mc_shuffled']:.2f}), "
                  f"E={row['objective']:.3g} [{wall:.1f} s]", flush=True)
    return rows


def _mean_std(values):
    values = np.asarray(values, dtype=float)
    return float(values.mean()), (float(values.std(ddof=1)) if values.size > 1 else 0.0)


def summarise(rows, cvs):
    """{(sweep, cv): {quantity: (mean, std)}}; cv = 0 rows serve both sweeps."""
    table = {}
    for sweep in SWEEPS:
        for cv in cvs:
            subset = [r for r in rows if r["cv"] == cv and (r["sweep"] == sweep or cv == 0)]
            table[(sweep, cv)] = {key: _mean_std([r[key] for r in subset]) for key in SUMMARY_QUANTITIES}
    return table
