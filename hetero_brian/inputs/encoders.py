"""Spike encoders: Poisson rate, latency (time to first spike), delta / step-forward and BSA.

Every encoder returns :class:`EncodedSpikes`: flat ``indices`` (int64) and ``times`` (float64, seconds,
sorted by time, then index) plus ``n_channels`` and ``duration`` — what a Brian2
``SpikeGeneratorGroup(n_channels, indices, times * second)`` takes. Physical arguments are floats in
SI units (seconds, hertz) or Brian2 quantities. Encoders that work on a time grid put spikes on
``k * dt`` (or ``k * sample_interval``) and never emit two spikes of one channel in one step, as
``SpikeGeneratorGroup`` requires.

Examples
--------
>>> import numpy as np
>>> spikes = poisson_encode(np.full(3, 50.0), dt=1e-3, rng=np.random.default_rng(0), duration=0.2)
>>> spikes.n_channels, bool(np.all(np.diff(spikes.times) >= 0))
(3, True)
"""
from dataclasses import dataclass

import numpy as np
import scipy.signal

from hetero_brian.inputs._validation import (
    check_choice,
    check_finite,
    check_int,
    n_steps_of,
)
from hetero_brian.random import check_generator
from hetero_brian.units import to_si, to_si_scalar


@dataclass(frozen=True)
class EncodedSpikes:
    """A spike pattern: spike ``k`` is emitted by channel ``indices[k]`` at ``times[k]`` seconds.

    Attributes
    ----------
    indices : numpy.ndarray of int64
        Channel of each spike, in ``[0, n_channels)``.
    times : numpy.ndarray of float64
        Seconds, in ``[0, duration)``, sorted (ties sorted by index).
    n_channels : int
        Number of input channels.
    duration : float
        Seconds spanned by the pattern.
    """

    indices: np.ndarray
    times: np.ndarray
    n_channels: int
    duration: float

    def __post_init__(self):
        indices = np.asarray(self.indices, dtype=np.int64).reshape(-1)
        times = np.asarray(self.times, dtype=np.float64).reshape(-1)
        n_channels = check_int(self.n_channels, "n_channels", minimum=1)
        duration = to_si_scalar(self.duration, "second", "duration", minimum=0.0)
        if indices.size != times.size:
            raise ValueError(f"indices and times must have equal lengths; got {indices.size} and {times.size}")
        if indices.size:
            if indices.min() < 0 or indices.max() >= n_channels:
                raise ValueError(
                    f"indices must lie in [0, n_channels={n_channels}); got min {indices.min()}, max {indices.max()}"
                )
            check_finite(times, "times")
            if times.min() < 0 or times.max() >= duration:
                raise ValueError(
                    f"times must lie in [0, duration={duration:g} s); got min {times.min():g} s, max {times.max():g} s"
                )
            if np.any(np.diff(times) < 0):
                raise ValueError("times must be sorted (use sort_spikes)")
        for name, value in (("indices", indices), ("times", times), ("n_channels", n_channels),
                            ("duration", duration)):
            object.__setattr__(self, name, value)

    @property
    def n_spikes(self):
        """Number of spikes."""
        return int(self.indices.size)


def sort_spikes(indices, times):
    """Return ``(indices, times)`` sorted by time, ties by index."""
    indices = np.asarray(indices, dtype=np.int64)
    times = np.asarray(times, dtype=np.float64)
    order = np.lexsort((indices, times))
    return indices[order], times[order]


def _frames(values, name, frame_duration, duration, truncate):
    """Validate a (n_channels,) or (n_channels, n_frames) array and resolve the encoded duration."""
    values = check_finite(np.asarray(values, dtype=np.float64), name)
    if values.ndim not in (1, 2) or values.shape[0] == 0 or values.size == 0:
        raise ValueError(f"{name} must have shape (n_channels,) or (n_channels, n_frames); got {values.shape}")
    duration = to_si_scalar(duration, "second", "duration", minimum=0.0, allow_none=True)
    if values.ndim == 1:
        frame_duration = to_si_scalar(frame_duration, "second", "frame_duration", minimum=0.0, allow_none=True)
        if duration is None and frame_duration is None:
            raise ValueError(f"a one-dimensional {name} needs duration (seconds)")
        values = values[:, None]
        frame_duration = duration if frame_duration is None else frame_duration
        duration = frame_duration if duration is None else duration
        return values, frame_duration, duration
    if frame_duration is None:
        raise ValueError(f"a two-dimensional {name} (n_channels, n_frames) needs frame_duration (seconds)")
    frame_duration = to_si_scalar(frame_duration, "second", "frame_duration", minimum=0.0)
    natural = values.shape[1] * frame_duration
    if duration is None:
        return values, frame_duration, natural
    if natural > duration * (1 + 1e-9) and not truncate:
        raise ValueError(
            f"the sample lasts {values.shape[1]} frames x {frame_duration:g} s = {natural:g} s, longer than "
            f"duration={duration:g} s (pass truncate=True to drop what lies beyond)"
        )
    return values, frame_duration, duration


