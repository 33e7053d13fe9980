"""Small helpers shared by the modules of :mod:`hetero_brian.results`: name checks and JSON
conversion of numpy / Brian2 values.

A leaf module (numpy only, never brian2), so every results module can import it without cycles.
"""

import json
from pathlib import Path

import numpy as np


def _check_name(name, what):
    if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
        raise ValueError(f"{what} names must be non-empty strings without '/'; got {name!r}")
    return name


def _json_default(value):
    if hasattr(value, "dim"):  # a brian2 Quantity: keep it readable, e.g. "20. ms"
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} {value!r} is not JSON serialisable")


def _json_normalise(value, name):
    """The JSON form of ``value`` (numpy scalars/arrays become numbers/lists, tuples lists)."""
    try:
        return json.loads(json.dumps(value, default=_json_default))
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be JSON serialisable: {error}") from error
