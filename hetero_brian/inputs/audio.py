"""Audio front end: framed STFT, Slaney mel filterbank, log-mel spectrogram and gammatone cochleagram.

Units: every physical argument is a float in SI units — seconds for ``frame_length`` and ``hop``,
hertz for ``sample_rate``, ``f_min`` and ``f_max`` — or a Brian2 quantity of that dimension.
Outputs are ``(n_channels, n_frames)`` arrays; frame ``k`` starts at ``k * hop`` seconds.

Framing: a signal of ``n`` samples with frames of ``L = round(frame_length * sample_rate)`` samples and
hop ``H = round(hop * sample_rate)`` samples gives ``n_frames = 1 + ceil(max(n - L, 0) / H)`` frames;
the last frame is zero-padded at the end. :func:`n_frames_of` computes the number.

Examples
--------
>>> import numpy as np
>>> t = np.arange(8000) / 8000.0
>>> features = log_mel_spectrogram(np.sin(2 * np.pi * 440.0 * t), 8000.0, n_mels=40)
>>> features.shape
(40, 99)
"""
import functools
import math

import numpy as np
import scipy.signal
import scipy.sparse

from hetero_brian.inputs._validation import check_choice, check_finite, check_int
from hetero_brian.units import to_si_scalar

# Slaney's mel scale (Auditory Toolbox, 1998): linear below 1 kHz, logarithmic above.
_MEL_LINEAR_HZ = 200.0 / 3.0  # Hz per mel below the break
_MEL_BREAK_HZ = 1000.0
_MEL_BREAK = _MEL_BREAK_HZ / _MEL_LINEAR_HZ  # 15 mel
_MEL_LOG_STEP = math.log(6.4) / 27.0  # natural-log step per mel above the break


def hz_to_mel(frequency):
    """Slaney mel value of ``frequency`` (Hz); see :func:`mel_filterbank` Notes."""
    frequency = np.asarray(frequency, dtype=np.float64)
    linear = frequency / _MEL_LINEAR_HZ
    with np.errstate(divide="ignore", invalid="ignore"):
        logarithmic = _MEL_BREAK + np.log(frequency / _MEL_BREAK_HZ) / _MEL_LOG_STEP
    return np.where(frequency >= _MEL_BREAK_HZ, logarithmic, linear)


def mel_to_hz(mel):
    """Frequency (Hz) of the Slaney mel value ``mel``; the inverse of :func:`hz_to_mel`."""
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * _MEL_LINEAR_HZ
    logarithmic = _MEL_BREAK_HZ * np.exp(_MEL_LOG_STEP * (mel - _MEL_BREAK))
    return np.where(mel >= _MEL_BREAK, logarithmic, linear)


def _frame_parameters(sample_rate, frame_length, hop):
    sample_rate = to_si_scalar(sample_rate, "hertz", "sample_rate", minimum=0.0)
    frame_length = to_si_scalar(frame_length, "second", "frame_length", minimum=0.0)
    hop = to_si_scalar(hop, "second", "hop", minimum=0.0)
    frame_samples = int(round(frame_length * sample_rate))
    hop_samples = int(round(hop * sample_rate))
    if frame_samples < 1:
        raise ValueError(f"frame_length={frame_length!r} s is shorter than one sample at {sample_rate:g} Hz")
    if hop_samples < 1:
        raise ValueError(f"hop={hop!r} s is shorter than one sample at {sample_rate:g} Hz")
    return sample_rate, frame_samples, hop_samples


def _check_signal(signal):
    signal = np.asarray(signal, dtype=np.float64)
    if signal.ndim != 1:
        raise ValueError(f"signal must be one-dimensional (mono); got shape {signal.shape}")
    if signal.size == 0:
        raise ValueError("signal must hold at least one sample; got an empty array")
    return check_finite(signal, "signal")


