"""Unit handling for offline analysis without importing brian2.

Analysis functions take plain arrays in SI units. A brian2 ``Quantity`` is accepted as well:
its dimension is checked by reading ``value.dim`` (no brian2 import) and its SI value returned.
"""
import numpy as np

# SI base-unit exponents (m, kg, s, A, K, mol, cd) of the dimensions used in analysis.
_DIMENSIONS = {
    "second": (0, 0, 1, 0, 0, 0, 0),
    "hertz": (0, 0, -1, 0, 0, 0, 0),
    "volt": (2, 1, -3, -1, 0, 0, 0),
    "joule": (2, 1, -2, 0, 0, 0, 0),
    "1": (0, 0, 0, 0, 0, 0, 0),
}


def to_si(value, unit, name):
    """Return ``value`` as a float array in SI units.

    Parameters
    ----------
    value : array_like or brian2.Quantity
        Plain numbers are taken to be in SI ``unit`` already.
    unit : {"second", "hertz", "volt", "joule", "1"}
        The expected dimension.
    name : str
        Argument name used in error messages.

    Raises
    ------
    ValueError
        If ``value`` is a quantity of another dimension.
    """
    dim = getattr(value, "dim", None)
    if dim is not None:
        exponents = tuple(int(round(float(e))) for e in getattr(dim, "_dims", ()))
        if exponents and exponents != _DIMENSIONS[unit]:
            raise ValueError(f"{name} must be in units of {unit}; got {value!r}")
        return np.asarray(value, dtype=float)
    return np.asarray(value, dtype=float)
