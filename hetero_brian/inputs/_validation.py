"""Argument checks shared by the input readers, the audio front end and the encoders.

Physical arguments of :mod:`hetero_brian.inputs` follow the package's unit rule
(:mod:`hetero_brian.units`): a Brian2 ``Quantity`` of the right dimension, or a plain number **in SI
units** (seconds, hertz), converted by :func:`hetero_brian.units.to_si` and
:func:`hetero_brian.units.to_si_scalar`. This module holds the other checks.
"""
import numpy as np


def check_int(value, name, minimum=None):
    """Return ``value`` as an int, refusing bools, floats and values below ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer; got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return value


def check_finite(array, name):
    """Raise if ``array`` holds NaN or infinite values."""
    if not np.all(np.isfinite(array)):
        n_bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} must be finite; got {n_bad} NaN or infinite value(s)")
    return array


def check_choice(value, name, choices):
    """Raise unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices, key=repr)}; got {value!r}")
    return value


def n_steps_of(duration, dt, duration_name="duration", dt_name="dt"):
    """Number of steps of length ``dt`` in ``duration``; ``duration`` must be a multiple of ``dt``."""
    ratio = duration / dt
    n_steps = int(round(ratio))
    if abs(ratio - n_steps) > 1e-6 * max(1.0, ratio):
        raise ValueError(
            f"{duration_name} must be a whole number of {dt_name} steps; got "
            f"{duration_name}={duration!r} s, {dt_name}={dt!r} s ({ratio:.6g} steps)"
        )
    return n_steps
