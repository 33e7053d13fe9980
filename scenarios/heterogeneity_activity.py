"""Spiking activity and linear memory capacity against the heterogeneity of tau_m and of the STDP time constants.

An HRSNN reservoir (E/I, 80/20, pair-based STDP on E->E) is driven by a scalar i.i.d. input
``u_k ~ U(0, 1)`` held for one step of ``step_duration``: the input population fires Poisson
spikes at ``u_k * input_rate`` during step ``k``. After ``n_train_steps`` steps with plasticity on,
``n_steps`` steps are run with plasticity off; on these, the per-step spike counts of the
excitatory neurons are the reservoir state and the linear memory capacity (Jaeger 2001) is
``MC = sum_{d=1}^{max_delay} r^2(u_{k-d}, readout_d(X_k))`` on a held-out split
(:func:`hetero_brian.analysis.capacity.memory_capacity`). Spiking activity is the mean number of spikes per
reservoir neuron per input step in the measured part, and ``E = activity / MC`` is the design
objective of Chakraborty & Mukhopadhyay (ICLR 2023).

Two sweeps share one compiled network per seed (the values are run-time arguments, no
recompilation): (a) the cv of ``tau_m ~ Gamma(mean, cv)`` with homogeneous STDP, and (b) the cv of
``tau_pre, tau_post ~ LogNormal(mean, cv)`` (per synapse) with homogeneous ``tau_m``; ``cv = 0`` is
the same homogeneous network in both. Each seed draws its own connectivity, input sequence and
parameter samples; within a seed every cv sees the same connectivity and the same input spikes.
A shuffled-input control (the readout fitted to a permutation of ``u``) gives the chance level of MC.

References
----------
H. Jaeger, "Short term memory in echo state networks", GMD Report 152 (2001).
B. Chakraborty, S. Mukhopadhyay, "Heterogeneous neuronal and synaptic dynamics for spike-efficient
unsupervised learning: theory and design principles", ICLR 2023, arXiv:2302.11618.
B. Chakraborty, S. Mukhopadhyay, Front. Neurosci. 17:994517 (2023).
"""
import json
import math
import time

import numpy as np
from brian2 import Hz, mV, ms, second

from hetero_brian.analysis.capacity import activity_over_capacity, memory_capacity
from hetero_brian.analysis.features import binned_spike_counts
from hetero_brian.config import QuantityField, StrictModel
from hetero_brian.distributions import Gamma, LogNormal
from hetero_brian.errors import ConfigError
from hetero_brian.network.spec import RasterInput
from hetero_brian.network.hrsnn import HRSNNParameters, hrsnn_spec, variant_parameters
from hetero_brian.random import SeedStreams
from hetero_brian.results import save
from hetero_brian.simulate import Simulator

SWEEPS = ("tau_m", "stdp")


class Config(StrictModel):
    n_neurons: int = 200
    n_input: int = 50
    n_steps: int = 400
    n_train_steps: int = 100
    step_duration: QuantityField(ms) = "20 ms"
    input_rate: QuantityField(Hz) = "100 Hz"
    cvs: list[float] = [0.0, 0.25, 0.5, 1.0]
    n_seeds: int = 3
    tau_m_mean: QuantityField(ms) = "20 ms"
    tau_stdp_mean: QuantityField(ms) = "20 ms"
    tau_min: QuantityField(ms) = "1 ms"
    weight_input: QuantityField(mV) = "6 mV"
    max_delay: int = 20
    ridge: float = 0.01
    dt: QuantityField(ms) = "0.5 ms"
    save_results: bool = True


