"""Figures of the HRSNN scenarios: the 2x2 comparison, heterogeneity and memory-capacity sweeps, pruning,
Lyapunov sweeps, the demo.

Each function builds one figure from saved numbers (metrics, per-seed tables, results) and writes it
with :func:`hetero_brian.analysis.plots.save_figure`. matplotlib is imported inside each function,
with the Agg backend, so importing this module costs nothing.
"""
import math

import numpy as np

from hetero_brian.analysis import activity, plots
from hetero_brian.analysis.lyapunov_table import mean_and_standard_error

SWEEP_LABELS = {"tau_m": "tau_m ~ Gamma (STDP homogeneous)", "stdp": "tau_pre, tau_post ~ LogNormal (tau_m homogeneous)"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_2x2(per_seed, baseline, path, title=""):
    """Accuracy, spikes and synaptic operations per sample of the four variants (mean, std, seeds).

    Parameters
    ----------
    per_seed : dict of str -> list of dict
        Per variant, the metrics of every seed (``accuracy``, ``spikes_per_sample``, ``sops_per_sample``).
    baseline : float
        Accuracy of the non-spiking baseline (a dashed line).
    path : str or pathlib.Path
        PNG to write (replaced if present).
    title : str
    """
    plt = _pyplot()
    variants = list(per_seed)
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    panels = (("accuracy", "test accuracy"), ("spikes_per_sample", "spikes per sample"),
              ("sops_per_sample", "synaptic ops per sample"))
    for ax, (key, label) in zip(axes, panels):
        values = [np.array([row[key] for row in per_seed[v]]) for v in variants]
        x = np.arange(len(variants))
        ax.bar(x, [v.mean() for v in values], yerr=[v.std(ddof=1) if v.size > 1 else 0 for v in values],
               color=["0.7", "tab:blue", "tab:orange", "tab:green"], capsize=4)
        for position, v in zip(x, values):
            ax.plot(np.full(v.size, position), v, "k.", markersize=4)
        if key == "accuracy":
            ax.axhline(baseline, color="k", linestyle="--", label="log-mel + logistic")
            low = min(min(v.min() for v in values), baseline)
            ax.set_ylim(max(0.0, low - 0.05), 1.0)
            ax.legend(loc="lower right", fontsize=8)
        ax.set_xticks(x)
        ax.set_xticklabels(variants)
        ax.set_ylabel(label)
    fig.suptitle(f"{title}: homogeneous (Ho) / heterogeneous (He) neurons (N) and STDP (S)")
    fig.tight_layout()
    plots.save_figure(fig, path, overwrite=True)
    plt.close(fig)
    return path


def plot_heterogeneity_sweeps(table, cvs, path, title):
    """Spikes per neuron, memory capacity and ``E = activity / MC`` against cv, both sweeps.

    Parameters
    ----------
    table : dict
        ``{(sweep, cv): {quantity: (mean, std)}}`` with sweeps ``tau_m`` and ``stdp`` and the
        quantities ``spikes_per_neuron_per_step``, ``memory_capacity``, ``objective``, ``mc_shuffled``.
    cvs : list of float
    path : str or pathlib.Path
    title : str
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for sweep, marker in zip(SWEEP_LABELS, ("o", "s")):
        for ax, key, ylabel in ((axes[0], "spikes_per_neuron_per_step", "spikes per neuron per input step"),
                                (axes[1], "memory_capacity", "memory capacity (steps)"),
                                (axes[2], "objective", "E = activity / MC")):
            means = [table[(sweep, cv)][key][0] for cv in cvs]
            stds = [table[(sweep, cv)][key][1] for cv in cvs]
            ax.errorbar(cvs, means, yerr=stds, marker=marker, capsize=3, label=SWEEP_LABELS[sweep])
            ax.set(xlabel="coefficient of variation", ylabel=ylabel)
    floor = [table[("tau_m", cv)]["mc_shuffled"][0] for cv in cvs]
    axes[1].plot(cvs, floor, color="grey", ls=":", label="shuffled-input control")
    axes[1].legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    plots.save_figure(fig, path, overwrite=True)
    plt.close(fig)
    return path


def plot_memory_capacity_sweeps(sweeps, path, confidence=0.95):
    """Net memory capacity (with its shuffled control) and rate against a swept spread, one line per sweep.

    Parameters
    ----------
    sweeps : list of (str, dict)
        ``(label, {"mc_net": points, "mc_shuffled": points, "rate_hz": points})`` with ``points`` a list
        of ``(value, mean, half_width, n)``
        (:func:`hetero_brian.analysis.sweep_statistics.point_statistics`); bands are mean ± half-width.
    path : str or pathlib.Path
        PNG to write (replaced if present).
    confidence : float
        The level of the intervals, for the labels.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for (label, table), marker in zip(sweeps, "osd^v<>"):
        for ax, key in zip(axes, ("mc_net", "rate_hz")):
            x, mean, half = (np.array([entry[i] for entry in table[key]], dtype=float) for i in range(3))
            line, = ax.plot(x, mean, marker=marker, label=label)
            half = np.nan_to_num(half)
            ax.fill_between(x, mean - half, mean + half, color=line.get_color(), alpha=0.2)
        control = np.array([entry[1] for entry in table["mc_shuffled"]])
        axes[0].plot(x, control, color=line.get_color(), ls=":", lw=1)
    axes[0].set(xlabel="coefficient of variation", ylabel="net memory capacity (MC - control, steps)",
                title="dotted: shuffled-input control")
    axes[1].set(xlabel="coefficient of variation", ylabel="rate (Hz)")
    axes[0].legend(fontsize=7)
    fig.suptitle(f"memory_capacity sweeps: mean over seeds, bands {confidence:.0%} CI (t)", fontsize=9)
    fig.tight_layout()
    plots.save_figure(fig, path, overwrite=True)
    plt.close(fig)
    return path


def plot_pruning_comparison(metrics, series, path, names=("dense", "lnp", "ap")):
    """NRMSE per series and synapse/neuron sparsity of each network (``<name>_nrmse_<series>`` metrics)."""
    plt = _pyplot()
    names = list(names)
    figure, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    width = 0.35
    positions = np.arange(len(names))
    for offset, one_series in enumerate(series):
        axes[0].bar(positions + offset * width, [metrics[f"{n}_nrmse_{one_series}"] for n in names], width,
                    label=one_series)
    axes[0].set_xticks(positions + width / 2, names)
    axes[0].set_ylabel("NRMSE (next step)")
    axes[0].legend()
    axes[1].bar(positions - width / 2, [metrics[f"{n}_synapse_sparsity"] for n in names], width, label="synapses")
    axes[1].bar(positions + width / 2, [metrics[f"{n}_neuron_sparsity"] for n in names], width, label="neurons")
    axes[1].set_xticks(positions, names)
    axes[1].set_ylabel("sparsity")
    axes[1].legend()
    figure.tight_layout()
    plots.save_figure(figure, path, overwrite=True)
    plt.close(figure)
    return path


def plot_reservoir_overview(result, t_stop, tau_m_density, path):
    """Raster, rate histogram, sampled ``tau_m`` against its density, ``ee`` weights before and after STDP.

    Parameters
    ----------
    result : SimulationResult
        With spikes of ``exc``, sampled ``tau_m`` of ``exc`` and the ``ee`` synapse table
        (``w`` and ``extra["w_initial"]``, volts).
    t_stop : float
        Seconds (the rates are counted over ``[0, t_stop)``).
    tau_m_density : callable
        Density of ``tau_m`` per second at SI values (``Distribution.pdf_si``).
    path : str or pathlib.Path
        PNG to write (must not exist).
    """
    plt = _pyplot()
    figure, axes = plt.subplots(2, 2, figsize=(11, 7))
    exc = result.spikes["exc"]
    plots.plot_raster(axes[0, 0], exc)
    axes[0, 0].set_title("excitatory spikes")
    rates = activity.firing_rates(exc, t_start=0.0, t_stop=t_stop)
    axes[0, 1].hist(rates, bins=30, color="0.6")
    axes[0, 1].set_xlabel("firing rate (Hz)")
    axes[0, 1].set_ylabel("neurons")
    plots.plot_time_constant_histogram(axes[1, 0], result.populations["exc"].parameters["tau_m"], tau_m_density)
    table = result.synapses["ee"]
    plots.plot_weight_histogram(axes[1, 1], np.asarray(table.extra["w_initial"]) * 1e3, np.asarray(table.w) * 1e3,
                                unit_label="mV")
    figure.tight_layout()
    plots.save_figure(figure, path)
    plt.close(figure)
    return path


def plot_lyapunov_sweep(rows, networks, cvs, renormalisation_epsilon, path):
    """Infinitesimal exponent, finite-size separation rates and divergence probability against cv.

    Parameters
    ----------
    rows : list of dict
        Rows of :func:`hetero_brian.analysis.lyapunov_table.lyapunov_row`.
    networks : list of str
    cvs : list of float
    renormalisation_epsilon : float
        For the legend.
    path : str or pathlib.Path
        PNG to write (replaced if present).
    """
    plt = _pyplot()
    fig, axes = plt.subplots(len(networks), 3, figsize=(13, 3.6 * len(networks)), squeeze=False)
    for r, kind in enumerate(networks):
        ax_inf, ax_rate, ax_prob = axes[r]
        for quantity, ax, label in (("infinitesimal_exponent", ax_inf, "Benettin, eps=%g" % renormalisation_epsilon),
                                    ("grid_bound", ax_inf, "-1/tau_max (grid bound)")):
            means = [mean_and_standard_error([row[quantity] for row in rows if row["network"] == kind and row["cv"] == cv])
                     for cv in cvs]
            ax.errorbar(cvs, [m for m, _ in means], yerr=[0 if math.isnan(e) else e for _, e in means],
                        marker="o", capsize=3, label=label)
        ax_inf.set(xlabel="cv of tau_m", ylabel="infinitesimal exponent (1/s)", title=f"{kind}: infinitesimal")
        ax_inf.legend(fontsize=7)
        for cv in cvs:
            subset = [row for row in rows if row["network"] == kind and row["cv"] == cv]
            epsilons = subset[0]["epsilons"]
            rates = [mean_and_standard_error([row["finite_size_rates"][k] for row in subset]) for k in range(len(epsilons))]
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
    plots.save_figure(fig, path, overwrite=True)
    plt.close(fig)
    return path
