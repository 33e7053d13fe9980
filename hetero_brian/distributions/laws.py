"""The five distributions of heterogeneous parameters: Constant, Uniform, Normal, LogNormal, Gamma.

Each stores its parameters as SI floats plus one dimension, and is sampled host-side with a
:class:`numpy.random.Generator` passed in. A homogeneous parameter is the special case :class:`Constant`.

Examples
--------
>>> import numpy as np
>>> from brian2 import ms
>>> tau_m = Gamma(20 * ms, cv=0.5)
>>> samples = tau_m.sample(1000, np.random.default_rng(1))
>>> samples.shape, float(tau_m.mean / ms)
((1000,), 20.0)
"""
import math

import numpy as np
from brian2 import Quantity, get_dimensions

from .base import Distribution, check_number, si_scalar

__all__ = ["Constant", "Uniform", "Normal", "LogNormal", "Gamma"]


class Constant(Distribution):
    """Every sample equals ``value``: the homogeneous special case.

    Parameters
    ----------
    value : brian2.Quantity or float
        The value of every sample (a bare number means dimensionless).
    """

    kind = "constant"
    keys = {"value": "quantity"}
    required = ("value",)

    def __init__(self, value):
        value_si, dim = si_scalar(value, "value")
        self._set(value_si=value_si, dim=dim)

    def parameters(self):
        return {"value": self._quantity(self.value_si)}

    def __repr__(self):
        return f"Constant({self._format(self.value_si)})"

    def _sample_si(self, n, rng):
        return np.full(n, self.value_si)

    def _moments_si(self):
        return self.value_si, 0.0

    def support_si(self):
        return self.value_si, self.value_si

    def pdf_si(self, x):
        x = np.asarray(x, dtype=float)
        return np.where(x == self.value_si, np.inf, 0.0)


class Uniform(Distribution):
    """Uniform distribution on ``[low, high)``.

    Parameters
    ----------
    low, high : brian2.Quantity
        Bounds with the same unit, ``low < high``.
    """

    kind = "uniform"
    keys = {"low": "quantity", "high": "quantity"}
    required = ("low", "high")

    def __init__(self, low, high):
        low_si, dim = si_scalar(low, "low")
        high_si, _ = si_scalar(high, "high", dim)
        if not low_si < high_si:
            raise ValueError(f"Uniform needs low < high; got low={low!r}, high={high!r}")
        self._set(low_si=low_si, high_si=high_si, dim=dim)

    def parameters(self):
        return {"low": self._quantity(self.low_si), "high": self._quantity(self.high_si)}

    def __repr__(self):
        return f"Uniform({self._format(self.low_si)}, {self._format(self.high_si)})"

    def _sample_si(self, n, rng):
        return rng.uniform(self.low_si, self.high_si, n)

    def _moments_si(self):
        return 0.5 * (self.low_si + self.high_si), (self.high_si - self.low_si) / math.sqrt(12.0)

    def support_si(self):
        return self.low_si, self.high_si

    def pdf_si(self, x):
        x = np.asarray(x, dtype=float)
        inside = (x >= self.low_si) & (x < self.high_si)
        return np.where(inside, 1.0 / (self.high_si - self.low_si), 0.0)