def n_frames_of(n_samples, frame_samples, hop_samples):
    """Number of frames for ``n_samples`` (see the module docstring)."""
    return 1 + -(-max(n_samples - frame_samples, 0) // hop_samples)


def frame_signal(signal, frame_samples, hop_samples):
    """View ``signal`` as overlapping frames ``(n_frames, frame_samples)``, zero-padding the end."""
    n_frames = n_frames_of(signal.size, frame_samples, hop_samples)
    needed = (n_frames - 1) * hop_samples + frame_samples
    if needed > signal.size:
        signal = np.concatenate([signal, np.zeros(needed - signal.size)])
    windows = np.lib.stride_tricks.sliding_window_view(signal, frame_samples)
    return windows[::hop_samples][:n_frames]


@functools.lru_cache(maxsize=32)
def _window(name, length):
    window = scipy.signal.get_window(name, length, fftbins=True)
    window.setflags(write=False)
    return window


def stft(signal, sample_rate, frame_length=0.025, hop=0.010, n_fft=None, window="hann"):
    """Short-time Fourier transform of a mono signal, one column per frame.

    Parameters
    ----------
    signal : array_like, shape (n_samples,)
        The waveform (any amplitude unit).
    sample_rate : float or brian2 Quantity
        Hz.
    frame_length, hop : float or brian2 Quantity
        Seconds; rounded to whole samples.
    n_fft : int, optional
        FFT length (>= frame samples); default the next power of two of the frame length.
    window : str
        A :func:`scipy.signal.get_window` name (periodic form).

    Returns
    -------
    numpy.ndarray of complex128, shape (n_fft // 2 + 1, n_frames)
        Bin ``k`` is the frequency ``k * sample_rate / n_fft`` Hz.
    """
    signal = _check_signal(signal)
    sample_rate, frame_samples, hop_samples = _frame_parameters(sample_rate, frame_length, hop)
    n_fft = _n_fft(n_fft, frame_samples)
    frames = frame_signal(signal, frame_samples, hop_samples) * _window(window, frame_samples)
    return np.fft.rfft(frames, n=n_fft, axis=1).T


def _n_fft(n_fft, frame_samples):
    if n_fft is None:
        return 1 << (frame_samples - 1).bit_length()
    n_fft = check_int(n_fft, "n_fft", minimum=1)
    if n_fft < frame_samples:
        raise ValueError(f"n_fft must be >= the frame length in samples ({frame_samples}); got {n_fft}")
    return n_fft


@functools.lru_cache(maxsize=32)
def _cached_filterbank(sample_rate, n_fft, n_mels, f_min, f_max, normalise):
    edges = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))
    frequencies = np.fft.rfftfreq(n_fft, d=1.0 / sample_rate)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (frequencies - lower) / (centre - lower)
    falling = (upper - frequencies) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    if normalise == "slaney":
        weights *= 2.0 / (upper - lower)
    weights.setflags(write=False)
    return weights


@functools.lru_cache(maxsize=32)
def _sparse_filterbank(sample_rate, n_fft, n_mels, f_min, f_max):
    # sparse product: fast for small spectrograms and free of BLAS thread start-up costs
    return scipy.sparse.csr_array(_cached_filterbank(sample_rate, n_fft, n_mels, f_min, f_max, "slaney"))


def _filterbank_arguments(sample_rate, n_fft, n_mels, f_min, f_max):
    """Check the filterbank arguments and return them as plain (hashable) numbers."""
    sample_rate = to_si_scalar(sample_rate, "hertz", "sample_rate", minimum=0.0)
    n_fft = check_int(n_fft, "n_fft", minimum=2)
    n_mels = check_int(n_mels, "n_mels", minimum=1)
    f_min = to_si_scalar(f_min, "hertz", "f_min", minimum=0.0, strict=False)
    f_max = sample_rate / 2.0 if f_max is None else to_si_scalar(f_max, "hertz", "f_max", minimum=0.0)
    if not f_min < f_max <= sample_rate / 2.0:
        raise ValueError(
            f"need 0 <= f_min < f_max <= sample_rate / 2; got f_min={f_min:g} Hz, f_max={f_max:g} Hz, "
            f"sample_rate={sample_rate:g} Hz"
        )
    return sample_rate, n_fft, n_mels, f_min, f_max


