"""A deterministic rate code: one integrate-and-fire accumulator per channel (no Poisson count noise)."""
import numpy as np

from hetero_brian.inputs.encoders import EncodedSpikes


def regular_rate_encode(frames, max_rate, frame_duration, dt, phase):
    """Deterministic rate code: an integrate-and-fire encoder per channel.

    Parameters
    ----------
    frames : numpy.ndarray, shape (n_channels, n_frames)
        Intensities in [0, 1]; frame ``k`` lasts ``[k frame_duration, (k + 1) frame_duration)``.
    max_rate : float
        Hz at intensity 1 (``max_rate * dt <= 1``).
    frame_duration, dt : float
        Seconds (``frame_duration`` a multiple of ``dt``).
    phase : numpy.ndarray, shape (n_channels,)
        Initial accumulator value of each channel in [0, 1).

    Returns
    -------
    EncodedSpikes
        Duration ``n_frames * frame_duration``.

    Notes
    -----
    ``a_c(k) = phase_c + dt sum_{m <= k} max_rate z_c(m)``; channel ``c`` spikes at step ``k`` when
    ``floor(a_c)`` increases, so over any interval it emits ``max_rate z T`` spikes up to +-1,
    without the Poisson count noise (variance ``max_rate z T``).
    """
    frames = np.asarray(frames, dtype=float)
    if frames.ndim != 2 or frames.min() < 0 or frames.max() > 1 or not np.all(np.isfinite(frames)):
        raise ValueError(f"frames must be a finite (n_channels, n_frames) array in [0, 1]; got shape {frames.shape}")
    if max_rate * dt > 1:
        raise ValueError(f"max_rate * dt must be <= 1; got {max_rate:g} Hz x {dt:g} s")
    steps = int(round(frame_duration / dt))
    if steps < 1 or abs(steps * dt - frame_duration) > 1e-9 * frame_duration + 1e-12:
        raise ValueError(f"frame_duration ({frame_duration:g} s) must be a positive multiple of dt ({dt:g} s)")
    increments = np.repeat(frames, steps, axis=1) * (max_rate * dt)
    accumulated = np.floor(np.cumsum(increments, axis=1) + phase[:, None] + 1e-9)  # 1e-9: rounding of the sums
    previous = np.concatenate([np.floor(phase + 1e-9)[:, None], accumulated[:, :-1]], axis=1)
    step_index, channel = np.nonzero((accumulated > previous).T)
    return EncodedSpikes(channel, step_index * dt, frames.shape[0], frames.shape[1] * frame_duration)
