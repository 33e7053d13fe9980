"""Pieces shared by the Lyapunov estimators (:mod:`~hetero_brian.analysis.lyapunov`,
:mod:`~hetero_brian.analysis.lyapunov_series`, :mod:`~hetero_brian.analysis.trajectory_divergence`,
:mod:`~hetero_brian.analysis.spiking_regime`): the result base class :class:`LyapunovResult`, the
argument checks and the least-squares line fit.

A leaf module (numpy only), so each can import it without an import cycle.
"""
from dataclasses import dataclass

import numpy as np

from hetero_brian.units import to_si

__all__ = ["LyapunovResult"]


@dataclass(frozen=True, kw_only=True, eq=False)
class LyapunovResult:
    """Common part of every Lyapunov estimate.

    Attributes
    ----------
    exponents : ndarray
        Exponents sorted in descending order, in 1/time unit of ``dt`` (1/iteration for maps).
    standard_error : ndarray
        Standard error of each exponent from block averages (NaN where undefined).
    method : str
        Name of the algorithm.
    dt : float
        Integration / sampling step (1 for maps).
    duration : float
        Time (iterations for maps) over which the exponents were averaged.
    n_steps : int
        Number of steps in ``duration``.
    renormalisation_interval : float or None
        Time between QR re-orthonormalisations; None where there is none.
    transient : float
        Time discarded before the averaging started.
    epsilon : float or None
        Initial separation of a finite perturbation; None for tangent-space methods.
    """

    exponents: np.ndarray
    standard_error: np.ndarray
    method: str
    dt: float
    duration: float
    n_steps: int
    renormalisation_interval: float | None
    transient: float
    epsilon: float | None = None

    def _header(self):
        values = ", ".join(f"{value:.6g} +/- {error:.2g}"
                           for value, error in zip(self.exponents, self.standard_error))
        interval = ("none" if self.renormalisation_interval is None
                    else f"{self.renormalisation_interval:.6g}")
        eps = "n/a" if self.epsilon is None else f"{self.epsilon:.3g}"
        return (f"{self.method}: exponents [{values}]\n"
                f"  dt={self.dt:.6g}, duration={self.duration:.6g} ({self.n_steps} steps), "
                f"transient={self.transient:.6g}, renormalisation interval={interval}, "
                f"epsilon={eps}")

    def summary(self):
        """Return a human-readable multi-line description of the estimate."""
        return self._header()


def _positive_finite(value, name, unit="second"):
    value = to_si(value, unit, name)
    if value.ndim != 0 or not np.isfinite(value) or value <= 0:
        shown = value.tolist() if value.ndim else float(value)
        raise ValueError(f"{name} must be a finite number > 0; got {name}={shown!r}")
    return float(value)


def _count(value, name, minimum):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {name}={value!r}")
    return int(value)


def _linear_fit(times, values):
    slope, intercept = np.polyfit(times, values, 1)
    residual = values - (slope * times + intercept)
    total = np.sum((values - values.mean()) ** 2)
    return float(slope), float(1.0 - np.sum(residual ** 2) / total) if total > 0 else 1.0
