"""Spoken digits as input intensities: a log-mel spectrogram averaged into time bins, and noise at an SNR.

Used by the multimodal scenario to present a recording to a Diehl & Cook ensemble as Poisson rates
(``intensity * max_rate``), like an image's pixels. Pure numpy; signals are arrays of samples and
sample rates in Hz.
"""
import numpy as np

from .audio import log_mel_spectrogram

LOG_TEN = np.log(10.0)


def audio_intensities(signal, sample_rate, n_mels, n_time_bins, dynamic_range_db, mean_intensity=None):
    """Intensities in [0, 1] of one recording, shape ``(n_mels * n_time_bins,)``.

    Parameters
    ----------
    signal : ndarray
        Samples of the recording.
    sample_rate : float
        Hz.
    n_mels, n_time_bins : int
        Mel bands and time bins.
    dynamic_range_db : float
        Bins this far (dB) below the loudest bin, or quieter, get intensity 0.
    mean_intensity : float, optional
        Scale the intensities to this mean (then clip at 1).

    Notes
    -----
    ``S = ln(mel power)`` (:func:`hetero_brian.inputs.log_mel_spectrogram`, 25 ms frames every 10 ms)
    is averaged over ``n_time_bins`` equal groups of frames, then mapped linearly so that the loudest
    bin is 1 and bins ``dynamic_range_db`` below it (or quieter) are 0:
    ``I = clip(1 - (max S - S) / (R ln(10) / 10), 0, 1)``. With ``mean_intensity`` the intensities
    are then scaled to that mean (and clipped at 1), so every recording delivers about the same
    total input rate whatever its loudness profile (otherwise recordings with more loud bins drive
    the ensemble harder and win more neurons); an all-zero recording stays zero.
    """
    spectrum = log_mel_spectrogram(signal, sample_rate, n_mels=n_mels)
    if spectrum.shape[1] < n_time_bins:
        spectrum = np.pad(spectrum, ((0, 0), (0, n_time_bins - spectrum.shape[1])), mode="edge")
    binned = np.stack([chunk.mean(axis=1) for chunk in np.array_split(spectrum, n_time_bins, axis=1)], axis=1)
    span = dynamic_range_db * LOG_TEN / 10.0
    intensities = np.clip(1.0 - (binned.max() - binned) / span, 0.0, 1.0).reshape(-1)
    if mean_intensity is not None and intensities.mean() > 0:
        intensities = np.clip(intensities * (mean_intensity / intensities.mean()), 0.0, 1.0)
    return intensities


def add_noise_at_snr(signal, snr_db, rng):
    """``signal`` plus white Gaussian noise of power ``mean(signal^2) / 10^(snr_db / 10)`` (``rng``: a Generator)."""
    power = float(np.mean(np.square(signal)))
    return signal + rng.normal(0.0, np.sqrt(power / 10 ** (snr_db / 10.0)), size=signal.shape)


__all__ = ["audio_intensities", "add_noise_at_snr"]