def poisson_encode(rates, dt, rng, duration=None, frame_duration=None, truncate=False):
    """Bernoulli-per-step approximation of inhomogeneous Poisson spike trains.

    Parameters
    ----------
    rates : array_like, shape (n_channels,) or (n_channels, n_frames)
        Hz, >= 0. One-dimensional: constant rates over ``duration``. Two-dimensional: frame ``j`` sets
        the rates on ``[j * frame_duration, (j + 1) * frame_duration)``; time after the last frame is silent.
    dt : float or brian2 Quantity
        Seconds; the time grid. ``max(rates) * dt`` must be <= 1.
    rng : numpy.random.Generator
        Source of randomness.
    duration : float or brian2 Quantity, optional
        Seconds; a multiple of ``dt``. Default ``n_frames * frame_duration``. A sample longer than
        ``duration`` raises :class:`ValueError` unless ``truncate=True``.
    frame_duration : float or brian2 Quantity, optional
        Seconds per frame of a two-dimensional ``rates`` (e.g. the spectrogram hop).
    truncate : bool
        Drop frames beyond ``duration`` instead of raising.

    Returns
    -------
    EncodedSpikes

    Notes
    -----
    Step ``k`` covers ``[k dt, (k + 1) dt)`` and takes the rate ``r`` of the frame containing ``k dt``; the
    channel spikes at ``k dt`` with probability ``p = r dt``, independently across steps (as Brian2's
    ``PoissonGroup`` does), so the expected count over ``n`` steps is ``n r dt`` with variance
    ``n p (1 - p)``. It is sampled exactly but without one random number per step: the count in each
    channel and frame of ``m`` steps is drawn from Binomial(m, p), then that many distinct steps are
    drawn uniformly from the frame (repeated draws are redrawn, which by symmetry gives a uniform subset).
    """
    rates, frame_duration, duration = _frames(rates, "rates", frame_duration, duration, truncate)
    dt = to_si_scalar(dt, "second", "dt", minimum=0.0)
    check_generator(rng)
    if rates.min() < 0:
        raise ValueError(f"rates must be >= 0 Hz; got min {rates.min():g} Hz")
    if rates.max() * dt > 1.0:
        raise ValueError(
            f"rates * dt must be <= 1 (one spike per step at most); got max rate {rates.max():g} Hz with "
            f"dt={dt:g} s: use a smaller dt"
        )
    n_channels, n_frames = rates.shape
    n_steps = n_steps_of(duration, dt)
    frame_of_step = np.floor(np.arange(n_steps) * dt / frame_duration + 1e-9).astype(np.int64)
    steps_in_frame = np.bincount(frame_of_step, minlength=n_frames)[:n_frames]
    first_step = np.concatenate([[0], np.cumsum(steps_in_frame)[:-1]])
    counts = rng.binomial(steps_in_frame[None, :], rates * dt)  # spikes per channel and frame
    channels, frames = np.nonzero(counts)
    repeats = counts[channels, frames]
    group = np.repeat(np.arange(channels.size), repeats)
    width = steps_in_frame[frames][group]
    offset = rng.integers(0, width)
    while True:  # redraw repeated positions until each group's positions are distinct
        _, first = np.unique(group * (width.max(initial=1) + 1) + offset, return_index=True)
        repeated = np.ones(offset.size, dtype=bool)
        repeated[first] = False
        if not repeated.any():
            break
        offset[repeated] = rng.integers(0, width[repeated])
    steps = first_step[frames][group] + offset
    channels = channels[group]
    order = np.lexsort((channels, steps))
    steps, channels = steps[order], channels[order]
    return EncodedSpikes(channels, steps * dt, n_channels, duration)


