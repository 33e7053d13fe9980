"""Lyapunov exponents of spiking networks against the heterogeneity of membrane time constants.

For E/I reservoirs (Poisson input) and purely inhibitory networks (constant suprathreshold drive),
tau_m is drawn from a gamma distribution of fixed mean and coefficient of variation ``cv``. For
each cv and seed, a reference and K perturbed replicas run in one simulation
(:class:`hetero_brian.protocols.replicas.ReplicaSimulator`); the perturbation sizes range from
1e-9 to 1e-2 of the threshold distance, several random directions each. Reported, never averaged
together: the infinitesimal exponent (Benettin renormalisation at the smallest epsilon), the
finite-size separation rates, the probability that spike trains diverge at each size, and the
regime ("stable", "chaotic", "stable chaos", "undetermined"). On the clock-driven grid the
infinitesimal exponent is at most -1/tau_max by construction (see the analysis module's note), so
its dependence on cv mostly tracks the largest sampled tau_m; the finite-size divergence is the
informative measure.

References
----------
S. Jahnke, R.-M. Memmesheimer, M. Timme, Phys. Rev. Lett. 100:048102 (2008).
M. Monteforte, F. Wolf, Phys. Rev. X 2:041007 (2012).
B. Chakraborty, S. Mukhopadhyay, Front. Neurosci. 17:994517 (2023).
"""
import json
import math
from dataclasses import replace

import numpy as np
from brian2 import Hz, mV, ms

from hetero_brian.analysis.spiking_lyapunov import analyse_replicas
from hetero_brian.config import QuantityField, StrictModel
from hetero_brian.distributions import Constant, Gamma
from hetero_brian.models.neurons import LIF
from hetero_brian.models.synapses import StaticSynapse
from hetero_brian.network.spec import NetworkSpec, PoissonInput, Population, Projection
from hetero_brian.network.connectivity import fixed_probability
from hetero_brian.protocols.replicas import ReplicaSimulator
from hetero_brian.network.reservoir import ReservoirSynapses, reservoir_spec
from hetero_brian.random import SeedStreams
from hetero_brian.results import save

NETWORKS = ("reservoir", "inhibitory")


class Config(StrictModel):
    networks: list[str] = list(NETWORKS)
    n_neurons: int = 100
    cvs: list[float] = [0.0, 0.3, 0.6]
    n_seeds: int = 2
    epsilons: list[float] = [1e-9, 1e-6, 1e-4, 1e-3, 1e-2]
    n_directions: int = 2
    tau_m_mean: QuantityField(ms) = "20 ms"
    duration: QuantityField(ms) = "500 ms"
    renormalisation_interval: QuantityField(ms) = "20 ms"
    n_segments: int = 20
    renormalisation_epsilon: float = 1e-9
    dt: QuantityField(ms) = "0.1 ms"
    input_rate: QuantityField(Hz) = "100 Hz"
    reservoir_weight_scale: float = 4.0
    inhibitory_weight: QuantityField(mV) = "3 mV"
    inhibitory_drive: QuantityField(mV) = "25 mV"
    p_connection: float = 0.2


def _tau(config, cv):
    return Constant(config.tau_m_mean) if cv == 0 else Gamma(config.tau_m_mean, cv)


def network(config, kind, cv, seed):
    """(spec, extra run parameters) of one network.

    Parameters stay one per neuron (``shared_constants=False``): every cv's tau_m values are passed
    to the same build, the homogeneous cv = 0 included.
    """
    rng = SeedStreams(seed).generator("structure")
    neuron = LIF(tau_m=_tau(config, cv), tau_syn=2 * ms)
    if kind == "reservoir":
        scale = config.reservoir_weight_scale
        synapses = ReservoirSynapses(ee=StaticSynapse(weight=0.5 * mV * scale), ei=StaticSynapse(weight=0.5 * mV * scale),
                                     ie=StaticSynapse(weight=2 * mV * scale, sign=-1),
                                     ii=StaticSynapse(weight=2 * mV * scale, sign=-1),
                                     input=StaticSynapse(weight=2 * mV * scale))
        spec = reservoir_spec(config.n_neurons, PoissonInput("stimulus", 50, config.input_rate), rng, neuron=neuron,
                              synapses=synapses, p_recurrent=config.p_connection, dt=config.dt)
        return replace(spec, shared_constants=False), {}
    if kind == "inhibitory":
        i, j = fixed_probability(config.n_neurons, config.n_neurons, config.p_connection, rng, allow_self=False)
        spec = NetworkSpec(populations=(Population("inh", config.n_neurons, neuron),),
                           projections=(Projection("ii", "inh", "inh",
                                                   StaticSynapse(weight=config.inhibitory_weight, sign=-1), i, j),),
                           dt=config.dt, shared_constants=False)
        return spec, {"inh.I_ext": config.inhibitory_drive}
    raise ValueError(f"networks: unknown network {kind!r}; choose from {NETWORKS}")