def mel_filterbank(sample_rate, n_fft, n_mels=40, f_min=0.0, f_max=None, normalise="slaney"):
    """Triangular mel filters on the bins of an ``n_fft``-point real FFT.

    Parameters
    ----------
    sample_rate : float or brian2 Quantity
        Hz.
    n_fft : int
        FFT length; the filters act on its ``n_fft // 2 + 1`` bins.
    n_mels : int
        Number of filters.
    f_min, f_max : float or brian2 Quantity
        Hz; edges of the lowest and highest filters. ``f_max`` defaults to ``sample_rate / 2``.
    normalise : {"slaney", None}
        ``"slaney"``: each triangle has unit area in Hz (height ``2 / (f_upper - f_lower)``);
        ``None``: unit peak height.

    Returns
    -------
    numpy.ndarray of float64, shape (n_mels, n_fft // 2 + 1)
        Read-only (cached) filter weights.

    Notes
    -----
    Slaney's mel scale: ``m = 3 f / 200`` for ``f < 1000`` Hz and ``m = 15 + 27 ln(f / 1000) / ln(6.4)``
    above. ``n_mels + 2`` edge frequencies ``f_0 < ... < f_{n_mels+1}`` are equally spaced in mel between
    ``f_min`` and ``f_max``; filter ``m`` rises linearly from ``f_{m-1}`` to its centre ``f_m`` and falls
    to ``f_{m+1}``.

    References
    ----------
    M. Slaney, "Auditory Toolbox, version 2", Interval Research Corporation Technical Report 1998-010.
    """
    check_choice(normalise, "normalise", {"slaney", None})
    return _cached_filterbank(*_filterbank_arguments(sample_rate, n_fft, n_mels, f_min, f_max), normalise)


def log_mel_spectrogram(signal, sample_rate, n_mels=40, frame_length=0.025, hop=0.010, f_min=0.0,
                        f_max=None, n_fft=None, floor=1e-10, window="hann"):
    """Log mel power spectrogram ``ln(M |STFT|^2 + floor)``, shape ``(n_mels, n_frames)``.

    Parameters
    ----------
    signal : array_like, shape (n_samples,)
        Mono waveform (e.g. in [-1, 1]).
    sample_rate : float or brian2 Quantity
        Hz.
    n_mels : int
        Number of mel channels.
    frame_length, hop : float or brian2 Quantity
        Seconds (default 25 ms frames every 10 ms).
    f_min, f_max : float or brian2 Quantity
        Hz; mel filterbank range (``f_max`` defaults to ``sample_rate / 2``).
    n_fft : int, optional
        FFT length; default the next power of two of the frame length.
    floor : float
        Added to the mel power before the natural logarithm (same unit as the power), > 0.
    window : str
        Analysis window (:func:`scipy.signal.get_window` name).

    Returns
    -------
    numpy.ndarray of float64, shape (n_mels, n_frames)

    Notes
    -----
    ``S[m, k] = ln(sum_f M[m, f] |X[f, k]|^2 + floor)`` with ``X`` from :func:`stft` and ``M`` from
    :func:`mel_filterbank` (Slaney area normalisation).
    """
    floor = to_si_scalar(floor, "1", "floor", minimum=0.0)
    spectrum = stft(signal, sample_rate, frame_length, hop, n_fft, window)
    power = spectrum.real**2 + spectrum.imag**2
    sample_rate = to_si_scalar(sample_rate, "hertz", "sample_rate", minimum=0.0)
    n_fft = 2 * (power.shape[0] - 1)
    weights = _sparse_filterbank(*_filterbank_arguments(sample_rate, n_fft, n_mels, f_min, f_max))
    return np.log(weights @ power + floor)