def latency_encode(intensities, t_max, method="lif", tau=None, threshold=None, dt=None, frame_duration=None,
                   duration=None, truncate=False):
    """Time-to-first-spike code: stronger intensities spike earlier, at most once per channel and frame.

    Parameters
    ----------
    intensities : array_like, shape (n_channels,) or (n_channels, n_frames)
        Dimensionless. Two-dimensional: one latency spike per channel per frame, measured from the frame
        start ``j * frame_duration``.
    t_max : float or brian2 Quantity
        Seconds; latencies >= ``t_max`` emit no spike. Must be <= ``frame_duration``.
    method : {"lif", "linear"}
        ``"lif"``: ``t = tau ln(I / (I - threshold))`` for ``I > threshold`` (default ``threshold = 1``).
        ``"linear"``: ``t = t_max (1 - I)`` for ``threshold < I <= 1`` (default ``threshold = 0``;
        intensities must lie in [0, 1]).
    tau : float or brian2 Quantity
        Seconds; membrane time constant of the ``"lif"`` code (required there).
    threshold : float, optional
        Intensity at or below which a channel stays silent (see ``method``).
    dt : float or brian2 Quantity, optional
        Seconds. Spike times are moved up to the next multiple of ``dt`` (a clock-driven neuron detects
        the crossing at the end of its step).
    frame_duration, duration, truncate
        As in :func:`poisson_encode`; ``frame_duration`` defaults to ``t_max`` for one-dimensional input.

    Returns
    -------
    EncodedSpikes

    Notes
    -----
    ``"lif"`` is the first passage time of ``tau dv/dt = -v + I`` from ``v = 0`` to ``v = threshold``
    under constant input ``I`` (the LIF interspike interval without refractoriness).

    References
    ----------
    S. Thorpe, A. Delorme, R. Van Rullen, "Spike-based strategies for rapid processing",
    Neural Networks 14:715-725 (2001).
    """
    check_choice(method, "method", {"lif", "linear"})
    t_max = to_si_scalar(t_max, "second", "t_max", minimum=0.0)
    if frame_duration is None and np.ndim(intensities) == 1:
        frame_duration = t_max
    values, frame_duration, duration = _frames(intensities, "intensities", frame_duration, duration, truncate)
    if t_max > frame_duration * (1 + 1e-12):
        raise ValueError(f"t_max={t_max:g} s must be <= frame_duration={frame_duration:g} s")
    if method == "lif":
        tau = to_si_scalar(tau, "second", "tau", minimum=0.0)
        threshold = 1.0 if threshold is None else to_si_scalar(threshold, "1", "threshold", minimum=0.0)
        active = values > threshold
        with np.errstate(divide="ignore", invalid="ignore"):
            latency = np.where(active, tau * np.log(values / (values - threshold)), np.inf)
    else:
        if tau is not None:
            raise ValueError(f"tau is used by method='lif' only; got tau={tau!r} with method='linear'")
        if values.min() < 0 or values.max() > 1:
            raise ValueError(
                f"intensities must lie in [0, 1] for method='linear'; got min {values.min():g}, max {values.max():g}"
            )
        threshold = 0.0 if threshold is None else to_si_scalar(threshold, "1", "threshold", minimum=0.0, strict=False)
        latency = np.where(values > threshold, t_max * (1.0 - values), np.inf)
    if dt is not None:
        dt = to_si_scalar(dt, "second", "dt", minimum=0.0)
        latency = np.ceil(latency / dt - 1e-9) * dt
    channels, frames = np.nonzero(latency < t_max)
    times = frames * frame_duration + latency[channels, frames]
    keep = times < duration
    indices, times = sort_spikes(channels[keep], times[keep])
    return EncodedSpikes(indices, times, values.shape[0], duration)


def _signal_matrix(signal, name):
    signal = check_finite(np.asarray(signal, dtype=np.float64), name)
    if signal.ndim == 1:
        signal = signal[None, :]
    if signal.ndim != 2 or signal.shape[1] == 0:
        raise ValueError(f"{name} must have shape (n_samples,) or (n_channels, n_samples); got {signal.shape}")
    return signal


def _grid_duration(n_samples, sample_interval, duration, truncate):
    natural = n_samples * sample_interval
    duration = to_si_scalar(duration, "second", "duration", minimum=0.0, allow_none=True)
    if duration is None:
        return natural
    if natural > duration * (1 + 1e-9) and not truncate:
        raise ValueError(
            f"the signal lasts {n_samples} samples x {sample_interval:g} s = {natural:g} s, longer than "
            f"duration={duration:g} s (pass truncate=True to drop what lies beyond)"
        )
    return duration


def _grid_spikes(steps, channels, sample_interval, n_channels, duration):
    times = steps * sample_interval
    keep = times < duration
    indices, times = sort_spikes(channels[keep], times[keep])
    return EncodedSpikes(indices, times, n_channels, duration)


