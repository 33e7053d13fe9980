"""Largest Lyapunov exponent of a scalar time series (Rosenstein et al. 1993).

:func:`largest_from_series` follows the divergence of nearest neighbours in a delay embedding, with
the delay, embedding dimension (false nearest neighbours, Kennel et al. 1992) and Theiler window
chosen from the data. It returns a frozen :class:`SeriesExponentResult` (derived from
:class:`hetero_brian.analysis._lyapunov_common.LyapunovResult`) with a ``summary()`` string. The
separation rate of two given trajectories is
:func:`hetero_brian.analysis.trajectory_divergence.divergence_rate`.

References
----------
Rosenstein, Collins & De Luca, Physica D 65:117-134 (1993).
Kennel, Brown & Abarbanel, Phys. Rev. A 45:3403-3411 (1992).
"""
import math
from dataclasses import dataclass

import numpy as np

from hetero_brian.analysis._lyapunov_common import LyapunovResult, _count, _linear_fit, _positive_finite

__all__ = ["SeriesExponentResult", "largest_from_series"]


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
