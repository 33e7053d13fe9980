"""Largest exponent and dynamical regime of a spiking network from replica measurements (pure numpy).

* :func:`benettin_exponent` -- largest exponent from renormalised segments (Benettin);
* :func:`classify_regime` / :func:`regime_from_distances` -- "stable", "chaotic", "stable chaos"
  or "undetermined", from an infinitesimal exponent and finite-size divergence kept apart;
* :func:`divergence_probability` -- the fraction of replicas of each perturbation size whose spike
  trains diverged, with its binomial standard error.

:func:`hetero_brian.analysis.spiking_lyapunov.analyse_replicas` combines them on a saved replica run.

References
----------
G. Benettin et al., Meccanica 15:9-30 (1980).
S. Jahnke, R.-M. Memmesheimer, M. Timme, Phys. Rev. Lett. 100:048102 (2008).
M. Monteforte, F. Wolf, Phys. Rev. X 2:041007 (2012).
"""
import math
from dataclasses import dataclass

import numpy as np

from hetero_brian.analysis._lyapunov_common import LyapunovResult
from hetero_brian.analysis.trajectory_divergence import divergence_rate

__all__ = ["SMALL_EPSILON", "BenettinResult", "benettin_exponent", "REGIMES", "RegimeResult", "classify_regime",
           "regime_from_distances", "DivergenceProbability", "divergence_probability"]

SMALL_EPSILON = 1e-6  # below this (threshold distances) a perturbation is labelled small, above finite-size


@dataclass(frozen=True, kw_only=True, eq=False)
class BenettinResult(LyapunovResult):
    """Largest exponent from renormalised replica segments.

    Attributes
    ----------
    log_growth : ndarray
        ln(d / epsilon) of each segment used (-inf where the deviation was erased exactly).
    n_erased : int
        Segments whose deviation vanished exactly (clock-driven reset); excluded from the mean,
        which is then an upper bound (``upper_bound``).
    grid_bound : float or None
        ``-1/tau_max`` (1/s): the clock-driven bound on the infinitesimal exponent.
    label : str
        "small-perturbation" or "finite-size" (epsilon above 1e-6 threshold distances).
    message : str
    """

    log_growth: np.ndarray
    n_erased: int
    upper_bound: bool
    grid_bound: float | None
    label: str
    message: str

    def summary(self):
        return self._header() + f"\n  {self.label}; {self.message}"