def erb_bandwidth(frequency):
    """Equivalent rectangular bandwidth (Hz) at ``frequency`` (Hz): ``24.7 (4.37 f / 1000 + 1)``."""
    return 24.7 * (4.37 * np.asarray(frequency, dtype=np.float64) / 1000.0 + 1.0)


def erb_number(frequency):
    """ERB-rate (number of ERBs below ``frequency`` Hz): ``21.4 log10(4.37 f / 1000 + 1)``."""
    return 21.4 * np.log10(4.37 * np.asarray(frequency, dtype=np.float64) / 1000.0 + 1.0)


def erb_space(f_min, f_max, n_channels):
    """``n_channels`` centre frequencies (Hz) from ``f_min`` to ``f_max``, equally spaced in ERB-rate.

    References
    ----------
    B. R. Glasberg, B. C. J. Moore, "Derivation of auditory filter shapes from notched-noise data",
    Hearing Research 47:103-138 (1990).
    """
    f_min = to_si_scalar(f_min, "hertz", "f_min", minimum=0.0)
    f_max = to_si_scalar(f_max, "hertz", "f_max", minimum=0.0)
    n_channels = check_int(n_channels, "n_channels", minimum=1)
    if not f_min < f_max:
        raise ValueError(f"need f_min < f_max; got f_min={f_min:g} Hz, f_max={f_max:g} Hz")
    numbers = np.linspace(erb_number(f_min), erb_number(f_max), n_channels)
    return (10.0 ** (numbers / 21.4) - 1.0) * 1000.0 / 4.37


@functools.lru_cache(maxsize=16)
def _gammatone_sections(centres, sample_rate):
    return tuple(scipy.signal.tf2sos(*scipy.signal.gammatone(centre, "iir", fs=sample_rate)) for centre in centres)


@functools.lru_cache(maxsize=8)
def _gammatone_responses(centres, sample_rate, n_fft):
    frequencies = np.fft.rfftfreq(n_fft, d=1.0 / sample_rate)
    responses = np.stack([scipy.signal.sosfreqz(sections, worN=frequencies, fs=sample_rate)[1]
                          for sections in _gammatone_sections(centres, sample_rate)])
    responses.setflags(write=False)
    return responses


def _gammatone_tail(lowest_centre, sample_rate):
    """Samples after which every channel's impulse response is below ~1e-12 of its peak.

    The 4th-order gammatone envelope ``t^3 exp(-2 pi b t)``, ``b = 1.019 ERB(f)``, falls to ~2e-13 of
    its peak at ``t = 40 / (2 pi b)``.
    """
    bandwidth = 1.019 * float(erb_bandwidth(lowest_centre))
    return int(math.ceil(40.0 * sample_rate / (2.0 * math.pi * bandwidth)))


def gammatone_filter(signal, sample_rate, centre_frequency):
    """Output of one 4th-order IIR gammatone filter (unit gain at its centre frequency, Hz)."""
    signal = _check_signal(signal)
    sample_rate = to_si_scalar(sample_rate, "hertz", "sample_rate", minimum=0.0)
    centre = to_si_scalar(centre_frequency, "hertz", "centre_frequency", minimum=0.0)
    if not centre < sample_rate / 2.0:
        raise ValueError(f"centre_frequency must be < sample_rate / 2 = {sample_rate / 2:g} Hz; got {centre:g} Hz")
    (sections,) = _gammatone_sections((centre,), sample_rate)
    return scipy.signal.sosfilt(sections, signal)