class Normal(Distribution):
    """Normal distribution, optionally truncated to ``[low, high]``.

    Parameters
    ----------
    mean, std : brian2.Quantity
        Location and scale of the *untruncated* normal; ``std >= 0``.
    low, high : brian2.Quantity, optional
        Truncation bounds. Samples are drawn exactly from the truncated law (inverse CDF),
        not by clipping, so :attr:`mean` and :attr:`std` are those of the truncated law.

    Notes
    -----
    Time constants drawn from an untruncated normal can be negative (FAULTS.md, case 1); the model
    specs refuse such a distribution for a time constant. Use ``low``.
    """

    kind = "normal"
    keys = {"mean": "quantity", "std": "quantity", "low": "quantity", "high": "quantity"}
    required = ("mean", "std")

    def __init__(self, mean, std, low=None, high=None):
        loc, dim = si_scalar(mean, "mean")
        scale, _ = si_scalar(std, "std", dim)
        if scale < 0:
            raise ValueError(f"Normal needs std >= 0; got std={std!r}")
        low_si = -math.inf if low is None else si_scalar(low, "low", dim)[0]
        high_si = math.inf if high is None else si_scalar(high, "high", dim)[0]
        if not low_si < high_si:
            raise ValueError(f"Normal needs low < high; got low={low!r}, high={high!r}")
        if scale == 0 and not low_si <= loc <= high_si:
            raise ValueError(f"Normal with std=0 needs low <= mean <= high; got mean={mean!r}")
        self._set(loc_si=loc, scale_si=scale, low_si=low_si, high_si=high_si, dim=dim)

    def __repr__(self):
        text = f"Normal({self._format(self.loc_si)}, {self._format(self.scale_si)}"
        if math.isfinite(self.low_si):
            text += f", low={self._format(self.low_si)}"
        if math.isfinite(self.high_si):
            text += f", high={self._format(self.high_si)}"
        return text + ")"

    def parameters(self):
        bound = lambda value: self._quantity(value) if math.isfinite(value) else None  # None: untruncated
        return {"mean": self._quantity(self.loc_si), "std": self._quantity(self.scale_si),
                "low": bound(self.low_si), "high": bound(self.high_si)}

    def _standard_bounds(self):
        return (self.low_si - self.loc_si) / self.scale_si, (self.high_si - self.loc_si) / self.scale_si

    def _law(self):
        a, b = self._standard_bounds()
        from scipy import stats  # lazily: importing scipy.stats costs ~50 MB of memory

        return stats.truncnorm(a, b, loc=self.loc_si, scale=self.scale_si)

    def _sample_si(self, n, rng):
        if self.scale_si == 0:
            return np.full(n, self.loc_si)
        if not (math.isfinite(self.low_si) or math.isfinite(self.high_si)):
            return rng.normal(self.loc_si, self.scale_si, n)
        return self._law().rvs(size=n, random_state=rng)

    def _moments_si(self):
        if self.scale_si == 0:
            return self.loc_si, 0.0
        mean, variance = self._law().stats(moments="mv")
        return float(mean), float(math.sqrt(variance))

    def support_si(self):
        return self.low_si, self.high_si

    def pdf_si(self, x):
        return self._law().pdf(np.asarray(x, dtype=float))


class LogNormal(Distribution):
    """Log-normal distribution given by its mean and coefficient of variation.

    Parameters
    ----------
    mean : brian2.Quantity
        Mean, > 0.
    cv : float
        Coefficient of variation std / mean, >= 0.

    Notes
    -----
    With sigma^2 = ln(1 + cv^2) and mu = ln(mean) - sigma^2 / 2, samples are exp(mu + sigma Z).
    """

    kind = "lognormal"
    keys = {"mean": "quantity", "cv": "number"}
    required = ("mean", "cv")

    def __init__(self, mean, cv):
        mean_si, dim = si_scalar(mean, "mean")
        if mean_si <= 0:
            raise ValueError(f"LogNormal needs mean > 0; got mean={mean!r}")
        cv_value = check_number(cv, "cv", 0.0, exclusive=False)
        sigma = math.sqrt(math.log1p(cv_value**2))
        self._set(mean_si=mean_si, cv_value=cv_value, sigma=sigma, mu=math.log(mean_si) - sigma**2 / 2, dim=dim)

    def __repr__(self):
        return f"LogNormal({self._format(self.mean_si)}, cv={self.cv_value!r})"

    def parameters(self):
        return {"mean": self._quantity(self.mean_si), "cv": self.cv_value}

    def _sample_si(self, n, rng):
        return rng.lognormal(self.mu, self.sigma, n)

    def _moments_si(self):
        return self.mean_si, self.mean_si * self.cv_value

    def support_si(self):
        return (self.mean_si, self.mean_si) if self.cv_value == 0 else (0.0, math.inf)

    def pdf_si(self, x):
        from scipy import stats  # lazily: importing scipy.stats costs ~50 MB of memory

        return stats.lognorm(self.sigma, scale=math.exp(self.mu)).pdf(np.asarray(x, dtype=float))