def _fsle_columns(finite_size):
    """Row entries of the finite-size Lyapunov exponents (empty lists when none could be computed)."""
    if finite_size is None:
        return {"fsle_scales": [], "fsle": [], "fsle_pairs": [], "fsle_lower_bound": []}
    return {"fsle_scales": finite_size.scales.tolist(),
            "fsle": [None if not np.isfinite(v) else float(v) for v in finite_size.exponents],
            "fsle_pairs": finite_size.n_pairs.tolist(),
            "fsle_lower_bound": (finite_size.resolution_limited > 0).tolist()}


def _mean_error(values):
    values = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    if values.size == 0:
        return float("nan"), float("nan")
    return float(values.mean()), (float(values.std(ddof=1) / math.sqrt(values.size)) if values.size > 1 else float("nan"))


def run(config, output, backend="auto", seed=None):
    """Sweep cv x seeds x networks; write results, a table (JSON) and the figure; return metrics."""
    for kind in config.networks:
        if kind not in NETWORKS:
            raise ValueError(f"networks: unknown network {kind!r}; choose from {NETWORKS}")
    # One build per network and seed (and one for the renormalised segments): every cv's tau_m
    # values are passed to the same compiled network as run arguments (ReplicaSimulator.use_models).
    master = 0 if seed is None else int(seed)
    epsilons = np.repeat(np.asarray(config.epsilons, dtype=float), config.n_directions)
    rows = []
    for kind in config.networks:
        for index in range(config.n_seeds):
            net_seed = master * 1000 + index
            spec, extra = network(config, kind, config.cvs[0], net_seed)
            models = {cv: {p.name: LIF(tau_m=_tau(config, cv), tau_syn=2 * ms) for p in spec.populations}
                      for cv in config.cvs}
            results, renormalised_runs = {}, {}
            # a standalone device is global: the two builds are used one after the other
            with ReplicaSimulator(spec, epsilons, config.duration, backend=backend, seed=net_seed) as replicas:
                for cv in config.cvs:
                    replicas.use_models(models[cv])
                    results[cv] = replicas.run(seed=net_seed + 1, parameters=extra)
            with ReplicaSimulator(spec, [config.renormalisation_epsilon] * 2, config.renormalisation_interval,
                                  backend=backend, seed=net_seed) as segments:
                for cv in config.cvs:
                    segments.use_models(models[cv])
                    renormalised_runs[cv] = segments.run_renormalised(config.n_segments, seed=net_seed + 2,
                                                                      parameters=extra)
            for cv in config.cvs:
                result, renormalised = results[cv], renormalised_runs[cv]
                save(result, output / f"{kind}-cv{cv:g}-seed{index}.h5")
                analysis = analyse_replicas(result, renormalised)
                n_total = sum(p.n_neurons for p in spec.populations)
                rate = result.spikes and sum(t.timestamps.size for t in result.spikes.values()) / (
                    n_total * (epsilons.size + 1) * float(config.duration))
                rows.append({
                    "network": kind, "cv": cv, "seed": net_seed, "rate_hz": float(rate),
                    "infinitesimal_exponent": analysis.infinitesimal_exponent,
                    "infinitesimal_standard_error": analysis.infinitesimal_standard_error,
                    "grid_bound": analysis.grid_bound,
                    "epsilons": analysis.epsilons.tolist(),
                    "finite_size_rates": analysis.finite_size_rates.tolist(),
                    **_fsle_columns(analysis.finite_size),
                    "divergence_probability": analysis.probability.probability.tolist(),
                    "regime": analysis.regime.regime, "summary": analysis.summary(),
                    "dt": analysis.dt, "duration": analysis.duration,
                    "renormalisation_interval": analysis.renormalisation_interval,
                    "renormalisation_epsilon": config.renormalisation_epsilon,
                })
                print(f"{kind} cv={cv:g} seed={net_seed}: {analysis.regime.regime}; "
                      f"lambda_inf={analysis.infinitesimal_exponent:.3g}+/-{analysis.infinitesimal_standard_error:.2g} 1/s; "
                      f"P(div)={np.round(analysis.probability.probability, 2).tolist()}; rate={rate:.1f} Hz", flush=True)
    with open(output / "lyapunov_table.json", "w", encoding="utf-8") as handle:
        json.dump(rows, handle, indent=2, default=float)
    metrics = {}
    for kind in config.networks:
        for cv in config.cvs:
            subset = [row for row in rows if row["network"] == kind and row["cv"] == cv]
            key = f"{kind}_cv{cv:g}"
            metrics[f"{key}_infinitesimal_exponent"], metrics[f"{key}_infinitesimal_exponent_se"] = \
                _mean_error([row["infinitesimal_exponent"] for row in subset])
            metrics[f"{key}_grid_bound"] = _mean_error([row["grid_bound"] for row in subset])[0]
            metrics[f"{key}_finite_rate_eps_max"], metrics[f"{key}_finite_rate_eps_max_se"] = \
                _mean_error([row["finite_size_rates"][-1] for row in subset])
            metrics[f"{key}_divergence_probability_eps_max"] = float(np.mean([row["divergence_probability"][-1] for row in subset]))
            metrics[f"{key}_n_stable_chaos"] = sum(row["regime"] == "stable chaos" for row in subset)
            metrics[f"{key}_n_stable"] = sum(row["regime"] == "stable" for row in subset)
            metrics[f"{key}_rate_hz"] = float(np.mean([row["rate_hz"] for row in subset]))
    _figure(rows, config, output)
    return metrics


