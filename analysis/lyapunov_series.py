"""Largest Lyapunov exponents from data: a scalar time series, or two given trajectories.

* :func:`largest_from_series` -- largest exponent of a scalar series from the divergence of
  nearest neighbours in a delay embedding (Rosenstein et al. 1993), with the delay, embedding
  dimension (false nearest neighbours, Kennel et al. 1992) and Theiler window chosen from the data;
* :func:`divergence_rate` -- exponential separation rate of a reference and a perturbed
  trajectory, fitted over the window before saturation (or the floating-point floor).

Both return frozen results derived from :class:`hetero_brian.analysis.lyapunov.LyapunovResult`
(:class:`SeriesExponentResult`, :class:`DivergenceResult`) with a ``summary()`` string.
:mod:`hetero_brian.analysis.lyapunov` re-exports every public name.

Examples
--------
>>> import numpy as np
>>> t = np.linspace(0.0, 1.0, 101)
>>> reference = np.zeros((t.size, 1))
>>> result = divergence_rate(t, reference, 1e-6 * np.exp(2.0 * t)[:, None])
>>> result.regime, round(result.rate, 6)
('diverging', 2.0)

References
----------
Rosenstein, Collins & De Luca, Physica D 65:117-134 (1993).
Kennel, Brown & Abarbanel, Phys. Rev. A 45:3403-3411 (1992).
"""
import math
from dataclasses import dataclass

import numpy as np

from hetero_brian.analysis._lyapunov_common import LyapunovResult, _count, _positive_finite
from hetero_brian.units import to_si

__all__ = ["SeriesExponentResult", "DivergenceResult", "largest_from_series", "divergence_rate"]


# ----------------------------------------------------------------------------------------------
# Largest exponent from a scalar time series (Rosenstein et al. 1993)
# ----------------------------------------------------------------------------------------------

_MIN_SERIES = 100          # samples needed before any embedding parameter can be estimated
_MIN_REFERENCE_POINTS = 100  # reference points whose divergence is averaged, at the least


@dataclass(frozen=True, kw_only=True, eq=False)
class SeriesExponentResult(LyapunovResult):
    """Largest exponent of a scalar series, with the embedding and fit it used.

    Attributes
    ----------
    exponent : float
        The largest exponent (same as ``exponents[0]``), 1/time unit of dt.
    delay : int
        Embedding delay in samples (``delay * dt`` in time).
    embedding_dimension : int
        Number of delay coordinates.
    theiler_window : int
        Neighbours closer than this many samples in time are excluded.
    times : ndarray
        Time axis of the divergence curve (k * dt).
    divergence : ndarray
        Mean log distance <ln d_i(k)> of the neighbour pairs against ``times``.
    fit_window : tuple of float
        (start, stop) times of the linear fit.
    r_squared : float
        Coefficient of determination of the fit.
    n_pairs : int
        Number of reference points averaged.
    delay_rule, dimension_rule : str
        How delay and dimension were chosen ("given" when passed in).
    """

    exponent: float
    delay: int
    embedding_dimension: int
    theiler_window: int
    times: np.ndarray
    divergence: np.ndarray
    fit_window: tuple
    r_squared: float
    n_pairs: int
    delay_rule: str
    dimension_rule: str

    def summary(self):
        return (self._header() + f"\n  delay={self.delay} samples ({self.delay_rule}), "
                f"embedding dimension={self.embedding_dimension} ({self.dimension_rule}), Theiler "
                f"window={self.theiler_window} samples, {self.n_pairs} pairs, fit "
                f"{self.fit_window[0]:.6g}-{self.fit_window[1]:.6g} (R^2={self.r_squared:.4f})")


def _series(x):
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"x must be a 1-D series; got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"x must be finite; found {int(np.sum(~np.isfinite(x)))} non-finite "
                         f"samples")
    if x.size < _MIN_SERIES:
        raise ValueError(f"x is too short: {x.size} samples; largest_from_series needs at least "
                         f"{_MIN_SERIES} to estimate the embedding (and usually thousands)")
    if np.ptp(x) == 0:
        raise ValueError("x is constant; a Lyapunov exponent needs a varying series")
    return x


