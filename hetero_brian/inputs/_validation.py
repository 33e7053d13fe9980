"""Argument checks shared by the input readers, the audio front end and the encoders.

Physical arguments of :mod:`hetero_brian.inputs` are plain floats **in SI units** (seconds, hertz).
A Brian2 ``Quantity`` is accepted too: its dimension is read from ``value.dim`` (brian2 is not
imported here) and checked, and its SI value is used. A bare number is taken to be in SI already.
"""
import math

import numpy as np


from hetero_brian.si import as_si_array  # noqa: E402,F401  (shared with analysis)


def as_si_scalar(value, unit, name, minimum=None, strict=True, allow_none=False):
    """Return ``value`` as a finite Python float in SI ``unit``, optionally bounded below.

    ``strict=True`` requires ``value > minimum``; ``strict=False`` requires ``value >= minimum``.
    """
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"{name} is required: a number in {unit}; got None")
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a number in {unit}; got {value!r}")
    array = as_si_array(value, unit, name)
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


def check_generator(rng, name="rng"):
    """Require a :class:`numpy.random.Generator` (no global state, no hidden seeding)."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"{name} must be a numpy.random.Generator; got {rng!r} "
            "(use numpy.random.default_rng(seed) or hetero_brian.random.SeedStreams)"
        )
    return rng


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