def gammatone_cochleagram(signal, sample_rate, n_channels=32, f_min=50.0, f_max=None, frame_length=0.025,
                          hop=0.010, compression="log", floor=1e-10):
    """Gammatone cochleagram: filter, half-wave rectify, average per frame, compress.

    Parameters
    ----------
    signal : array_like, shape (n_samples,)
        Mono waveform.
    sample_rate : float or brian2 Quantity
        Hz.
    n_channels : int
        Number of gammatone channels.
    f_min, f_max : float or brian2 Quantity
        Hz; lowest and highest centre frequency. ``f_max`` defaults to ``0.45 * sample_rate``.
    frame_length, hop : float or brian2 Quantity
        Seconds; the same framing as :func:`log_mel_spectrogram`, so both give the same ``n_frames``.
    compression : {"log", "cube_root", None}
        ``ln(E + floor)``, ``E ** (1/3)``, or the frame means ``E`` unchanged.
    floor : float
        Added before the logarithm, > 0.

    Returns
    -------
    numpy.ndarray of float64, shape (n_channels, n_frames)
        Channel ``c`` has centre frequency ``erb_space(f_min, f_max, n_channels)[c]``.

    Notes
    -----
    Each channel is scipy's 8th-order digital IIR approximation of a 4th-order gammatone filter
    (Slaney 1993), unit gain at its centre, applied to all channels at once in the frequency domain
    (its frequency response times the zero-padded signal's FFT; equal to running the filters as
    second-order sections, :func:`gammatone_filter`, to ~1e-12). Centres are equally spaced
    on the ERB-rate scale ``E(f) = 21.4 log10(4.37 f / 1000 + 1)`` (Glasberg & Moore 1990). The
    rectified output ``max(y, 0)`` is averaged over each frame (a boxcar low-pass filter followed by
    downsampling to the hop): ``E[c, k] = mean(max(y_c, 0)[frame k])``.

    References
    ----------
    R. D. Patterson et al., "Complex sounds and auditory images", in Auditory Physiology and
    Perception, Pergamon (1992), pp. 429-446. M. Slaney, "An efficient implementation of the
    Patterson-Holdsworth auditory filter bank", Apple Computer Technical Report 35 (1993).
    B. R. Glasberg, B. C. J. Moore, Hearing Research 47:103-138 (1990).
    """
    signal = _check_signal(signal)
    sample_rate, frame_samples, hop_samples = _frame_parameters(sample_rate, frame_length, hop)
    f_max = 0.45 * sample_rate if f_max is None else to_si_scalar(f_max, "hertz", "f_max", minimum=0.0)
    if not f_max < sample_rate / 2.0:
        raise ValueError(f"f_max must be < sample_rate / 2 = {sample_rate / 2:g} Hz; got {f_max:g} Hz")
    check_choice(compression, "compression", {"log", "cube_root", None})
    floor = to_si_scalar(floor, "1", "floor", minimum=0.0)
    centres = tuple(float(value) for value in erb_space(f_min, f_max, n_channels))
    # all channels at once: multiply the spectrum by each channel's frequency response; the zero padding
    # (a power of two >= n_samples + tail) is longer than every impulse response, so the circular
    # convolution equals sosfilt's output up to ~1e-12 relative
    n_fft = 1 << (signal.size + _gammatone_tail(min(centres), sample_rate) - 1).bit_length()
    responses = _gammatone_responses(centres, sample_rate, n_fft)
    filtered = np.fft.irfft(responses * np.fft.rfft(signal, n_fft), n_fft, axis=1)[:, :signal.size]
    rectified = np.maximum(filtered, 0.0)
    n_frames = n_frames_of(signal.size, frame_samples, hop_samples)
    padded = np.zeros((len(centres), (n_frames - 1) * hop_samples + frame_samples))
    padded[:, :min(signal.size, padded.shape[1])] = rectified[:, :padded.shape[1]]
    running = np.concatenate([np.zeros((len(centres), 1)), np.cumsum(padded, axis=1)], axis=1)
    starts = np.arange(n_frames) * hop_samples
    energy = (running[:, starts + frame_samples] - running[:, starts]) / frame_samples
    if compression == "log":
        return np.log(energy + floor)
    if compression == "cube_root":
        return np.cbrt(energy)
    return energy
