"""Pieces of a finished run's result that :mod:`hetero_brian.simulate` assembles: read-only shared
arrays, a cheap copy of the spec description for each result's provenance, and the check that the
run ended with finite state variables (FAULTS.md case 3).
"""
import copy
import functools
import json

import numpy as np

from .errors import SimulationError

__all__ = ["check_finite", "copier", "read_only"]


def copier(description):
    """A function returning a new copy of ``description``: a JSON round trip when that gives it back
    unchanged (several times faster than ``copy.deepcopy``, which it falls back to)."""
    try:
        text = json.dumps(description)
        if json.loads(text) == description:
            return functools.partial(json.loads, text)
    except (TypeError, ValueError):
        pass
    return functools.partial(copy.deepcopy, description)


def read_only(values, dtype):
    """``values`` as a read-only array of ``dtype``: a view when it has that dtype already, else a copy."""
    array = np.asarray(values, dtype=dtype)
    if array.flags.writeable:
        array = array.view()
        array.flags.writeable = False
    return array


def check_finite(built):
    """Raise SimulationError when a declared state variable of a population holds NaN or Inf
    (FAULTS.md case 3); each neuron model declares its own (``state_variables``)."""
    for population in built.spec.populations:
        name, group = population.name, built.groups[population.name]
        for variable in population.model.state_variables():
            if variable in group.variables:
                values = np.asarray(getattr(group, variable)[:])
                bad = ~np.isfinite(values)
                if bad.any():
                    raise SimulationError(
                        f"{int(bad.sum())} of {values.size} values of {name}.{variable} are NaN or Inf at the end of "
                        f"the run (first neuron {int(np.flatnonzero(bad)[0])}); check dt against the time constants "
                        "and the input strength"
                    )
