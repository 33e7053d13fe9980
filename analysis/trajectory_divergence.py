"""Exponential separation rate of a reference and a perturbed trajectory.

:func:`divergence_rate` fits ``ln ||x_pert(t) - x_ref(t)||`` against time over the exponential range
it detects (after an initial jump, before saturation or the floating-point floor; refused as
"unresolved" when there is none, e.g. for white noise) and returns a frozen :class:`DivergenceResult` (derived
from :class:`hetero_brian.analysis._lyapunov_common.LyapunovResult`) with a ``summary()`` string.

Examples
--------
>>> import numpy as np
>>> t = np.linspace(0.0, 1.0, 101)
>>> reference = np.zeros((t.size, 1))
>>> result = divergence_rate(t, reference, 1e-6 * np.exp(2.0 * t)[:, None])
>>> result.regime, round(result.rate, 6)
('diverging', 2.0)
"""
import math
from dataclasses import dataclass

import numpy as np

from hetero_brian.analysis._lyapunov_common import LyapunovResult, _count, _linear_fit
from hetero_brian.units import to_si

__all__ = ["DivergenceResult", "divergence_rate"]


# ----------------------------------------------------------------------------------------------
# Separation rate of a reference and a perturbed trajectory
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True, eq=False)
class DivergenceResult(LyapunovResult):
    """Exponential separation rate of two trajectories.

    Attributes
    ----------
    rate : float
        Fitted rate (same as ``exponents[0]``), 1/time unit of t; -inf when ``identical``; NaN when
        no exponential regime could be resolved (see ``message``).
    regime : str
        "diverging", "contracting", "neutral", "identical" or "unresolved".
    identical : bool
        True when the two trajectories coincide at every time (no separation to measure).
    message : str
        Plain-language description, including why a window was chosen or refused.
    times, distance : ndarray
        Sample times and Euclidean separations ||pert - ref||.
    fit_window : tuple of float or None
        (start, stop) times of the fit (the range used; None when no fit).
    fit_samples : tuple of int or None
        (first, last) sample indices of the fit; samples before ``first`` (the initial jump of a
        finite perturbation, for example) are not used.
    r_squared : float
        Coefficient of determination of the log-linear fit (NaN when no fit).
    log_change : float
        ln d(stop) - ln d(start) of the fitted line over the window (e-folds covered; NaN when no fit).
    saturation_distance, floor_distance : float
        The separations at which the window was cut for divergence and contraction.
    """

    rate: float
    regime: str
    identical: bool
    message: str
    times: np.ndarray
    distance: np.ndarray
    fit_window: tuple | None
    fit_samples: tuple | None
    r_squared: float
    log_change: float
    saturation_distance: float
    floor_distance: float

    def summary(self):
        window = ("none" if self.fit_window is None
                  else f"{self.fit_window[0]:.6g}-{self.fit_window[1]:.6g}")
        return (self._header() + f"\n  regime: {self.regime}; fit window {window} "
                f"(R^2={self.r_squared:.4f}, {self.log_change:.3g} e-folds); {self.message}")


def _trajectories(t, states_ref, states_pert):
    t = to_si(t, "second", "t")
    if t.ndim != 1 or t.size < 3:
        raise ValueError(f"t must be a 1-D array of at least 3 times; got shape {t.shape}")
    if not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
        raise ValueError("t must be finite and strictly increasing (every time step dt > 0); got "
                         f"min(diff(t))={np.min(np.diff(t))!r}")
    arrays = []
    for name, states in (("states_ref", states_ref), ("states_pert", states_pert)):
        states = np.asarray(states, dtype=float)
        if states.ndim == 1:
            states = states[:, None]
        if states.ndim != 2 or states.shape[0] != t.size:
            raise ValueError(f"{name} must have shape (n_times, n_dims) with n_times = len(t) = "
                             f"{t.size}; got shape {states.shape}")
        if not np.all(np.isfinite(states)):
            bad = np.argwhere(~np.isfinite(states))[0]
            raise ValueError(f"{name} must be finite; got {states[tuple(bad)]!r} at time "
                             f"t={t[bad[0]]!r}, dimension {bad[1]}")
        arrays.append(states)
    if arrays[0].shape != arrays[1].shape:
        raise ValueError(f"states_ref and states_pert must have the same shape; got "
                         f"{arrays[0].shape} and {arrays[1].shape}")
    return t, arrays[0], arrays[1]