def check_config(config):
    """Raise :class:`ConfigError` naming the first bad option of ``config``."""
    for name, low in (("n_neurons", 5), ("n_input", 1), ("n_steps", 10), ("n_train_steps", 0), ("n_seeds", 1),
                      ("max_delay", 1)):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"{name} must be an integer >= {low}; got {value!r}")
    if not config.cvs or any(not (isinstance(cv, (int, float)) and 0 <= cv <= 5) for cv in config.cvs):
        raise ConfigError(f"cvs must be a non-empty list of numbers in [0, 5]; got {config.cvs!r}")
    if len(set(config.cvs)) != len(config.cvs):
        raise ConfigError(f"cvs must not repeat values; got {config.cvs!r}")
    for name in ("step_duration", "tau_m_mean", "tau_stdp_mean", "tau_min", "dt", "input_rate"):
        if not float(getattr(config, name)) > 0:
            raise ConfigError(f"{name} must be > 0; got {getattr(config, name)!r}")
    ratio = float(config.step_duration) / float(config.dt)
    if abs(ratio - round(ratio)) > 1e-6:
        raise ConfigError(f"step_duration must be a multiple of dt; got step_duration={config.step_duration!r}, "
                          f"dt={config.dt!r}")
    if float(config.tau_min) >= min(float(config.tau_m_mean), float(config.tau_stdp_mean)):
        raise ConfigError(f"tau_min must be below the means; got tau_min={config.tau_min!r}")
    if float(config.input_rate) * float(config.dt) > 1:
        raise ConfigError(f"input_rate * dt must be <= 1; got input_rate={config.input_rate!r}, dt={config.dt!r}")
    if config.max_delay >= config.n_steps // 2:
        raise ConfigError(f"max_delay must be < n_steps / 2; got max_delay={config.max_delay}, n_steps={config.n_steps}")
    n_exc = int(round(0.8 * config.n_neurons))
    if (config.n_steps - config.max_delay) // 2 < n_exc + 3:
        raise ConfigError(f"n_steps must leave a readout training split larger than the {n_exc} excitatory features: "
                          f"need n_steps >= {2 * (n_exc + 3) + config.max_delay}; got n_steps={config.n_steps}")
    if not config.ridge >= 0:
        raise ConfigError(f"ridge must be >= 0; got {config.ridge!r}")


def input_raster(u, config, rng):
    """0/1 raster (n_dt_steps, n_input): channel spikes with probability ``u_k * input_rate * dt`` per dt."""
    per_step = int(round(float(config.step_duration) / float(config.dt)))
    probability = np.repeat(np.asarray(u, dtype=float) * float(config.input_rate) * float(config.dt), per_step)
    return (rng.random((probability.size, config.n_input)) < probability[:, None]).astype(np.uint8)


def _spread(family, mean, cv, n, rng, tau_min):
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