def delta_encode(signal, threshold, sample_interval, method="step_forward", duration=None, truncate=False):
    """Delta (temporal contrast) or step-forward encoding into up and down channels.

    Parameters
    ----------
    signal : array_like, shape (n_samples,) or (n_channels, n_samples)
        Sampled every ``sample_interval`` seconds (any amplitude unit).
    threshold : float or array_like of shape (n_channels,)
        > 0, in the signal's unit.
    sample_interval : float or brian2 Quantity
        Seconds between samples (e.g. the spectrogram hop, or ``1 / sample_rate``).
    method : {"step_forward", "delta"}
        See Notes.
    duration, truncate
        Seconds; as in :func:`poisson_encode` (default ``n_samples * sample_interval``).

    Returns
    -------
    EncodedSpikes
        ``2 * n_channels`` channels: ``c`` is the up channel of signal channel ``c``, ``n_channels + c``
        its down channel. Spikes lie at ``k * sample_interval`` for ``k >= 1``.

    Notes
    -----
    ``"delta"``: up spike at step ``k`` if ``x[k] - x[k-1] >= threshold``, down spike if
    ``x[k] - x[k-1] <= -threshold``. ``"step_forward"``: a baseline ``B = x[0]``; at step ``k`` an up
    spike and ``B += threshold`` if ``x[k] > B + threshold``, a down spike and ``B -= threshold`` if
    ``x[k] < B - threshold``. At most one spike per step, so for a ramp of slope ``s`` per step
    (``0 < s < threshold``) and rise ``A`` (not a multiple of the threshold) it emits ``floor(A / threshold)``
    up spikes and no down spike.

    References
    ----------
    N. Kasabov et al., "Dynamic evolving spiking neural networks for on-line spatio- and spectro-temporal
    pattern recognition", Neural Networks 41:188-201 (2013). B. Petro, N. Kasabov, R. M. Kiss,
    "Selection and optimization of temporal spike encoding methods for spiking neural networks",
    IEEE TNNLS 31(2):358-370 (2020).
    """
    check_choice(method, "method", {"step_forward", "delta"})
    signal = _signal_matrix(signal, "signal")
    n_channels, n_samples = signal.shape
    threshold = np.broadcast_to(to_si(threshold, "1", "threshold"), (n_channels,)).astype(np.float64)
    if not np.all(threshold > 0):
        raise ValueError(f"threshold must be > 0; got min {threshold.min():g}")
    sample_interval = to_si_scalar(sample_interval, "second", "sample_interval", minimum=0.0)
    duration = _grid_duration(n_samples, sample_interval, duration, truncate)
    if method == "delta":
        change = np.diff(signal, axis=1)
        up_channels, up_steps = np.nonzero(change >= threshold[:, None])
        down_channels, down_steps = np.nonzero(change <= -threshold[:, None])
        steps = np.concatenate([up_steps, down_steps]) + 1
    else:
        by_step = np.ascontiguousarray(signal.T)
        moves = np.zeros((n_samples, n_channels), dtype=np.int8)  # +1 up, -1 down
        baseline = by_step[0].copy()
        for step in range(1, n_samples):
            difference = by_step[step] - baseline
            move = (difference > threshold).view(np.int8) - (difference < -threshold).view(np.int8)
            moves[step] = move
            baseline += threshold * move
        up_steps, up_channels = np.nonzero(moves > 0)
        down_steps, down_channels = np.nonzero(moves < 0)
        steps = np.concatenate([up_steps, down_steps])
    channels = np.concatenate([up_channels, down_channels + n_channels])
    return _grid_spikes(steps, channels, sample_interval, 2 * n_channels, duration)


def bsa_filter(n_taps, cutoff, sample_interval):
    """Low-pass FIR filter for BSA: :func:`scipy.signal.firwin` (Hamming window), taps summing to 1.

    Parameters
    ----------
    n_taps : int
        Filter length in samples.
    cutoff : float or brian2 Quantity
        Hz; -6 dB frequency, below the Nyquist frequency ``1 / (2 sample_interval)``.
    sample_interval : float or brian2 Quantity
        Seconds between samples.
    """
    n_taps = check_int(n_taps, "n_taps", minimum=1)
    cutoff = to_si_scalar(cutoff, "hertz", "cutoff", minimum=0.0)
    sample_interval = to_si_scalar(sample_interval, "second", "sample_interval", minimum=0.0)
    nyquist = 0.5 / sample_interval
    if not cutoff < nyquist:
        raise ValueError(f"cutoff must be < the Nyquist frequency {nyquist:g} Hz; got {cutoff:g} Hz")
    return scipy.signal.firwin(n_taps, cutoff, fs=2.0 * nyquist)


