"""The distribution base class and its one (de)serialiser.

A distribution is written as a plain mapping of quantity text, the same form a configuration file
uses::

    {"distribution": "gamma", "mean": "20.0 ms", "cv": 0.5}

:meth:`Distribution.to_dict` writes it (quantities through
:func:`hetero_brian.quantities.quantity_as_text`, dimensionless values as plain numbers) and
:func:`distribution_from_dict` reads it back (through :func:`hetero_brian.quantities.parse_quantity`),
bit for bit. Configurations (:func:`hetero_brian.config.DistributionField`), provenance
(``Spec.describe``) and results files all go through this pair.
"""
import difflib
import math

import numpy as np
from brian2 import Quantity, get_dimensions
from brian2.units.fundamentalunits import DIMENSIONLESS, get_unit

from ..errors import ConfigError, UnitError
from ..quantities import parse_quantity, quantity_as_text
from ..random import check_generator
from ..units import to_si_scalar

__all__ = ["Distribution", "DistributionDescriptionError", "distribution_from_dict", "distribution_kinds"]

#: ``name -> Distribution subclass``, filled as the subclasses are defined (``Distribution.kind``).
_KINDS = {}


class DistributionDescriptionError(ConfigError):
    """A distribution description (a mapping or a quantity) cannot be read.

    Attributes
    ----------
    key : str or None
        The key of the description at fault (``"mean"``), or None for the description as a whole.
    reason : str
        What is wrong, naming the bad value.
    """

    def __init__(self, reason, key=None):
        super().__init__(f"{key}: {reason}" if key else reason)
        self.key = key
        self.reason = reason


def si_scalar(value, name, dim=None):
    """SI float and dimension of a scalar quantity, checked against ``dim`` when given.

    A bare number is dimensionless (a distribution of a physical quantity needs quantities).
    """
    if isinstance(value, Distribution):
        raise UnitError(f"{name} must be a single quantity, not a distribution; got {value!r}")
    value_dim = get_dimensions(value)
    if dim is not None and value_dim is not dim:
        raise UnitError(
            f"{name} must have the same unit as the other parameters ({get_unit(dim)}); got {value!r}"
        )
    return to_si_scalar(value, value_dim, name, plain_numbers=False), value_dim


def check_number(value, name, minimum=None, exclusive=True):
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


class Distribution:
    """Base class: a frozen distribution of a physical quantity.

    Subclasses store their parameters as SI floats plus one dimension and implement
    :meth:`_sample_si`, :meth:`_moments_si`, :meth:`support_si`, :meth:`pdf_si` and
    :meth:`parameters`. They declare ``kind`` (the name in descriptions), ``keys`` (each description
    key and whether it holds a ``"quantity"`` or a ``"number"``) and ``required`` (keys that must be
    given); :meth:`from_parameters` builds one from the parsed values.
    """

    dim = DIMENSIONLESS
    kind = None
    keys = {}
    required = ()

    def __init_subclass__(cls, **options):
        super().__init_subclass__(**options)
        if cls.kind is not None:
            _KINDS[cls.kind] = cls

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is frozen")

    def _set(self, **values):
        for key, value in values.items():
            object.__setattr__(self, key, value)

    def _identity(self):
        """What makes two distributions equal: the type, the dimension and the SI parameters."""
        parameters = self.parameters()
        return (type(self).__name__, str(self.dim),
                tuple((key, None if value is None else float(value)) for key, value in parameters.items()))

    def __eq__(self, other):
        return type(other) is type(self) and other._identity() == self._identity()

    def __hash__(self):
        return hash(self._identity())

    @property
    def unit(self):
        """The Brian2 unit of the samples (the SI base unit of their dimension)."""
        return get_unit(self.dim)

    def _quantity(self, value):
        return Quantity(value, dim=self.dim)

    def _format(self, value):
        return repr(self._quantity(value))

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
        values = self._sample_si(_check_count(n), check_generator(rng))
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

    def at_mean(self):
        """The homogeneous counterpart: a :class:`~hetero_brian.distributions.Constant` at :attr:`mean`.

        A network made homogeneous keeps every parameter's mean and drops its spread.
        """
        return _KINDS["constant"](self.mean)

    def support_si(self):
        """(lowest, highest) value the distribution can produce, in SI units."""
        raise NotImplementedError

    def pdf_si(self, x):
        """Probability density at ``x`` (SI values), per SI unit."""
        raise NotImplementedError

    def parameters(self):
        """Dict ``description key -> value`` (a Quantity, a float, or None when not set)."""
        raise NotImplementedError

    @classmethod
    def from_parameters(cls, values):
        """Build from a dict of parsed description values (``key -> Quantity or float``)."""
        return cls(**values)

    def to_dict(self):
        """The description of this distribution: plain text and numbers, JSON and YAML ready.

        Returns
        -------
        dict
            ``{"distribution": kind, key: text or number, ...}``; quantities as text that
            :func:`distribution_from_dict` reads back exactly (``"20.0 ms"``), dimensionless values as
            floats, unset optional keys left out.
        """
        description = {"distribution": self.kind}
        for key, value in self.parameters().items():
            if value is not None:
                description[key] = quantity_as_text(value)
        return description


