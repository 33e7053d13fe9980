"""SI conversion of plain numbers or Brian2 quantities without importing brian2.

Used where plain SI floats are the interface (offline analysis, input encoders): a number is
taken to be in SI already; a Brian2 ``Quantity`` has its dimension checked by reading ``value.dim``.
"""
import numpy as np

from .errors import UnitError

#: SI base-unit exponents (m, kg, s, A, K, mol, cd) of the dimensions used here.
DIMENSIONS = {
    "second": (0, 0, 1, 0, 0, 0, 0),
    "hertz": (0, 0, -1, 0, 0, 0, 0),
    "volt": (2, 1, -3, -1, 0, 0, 0),
    "joule": (2, 1, -2, 0, 0, 0, 0),
    "1": (0, 0, 0, 0, 0, 0, 0),
}


def as_si_array(value, unit, name):
    """Return ``value`` as a float64 array in SI ``unit``.

    Parameters
    ----------
    value : array_like or brian2.Quantity
        A plain number or array (taken to be in SI ``unit``) or a quantity of that dimension.
    unit : {"second", "hertz", "volt", "joule", "1"}
        The expected dimension.
    name : str
        Argument name used in error messages.

    Raises
    ------
    UnitError
        If ``value`` is a quantity of another dimension (a ``ValueError`` subclass).
    """
    dim = getattr(value, "dim", None)
    if dim is not None:
        exponents = tuple(int(round(float(e))) for e in getattr(dim, "_dims", ()))
        if exponents and exponents != DIMENSIONS[unit]:
            raise UnitError(f"{name} must be in units of {unit}; got {value!r}")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a number or array in {unit}; got {value!r}") from error
