"""Assembling encoded samples into one stimulus, dense rasters for ``TimedArray``, feature scaling.

Times are seconds (floats in SI or Brian2 quantities); see :mod:`hetero_brian.inputs.encoders` for the
:class:`~hetero_brian.inputs.encoders.EncodedSpikes` format.
"""
import math

import numpy as np

from hetero_brian.inputs._validation import check_finite, check_int, n_steps_of
from hetero_brian.inputs.encoders import EncodedSpikes
from hetero_brian.units import to_si, to_si_scalar


def stimulus_sequence(samples, t_present, t_rest, dt=None, truncate=False):
    """Join encoded samples into one long stimulus with presentation and rest periods.

    Sample ``k`` occupies ``[k (t_present + t_rest), k (t_present + t_rest) + t_present)``; the rest that
    follows it is silent. The total duration is ``n_samples (t_present + t_rest)``.

    Parameters
    ----------
    samples : sequence of EncodedSpikes
        All with the same ``n_channels``.
    t_present, t_rest : float or brian2 Quantity
        Seconds; ``t_present > 0``, ``t_rest >= 0``.
    dt : float or brian2 Quantity, optional
        Seconds; if given, ``t_present`` and ``t_rest`` must be multiples of it (spikes stay on the grid).
    truncate : bool
        A sample whose ``duration`` exceeds ``t_present`` raises :class:`ValueError`; with
        ``truncate=True`` its spikes at or after ``t_present`` are dropped instead.

    Returns
    -------
    stimulus : EncodedSpikes
    boundaries : numpy.ndarray of float64, shape (n_samples, 2)
        ``[t_start, t_stop)`` of each presentation, seconds.
    """
    t_present = to_si_scalar(t_present, "second", "t_present", minimum=0.0)
    t_rest = to_si_scalar(t_rest, "second", "t_rest", minimum=0.0, strict=False)
    if dt is not None:
        dt = to_si_scalar(dt, "second", "dt", minimum=0.0)
        n_steps_of(t_present, dt, "t_present")
        n_steps_of(t_rest, dt, "t_rest")
    samples = list(samples)
    if not samples:
        raise ValueError("samples must hold at least one EncodedSpikes; got none")
    n_channels = samples[0].n_channels
    period = t_present + t_rest
    all_indices, all_times = [], []
    for number, sample in enumerate(samples):
        if not isinstance(sample, EncodedSpikes):
            raise ValueError(f"samples[{number}] must be EncodedSpikes; got {type(sample).__name__}")
        if sample.n_channels != n_channels:
            raise ValueError(
                f"samples[{number}] has n_channels={sample.n_channels}; samples[0] has {n_channels}"
            )
        if sample.duration > t_present * (1 + 1e-9) and not truncate:
            raise ValueError(
                f"samples[{number}] lasts {sample.duration:g} s, longer than t_present={t_present:g} s "
                "(pass truncate=True to drop its spikes beyond t_present)"
            )
        keep = sample.times < t_present
        all_indices.append(sample.indices[keep])
        all_times.append(sample.times[keep] + number * period)
    starts = np.arange(len(samples)) * period
    boundaries = np.column_stack([starts, starts + t_present])
    stimulus = EncodedSpikes(np.concatenate(all_indices), np.concatenate(all_times), n_channels,
                             len(samples) * period)
    return stimulus, boundaries


def to_dense_raster(indices, times, n_channels, dt, duration, truncate=False):
    """A 0/1 raster ``(n_steps, n_channels)`` of uint8 for a 2-D Brian2 ``TimedArray``.

    Parameters
    ----------
    indices, times : array_like
        Channels and spike times (seconds).
    n_channels : int
        Number of channels (columns).
    dt : float or brian2 Quantity
        Seconds per row; spike at ``t`` goes to row ``floor(t / dt)`` (up to rounding error of 1e-6 dt).
    duration : float or brian2 Quantity
        Seconds; a multiple of ``dt``. Spikes at or after it raise :class:`ValueError` unless
        ``truncate=True`` (then they are dropped).
    truncate : bool
        See ``duration``.

    Returns
    -------
    numpy.ndarray of uint8, shape (round(duration / dt), n_channels)

    Raises
    ------
    ValueError
        If two spikes of one channel fall in one step (use a smaller ``dt``), or on bad indices/times.
    """
    indices = np.asarray(indices, dtype=np.int64).reshape(-1)
    times = check_finite(to_si(times, "second", "times").reshape(-1), "times")
    n_channels = check_int(n_channels, "n_channels", minimum=1)
    dt = to_si_scalar(dt, "second", "dt", minimum=0.0)
    duration = to_si_scalar(duration, "second", "duration", minimum=0.0)
    n_steps = n_steps_of(duration, dt)
    if indices.size != times.size:
        raise ValueError(f"indices and times must have equal lengths; got {indices.size} and {times.size}")
    if indices.size and (indices.min() < 0 or indices.max() >= n_channels):
        raise ValueError(f"indices must lie in [0, {n_channels}); got min {indices.min()}, max {indices.max()}")
    if times.size and times.min() < 0:
        raise ValueError(f"times must be >= 0 s; got min {times.min():g} s")
    steps = np.floor(times / dt + 1e-6).astype(np.int64)
    late = steps >= n_steps
    if late.any() and not truncate:
        raise ValueError(
            f"{int(late.sum())} spike(s) at or after duration={duration:g} s (latest {times.max():g} s); "
            "pass truncate=True to drop them"
        )
    steps, indices = steps[~late], indices[~late]
    raster = np.zeros((n_steps, n_channels), dtype=np.uint8)
    flat = steps * n_channels + indices
    if np.unique(flat).size != flat.size:
        raise ValueError(
            f"{flat.size - np.unique(flat).size} spike(s) share a step with an earlier spike of the same "
            f"channel at dt={dt:g} s; use a smaller dt"
        )
    raster.reshape(-1)[flat] = 1
    return raster


def normalise_features(features, lower=None, upper=None):
    """Min-max scale ``features`` to [0, 1]: ``clip((x - lower) / (upper - lower), 0, 1)``.

    ``lower`` and ``upper`` default to the array's own minimum and maximum (per sample); pass fixed
    values (e.g. percentiles of the training set) to keep the scale the same across samples. A constant
    array maps to zeros.
    """
    features = check_finite(np.asarray(features, dtype=np.float64), "features")
    if features.size == 0:
        raise ValueError("features must not be empty")
    lower = float(features.min()) if lower is None else float(lower)
    upper = float(features.max()) if upper is None else float(upper)
    if upper < lower:
        raise ValueError(f"upper must be >= lower; got lower={lower:g}, upper={upper:g}")
    if math.isclose(upper, lower):
        return np.zeros_like(features)
    return np.clip((features - lower) / (upper - lower), 0.0, 1.0)