def _cumulative_sums(t, y):
    """Running sums of 1, x, y, x^2, xy, y^2 (x = t - t[0]), each with a leading 0."""
    x = t - t[0]
    return [np.concatenate([[0.0], np.cumsum(values)]) for values in (np.ones_like(x), x, y, x * x, x * y, y * y)]


def _window_fits(sums, starts, stops):
    """Slope and R^2 of the least-squares line over ``[start, stop)``, elementwise (broadcast) over the pairs."""
    n, sx, sy, sxx, sxy, syy = (total[stops] - total[starts] for total in sums)
    with np.errstate(divide="ignore", invalid="ignore"):
        vxx, vyy, vxy = n * sxx - sx * sx, n * syy - sy * sy, n * sxy - sx * sy
        slope = np.where(n >= 2, vxy / vxx, np.nan)
        r_squared = np.where(vyy > 0, vxy * vxy / (vxx * vyy), 0.0)
    return slope, r_squared


def _exponential_range(t, log_d, first, stop, min_samples, min_r_squared, min_log_change, max_candidates=160):
    """``(start, stop)`` of the longest window of ``[first, stop)`` where ln d is a straight line.

    A window qualifies when it has ``min_samples`` samples, R^2 >= ``min_r_squared``, covers at
    least ``min_log_change`` e-folds and the slopes of its two halves agree within 30% (no bend:
    neither an initial jump nor the approach to saturation). Leading samples that still sit off
    the line (the tail of a jump) are dropped. Returns ``None`` when no window qualifies.
    """
    y, times = log_d[first:stop], t[first:stop]
    size = y.size
    if size < min_samples:
        return None
    grid = np.unique(np.linspace(0, size, min(size, max_candidates) + 1).round().astype(int))
    starts, stops = np.broadcast_arrays(grid[:-1, None], grid[None, 1:])
    sums = _cumulative_sums(times, y)
    slope, r_squared = _window_fits(sums, starts, stops)
    middle = (starts + stops) // 2
    first_half = _window_fits(sums, starts, np.maximum(middle, starts + 2).clip(max=size))[0]
    second_half = _window_fits(sums, np.minimum(middle, stops - 2).clip(min=0), stops)[0]
    length = stops - starts
    duration = times[np.clip(stops - 1, 0, size - 1)] - times[starts]
    with np.errstate(invalid="ignore"):
        valid = ((length >= min_samples) & (r_squared >= min_r_squared)
                 & (np.abs(slope) * duration >= min_log_change)
                 & (np.abs(first_half - second_half) <= 0.3 * np.abs(slope)))
    if not np.any(valid):
        return None
    score = np.where(valid, length + r_squared, -np.inf)  # longest, then best R^2
    row, column = np.unravel_index(int(np.argmax(score)), score.shape)
    begin, end = int(starts[row, column]), int(stops[row, column])
    while end - begin > min_samples:  # drop leading samples off the line (the end of an initial jump)
        fitted_slope, intercept = np.polyfit(times[begin + 1:end], y[begin + 1:end], 1)
        residuals = y[begin + 1:end] - (fitted_slope * times[begin + 1:end] + intercept)
        spread = math.sqrt(float(np.mean(residuals ** 2)))
        if abs(y[begin] - (fitted_slope * times[begin] + intercept)) <= max(3.0 * spread, 0.05):
            break
        begin += 1
    return first + begin, first + end