def run_seed(config, index, master, output, backend, build_root=None):
    """All conditions of one seed: one build, one run per condition. Returns a list of row dicts."""
    net_seed = master * 1000 + index
    streams = SeedStreams(net_seed)
    total_steps = config.n_train_steps + config.n_steps
    input_rng = streams.generator("input")
    u = input_rng.uniform(0.0, 1.0, total_steps)
    raster = input_raster(u, config, input_rng)
    parameters = HRSNNParameters(n_neurons=config.n_neurons, tau_m=config.tau_m_mean, tau_m_cv=0.5,
                                 tau_pre=config.tau_stdp_mean, tau_post=config.tau_stdp_mean, tau_stdp_cv=0.5,
                                 weight_input=config.weight_input, dt=config.dt)
    spec = hrsnn_spec(parameters, RasterInput("stimulus", raster, config.dt), streams.generator("structure"))
    n_exc, n_inh = parameters.n_excitatory, parameters.n_inhibitory
    n_ee = next(p.n_synapses for p in spec.projections if p.name == "ee")
    baseline = variant_parameters(spec, False, False)  # every tau and eta at its mean
    step = float(config.step_duration)
    phases = [(config.n_steps * config.step_duration, {"ee.plastic": 0})]
    if config.n_train_steps:
        phases.insert(0, (config.n_train_steps * config.step_duration, {"ee.plastic": 1}))
    edges = step * np.arange(config.n_train_steps, total_steps + 1)  # shared edges: no rounding overlap
    boundaries = np.stack([edges[:-1], edges[1:]], axis=1)
    measured_u = u[config.n_train_steps:]
    shuffle_rng = streams.generator("shuffle")
    rows = []
    with Simulator(spec, phases, backend=backend, seed=net_seed, build_root=build_root) as simulator:
        for sweep, cv in conditions(config.cvs):
            sample_rng = np.random.default_rng([net_seed, SWEEPS.index(sweep), int(round(cv * 1000))])
            values = dict(baseline)
            if sweep == "tau_m":
                values["exc.tau_m"] = _spread(Gamma, config.tau_m_mean, cv, n_exc, sample_rng, config.tau_min)
                values["inh.tau_m"] = _spread(Gamma, config.tau_m_mean, cv, n_inh, sample_rng, config.tau_min)
            else:
                values["ee.tau_pre"] = _spread(LogNormal, config.tau_stdp_mean, cv, n_ee, sample_rng, config.tau_min)
                values["ee.tau_post"] = _spread(LogNormal, config.tau_stdp_mean, cv, n_ee, sample_rng, config.tau_min)
            start = time.perf_counter()
            result = simulator.run(seed=net_seed, parameters=values, label=f"{sweep}-cv{cv:g}-seed{index}")
            wall = time.perf_counter() - start
            exc, inh = result.spikes["exc"], result.spikes["inh"]
            counts = binned_spike_counts(exc.node_ids, exc.timestamps, n_exc, boundaries)[:, 0, :]
            inh_counts = binned_spike_counts(inh.node_ids, inh.timestamps, n_inh, boundaries)[:, 0, :]
            mc = memory_capacity(measured_u, counts, config.max_delay, ridge=config.ridge)
            floor = memory_capacity(shuffle_rng.permutation(measured_u), counts, config.max_delay, ridge=config.ridge)
            spikes_per_neuron = float((counts.sum() + inh_counts.sum()) / (config.n_neurons * config.n_steps))
            silent = float(np.mean(np.concatenate([counts.sum(axis=0), inh_counts.sum(axis=0)]) == 0))
            row = {
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
            rows.append(row)
            if config.save_results:
                save(result, output / f"{sweep}-cv{cv:g}-seed{index}.h5")
            with open(output / "rows.jsonl", "a", encoding="utf-8") as handle:
                handle.write(json.dumps(row) + "\n")
            print(f"seed {index} {sweep} cv={cv:g}: {spikes_per_neuron:.3f} spikes/neuron/step "
                  f"({row['rate_hz']:.1f} Hz), MC={mc.capacity:.2f} (shuffled {floor.capacity:.2f}), "
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
            table[(sweep, cv)] = {key: _mean_std([r[key] for r in subset])
                                  for key in ("spikes_per_neuron_per_step", "rate_hz", "memory_capacity",
                                              "mc_shuffled", "objective", "silent_fraction")}
    return table


def run(config, output, backend="auto", seed=None, build_root=None):
    """Run both sweeps over ``n_seeds`` seeds; write rows, a summary table and the figure; return metrics."""
    check_config(config)
    master = 0 if seed is None else int(seed)
    rows = []
    for index in range(config.n_seeds):
        rows.extend(run_seed(config, index, master, output, backend, build_root=build_root))
    table = summarise(rows, config.cvs)
    with open(output / "activity_table.json", "w", encoding="utf-8") as handle:
        json.dump([{"sweep": s, "cv": cv, **{k: {"mean": m, "std": sd} for k, (m, sd) in q.items()}}
                   for (s, cv), q in table.items()], handle, indent=2)
    metrics = {}
    for (sweep, cv), quantities in table.items():
        for key in ("spikes_per_neuron_per_step", "memory_capacity", "mc_shuffled", "objective"):
            metrics[f"{sweep}_cv{cv:g}_{key}"] = quantities[key][0]
            metrics[f"{sweep}_cv{cv:g}_{key}_std"] = quantities[key][1]
    metrics = {k: (v if math.isfinite(v) else None) for k, v in metrics.items()}
    _figure(table, config, output)
    return metrics


def _figure(table, config, output):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hetero_brian.analysis.plots import save_figure

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    labels = {"tau_m": "tau_m ~ Gamma (STDP homogeneous)", "stdp": "tau_pre, tau_post ~ LogNormal (tau_m homogeneous)"}
    for sweep, marker in zip(SWEEPS, ("o", "s")):
        for ax, key, ylabel in ((axes[0], "spikes_per_neuron_per_step", "spikes per neuron per input step"),
                                (axes[1], "memory_capacity", "memory capacity (steps)"),
                                (axes[2], "objective", "E = activity / MC")):
            means = [table[(sweep, cv)][key][0] for cv in config.cvs]
            stds = [table[(sweep, cv)][key][1] for cv in config.cvs]
            ax.errorbar(config.cvs, means, yerr=stds, marker=marker, capsize=3, label=labels[sweep])
            ax.set(xlabel="coefficient of variation", ylabel=ylabel)
    floor = [table[("tau_m", cv)]["mc_shuffled"][0] for cv in config.cvs]
    axes[1].plot(config.cvs, floor, color="grey", ls=":", label="shuffled-input control")
    axes[1].legend(fontsize=7)
    fig.suptitle(f"HRSNN N={config.n_neurons}, {config.n_steps} steps of {float(config.step_duration) * 1e3:g} ms, "
                 f"{config.n_seeds} seeds (mean +- std)", fontsize=9)
    fig.tight_layout()
    save_figure(fig, output / "heterogeneity_activity.png", overwrite=True)
    plt.close(fig)


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
