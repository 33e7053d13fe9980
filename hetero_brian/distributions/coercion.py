"""Turning parameter values into distributions, and checking what they sampled.

:func:`as_distribution` is the Python API's rule (a Quantity or a Distribution; a bare number only for a
dimensionless parameter); :func:`parse_distribution` is the configuration files' rule (quantity text, a
plain number for dimensionless values, or a description mapping).
"""
import numpy as np
from brian2 import Quantity, get_dimensions
from brian2.units.fundamentalunits import DIMENSIONLESS, get_unit

from ..errors import UnitError
from ..quantities import parse_quantity
from .base import Distribution, DistributionDescriptionError, distribution_from_dict
from .laws import Constant

__all__ = ["as_distribution", "parse_distribution", "check_positive_samples"]


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


def parse_distribution(value, unit=None):
    """Read a distribution as a configuration gives it.

    Parameters
    ----------
    value : dict, str, int, float, brian2.Quantity or Distribution
        A description ``{"distribution": "gamma", "mean": "20 ms", "cv": 0.5}`` (see
        :func:`distribution_from_dict`), a quantity such as ``"20 ms"`` (a :class:`Constant`; a bare
        number only when dimensionless), or a distribution (checked).
    unit : brian2 Unit or Quantity, optional
        Expected dimension (``ms``; ``1`` for dimensionless); None accepts any.

    Returns
    -------
    Distribution

    Raises
    ------
    DistributionDescriptionError
        Naming the key at fault (``error.key``) and the bad value.
    """
    if isinstance(value, Distribution):
        if unit is not None and value.dim is not get_dimensions(unit):
            raise DistributionDescriptionError(
                f"a distribution of {get_unit(get_dimensions(unit))} is expected; got {value!r}")
        return value
    if isinstance(value, dict):
        return distribution_from_dict(value, unit)
    if isinstance(value, (str, int, float, Quantity)) and not isinstance(value, bool):
        try:
            return Constant(parse_quantity(value, unit))
        except UnitError as error:
            raise DistributionDescriptionError(str(error)) from None
    raise DistributionDescriptionError(
        f"expected a quantity such as '20 ms' or a mapping with a 'distribution' key; got {value!r}")


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