def benettin_exponent(log_growth, interval, epsilon, dt, *, n_transient=1, n_blocks=10, tau_max=None,
                      saturation_distance=0.1):
    """Largest exponent from per-segment log growth factors (Benettin renormalisation).

    Parameters
    ----------
    log_growth : array_like, shape (n_segments,)
        ``ln(d_end / epsilon)`` of each renormalisation interval (-inf: deviation erased).
    interval : float
        Renormalisation interval (s), > 0.
    epsilon : float
        Perturbation size (threshold distances) to which each deviation was rescaled, > 0.
    dt : float
        Simulation time step (s), for the record; ``interval`` must be a multiple of it.
    n_transient : int
        Leading segments discarded.
    n_blocks : int
        Blocks of consecutive segments for the standard error.
    tau_max : float, optional
        Largest membrane time constant (s): reported as ``grid_bound = -1/tau_max``.
    saturation_distance : float
        If the median end-of-segment distance ``epsilon exp(log_growth)`` reaches this (threshold
        distances), the interval is too long for epsilon and the request is refused.

    Returns
    -------
    BenettinResult
        ``exponents[0] = mean(log_growth) / interval`` (1/s) over finite segments, standard error
        from block means.

    Raises
    ------
    ValueError
        Fewer than 10 usable segments, bad interval/epsilon/dt, saturated growth.
    """
    log_growth = np.asarray(log_growth, dtype=float)
    if log_growth.ndim != 1:
        raise ValueError(f"log_growth must be 1-D (one value per segment); got shape {log_growth.shape}")
    interval, epsilon, dt = float(interval), float(epsilon), float(dt)
    if not (interval > 0 and math.isfinite(interval)):
        raise ValueError(f"interval must be a positive time (s); got {interval!r}")
    if not dt > 0:
        raise ValueError(f"dt must be > 0 s; got {dt!r}")
    if abs(interval / dt - round(interval / dt)) > 1e-6:
        raise ValueError(f"interval={interval!r} s is not a multiple of dt={dt!r} s")
    if not 0 < epsilon < saturation_distance:
        raise ValueError(f"epsilon must be in (0, saturation_distance={saturation_distance}); got {epsilon!r}")
    if epsilon < 1e-14:
        raise ValueError(f"epsilon={epsilon!r} is below double precision relative to the state")
    used = log_growth[int(n_transient):]
    if used.size < 10:
        raise ValueError(f"run too short: {used.size} segments after {n_transient} transient ones; need >= 10 "
                         f"(got {log_growth.size} in all)")
    if np.any(np.isnan(used)) or np.any(used == np.inf):
        raise ValueError("log_growth must hold finite values or -inf (erased deviations); got NaN or +inf")
    finite = used[np.isfinite(used)]
    n_erased = int(used.size - finite.size)
    if finite.size and np.median(epsilon * np.exp(finite)) >= saturation_distance:
        raise ValueError(f"renormalisation interval too long: the deviation grows from epsilon={epsilon:.3g} to a "
                         f"median {np.median(epsilon * np.exp(finite)):.3g} >= {saturation_distance} threshold distances "
                         f"within interval={interval:.6g} s; use a shorter interval or a smaller epsilon")
    label = "small-perturbation" if epsilon <= SMALL_EPSILON else "finite-size"
    grid_bound = -1.0 / float(tau_max) if tau_max else None
    if finite.size < 2:
        exponent, error = -math.inf, 0.0
        message = f"deviation erased exactly in {n_erased} of {used.size} segments: exponent -inf (clock-driven reset)"
    else:
        exponent = float(np.mean(finite) / interval)
        blocks = np.array_split(finite, min(int(n_blocks), finite.size))
        means = np.array([np.mean(block) / interval for block in blocks])
        error = float(np.std(means, ddof=1) / math.sqrt(means.size)) if means.size > 1 else float("nan")
        message = (f"{label} exponent from {finite.size} segments"
                   + (f"; {n_erased} segments erased exactly, so this is an upper bound" if n_erased else ""))
    if grid_bound is not None:
        message += f"; clock-driven bound -1/tau_max = {grid_bound:.4g} 1/s"
    return BenettinResult(exponents=np.array([exponent]), standard_error=np.array([error]),
                          method=f"Benettin renormalisation of clock-driven replicas ({label})", dt=dt,
                          duration=interval * used.size, n_steps=int(round(interval * used.size / dt)),
                          renormalisation_interval=interval, transient=interval * int(n_transient), epsilon=epsilon,
                          log_growth=used, n_erased=n_erased, upper_bound=n_erased > 0, grid_bound=grid_bound,
                          label=label, message=message)


# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegimeResult:
    """Which dynamical regime, and why. The two kinds of evidence are kept apart."""

    regime: str
    infinitesimal_exponent: float
    infinitesimal_standard_error: float
    finite_epsilons: np.ndarray
    finite_divergence_probability: np.ndarray
    reason: str


REGIMES = ("stable", "chaotic", "stable chaos", "undetermined")


def classify_regime(infinitesimal_exponent, standard_error, finite_epsilons, finite_divergence_probability, *,
                    diverge_probability=0.5, converge_probability=0.1, n_sigma=2.0, zero_tolerance=1e-6):
    """Classify from an infinitesimal exponent and the divergence of finite perturbations.

    Parameters
    ----------
    infinitesimal_exponent, standard_error : float
        Largest exponent for (near-)infinitesimal perturbations (1/s) and its standard error.
    finite_epsilons : array_like
        Finite perturbation sizes (threshold distances).
    finite_divergence_probability : array_like
        Probability that perturbations of each size diverge (in [0, 1]).
    diverge_probability, converge_probability : float
        Finite perturbations "diverge" when the largest size's probability is >= the first,
        "converge" when every probability is <= the second.
    n_sigma : float
        The exponent's sign counts when it is ``n_sigma`` standard errors from zero ...
    zero_tolerance : float
        ... and further from zero than this (1/s), so rounding noise is not read as a sign.

    Returns
    -------
    RegimeResult
        "chaotic" (exponent > 0), "stable" (exponent < 0 and finite perturbations converge),
        "stable chaos" (exponent < 0 yet finite perturbations diverge; Jahnke et al. 2008) or
        "undetermined".
    """
    exponent, error = float(infinitesimal_exponent), float(standard_error)
    epsilons = np.atleast_1d(np.asarray(finite_epsilons, dtype=float))
    probability = np.atleast_1d(np.asarray(finite_divergence_probability, dtype=float))
    if epsilons.shape != probability.shape or epsilons.size == 0:
        raise ValueError(f"finite_epsilons and finite_divergence_probability must be non-empty and of one shape; "
                         f"got {epsilons.shape} and {probability.shape}")
    if np.any((probability < 0) | (probability > 1)) or np.any(~np.isfinite(probability)):
        raise ValueError(f"finite_divergence_probability must be in [0, 1]; got {probability!r}")
    if math.isnan(exponent) or not (error >= 0 or math.isinf(exponent)):
        raise ValueError(f"infinitesimal_exponent must be a number and standard_error >= 0; got {exponent!r}, {error!r}")
    error = 0.0 if math.isnan(error) and math.isinf(exponent) else error
    largest = float(probability[np.argmax(epsilons)])
    margin = n_sigma * error + float(zero_tolerance)
    sign = 1 if exponent - margin > 0 else (-1 if exponent + margin < 0 else 0)
    text = f"infinitesimal exponent {exponent:.4g} +/- {error:.2g} 1/s; divergence probability {largest:.2f} at epsilon {epsilons.max():.3g}"
    if sign > 0:
        regime = "chaotic"
    elif sign == 0:
        regime = "undetermined"
        text += " (exponent not distinguishable from 0)"
    elif largest >= diverge_probability:
        regime = "stable chaos"
    elif np.all(probability <= converge_probability):
        regime = "stable"
    else:
        regime = "undetermined"
        text += " (finite perturbations neither clearly converge nor diverge)"
    return RegimeResult(regime, exponent, error, epsilons, probability, text)


