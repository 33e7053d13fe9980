"""Figures of the dynamics: each function draws on a given matplotlib Axes and returns it.

This module never imports matplotlib itself: it draws on the Axes it is given and saves with the
figure's own ``savefig``, so importing it costs nothing and any backend (e.g. Agg) works. Data
are plain arrays in SI units (seconds, hertz, joules); time axes are drawn in seconds, except
time constants and STDP lags, drawn in milliseconds.
"""
import os

import numpy as np

from hetero_brian.results.atomic import write_atomically
from hetero_brian.analysis._spike_checks import _spike_trains

__all__ = [
    "plot_raster", "plot_result_raster", "plot_population_rate", "plot_isi_histogram",
    "plot_cv_histogram", "plot_time_constant_histogram", "plot_weight_histogram",
    "plot_weight_matrix", "plot_stdp_window", "plot_energy_bars", "plot_memory_capacity",
    "save_figure",
]

RASTERIZE_ABOVE = 10_000  # scatter plots with more points are rasterised inside vector files


def _finite(values, name):
    values = np.asarray(values, dtype=float).ravel()
    if values.size == 0:
        raise ValueError(f"{name} is empty: nothing to plot")
    return values[np.isfinite(values)]


def plot_raster(ax, spikes, marker_size=1.0, color="k", rasterize_above=RASTERIZE_ABOVE):
    """Spike raster of a :class:`~hetero_brian.results.SpikeTrains`: one dot per spike at (time in s,
    neuron index).

    Rasterised (``rasterized=True``) when there are more than ``rasterize_above`` spikes, so
    SVG/PDF files stay small.
    """
    spikes = _spike_trains(spikes)
    return _raster(ax, spikes.node_ids, spikes.timestamps, marker_size, color, rasterize_above)


def _raster(ax, node_ids, timestamps, marker_size, color="k", rasterize_above=RASTERIZE_ABOVE):
    """Array core of :func:`plot_raster` (ids, times in s)."""
    node_ids, timestamps = np.asarray(node_ids), np.asarray(timestamps, dtype=float)
    if node_ids.shape != timestamps.shape:
        raise ValueError(f"node_ids and timestamps must have equal shapes; got {node_ids.shape} "
                         f"and {timestamps.shape}")
    ax.scatter(timestamps, node_ids, s=marker_size, c=color, marker=".", linewidths=0,
               rasterized=node_ids.size > rasterize_above)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("neuron index")
    return ax


def plot_result_raster(ax, result, population, marker_size=1.0):
    """Raster of ``result.spikes[population]`` of a ``hetero_brian.results.SimulationResult``."""
    spikes = getattr(result, "spikes", None) or {}
    if population not in spikes:
        raise KeyError(f"population {population!r} has no recorded spikes; recorded: "
                       f"{sorted(spikes)}")
    trains = spikes[population]
    _raster(ax, trains.node_ids, trains.timestamps, marker_size)
    ax.set_ylim(-0.5, trains.n_neurons - 0.5)
    ax.set_title(population)
    return ax


def plot_population_rate(ax, times, rate, label=None):
    """Population rate (Hz) against time (s), e.g. from ``activity.population_rate``."""
    times, rate = np.asarray(times, dtype=float), np.asarray(rate, dtype=float)
    if times.shape != rate.shape:
        raise ValueError(f"times and rate must have equal shapes; got {times.shape}, {rate.shape}")
    ax.plot(times, rate, label=label)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("population rate (Hz)")
    return ax


def plot_isi_histogram(ax, intervals, bins=50, log_scale=False):
    """Histogram (probability density) of interspike intervals given in seconds."""
    intervals = _finite(intervals, "intervals")
    if log_scale:
        positive = intervals[intervals > 0]
        if positive.size:
            bins = np.geomspace(positive.min(), positive.max(), int(bins) + 1)
        ax.set_xscale("log")
    ax.hist(intervals, bins=bins, density=True, color="0.4")
    ax.set_xlabel("interspike interval (s)")
    ax.set_ylabel("probability density (1/s)")
    return ax


def plot_cv_histogram(ax, cv, bins=30, label=None):
    """Histogram of per-neuron CVs; ``nan`` (neurons with too few intervals) are left out."""
    values = _finite(cv, "cv")
    ax.hist(values, bins=bins, histtype="stepfilled", alpha=0.6, label=label)
    ax.set_xlabel("CV of interspike intervals")
    ax.set_ylabel("number of neurons")
    return ax


def plot_time_constant_histogram(ax, samples, density, bins=40, name="tau_m"):
    """Histogram of sampled time constants against the specified density.

    Parameters
    ----------
    samples : array_like
        Sampled time constants in seconds.
    density : callable or (x, density) tuple
        The specified probability density in 1/s: a callable ``pdf(x)`` of x in seconds, or arrays
        ``(x in s, pdf in 1/s)``.
    name : str
        Parameter name for the x label.

    Notes
    -----
    Drawn in milliseconds: the histogram is a density in 1/ms, the pdf is divided by 1000.
    """
    samples_ms = _finite(samples, "samples") * 1e3
    ax.hist(samples_ms, bins=bins, density=True, color="0.75", label="sampled")
    if callable(density):
        x = np.linspace(samples_ms.min(), samples_ms.max(), 400) / 1e3
        pdf = np.asarray(density(x), dtype=float)
    else:
        x, pdf = (np.asarray(a, dtype=float) for a in density)
        if x.shape != pdf.shape:
            raise ValueError(f"density arrays must have equal shapes; got {x.shape}, {pdf.shape}")
    ax.plot(x * 1e3, pdf / 1e3, "C3", label="specified")
    ax.set_xlabel(f"{name} (ms)")
    ax.set_ylabel("probability density (1/ms)")
    ax.legend()
    return ax