def _check_taps(filter_taps):
    taps = check_finite(np.asarray(filter_taps, dtype=np.float64), "filter_taps")
    if taps.ndim != 1 or taps.size == 0:
        raise ValueError(f"filter_taps must be a non-empty one-dimensional array; got shape {taps.shape}")
    return taps


def bsa_encode(signal, filter_taps, sample_interval, threshold=None, duration=None, truncate=False):
    """Ben's Spiker Algorithm: spikes whose filtered sum approximates a non-negative signal.

    Parameters
    ----------
    signal : array_like, shape (n_samples,) or (n_channels, n_samples)
        Non-negative, sampled every ``sample_interval`` seconds; for filters from :func:`bsa_filter` (taps
        summing to 1) values in [0, 1] are representable (1 = a spike every step).
    filter_taps : array_like, shape (n_taps,)
        The FIR filter ``h`` (e.g. :func:`bsa_filter`).
    sample_interval : float or brian2 Quantity
        Seconds between samples; spikes lie at ``k * sample_interval``.
    threshold : float, optional
        Signal unit; default ``0.95 * sum(filter_taps)`` (chosen on band-limited test signals; tune it).
    duration, truncate
        As in :func:`delta_encode`.

    Returns
    -------
    EncodedSpikes
        One output channel per signal channel.

    Notes
    -----
    For each step ``t`` in order, with the (residual) signal ``s`` and the ``m`` taps that fit before the
    end: ``e_1 = sum_k |s[t + k] - h[k]|`` and ``e_2 = sum_k |s[t + k]|``; if ``e_1 <= e_2 - threshold`` a
    spike is emitted at ``t`` and ``h`` is subtracted from ``s[t:t + m]``. :func:`bsa_decode` inverts it by
    the convolution ``x_hat[t] = sum_j b[j] h[t - j]``.

    References
    ----------
    B. Schrauwen, J. Van Campenhout, "BSA, a fast and accurate spike train encoding scheme",
    Proc. IJCNN 2003, pp. 2825-2830.
    """
    residual = _signal_matrix(signal, "signal").copy()
    if residual.min() < 0:
        raise ValueError(f"signal must be >= 0 for BSA (shift or scale it); got min {residual.min():g}")
    taps = _check_taps(filter_taps)
    threshold = 0.95 * taps.sum() if threshold is None else to_si_scalar(threshold, "1", "threshold")
    sample_interval = to_si_scalar(sample_interval, "second", "sample_interval", minimum=0.0)
    n_channels, n_samples = residual.shape
    duration = _grid_duration(n_samples, sample_interval, duration, truncate)
    fired = np.zeros((n_channels, n_samples), dtype=bool)
    for step in range(n_samples):
        width = min(taps.size, n_samples - step)
        window = residual[:, step:step + width]
        kernel = taps[:width]
        error_spike = np.abs(window - kernel).sum(axis=1)
        error_silent = np.abs(window).sum(axis=1)
        spike = error_spike <= error_silent - threshold
        if spike.any():
            fired[spike, step] = True
            residual[spike, step:step + width] -= kernel
    channels, steps = np.nonzero(fired)
    return _grid_spikes(steps, channels, sample_interval, n_channels, duration)


def bsa_decode(spikes, filter_taps, sample_interval, n_samples):
    """Reconstruct the signal from BSA spikes: ``x_hat[c, t] = sum_j b[c, j] h[t - j]``.

    Parameters
    ----------
    spikes : EncodedSpikes
        From :func:`bsa_encode`.
    filter_taps : array_like
        The filter used to encode.
    sample_interval : float or brian2 Quantity
        Seconds between samples.
    n_samples : int
        Length of the reconstruction.

    Returns
    -------
    numpy.ndarray of float64, shape (n_channels, n_samples)
    """
    taps = _check_taps(filter_taps)
    sample_interval = to_si_scalar(sample_interval, "second", "sample_interval", minimum=0.0)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    train = np.zeros((spikes.n_channels, n_samples))
    steps = np.rint(spikes.times / sample_interval).astype(np.int64)
    keep = steps < n_samples
    np.add.at(train, (spikes.indices[keep], steps[keep]), 1.0)
    return scipy.signal.oaconvolve(train, taps[None, :], axes=1)[:, :n_samples]
