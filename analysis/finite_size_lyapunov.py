"""Finite-size Lyapunov exponents (FSLE) from the separation of trajectory pairs.

The infinitesimal exponent describes vanishing perturbations; a spiking network also needs the
growth rate of *finite* ones, whose distance can jump by orders of magnitude when one spike moves
(a fit of one exponential to such a curve is meaningless). The FSLE (Aurell et al. 1997) measures
the growth rate scale by scale: for thresholds ``delta_n = delta_0 r^n`` and each pair of
trajectories, ``T_n`` is the first time its distance reaches ``delta_n``; then

    lambda(delta_n) = ln r / < T_{n+1} - T_n >

averaged over the pairs that start below ``delta_n`` and reach ``delta_{n+1}``. For an
exponentially separating pair ``lambda(delta) = lambda`` at every scale; near saturation it falls to
zero. A crossing of several thresholds between two samples has an unresolved growth time: it is
counted as one sample interval (so the exponent at that scale is a lower bound) and reported in
``resolution_limited``.

Examples
--------
>>> import numpy as np
>>> t = np.linspace(0.0, 1.0, 1001)
>>> distances = 1e-6 * np.exp(5.0 * t)[:, None] * np.array([1.0, 2.0])
>>> result = finite_size_exponents(t, distances, ratio=2.0)
>>> bool(np.allclose(result.exponents, 5.0, rtol=0.02))
True

References
----------
E. Aurell, G. Boffetta, A. Crisanti, G. Paladin, A. Vulpiani, "Predictability in the large: an
extension of the concept of Lyapunov exponent", J. Phys. A 30, 1 (1997).
"""
import math
from dataclasses import dataclass

import numpy as np

from hetero_brian.units import to_si

__all__ = ["FiniteSizeResult", "finite_size_exponents"]

METHOD = "finite-size Lyapunov exponent (Aurell et al. 1997): ln r / <first-passage time from delta to r delta>"


@dataclass(frozen=True, eq=False)
class FiniteSizeResult:
    """Growth rate of the separation at each scale.

    Attributes
    ----------
    scales : ndarray
        Lower thresholds ``delta_n`` (units of the distances); exponent ``n`` is for the growth from
        ``delta_n`` to ``ratio * delta_n``.
    ratio : float
        Growth factor ``r`` between consecutive thresholds.
    exponents : ndarray
        ``ln r / mean growth time`` (1/s); NaN where no pair made the step.
    standard_error : ndarray
        Standard error from the spread of the growth times (NaN with fewer than two pairs).
    n_pairs : ndarray of int
        Pairs that started below ``delta_n`` and reached ``ratio * delta_n``.
    n_eligible : ndarray of int
        Pairs that started below ``delta_n`` (the fraction ``n_pairs / n_eligible`` reached the
        next scale within the run).
    resolution_limited : ndarray
        Fraction of the growth times shorter than one sample (counted as one sample interval:
        the exponent is then a lower bound).
    sample_interval : float
        Time between samples (s).
    duration : float
        Length of the series (s).
    """

    scales: np.ndarray
    ratio: float
    exponents: np.ndarray
    standard_error: np.ndarray
    n_pairs: np.ndarray
    n_eligible: np.ndarray
    resolution_limited: np.ndarray
    sample_interval: float
    duration: float
    method: str = METHOD

    def summary(self):
        lines = [f"{self.method}: r = {self.ratio:g}, sample interval {self.sample_interval:.3g} s, "
                 f"duration {self.duration:.4g} s"]
        for n, scale in enumerate(self.scales):
            bound = " (lower bound)" if self.resolution_limited[n] > 0 else ""
            lines.append(f"  delta {scale:.2e} -> {self.ratio * scale:.2e}: {self.exponents[n]:.4g} +/- "
                         f"{self.standard_error[n]:.2g} 1/s from {self.n_pairs[n]}/{self.n_eligible[n]} pairs{bound}")
        return "\n".join(lines)


def _first_passage(times, distances, threshold):
    """First time each column reaches ``threshold`` (inf where it never does)."""
    reached = distances >= threshold
    index = np.argmax(reached, axis=0)
    passage = times[index].astype(float)
    passage[~reached.any(axis=0)] = np.inf
    return passage