def _autocorrelation_time(x):
    """First lag (samples) at which the autocorrelation falls below 1/e, or None."""
    centred = x - x.mean()
    size = 1 << (2 * x.size - 1).bit_length()
    spectrum = np.fft.rfft(centred, size)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), size)[: x.size // 4]
    below = np.flatnonzero(acf / acf[0] < 1.0 / math.e)
    return int(below[0]) if below.size else None


def _mutual_information_minimum(x, max_lag):
    """First local minimum (samples) of the histogram mutual information I(x_t; x_t+lag)."""
    n_bins = int(np.clip(np.sqrt(x.size / 5.0), 8, 64))
    edges = np.quantile(x, np.linspace(0, 1, n_bins + 1)[1:-1])
    bins = np.searchsorted(edges, x)
    previous = None
    for lag in range(1, max_lag + 1):
        joint = np.bincount(bins[:-lag] * n_bins + bins[lag:], minlength=n_bins * n_bins)
        joint = joint.reshape(n_bins, n_bins) / (x.size - lag)
        outer = joint.sum(axis=1)[:, None] * joint.sum(axis=0)[None, :]
        nonzero = joint > 0
        info = float(np.sum(joint[nonzero] * np.log(joint[nonzero] / outer[nonzero])))
        if previous is not None and info > previous:
            return lag - 1
        previous = info
    return None


def _mean_period(x):
    """Mean period in samples: 1 / (power-weighted mean frequency), at least 1."""
    power = np.abs(np.fft.rfft(x - x.mean())) ** 2
    frequencies = np.fft.rfftfreq(x.size)
    mean_frequency = np.sum(frequencies[1:] * power[1:]) / np.sum(power[1:])
    return max(1, int(math.ceil(1.0 / mean_frequency)))


def _embed(x, dimension, delay, n_points):
    return np.stack([x[i * delay: i * delay + n_points] for i in range(dimension)], axis=1)


def _nearest_outside(points, reference, window):
    """Index of each reference point's nearest neighbour more than ``window`` samples away."""
    from scipy.spatial import cKDTree

    tree = cKDTree(points)
    neighbour = np.full(reference.size, -1)
    pending = np.arange(reference.size)
    k = min(points.shape[0], 8)
    while pending.size:
        _, index = tree.query(points[reference[pending]], k=k)
        index = index.reshape(pending.size, k)
        valid = np.abs(index - reference[pending, None]) > window
        found = valid.any(axis=1)
        neighbour[pending[found]] = index[found, np.argmax(valid[found], axis=1)]
        pending = pending[~found]
        if k >= points.shape[0]:
            break
        k = min(points.shape[0], 2 * k)
    return neighbour


def _false_neighbour_dimension(x, delay, window, max_dimension, threshold):
    """Smallest dimension with a false-nearest-neighbour fraction below ``threshold``.

    Kennel, Brown & Abarbanel (1992): a neighbour is false when adding the next delay coordinate
    stretches the distance by more than 10 times, or beyond 2 standard deviations of x.
    """
    fractions = []
    spread = np.std(x)
    for dimension in range(1, max_dimension + 1):
        n_points = x.size - dimension * delay
        if n_points < 2 * window + 10:
            break
        points = _embed(x, dimension, delay, n_points)
        reference = np.unique(np.linspace(0, n_points - 1, min(n_points, 2000)).astype(int))
        neighbour = _nearest_outside(points, reference, window)
        ok = neighbour >= 0
        distance = np.linalg.norm(points[reference[ok]] - points[neighbour[ok]], axis=1)
        extra = np.abs(x[reference[ok] + dimension * delay] - x[neighbour[ok] + dimension * delay])
        with np.errstate(divide="ignore", invalid="ignore"):
            false = (extra > 10.0 * distance) | (np.hypot(distance, extra) > 2.0 * spread)
        fractions.append(float(np.mean(false)))
        if fractions[-1] < threshold:
            return dimension, f"false nearest neighbours {fractions[-1]:.3f} < {threshold}"
    if not fractions:
        raise ValueError(f"x is too short to test embedding dimensions with delay={delay} and "
                         f"theiler_window={window}")
    best = int(np.argmin(fractions)) + 1
    return best, f"fewest false nearest neighbours ({fractions[best - 1]:.3f}; none < {threshold})"


def _linear_fit(times, values):
    slope, intercept = np.polyfit(times, values, 1)
    residual = values - (slope * times + intercept)
    total = np.sum((values - values.mean()) ** 2)
    return float(slope), float(1.0 - np.sum(residual ** 2) / total) if total > 0 else 1.0


def _rise_window(curve, low, high):
    """Indices [a, b) of the part of ``curve`` between fractions low and high of its rise."""
    rise = np.max(curve) - curve[0]
    start = int(np.argmax(curve >= curve[0] + low * rise))
    stop = int(np.argmax(curve >= curve[0] + high * rise))
    if stop - start < 3:
        start, stop = 0, max(int(np.argmax(curve >= curve[0] + 0.9 * rise)), 3)
    return start, min(stop, curve.size)


def largest_from_series(x, dt, *, delay=None, embedding_dimension=None, theiler_window=None,
                        max_steps=None, max_dimension=10, fnn_threshold=0.01,
                        max_reference_points=10000, n_blocks=10):
    """Largest Lyapunov exponent of a scalar series by the method of Rosenstein et al. (1993).

    Parameters
    ----------
    x : array_like, shape (n_samples,)
        Scalar series sampled every ``dt``.
    dt : float or Quantity
        Sampling interval (seconds, or the series' own time unit; 1 for maps).
    delay : int, optional
        Embedding delay in samples. Default: the smaller of the first local minimum of the
        histogram mutual information I(x_t; x_t+lag) and the first lag at which the
        autocorrelation falls below 1/e (the earlier of two independence criteria).
    embedding_dimension : int, optional
        Default: the smallest dimension (up to ``max_dimension``) whose fraction of false nearest
        neighbours (Kennel et al. 1992) is below ``fnn_threshold``; failing that, the one with the
        fewest.
    theiler_window : int, optional
        Neighbours closer in time than this many samples are excluded. Default: the mean period,
        1 / (power-weighted mean frequency), as Rosenstein et al. do.
    max_steps : int, optional
        Length of the divergence curve in samples; default max(20, 5 * theiler_window).
    max_dimension, fnn_threshold : optional
        Search range and acceptance level of the false-nearest-neighbour test.
    max_reference_points : int, optional
        At most this many evenly spaced reference points are averaged.
    n_blocks : int, optional
        Reference points are split into this many consecutive blocks for the standard error.

    Returns
    -------
    SeriesExponentResult
        The exponent in 1/time unit of dt, the chosen parameters and the divergence curve.

    Raises
    ------
    ValueError
        A series too short for the embedding (the message gives the minimum length), constant or
        non-finite, or dt <= 0.

    Notes
    -----
    Each reference point Y_i of the delay embedding is paired with its nearest neighbour Y_j,
    |i - j| > theiler_window; y(k) = <ln ||Y_{i+k} - Y_{j+k}||> over pairs, and the exponent is the
    slope of y against k dt. The fit window is chosen automatically as the part of y between
    10 % and 70 % of its total rise from y(0) to max y (before saturation at the attractor size;
    if that holds fewer than 3 points, from 0 to 90 % of the rise). The series needs at least
    (m - 1) tau + max_steps + 2 (theiler_window + 1) + 100 samples (100 reference points).
    """
    x = _series(x)
    dt = _positive_finite(dt, "dt")
    delay_rule = dimension_rule = "given"
    if theiler_window is None:
        theiler_window = _mean_period(x)
    theiler_window = _count(theiler_window, "theiler_window", 0)
    if delay is None:
        autocorrelation = _autocorrelation_time(x)
        information = _mutual_information_minimum(x, autocorrelation or x.size // 10)
        candidates = [lag for lag in (autocorrelation, information) if lag]
        if not candidates:
            raise ValueError("could not choose the embedding delay (no autocorrelation drop below "
                             "1/e and no mutual-information minimum); pass delay=")
        delay = min(candidates)
        delay_rule = (f"min(autocorrelation 1/e lag={autocorrelation}, first mutual-information "
                      f"minimum={information})")
    delay = _count(delay, "delay", 1)
    if embedding_dimension is None:
        embedding_dimension, dimension_rule = _false_neighbour_dimension(
            x, delay, theiler_window, _count(max_dimension, "max_dimension", 1), fnn_threshold)
    dimension = _count(embedding_dimension, "embedding_dimension", 1)
    if max_steps is None:
        max_steps = max(20, 5 * theiler_window)
    max_steps = _count(max_steps, "max_steps", 3)
    minimum = (dimension - 1) * delay + max_steps + 2 * (theiler_window + 1) + _MIN_REFERENCE_POINTS
    if x.size < minimum:
        raise ValueError(
            f"x is too short: {x.size} samples; at least {minimum} are needed for "
            f"embedding_dimension={dimension}, delay={delay}, theiler_window={theiler_window}, "
            f"max_steps={max_steps} and {_MIN_REFERENCE_POINTS} reference points")
    n_points = x.size - (dimension - 1) * delay
    points = _embed(x, dimension, delay, n_points)
    usable = n_points - max_steps
    reference = np.unique(np.linspace(0, usable - 1, min(usable, max_reference_points)).astype(int))
    neighbour = _nearest_outside(points[:usable], reference, theiler_window)
    ok = neighbour >= 0
    reference, neighbour = reference[ok], neighbour[ok]
    if reference.size < _MIN_REFERENCE_POINTS // 2:
        raise ValueError(f"only {reference.size} reference points of x have a neighbour outside "
                         f"the Theiler window ({theiler_window} samples); a longer series is "
                         f"needed")
    blocks = np.array_split(np.arange(reference.size), min(_count(n_blocks, "n_blocks", 2),
                                                           reference.size))
    block_curves = np.empty((len(blocks), max_steps))
    for step in range(max_steps):
        distance = np.linalg.norm(points[reference + step] - points[neighbour + step], axis=1)
        with np.errstate(divide="ignore"):
            log_distance = np.where(distance > 0, np.log(distance), np.nan)  # exact duplicates
        block_curves[:, step] = [np.nanmean(log_distance[block]) for block in blocks]
    if not np.all(np.isfinite(block_curves)):
        raise ValueError("x repeats itself exactly (zero distances between whole blocks of "
                         "neighbour pairs); a Lyapunov exponent cannot be estimated from it")
    sizes = np.array([block.size for block in blocks])
    curve = sizes @ block_curves / sizes.sum()
    times = np.arange(max_steps) * dt
    start, stop = _rise_window(curve, 0.1, 0.7)
    exponent, r_squared = _linear_fit(times[start:stop], curve[start:stop])
    block_slopes = [_linear_fit(times[start:stop], block[start:stop])[0] for block in block_curves]
    error = float(np.std(block_slopes, ddof=1) / math.sqrt(len(blocks)))
    return SeriesExponentResult(
        exponents=np.array([exponent]), standard_error=np.array([error]),
        method="Rosenstein et al. 1993 (nearest-neighbour divergence)", dt=dt,
        duration=x.size * dt, n_steps=x.size, renormalisation_interval=None, transient=0.0,
        exponent=exponent, delay=delay, embedding_dimension=dimension,
        theiler_window=theiler_window, times=times, divergence=curve,
        fit_window=(float(times[start]), float(times[stop - 1])), r_squared=r_squared,
        n_pairs=int(reference.size), delay_rule=delay_rule, dimension_rule=dimension_rule)


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
