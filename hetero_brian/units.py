"""The one unit rule of hetero_brian, and the one helper that applies it.

Rule
----
Public functions take Brian2 quantities (``20 * ms``) and check their dimension once, at the
boundary, raising :class:`~hetero_brian.errors.UnitError` that names the argument and the value;
inside, numerics use plain SI floats. A bare number is refused for a physical quantity. The one
exception is the offline numpy layers, :mod:`hetero_brian.inputs` and :mod:`hetero_brian.analysis`,
whose data are plain SI arrays already (what a results file holds): their functions also take plain
numbers **in SI units (s, Hz, V, J)**, and each such argument's docstring says so. Both modes are
:func:`to_si`, switched by its one flag ``plain_numbers``.

This module imports numpy only (never brian2): a Quantity's dimension is read from ``value.dim``, so
the analysis layer can check units without importing brian2.

Examples
--------
>>> float(to_si(0.02, "second", "tau"))
0.02
>>> to_si(0.02, "second", "tau", plain_numbers=False)
Traceback (most recent call last):
...
hetero_brian.errors.UnitError: tau must be a quantity in units of second (e.g. 20*ms); got the bare number 0.02
"""
import math

import numpy as np

from .errors import UnitError

__all__ = ["DIMENSIONS", "to_si", "to_si_scalar"]

#: SI base-unit exponents (m, kg, s, A, K, mol, cd) of the dimensions the package checks.
DIMENSIONS = {
    "second": (0, 0, 1, 0, 0, 0, 0),
    "hertz": (0, 0, -1, 0, 0, 0, 0),
    "volt": (2, 1, -3, -1, 0, 0, 0),
    "joule": (2, 1, -2, 0, 0, 0, 0),
    "1": (0, 0, 0, 0, 0, 0, 0),
}

_EXAMPLES = {"second": "20*ms", "hertz": "10*Hz", "volt": "-70*mV", "joule": "1*pJ"}


def _exponents(value):
    """Dimension exponents of a Quantity (read from ``value.dim``), or None for a plain number."""
    dim = getattr(value, "dim", None)
    if dim is None:
        return None
    return tuple(float(exponent) for exponent in getattr(dim, "_dims", ()))


def _expected(unit):
    """(exponents, name) of ``unit``: a name in :data:`DIMENSIONS`, or a brian2 Unit, Quantity or
    Dimension (read from ``.dim`` or ``._dims``, without importing brian2)."""
    if isinstance(unit, str):
        return DIMENSIONS[unit], unit
    dim = getattr(unit, "dim", unit)
    return tuple(float(exponent) for exponent in dim._dims), str(unit)


def to_si(value, unit, name, *, plain_numbers=True):
    """Return ``value`` as a float64 array in SI ``unit``, checking its dimension.

    Parameters
    ----------
    value : array_like or brian2.Quantity
        A quantity of dimension ``unit``, or (see ``plain_numbers``) a plain number or array.
    unit : {"second", "hertz", "volt", "joule", "1"} or brian2 Unit, Quantity or Dimension
        The expected dimension; ``"1"`` is dimensionless (plain numbers always allowed). A brian2
        object gives any other dimension (``nS``), read without importing brian2.
    name : str
        Argument name used in error messages.
    plain_numbers : bool, optional
        True (the offline layers: :mod:`hetero_brian.inputs`, :mod:`hetero_brian.analysis`): a plain
        number is taken to be in SI ``unit`` already. False (the rest of the package): a plain
        number for a dimensional ``unit`` is refused.

    Returns
    -------
    numpy.ndarray
        float64, in SI ``unit`` (0-d for a scalar).

    Raises
    ------
    UnitError
        A quantity of another dimension, or a refused plain number (a ``ValueError`` subclass).
    ValueError
        A value that is not numeric.
    """
    expected, unit = _expected(unit)
    exponents = _exponents(value)
    if exponents is None:
        if not plain_numbers and any(expected) and not isinstance(value, (str, bytes)):
            example = _EXAMPLES.get(unit, unit)
            raise UnitError(f"{name} must be a quantity in units of {unit} (e.g. {example}); "
                            f"got the bare number {value!r}")
    elif exponents and exponents != expected:
        raise UnitError(f"{name} must be in units of {unit}; got {value!r}")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a number or array in {unit}; got {value!r}") from error


def to_si_scalar(value, unit, name, minimum=None, strict=True, allow_none=False, *, plain_numbers=True):
    """Return ``value`` as a finite Python float in SI ``unit``, optionally bounded below.

    Parameters
    ----------
    value : float or brian2.Quantity
        As for :func:`to_si`, but a scalar; bools are refused.
    unit, name, plain_numbers
        As for :func:`to_si`.
    minimum : float, optional
        Lower bound in SI ``unit``: ``strict=True`` requires ``value > minimum``, ``strict=False``
        requires ``value >= minimum``.
    allow_none : bool, optional
        Return None for None instead of raising.

    Returns
    -------
    float or None
    """
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"{name} is required: a number in {unit}; got None")
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a number in {unit}; got {value!r}")
    array = to_si(value, unit, name, plain_numbers=plain_numbers)
    if array.ndim != 0:
        raise ValueError(f"{name} must be a scalar in {unit}; got an array of shape {array.shape}")
    number = float(array)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite; got {value!r}")
    if minimum is not None:
        if strict and not number > minimum:
            raise ValueError(f"{name} must be > {minimum:g} {unit}; got {value!r}")
        if not strict and not number >= minimum:
            raise ValueError(f"{name} must be >= {minimum:g} {unit}; got {value!r}")
    return number