def finite_size_exponents(t, distances, *, ratio=2.0, scales=None, saturation_fraction=0.5):
    """Finite-size Lyapunov exponents of pairs of trajectories.

    Parameters
    ----------
    t : array_like, shape (n_times,)
        Sample times (s, or a time quantity), strictly increasing and evenly spaced.
    distances : array_like, shape (n_times,) or (n_times, n_pairs)
        Distance of each pair over time (>= 0, any unit; e.g. the RMS membrane distance in
        threshold units from :func:`hetero_brian.analysis.spiking_lyapunov.membrane_distance`).
    ratio : float
        Growth factor between thresholds, > 1 (default 2: doubling times).
    scales : array_like, optional
        Lower thresholds ``delta_n``, increasing. Default: from ``ratio`` times the smallest
        positive initial distance, in steps of ``ratio``, up to ``saturation_fraction`` of the
        largest distance reached.
    saturation_fraction : float
        Where the default scales stop, as a fraction of the largest distance (in (0, 1]).

    Returns
    -------
    FiniteSizeResult

    Raises
    ------
    ValueError
        Mismatched shapes, fewer than 2 samples, uneven or non-increasing times, negative or
        non-finite distances, ratio <= 1, no positive initial distance (default scales), or
        scales that are not positive and increasing.
    """
    times = np.asarray(to_si(t, "second", "t"), dtype=float)
    values = np.asarray(distances, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    if times.ndim != 1 or values.ndim != 2 or values.shape[0] != times.size:
        raise ValueError(f"distances must have shape (n_times,) or (n_times, n_pairs) with n_times = len(t) = "
                         f"{times.size}; got t {times.shape}, distances {np.shape(distances)}")
    if times.size < 2:
        raise ValueError(f"need at least 2 samples; got {times.size}")
    steps = np.diff(times)
    if not np.all(steps > 0) or not np.allclose(steps, steps[0], rtol=1e-6, atol=0):
        raise ValueError("t must be strictly increasing and evenly spaced")
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError("distances must be finite and >= 0")
    if not (isinstance(ratio, (int, float)) and math.isfinite(ratio) and ratio > 1):
        raise ValueError(f"ratio must be a number > 1; got {ratio!r}")
    if not 0 < saturation_fraction <= 1:
        raise ValueError(f"saturation_fraction must be in (0, 1]; got {saturation_fraction!r}")
    start = values[0]
    if scales is None:
        positive = start[start > 0]
        if positive.size == 0:
            raise ValueError("no pair starts at a positive distance: pass scales explicitly")
        top = saturation_fraction * float(values.max())
        first = ratio * float(positive.min())
        count = int(math.floor(math.log(top / first) / math.log(ratio))) if top > first else 0
        scales = first * ratio ** np.arange(max(count, 0))
    scales = np.asarray(scales, dtype=float)
    if scales.ndim != 1 or np.any(~np.isfinite(scales)) or np.any(scales <= 0) or np.any(np.diff(scales) <= 0):
        raise ValueError(f"scales must be positive and increasing; got {scales!r}")
    interval = float(steps[0])
    exponents, errors, n_pairs, n_eligible, limited = [], [], [], [], []
    for scale in scales:
        eligible = start < scale
        low = _first_passage(times, values[:, eligible], scale)
        high = _first_passage(times, values[:, eligible], ratio * scale)
        made = np.isfinite(high)
        growth = high[made] - low[made]
        short = growth < interval
        growth = np.where(short, interval, growth)
        n_eligible.append(int(np.sum(eligible)))
        n_pairs.append(int(growth.size))
        limited.append(float(np.mean(short)) if growth.size else 0.0)
        if growth.size == 0:
            exponents.append(math.nan)
            errors.append(math.nan)
            continue
        mean = float(np.mean(growth))
        exponents.append(math.log(ratio) / mean)
        errors.append(math.log(ratio) * float(np.std(growth, ddof=1)) / math.sqrt(growth.size) / mean ** 2
                      if growth.size > 1 else math.nan)
    return FiniteSizeResult(scales=scales, ratio=float(ratio), exponents=np.array(exponents),
                            standard_error=np.array(errors), n_pairs=np.array(n_pairs, dtype=int),
                            n_eligible=np.array(n_eligible, dtype=int), resolution_limited=np.array(limited),
                            sample_interval=interval, duration=float(times[-1] - times[0]))