def _figure(rows, config, output):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hetero_brian.analysis.plots import save_figure

    fig, axes = plt.subplots(len(config.networks), 3, figsize=(13, 3.6 * len(config.networks)), squeeze=False)
    for r, kind in enumerate(config.networks):
        ax_inf, ax_rate, ax_prob = axes[r]
        for quantity, ax, label in (("infinitesimal_exponent", ax_inf, "Benettin, eps=%g" % config.renormalisation_epsilon),
                                    ("grid_bound", ax_inf, "-1/tau_max (grid bound)")):
            means = [_mean_error([row[quantity] for row in rows if row["network"] == kind and row["cv"] == cv])
                     for cv in config.cvs]
            ax.errorbar(config.cvs, [m for m, _ in means], yerr=[0 if math.isnan(e) else e for _, e in means],
                        marker="o", capsize=3, label=label)
        ax_inf.set(xlabel="cv of tau_m", ylabel="infinitesimal exponent (1/s)", title=f"{kind}: infinitesimal")
        ax_inf.legend(fontsize=7)
        for cv in config.cvs:
            subset = [row for row in rows if row["network"] == kind and row["cv"] == cv]
            epsilons = subset[0]["epsilons"]
            rates = [_mean_error([row["finite_size_rates"][k] for row in subset]) for k in range(len(epsilons))]
            ax_rate.errorbar(epsilons, [m for m, _ in rates], yerr=[0 if math.isnan(e) else e for _, e in rates],
                             marker="o", capsize=3, label=f"cv={cv:g}")
            ax_prob.plot(epsilons, np.mean([row["divergence_probability"] for row in subset], axis=0), marker="o",
                         label=f"cv={cv:g}")
        ax_rate.set(xscale="log", xlabel="epsilon (threshold distances)", ylabel="separation rate (1/s)",
                    title=f"{kind}: two-trajectory rates")
        ax_rate.axhline(0, color="grey", lw=0.5)
        ax_prob.set(xscale="log", xlabel="epsilon (threshold distances)", ylabel="P(spike trains diverge)",
                    ylim=(-0.05, 1.05), title=f"{kind}: divergence probability")
        ax_rate.legend(fontsize=7)
        ax_prob.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, output / "lyapunov_heterogeneity.png", overwrite=True)
    plt.close(fig)


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
