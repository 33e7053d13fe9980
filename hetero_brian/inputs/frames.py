"""Fixed-size frame sequences for reservoirs: log-mel frames of recordings, image rows, percentile scaling.

Recordings may first be brought to one level (:func:`normalise_level`): FSDD's speakers record at
levels up to about 17 dB apart, and with one global scale the quiet speakers drive a reservoir with a
fraction of the input spikes of the loud ones.

A *frame sequence* is an array ``(n_samples, n_channels, n_frames)`` of intensities; each channel
later drives one input neuron and frame ``k`` is presented during ``[k frame_duration, (k + 1)
frame_duration)`` (see :func:`hetero_brian.inputs.regular_encoder.regular_rate_encode`).
"""
import numpy as np

from hetero_brian.inputs.audio import log_mel_spectrogram


def normalise_level(signal, sample_rate, frame_length=0.025):
    """The recording scaled so that its loudest ``frame_length`` frame has root-mean-square 1.

    Parameters
    ----------
    signal : numpy.ndarray, shape (n_samples,)
        A waveform.
    sample_rate : float
        Hz.
    frame_length : float
        Seconds; the level is the largest RMS over consecutive non-overlapping frames of this length
        (a recording shorter than one frame is one frame).

    Returns
    -------
    numpy.ndarray
        ``signal / level``; a silent recording is returned unchanged.

    Notes
    -----
    The loudest frame, not the whole recording, sets the level, so leading or trailing silence does
    not change the gain. A copy of a recording at any other gain (for example 20 dB quieter) gives
    the same waveform, up to rounding, and hence the same log-mel frames.
    """
    signal = np.asarray(signal, dtype=float)
    length = max(1, int(round(frame_length * sample_rate)))
    n_whole = signal.size // length
    chunks = [signal[:n_whole * length].reshape(n_whole, length)] if n_whole else []
    squares = [np.mean(chunk**2, axis=1) for chunk in chunks]
    if signal.size > n_whole * length or not n_whole:
        squares.append(np.array([np.mean(signal[n_whole * length:] ** 2)]))
    level = np.sqrt(np.max(np.concatenate(squares)))
    return signal / level if level > 0 else signal


def log_mel_frames(signals, sample_rate, n_mels, n_frames):
    """Log-mel spectrograms resampled (linear interpolation) to ``n_frames`` frames.

    Parameters
    ----------
    signals : sequence of numpy.ndarray
        Recordings (any lengths), samples at ``sample_rate``.
    sample_rate : float
        Hz.
    n_mels, n_frames : int
        Mel channels and frames of every output.

    Returns
    -------
    numpy.ndarray, shape (n_signals, n_mels, n_frames)
        Log-mel values (the scale of :func:`~hetero_brian.inputs.audio.log_mel_spectrogram`).
    """
    out = np.empty((len(signals), n_mels, n_frames))
    for k, signal in enumerate(signals):
        spectrogram = log_mel_spectrogram(signal, sample_rate, n_mels=n_mels)
        positions = np.linspace(0, spectrogram.shape[1] - 1, n_frames)
        columns = np.arange(spectrogram.shape[1])
        out[k] = np.array([np.interp(positions, columns, row) for row in spectrogram])
    return out


def scale_frames(train, test, low_percentile, high_percentile):
    """Scale both sets to [0, 1] with the training set's percentiles (values clipped).

    Parameters
    ----------
    train, test : numpy.ndarray
        Frame sequences; only ``train`` sets the scale.
    low_percentile, high_percentile : float
        Percentiles (0-100) of the training values mapped to 0 and 1.

    Returns
    -------
    train, test : numpy.ndarray
        Same shapes, values in [0, 1].
    """
    low, high = np.percentile(train, [low_percentile, high_percentile])
    if not high > low:
        raise ValueError(f"the training features are constant between the percentiles {low_percentile} and {high_percentile}")
    return (np.clip((train - low) / (high - low), 0, 1), np.clip((test - low) / (high - low), 0, 1))


def row_frames(images):
    """Images ``(n, rows, columns)`` with values 0-16 -> frames ``(n, columns, rows)`` in [0, 1].

    Row ``k`` of an image becomes frame ``k``: each column drives one channel, so a reservoir must
    hold the earlier rows to classify the image (scikit-learn's 8x8 digits have values 0-16).
    """
    images = np.asarray(images, dtype=float)
    if images.ndim != 3 or images.min() < 0 or images.max() > 16:
        raise ValueError(f"images must be an (n, rows, columns) array with values in [0, 16]; got shape {images.shape}")
    return np.transpose(images, (0, 2, 1)) / 16.0