def divergence_rate(t, states_ref, states_pert, *, saturation_fraction=0.1, min_r_squared=0.95,
                    min_log_change=1.0, min_samples=8, n_blocks=10):
    """Exponential rate at which a perturbed trajectory separates from (or joins) a reference.

    Parameters
    ----------
    t : array_like, shape (n_times,)
        Sample times, strictly increasing (seconds or the system's own time unit).
    states_ref, states_pert : array_like, shape (n_times, n_dims)
        Reference and perturbed states at ``t`` (1-D arrays are taken as n_dims = 1).
    saturation_fraction : float, optional
        The fit stops before the separation reaches this fraction of the attractor size
        sqrt(2 * sum of the reference's variances) (the mean distance of two independent points).
        A separation that starts at or above it has no exponential range ("unresolved").
    min_r_squared : float, optional
        Least R^2 of the log-linear fit over the detected range.
    min_log_change : float, optional
        Least number of e-folds the range must cover (a rate from less is not exponential growth).
    min_samples : int, optional
        Least number of samples in the range.
    n_blocks : int, optional
        The fit window is split into this many blocks for the standard error.

    Returns
    -------
    DivergenceResult
        ``rate`` in 1/time unit of t, the range used (``fit_window``, ``fit_samples``), its
        ``r_squared`` and ``log_change``, the regime and a message. Identical trajectories give
        ``identical=True``, ``rate=-inf`` and a message, never log(0). Where no exponential range
        exists (white noise, a separation already saturated, a bend everywhere), the regime is
        "unresolved", the rate NaN and the message says why: never a confident number.

    Notes
    -----
    d(t) = ||x_pert(t) - x_ref(t)||. The candidate range starts at the first t with d > 0 and ends
    where d reaches saturation_fraction x attractor size (diverging) or the floating-point floor
    64 eps max||x_ref|| (contracting). Inside it, the fit uses the longest window where ln d is a
    straight line: at least ``min_samples`` samples, R^2 >= ``min_r_squared``, at least
    ``min_log_change`` e-folds, and the slopes of its two halves agreeing within 30%. So the
    initial jump of a finite perturbation in a spiking network (a spike moved by the kick) and the
    bend into saturation are left out instead of doubling or halving the rate. The standard error
    comes from the rates over n_blocks consecutive sub-windows. A finite initial separation
    measures a finite-size rate, not the infinitesimal Lyapunov exponent: ``epsilon`` reports it
    and the message labels the rate "finite-size" when epsilon > 1e-6 x attractor size.

    Raises
    ------
    ValueError
        Mismatched shapes, t not strictly increasing, non-finite states, bad fit options, or an
        initial separation at or below the floating-point floor (a perturbation lost in rounding).
    """
    t, ref, pert = _trajectories(t, states_ref, states_pert)
    if not 0 < min_r_squared < 1 or not min_log_change >= 0:
        raise ValueError(f"min_r_squared must be in (0, 1) and min_log_change >= 0; got {min_r_squared!r}, "
                         f"{min_log_change!r}")
    min_samples = max(_count(min_samples, "min_samples", 3), 3)
    distance = np.linalg.norm(pert - ref, axis=1)
    size = math.sqrt(2.0 * float(np.sum(np.var(ref, axis=0))))
    floor = 64.0 * np.finfo(float).eps * max(float(np.max(np.linalg.norm(ref, axis=1))),
                                             np.finfo(float).tiny)
    common = dict(method="two-trajectory separation (log-linear fit over the detected exponential range)",
                  dt=float(np.median(np.diff(t))), duration=float(t[-1] - t[0]), n_steps=t.size - 1,
                  renormalisation_interval=None, times=t, distance=distance, floor_distance=floor)
    positive = np.flatnonzero(distance > 0)
    if positive.size == 0:
        return DivergenceResult(
            exponents=np.array([-np.inf]), standard_error=np.array([0.0]), transient=0.0,
            epsilon=0.0, rate=-np.inf, regime="identical", identical=True, fit_window=None, fit_samples=None,
            r_squared=float("nan"), log_change=float("nan"), saturation_distance=saturation_fraction * size,
            message="the trajectories are identical at every time: there is no separation to "
                    "measure (rate reported as -inf, not log(0))", **common)
    first = int(positive[0])
    epsilon = float(distance[first])
    if epsilon <= floor:
        raise ValueError(f"the initial separation epsilon={epsilon:.3g} (at t={t[first]!r}) is "
                         f"below the floating-point resolution {floor:.3g} of states_ref: the "
                         f"perturbation is rounding noise; use a larger perturbation")
    log_d = np.full(t.size, -np.inf)
    log_d[positive] = np.log(distance[positive])
    saturation = saturation_fraction * size if size > 0 else np.inf

    def unresolved(reason):
        return DivergenceResult(
            exponents=np.array([np.nan]), standard_error=np.array([np.nan]), transient=float(t[first] - t[0]),
            epsilon=epsilon, rate=float("nan"), regime="unresolved", identical=False, fit_window=None,
            fit_samples=None, r_squared=float("nan"), log_change=float("nan"), saturation_distance=float(saturation),
            message=f"no exponential range: {reason} (initial separation {epsilon:.3g}, saturation "
                    f"{saturation:.3g}, floor {floor:.3g}); no rate is reported", **common)

    later = log_d[first:]
    if np.all(np.abs(later - later[0]) <= 1e-12):
        window, regime = (first, t.size), "neutral"
    else:
        if epsilon >= saturation:
            return unresolved(f"the separation starts at or above the saturation level ({saturation_fraction:g} "
                              "x the attractor size): the trajectories are as far apart as two unrelated states "
                              "(white noise, or a perturbation as large as the attractor)")
        outside = np.flatnonzero((distance[first:] >= saturation) | (distance[first:] <= floor))
        stop = first + (int(outside[0]) if outside.size else t.size - first)
        window = _exponential_range(t, log_d, first, stop, min_samples, min_r_squared, min_log_change)
        if window is None:
            return unresolved(f"no window of >= {min_samples} samples before saturation or the floor (samples "
                              f"{first}-{stop - 1}) is a straight line in ln d with R^2 >= {min_r_squared:g} over "
                              f">= {min_log_change:g} e-folds; record longer or more finely, or use a smaller "
                              "perturbation")
        regime = None
    begin, end = window
    rate, r_squared = _linear_fit(t[begin:end], log_d[begin:end])
    regime = regime or ("diverging" if rate > 0 else "contracting")
    edges = np.linspace(begin, end - 1, min(_count(n_blocks, "n_blocks", 2), end - begin - 1) + 1)
    edges = np.unique(edges.round().astype(int))
    block_rates = (log_d[edges[1:]] - log_d[edges[:-1]]) / (t[edges[1:]] - t[edges[:-1]])
    error = (float(np.std(block_rates, ddof=1) / math.sqrt(block_rates.size))
             if block_rates.size >= 2 else float("nan"))
    if size == 0:
        kind = "(reference at rest: no attractor size to judge epsilon against)"
    else:
        kind = "finite-size" if epsilon > 1e-6 * size else "small-perturbation"
    skipped = f"; samples {first}-{begin - 1} skipped (initial jump)" if begin > first else ""
    return DivergenceResult(
        exponents=np.array([rate]), standard_error=np.array([error]), transient=float(t[begin] - t[0]),
        epsilon=epsilon, rate=rate, regime=regime, identical=False,
        fit_window=(float(t[begin]), float(t[end - 1])), fit_samples=(begin, end - 1), r_squared=r_squared,
        log_change=float(rate * (t[end - 1] - t[begin])), saturation_distance=float(saturation),
        message=f"{regime} separation, {kind} rate from initial separation {epsilon:.3g}, fitted on "
                f"samples {begin}-{end - 1} (R^2 {r_squared:.4f}, {rate * (t[end - 1] - t[begin]):.3g} e-folds){skipped}",
        **common)
