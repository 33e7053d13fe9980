"""Exponential separation rate of a reference and a perturbed trajectory.

:func:`divergence_rate` fits ``ln ||x_pert(t) - x_ref(t)||`` against time over the window before
saturation (or the floating-point floor) and returns a frozen :class:`DivergenceResult` (derived
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
        (start, stop) times of the fit.
    r_squared : float
        Coefficient of determination of the log-linear fit (NaN when no fit).
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
    r_squared: float
    saturation_distance: float
    floor_distance: float

    def summary(self):
        window = ("none" if self.fit_window is None
                  else f"{self.fit_window[0]:.6g}-{self.fit_window[1]:.6g}")
        return (self._header() + f"\n  regime: {self.regime}; fit window {window} "
                f"(R^2={self.r_squared:.4f}); {self.message}")


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


def divergence_rate(t, states_ref, states_pert, *, saturation_fraction=0.1, rise_fraction=0.8,
                    n_blocks=10):
    """Exponential rate at which a perturbed trajectory separates from (or joins) a reference.

    Parameters
    ----------
    t : array_like, shape (n_times,)
        Sample times, strictly increasing (seconds or the system's own time unit).
    states_ref, states_pert : array_like, shape (n_times, n_dims)
        Reference and perturbed states at ``t`` (1-D arrays are taken as n_dims = 1).
    saturation_fraction : float, optional
        A diverging fit stops before the separation reaches this fraction of the attractor size
        sqrt(2 * sum of the reference's variances) (the mean distance of two independent points).
    rise_fraction : float, optional
        ... or before this fraction of its total log-rise (or log-fall), whichever comes first.
    n_blocks : int, optional
        The fit window is split into this many blocks for the standard error.

    Returns
    -------
    DivergenceResult
        ``rate`` in 1/time unit of t, the window, the regime and a message. Identical
        trajectories give ``identical=True``, ``rate=-inf`` and a message, never log(0).

    Notes
    -----
    d(t) = ||x_pert(t) - x_ref(t)||; the rate is the least-squares slope of ln d against t over
    the window that starts at the first t with d > 0 and ends at the first time d leaves the
    exponential regime: for a diverging pair (max of ln d rises more above the start than its
    minimum falls below), when d reaches saturation_fraction x attractor size or rise_fraction of
    the total rise; for a contracting pair, when d reaches the floating-point floor
    64 eps max||x_ref|| or rise_fraction of the total fall. The standard error comes from the
    rates over n_blocks consecutive sub-windows. A finite initial separation measures a
    finite-size rate, not the infinitesimal Lyapunov exponent: ``epsilon`` reports it and the
    message labels the rate "finite-size" when epsilon > 1e-6 x attractor size.

    Raises
    ------
    ValueError
        Mismatched shapes, t not strictly increasing, non-finite states, or an initial separation
        at or below the floating-point floor (a perturbation lost in rounding).
    """
    t, ref, pert = _trajectories(t, states_ref, states_pert)
    distance = np.linalg.norm(pert - ref, axis=1)
    size = math.sqrt(2.0 * float(np.sum(np.var(ref, axis=0))))
    floor = 64.0 * np.finfo(float).eps * max(float(np.max(np.linalg.norm(ref, axis=1))),
                                             np.finfo(float).tiny)
    common = dict(method="two-trajectory separation (log-linear fit)",
                  dt=float(np.median(np.diff(t))), duration=float(t[-1] - t[0]), n_steps=t.size - 1,
                  renormalisation_interval=None, times=t, distance=distance, floor_distance=floor)
    positive = np.flatnonzero(distance > 0)
    if positive.size == 0:
        return DivergenceResult(
            exponents=np.array([-np.inf]), standard_error=np.array([0.0]), transient=0.0,
            epsilon=0.0, rate=-np.inf, regime="identical", identical=True, fit_window=None,
            r_squared=float("nan"), saturation_distance=saturation_fraction * size,
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
    rise = float(np.max(log_d[first:]) - log_d[first])
    later = log_d[first:][np.isfinite(log_d[first:])]
    fall = float(log_d[first] - np.min(later))
    saturation = saturation_fraction * size if saturation_fraction * size > epsilon else np.inf
    if rise <= 1e-12 and fall <= 1e-12:
        regime, stop = "neutral", t.size
    elif rise >= fall:
        regime = "diverging"
        level = min(log_d[first] + rise_fraction * rise, math.log(saturation))
        beyond = np.flatnonzero(log_d[first:] >= level)
        stop = first + (int(beyond[0]) if beyond.size else t.size - first)
    else:
        regime = "contracting"
        level = max(log_d[first] - rise_fraction * fall, math.log(floor))
        beyond = np.flatnonzero(log_d[first:] <= level)
        stop = first + (int(beyond[0]) if beyond.size else t.size - first)
    if stop - first < 3:
        return DivergenceResult(
            exponents=np.array([np.nan]), standard_error=np.array([np.nan]),
            transient=float(t[first] - t[0]),
            epsilon=epsilon, rate=float("nan"), regime="unresolved", identical=False,
            fit_window=None, r_squared=float("nan"), saturation_distance=float(saturation),
            message=f"the separation is {regime} but leaves the exponential regime within "
                    f"{stop - first} samples of t={t[first]:.6g} (initial separation "
                    f"{epsilon:.3g}, saturation {saturation:.3g}, floor {floor:.3g}); sample "
                    f"more finely or use a smaller perturbation", **common)
    window = slice(first, stop)
    rate, r_squared = _linear_fit(t[window], log_d[window])
    edges = np.linspace(first, stop - 1, min(_count(n_blocks, "n_blocks", 2), stop - first - 1) + 1)
    edges = np.unique(edges.round().astype(int))
    block_rates = (log_d[edges[1:]] - log_d[edges[:-1]]) / (t[edges[1:]] - t[edges[:-1]])
    error = (float(np.std(block_rates, ddof=1) / math.sqrt(block_rates.size))
             if block_rates.size >= 2 else float("nan"))
    if size == 0:
        kind = "(reference at rest: no attractor size to judge epsilon against)"
    else:
        kind = "finite-size" if epsilon > 1e-6 * size else "small-perturbation"
    return DivergenceResult(
        exponents=np.array([rate]), standard_error=np.array([error]),
        transient=float(t[first] - t[0]),
        epsilon=epsilon, rate=rate, regime=regime, identical=False,
        fit_window=(float(t[first]), float(t[stop - 1])), r_squared=r_squared,
        saturation_distance=float(saturation),
        message=f"{regime} separation, {kind} rate from initial separation {epsilon:.3g}, fitted "
                f"on samples {first}-{stop - 1} (cut at saturation {saturation:.3g} / floor "
                f"{floor:.3g} / {rise_fraction:.0%} of the log-range)", **common)