class Gamma(Distribution):
    """Gamma distribution given by its mean and coefficient of variation.

    The HRSNN papers draw each neuron's membrane time constant from a gamma distribution
    (Chakraborty & Mukhopadhyay, Front. Neurosci. 2023).

    Parameters
    ----------
    mean : brian2.Quantity
        Mean, > 0.
    cv : float
        Coefficient of variation, >= 0 (``cv = 0`` is the constant ``mean``).

    Notes
    -----
    shape k = 1 / cv^2, scale theta = mean cv^2, so mean = k theta and std = sqrt(k) theta.
    Use :meth:`from_shape_scale` to give k and theta directly.
    """

    kind = "gamma"
    keys = {"mean": "quantity", "cv": "number", "shape": "number", "scale": "quantity"}

    def __init__(self, mean, cv):
        mean_si, dim = si_scalar(mean, "mean")
        if mean_si <= 0:
            raise ValueError(f"Gamma needs mean > 0; got mean={mean!r}")
        cv_value = check_number(cv, "cv", 0.0, exclusive=False)
        self._set(mean_si=mean_si, cv_value=cv_value, dim=dim)

    @classmethod
    def from_parameters(cls, values):
        """Either ``mean`` and ``cv`` or ``shape`` and ``scale``."""
        if set(values) == {"mean", "cv"}:
            return cls(values["mean"], values["cv"])
        if set(values) == {"shape", "scale"}:
            return cls.from_shape_scale(values["shape"], values["scale"])
        raise ValueError("gamma needs either 'mean' and 'cv' or 'shape' and 'scale'; got "
                         f"{', '.join(sorted(values)) or 'none of them'}")

    @classmethod
    def from_shape_scale(cls, shape, scale):
        """Gamma with shape ``k`` (> 0, dimensionless) and scale ``theta`` (a quantity, > 0)."""
        k = check_number(shape, "shape", 0.0)
        scale_si, _ = si_scalar(scale, "scale")
        if scale_si <= 0:
            raise ValueError(f"Gamma needs scale > 0; got scale={scale!r}")
        return cls(Quantity(k * scale_si, dim=get_dimensions(scale)), cv=1.0 / math.sqrt(k))

    @property
    def shape(self):
        """Shape parameter k = 1 / cv^2 (inf for cv = 0)."""
        return math.inf if self.cv_value == 0 else 1.0 / self.cv_value**2

    @property
    def scale(self):
        """Scale parameter theta = mean cv^2 (a Quantity)."""
        return self._quantity(self.mean_si * self.cv_value**2)

    def __repr__(self):
        return f"Gamma({self._format(self.mean_si)}, cv={self.cv_value!r})"

    def parameters(self):
        return {"mean": self._quantity(self.mean_si), "cv": self.cv_value}

    def _sample_si(self, n, rng):
        if self.cv_value == 0:
            return np.full(n, self.mean_si)
        return rng.gamma(self.shape, self.mean_si * self.cv_value**2, n)

    def _moments_si(self):
        return self.mean_si, self.mean_si * self.cv_value

    def support_si(self):
        return (self.mean_si, self.mean_si) if self.cv_value == 0 else (0.0, math.inf)

    def pdf_si(self, x):
        from scipy import stats  # lazily: importing scipy.stats costs ~50 MB of memory

        return stats.gamma(self.shape, scale=self.mean_si * self.cv_value**2).pdf(np.asarray(x, dtype=float))
