"""Frozen, unit-carrying distributions for heterogeneous parameters.

Each heterogeneous parameter of a model (a membrane time constant, an STDP time constant, a
threshold...) is described by one of these specs. They are sampled host-side with a
:class:`numpy.random.Generator` passed in, so every backend builds the same network.
A homogeneous network is the special case :class:`Constant`.

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
from brian2.units.fundamentalunits import DIMENSIONLESS, get_unit
from scipy import stats

from .errors import UnitError

__all__ = [
    "Distribution",
    "Constant",
    "Uniform",
    "Normal",
    "LogNormal",
    "Gamma",
    "as_distribution",
    "check_positive_samples",
    "distribution_from_dict",
]


def _si_value(value, name, dim=None):
    """SI float of a scalar quantity, checking it against ``dim`` when given."""
    if isinstance(value, Distribution):
        raise UnitError(f"{name} must be a single quantity, not a distribution; got {value!r}")
    value_dim = get_dimensions(value)
    if dim is not None and value_dim is not dim:
        raise UnitError(
            f"{name} must have the same unit as the other parameters ({get_unit(dim)}); got {value!r}"
        )
    array = np.asarray(value, dtype=float)
    if array.shape != ():
        raise UnitError(f"{name} must be a scalar quantity; got an array of shape {array.shape}")
    if not np.isfinite(array):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return float(array), value_dim


def _check_number(value, name, minimum=None, exclusive=True):
    """A dimensionless finite float, optionally bounded from below."""
    if isinstance(value, Quantity) and not value.is_dimensionless:
        raise UnitError(f"{name} must be a dimensionless number; got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite; got {value!r}")
    if minimum is not None and (number <= minimum if exclusive else number < minimum):
        relation = ">" if exclusive else ">="
        raise ValueError(f"{name} must be {relation} {minimum}; got {value!r}")
    return number


def _check_count(n):
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ValueError(f"n (the number of samples) must be a positive integer; got {n!r}")
    return int(n)


def _check_rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator (see hetero_brian.random.SeedStreams); got {rng!r}"
        )
    return rng


class Distribution:
    """Base class: a distribution of a physical quantity.

    Subclasses store their parameters as SI floats plus one dimension and implement
    :meth:`_sample_si`, :meth:`_moments_si`, :meth:`support_si` and :meth:`pdf_si`.
    """

    dim = DIMENSIONLESS

    @property
    def unit(self):
        """The Brian2 unit of the samples (the SI base unit of their dimension)."""
        return get_unit(self.dim)

    def _quantity(self, value):
        return Quantity(value, dim=self.dim)

    def sample(self, n, rng):
        """Draw ``n`` independent samples.

        Parameters
        ----------
        n : int
            Number of samples, > 0.
        rng : numpy.random.Generator
            The stream to draw from (never the global numpy state).

        Returns
        -------
        brian2.Quantity
            Array of shape ``(n,)`` in the distribution's unit.
        """
        values = self._sample_si(_check_count(n), _check_rng(rng))
        return self._quantity(np.asarray(values, dtype=float))

    @property
    def mean(self):
        """Mean of the distribution (a Quantity)."""
        return self._quantity(self._moments_si()[0])

    @property
    def std(self):
        """Standard deviation of the distribution (a Quantity)."""
        return self._quantity(self._moments_si()[1])

    @property
    def cv(self):
        """Coefficient of variation std / mean (dimensionless)."""
        mean, std = self._moments_si()
        return std / mean if mean != 0 else math.inf

    def support_si(self):
        """(lowest, highest) value the distribution can produce, in SI units."""
        raise NotImplementedError

    def pdf_si(self, x):
        """Probability density at ``x`` (SI values), per SI unit."""
        raise NotImplementedError

    def to_dict(self):
        """JSON-serialisable description (SI values plus the unit's name)."""
        raise NotImplementedError

    def _format(self, value):
        return repr(self._quantity(value))


class Constant(Distribution):
    """Every sample equals ``value``: the homogeneous special case.

    Parameters
    ----------
    value : brian2.Quantity or float
        The value of every sample (a bare number means dimensionless).
    """

    def __init__(self, value):
        value_si, dim = _si_value(value, "value")
        object.__setattr__(self, "value_si", value_si)
        object.__setattr__(self, "dim", dim)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is frozen")

    def __eq__(self, other):
        return type(other) is type(self) and other.to_dict() == self.to_dict()

    def __hash__(self):
        return hash((type(self).__name__, self.value_si, str(self.dim)))

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

    def to_dict(self):
        return {"distribution": "constant", "value": self.value_si, "unit": str(self.unit)}


class _Parametric(Distribution):
    """Shared machinery of the frozen parametric distributions."""

    _fields = ()

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is frozen")

    def _set(self, **values):
        for key, value in values.items():
            object.__setattr__(self, key, value)

    def __eq__(self, other):
        return type(other) is type(self) and other.to_dict() == self.to_dict()

    def __hash__(self):
        return hash(tuple(sorted((k, str(v)) for k, v in self.to_dict().items())))

    def to_dict(self):
        description = {"distribution": type(self).__name__.lower(), "unit": str(self.unit)}
        description.update({field: getattr(self, field + "_si", getattr(self, field, None)) for field in self._fields})
        return description


class Uniform(_Parametric):
    """Uniform distribution on ``[low, high)``.

    Parameters
    ----------
    low, high : brian2.Quantity
        Bounds with the same unit, ``low < high``.
    """

    _fields = ("low", "high")

    def __init__(self, low, high):
        low_si, dim = _si_value(low, "low")
        high_si, _ = _si_value(high, "high", dim)
        if not low_si < high_si:
            raise ValueError(f"Uniform needs low < high; got low={low!r}, high={high!r}")
        self._set(low_si=low_si, high_si=high_si, dim=dim)

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


class Normal(_Parametric):
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

    _fields = ("loc", "scale", "low", "high")

    def __init__(self, mean, std, low=None, high=None):
        loc, dim = _si_value(mean, "mean")
        scale, _ = _si_value(std, "std", dim)
        if scale < 0:
            raise ValueError(f"Normal needs std >= 0; got std={std!r}")
        low_si = -math.inf if low is None else _si_value(low, "low", dim)[0]
        high_si = math.inf if high is None else _si_value(high, "high", dim)[0]
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

    def to_dict(self):
        finite = lambda value: value if math.isfinite(value) else None  # JSON has no infinity
        return {"distribution": "normal", "unit": str(self.unit), "mean": self.loc_si, "std": self.scale_si,
                "low": finite(self.low_si), "high": finite(self.high_si)}

    def _standard_bounds(self):
        return (self.low_si - self.loc_si) / self.scale_si, (self.high_si - self.loc_si) / self.scale_si

    def _law(self):
        a, b = self._standard_bounds()
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


class LogNormal(_Parametric):
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

    _fields = ("mean", "cv")

    def __init__(self, mean, cv):
        mean_si, dim = _si_value(mean, "mean")
        if mean_si <= 0:
            raise ValueError(f"LogNormal needs mean > 0; got mean={mean!r}")
        cv_value = _check_number(cv, "cv", 0.0, exclusive=False)
        sigma = math.sqrt(math.log1p(cv_value**2))
        self._set(mean_si=mean_si, cv_value=cv_value, sigma=sigma, mu=math.log(mean_si) - sigma**2 / 2, dim=dim)

    def __repr__(self):
        return f"LogNormal({self._format(self.mean_si)}, cv={self.cv_value!r})"

    def to_dict(self):
        return {"distribution": "lognormal", "unit": str(self.unit), "mean": self.mean_si, "cv": self.cv_value}

    def _sample_si(self, n, rng):
        return rng.lognormal(self.mu, self.sigma, n)

    def _moments_si(self):
        return self.mean_si, self.mean_si * self.cv_value

    def support_si(self):
        return (self.mean_si, self.mean_si) if self.cv_value == 0 else (0.0, math.inf)

    def pdf_si(self, x):
        return stats.lognorm(self.sigma, scale=math.exp(self.mu)).pdf(np.asarray(x, dtype=float))


class Gamma(_Parametric):
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

    _fields = ("mean", "cv")

    def __init__(self, mean, cv):
        mean_si, dim = _si_value(mean, "mean")
        if mean_si <= 0:
            raise ValueError(f"Gamma needs mean > 0; got mean={mean!r}")
        cv_value = _check_number(cv, "cv", 0.0, exclusive=False)
        self._set(mean_si=mean_si, cv_value=cv_value, dim=dim)

    @classmethod
    def from_shape_scale(cls, shape, scale):
        """Gamma with shape ``k`` (> 0, dimensionless) and scale ``theta`` (a quantity, > 0)."""
        k = _check_number(shape, "shape", 0.0)
        scale_si, _ = _si_value(scale, "scale")
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

    def to_dict(self):
        return {"distribution": "gamma", "unit": str(self.unit), "mean": self.mean_si, "cv": self.cv_value}

    def _sample_si(self, n, rng):
        if self.cv_value == 0:
            return np.full(n, self.mean_si)
        return rng.gamma(self.shape, self.mean_si * self.cv_value**2, n)

    def _moments_si(self):
        return self.mean_si, self.mean_si * self.cv_value

    def support_si(self):
        return (self.mean_si, self.mean_si) if self.cv_value == 0 else (0.0, math.inf)

    def pdf_si(self, x):
        return stats.gamma(self.shape, scale=self.mean_si * self.cv_value**2).pdf(np.asarray(x, dtype=float))


def as_distribution(value, name, unit):
    """Coerce a parameter value into a :class:`Distribution` of the expected unit.

    Parameters
    ----------
    value : Distribution or brian2.Quantity
        A quantity means :class:`Constant`.
    name : str
        Parameter name, used in error messages.
    unit : brian2.Unit
        Expected unit (dimension) of the samples; ``1`` for dimensionless.

    Raises
    ------
    UnitError
        When the dimension differs, or a bare number is given for a dimensional parameter.
    """
    dim = get_dimensions(unit)
    if not isinstance(value, Distribution):
        if isinstance(value, (str, bytes)) or value is None:
            raise UnitError(f"{name} must be a quantity or a distribution; got {value!r}")
        if get_dimensions(value) is not dim:
            expected = f"a quantity in units of {get_unit(dim)}" if dim is not DIMENSIONLESS else "a number"
            raise UnitError(f"{name} must be {expected} (or a distribution of it); got {value!r}")
        value = Constant(value)
    elif value.dim is not dim:
        raise UnitError(f"{name} must be a distribution of {get_unit(dim)}; got {value!r}")
    return value


def check_positive_samples(samples, name, distribution, minimum=None, seed_note=""):
    """Validate sampled values (e.g. time constants) before a network is built.

    Parameters
    ----------
    samples : brian2.Quantity
        The sampled values.
    name : str
        Parameter name for messages (``"tau_m"``).
    distribution : Distribution
        The distribution that produced them, named in the message.
    minimum : brian2.Quantity, optional
        Values must be strictly greater than this (default 0).
    seed_note : str
        Text identifying the random stream, added to the message (e.g. ``"master seed 12"``).

    Raises
    ------
    ValueError
        Naming how many values were bad, the smallest, and the distribution (FAULTS.md, case 1).
    """
    values = np.asarray(samples, dtype=float)
    bound = 0.0 if minimum is None else float(minimum)
    bad = ~(values > bound) | ~np.isfinite(values)
    if bad.any():
        where = f" ({seed_note})" if seed_note else ""
        raise ValueError(
            f"{name}: {int(bad.sum())} of {values.size} sampled values are <= {Quantity(bound, dim=distribution.dim)!r} "
            f"or not finite (smallest {Quantity(np.nanmin(values), dim=distribution.dim)!r}), drawn from "
            f"{distribution!r}{where}; truncate the distribution (e.g. Normal(..., low=...))"
        )


def distribution_from_dict(description):
    """Rebuild a distribution from :meth:`Distribution.to_dict` output (e.g. from a results file)."""
    import brian2

    unit_name = description.get("unit", "1")
    unit = 1 if unit_name in ("1", "", None) else getattr(brian2, {"s": "second", "V": "volt"}.get(unit_name, unit_name), None)
    if unit is None:
        raise ValueError(f"unknown unit {unit_name!r} in distribution description {description!r}")
    kind = description.get("distribution")

    def quantity(key):
        value = description[key]
        return None if value is None else value * unit

    if kind == "constant":
        return Constant(quantity("value"))
    if kind == "uniform":
        return Uniform(quantity("low"), quantity("high"))
    if kind == "normal":
        return Normal(quantity("mean"), quantity("std"), low=quantity("low"), high=quantity("high"))
    if kind == "lognormal":
        return LogNormal(quantity("mean"), description["cv"])
    if kind == "gamma":
        return Gamma(quantity("mean"), description["cv"])
    raise ValueError(f"unknown distribution {kind!r} in {description!r}")
