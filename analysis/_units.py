"""Unit handling for offline analysis without importing brian2.

Analysis functions take plain arrays in SI units. A brian2 ``Quantity`` is accepted as well: its
dimension is checked by reading ``value.dim`` (no brian2 import) and its SI value returned.
"""
from hetero_brian.si import as_si_array


def to_si(value, unit, name):
    """Return ``value`` as a float array in SI ``unit`` (see :func:`hetero_brian.si.as_si_array`)."""
    return as_si_array(value, unit, name)