def distribution_kinds():
    """The names of the known distributions, in definition order (``"constant"``, ``"gamma"``...)."""
    return tuple(_KINDS)


def _short(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _kind_of(description):
    kind = description.get("distribution")
    known = ", ".join(map(repr, _KINDS))
    if kind is None:
        raise DistributionDescriptionError(f"missing key 'distribution' (one of {known}); got {_short(description)}")
    if kind not in _KINDS:
        close = difflib.get_close_matches(str(kind), list(_KINDS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise DistributionDescriptionError(f"unknown distribution {kind!r} (known: {known}){hint}")
    return _KINDS[kind]


def _parse_value(cls, key, value, unit, legacy_unit):
    """One description value: a quantity of ``unit`` (text) or a dimensionless number."""
    if cls.keys[key] == "number":
        unit, legacy_unit = 1, None
    if legacy_unit is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = f"{value!r} {legacy_unit}"  # SI number plus a unit name, as written before text values
    try:
        quantity = parse_quantity(value, unit)
    except UnitError as error:
        raise DistributionDescriptionError(str(error), key) from None
    return float(quantity) if cls.keys[key] == "number" else quantity


def distribution_from_dict(description, unit=None):
    """Read a distribution from its description (the inverse of :meth:`Distribution.to_dict`).

    Parameters
    ----------
    description : dict
        ``{"distribution": "gamma", "mean": "20 ms", "cv": 0.5}``: the kind and its keys, quantities
        as text (or Quantities), numbers as numbers. A key set to None counts as absent. Descriptions
        with a ``"unit"`` key and SI numbers (written by earlier versions) are read too.
    unit : brian2 Unit or Quantity, optional
        Expected dimension of the distribution's values (``ms``; ``1`` for dimensionless);
        None accepts any.

    Returns
    -------
    Distribution

    Raises
    ------
    DistributionDescriptionError
        A missing or unknown kind (with the closest name), an unknown key (with the closest key),
        a missing key, a value of the wrong dimension, or parameters the distribution refuses.
        ``key`` names the key at fault.
    """
    if not isinstance(description, dict):
        raise DistributionDescriptionError(
            f"expected a mapping with a 'distribution' key; got {_short(description)}")
    cls = _kind_of(description)
    given = {key: value for key, value in description.items() if key != "distribution" and value is not None}
    legacy_unit = given.pop("unit", None)
    if legacy_unit in ("1", ""):
        legacy_unit = None
    for key, value in given.items():
        if key not in cls.keys:
            close = difflib.get_close_matches(str(key), list(cls.keys), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(cls.keys)}"
            raise DistributionDescriptionError(f"unknown key (value {_short(value)}){hint}", key)
    for key in cls.required:
        if key not in given:
            raise DistributionDescriptionError("missing required key", key)
    values = {key: _parse_value(cls, key, value, unit, legacy_unit) for key, value in given.items()}
    try:
        return cls.from_parameters(values)
    except (ValueError, TypeError) as error:  # UnitError is a ValueError
        raise DistributionDescriptionError(str(error)) from None