def _final_mean(times, values, final_fraction):
    start = times[0] + (1 - final_fraction) * (times[-1] - times[0])
    return np.mean(values[times >= start], axis=0)


def regime_from_distances(times, distances, epsilons, *, final_fraction=0.25, divergence_distance=0.1,
                          dt=None):
    """Regime from distance curves ``d_k(t)`` of perturbations of sizes ``epsilons``.

    The smallest epsilon gives the infinitesimal exponent (:func:`hetero_brian.analysis.lyapunov.divergence_rate`
    on the curve); every other curve "diverges" when its mean over the final ``final_fraction``
    of the run exceeds ``divergence_distance`` (threshold distances).

    Parameters
    ----------
    times : array_like, shape (n_times,) (s)
    distances : array_like, shape (n_times, K) (threshold distances)
    epsilons : array_like, shape (K,)
    """
    times = np.asarray(times, dtype=float)
    distances = np.asarray(distances, dtype=float)
    epsilons = np.asarray(epsilons, dtype=float)
    if distances.ndim != 2 or distances.shape != (times.size, epsilons.size):
        raise ValueError(f"distances must have shape (len(times), len(epsilons)) = {(times.size, epsilons.size)}; "
                         f"got {distances.shape}")
    if epsilons.size < 2 or np.any(epsilons <= 0):
        raise ValueError(f"epsilons need >= 2 positive sizes (one small, the others finite); got {epsilons!r}")
    smallest = int(np.argmin(epsilons))
    fit = divergence_rate(times, np.zeros((times.size, 1)), distances[:, smallest:smallest + 1])
    finite = np.flatnonzero(epsilons > epsilons[smallest])
    if finite.size == 0:
        raise ValueError(f"epsilons must contain sizes above the smallest {epsilons[smallest]!r}")
    final = _final_mean(times, distances, final_fraction)
    sizes = np.unique(epsilons[finite])
    probability = np.array([np.mean(final[finite][epsilons[finite] == size] >= divergence_distance) for size in sizes])
    return classify_regime(fit.rate, fit.standard_error[0], sizes, probability)


# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DivergenceProbability:
    """Per perturbation size: probability (with binomial standard error) that spike trains diverge."""

    epsilons: np.ndarray
    probability: np.ndarray
    standard_error: np.ndarray
    n_trials: np.ndarray


def divergence_probability(epsilons, diverged):
    """Group per-replica outcomes by perturbation size.

    Parameters
    ----------
    epsilons : array_like, shape (n,)
    diverged : array_like of bool, shape (n,)
    """
    epsilons = np.asarray(epsilons, dtype=float)
    diverged = np.asarray(diverged, dtype=bool)
    if epsilons.shape != diverged.shape or epsilons.ndim != 1 or epsilons.size == 0:
        raise ValueError(f"epsilons and diverged must be 1-D of one length; got {epsilons.shape} and {diverged.shape}")
    sizes = np.unique(epsilons)
    n = np.array([np.sum(epsilons == size) for size in sizes])
    p = np.array([np.mean(diverged[epsilons == size]) for size in sizes])
    return DivergenceProbability(sizes, p, np.sqrt(p * (1 - p) / n), n)