def plot_weight_histogram(ax, weights_before, weights_after=None, bins=50, unit_label=""):
    """Histograms of synaptic weights before (and after) STDP, on shared bins."""
    before = _finite(weights_before, "weights_before")
    data = [before] if weights_after is None else [before, _finite(weights_after, "weights_after")]
    edges = np.histogram_bin_edges(np.concatenate(data), bins=bins)
    for values, label in zip(data, ("before", "after")):
        ax.hist(values, bins=edges, histtype="stepfilled", alpha=0.5, label=label)
    ax.set_xlabel(f"weight{' (' + unit_label + ')' if unit_label else ''}")
    ax.set_ylabel("number of synapses")
    ax.legend()
    return ax


def plot_weight_matrix(ax, i, j, w, n_source, n_target, colorbar=True):
    """Weight matrix from a synapse table (absent synapses blank; multiple synapses summed)."""
    i, j, w = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64), np.asarray(w, float)
    if not i.shape == j.shape == w.shape:
        raise ValueError(f"i, j and w must have equal shapes; got {i.shape}, {j.shape}, {w.shape}")
    if i.size and (i.max() >= n_source or j.max() >= n_target or min(i.min(), j.min()) < 0):
        raise ValueError(f"i must lie in [0, {n_source}) and j in [0, {n_target})")
    matrix = np.full((n_source, n_target), np.nan)
    flat = np.bincount(i * n_target + j, w, minlength=n_source * n_target)
    present = np.bincount(i * n_target + j, minlength=n_source * n_target) > 0
    matrix.ravel()[present] = flat[present]
    image = ax.imshow(matrix, aspect="auto", interpolation="nearest", origin="lower")
    ax.set_xlabel("postsynaptic neuron")
    ax.set_ylabel("presynaptic neuron")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="weight")
    return ax


def plot_stdp_window(ax, delta_t, weight_change, labels=None):
    """STDP window(s): weight change against ``delta_t = t_post - t_pre``.

    Parameters
    ----------
    delta_t : array_like, shape (n_points,)
        Lags in seconds (drawn in ms).
    weight_change : array_like, shape (n_points,) or (n_synapses, n_points)
        One curve per sampled synapse.
    """
    delta_t = np.asarray(delta_t, dtype=float)
    curves = np.atleast_2d(np.asarray(weight_change, dtype=float))
    if curves.shape[1] != delta_t.size:
        raise ValueError(f"weight_change must have {delta_t.size} points per curve; got shape "
                         f"{curves.shape}")
    for index, curve in enumerate(curves):
        ax.plot(delta_t * 1e3, curve, lw=1, label=None if labels is None else labels[index])
    ax.axhline(0, color="0.5", lw=0.5)
    ax.axvline(0, color="0.5", lw=0.5)
    ax.set_xlabel("t_post - t_pre (ms)")
    ax.set_ylabel("weight change")
    if labels is not None:
        ax.legend()
    return ax


def plot_energy_bars(ax, energies, log_scale=True):
    """Bars of energy per inference in joules, e.g. ``energy.energy_comparison(...)``."""
    names = list(energies)
    values = np.array([float(energies[name]) for name in names])
    if not names or np.any(values < 0):
        raise ValueError(f"energies must be a non-empty mapping of values >= 0; got {energies!r}")
    bars = ax.bar(names, values, color=["C2"] + ["C0"] * (len(names) - 1))
    ax.bar_label(bars, labels=[f"{value:.3g}" for value in values], fontsize=8)
    if log_scale and np.all(values > 0):
        ax.set_yscale("log")
    ax.set_ylabel("energy per inference (J)")
    return ax


def plot_memory_capacity(ax, delays, r_squared, label=None):
    """Memory curve: r^2 of the delayed-input reconstruction against delay (steps)."""
    delays, r_squared = np.asarray(delays), np.asarray(r_squared, dtype=float)
    if delays.shape != r_squared.shape:
        raise ValueError(f"delays and r_squared must have equal shapes; got {delays.shape}, "
                         f"{r_squared.shape}")
    ax.plot(delays, r_squared, marker=".",
            label=label if label is not None else f"MC = {np.sum(r_squared):.2f}")
    ax.set_xlabel("delay (time steps)")
    ax.set_ylabel("r^2 of reconstruction")
    ax.set_ylim(-0.02, 1.02)
    ax.legend()
    return ax


def save_figure(fig, path, overwrite=False, dpi=150):
    """Write ``fig`` atomically with :func:`hetero_brian.results.atomic.write_atomically`.

    The format comes from the suffix (``.png``, ``.svg``, ``.pdf``, ...).

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    """
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lstrip(".").lower()
    if not suffix:
        raise ValueError(f"path needs a suffix naming the format (.png, .svg, .pdf); got {path!r}")
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path!r} exists; pass overwrite=True to replace it")

    def write(temporary):
        with open(temporary, "xb") as stream:
            fig.savefig(stream, format=suffix, dpi=dpi)

    write_atomically(path, write, "replace" if overwrite else "refuse")
    return path
