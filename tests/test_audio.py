"""Audio front end against closed forms: mel scale, filterbank, STFT of tones, gammatone channels."""
import math

import numpy as np
import pytest
import scipy.signal

from hetero_brian.errors import UnitError
from hetero_brian.inputs import (
    erb_bandwidth,
    erb_space,
    gammatone_cochleagram,
    gammatone_filter,
    hz_to_mel,
    log_mel_spectrogram,
    mel_filterbank,
    mel_to_hz,
    stft,
)

SAMPLE_RATE = 8000.0


def tone(frequency, n_samples, amplitude=1.0, sample_rate=SAMPLE_RATE):
    return amplitude * np.sin(2 * np.pi * frequency * np.arange(n_samples) / sample_rate)


def slaney_mel(frequency):
    """Slaney's scale written out independently: 3 f / 200 below 1 kHz, 15 + 27 log_6.4(f / 1 kHz) above."""
    frequency = float(frequency)
    if frequency < 1000.0:
        return 3.0 * frequency / 200.0
    return 15.0 + 27.0 * math.log(frequency / 1000.0) / math.log(6.4)


def slaney_hz(mel):
    return 200.0 * mel / 3.0 if mel < 15.0 else 1000.0 * 6.4 ** ((mel - 15.0) / 27.0)


def test_mel_scale_anchor_points_and_inverse():
    np.testing.assert_allclose(hz_to_mel([0.0, 500.0, 1000.0, 6400.0]), [0.0, 7.5, 15.0, 42.0], rtol=1e-12)
    frequencies = np.geomspace(10.0, 20000.0, 50)
    np.testing.assert_allclose(hz_to_mel(frequencies), [slaney_mel(f) for f in frequencies], rtol=1e-12)
    np.testing.assert_allclose(mel_to_hz(hz_to_mel(frequencies)), frequencies, rtol=1e-12)


def independent_edges(n_mels, f_min, f_max):
    mels = np.linspace(slaney_mel(f_min), slaney_mel(f_max), n_mels + 2)
    return np.array([slaney_hz(mel) for mel in mels])


def test_mel_triangles_peak_at_centre_frequencies():
    n_fft, n_mels, f_min, f_max = 8192, 24, 100.0, 3800.0
    weights = mel_filterbank(SAMPLE_RATE, n_fft, n_mels, f_min, f_max, normalise=None)
    bin_width = SAMPLE_RATE / n_fft
    edges = independent_edges(n_mels, f_min, f_max)
    peak_frequencies = np.argmax(weights, axis=1) * bin_width
    assert np.all(np.abs(peak_frequencies - edges[1:-1]) <= bin_width / 2 + 1e-9)
    # a triangle of unit height sampled within half a bin of its apex
    slopes = 1.0 / np.minimum(edges[1:-1] - edges[:-2], edges[2:] - edges[1:-1])
    assert np.all(weights.max(axis=1) >= 1.0 - slopes * bin_width / 2) and np.all(weights.max(axis=1) <= 1.0)
    # zero outside [lower, upper]
    frequencies = np.arange(n_fft // 2 + 1) * bin_width
    outside = (frequencies[None, :] <= edges[:-2, None]) | (frequencies[None, :] >= edges[2:, None])
    assert np.all(weights[outside] == 0.0)


def test_mel_slaney_normalisation_gives_unit_area():
    n_fft = 16384
    weights = mel_filterbank(SAMPLE_RATE, n_fft, n_mels=40, f_min=0.0, f_max=4000.0)
    areas = weights.sum(axis=1) * SAMPLE_RATE / n_fft  # Riemann sum of the triangle over Hz
    np.testing.assert_allclose(areas, 1.0, rtol=0.01)
    edges = independent_edges(40, 0.0, 4000.0)
    np.testing.assert_allclose(weights.max(axis=1), 2.0 / (edges[2:] - edges[:-2]), rtol=0.05)


def test_stft_of_bin_centred_tone_has_closed_form_magnitude():
    n_fft = 256  # frame_length 32 ms at 8 kHz = 256 samples, periodic Hann with sum 128
    frequency = 20 * SAMPLE_RATE / n_fft
    spectrum = stft(tone(frequency, 4000, amplitude=0.7), SAMPLE_RATE, frame_length=0.032, hop=0.010)
    assert spectrum.shape == (n_fft // 2 + 1, 1 + math.ceil((4000 - 256) / 80))
    full_frames = spectrum[:, :-3]  # the last frames are zero-padded
    assert np.all(np.argmax(np.abs(full_frames), axis=0) == 20)
    # |X[k]| = A * sum(window) / 2 for a tone on bin k
    np.testing.assert_allclose(np.abs(full_frames[20]), 0.7 * 128 / 2, rtol=1e-9)


def test_stft_peak_of_off_bin_tone_is_nearest_bin():
    spectrum = stft(tone(1234.0, 2000), SAMPLE_RATE, frame_length=0.025, hop=0.010, n_fft=512)
    expected_bin = round(1234.0 / (SAMPLE_RATE / 512))
    assert np.all(np.argmax(np.abs(spectrum[:, :-3]), axis=0) == expected_bin)


def test_log_mel_of_tone_and_silence():
    n_mels = 32
    features = log_mel_spectrogram(tone(1500.0, 8000), SAMPLE_RATE, n_mels=n_mels)
    assert features.shape == (n_mels, 1 + math.ceil((8000 - 200) / 80))
    centres = independent_edges(n_mels, 0.0, 4000.0)[1:-1]
    assert np.all(np.argmax(features[:, :-3], axis=0) == np.argmin(np.abs(centres - 1500.0)))
    silence = log_mel_spectrogram(np.zeros(800), SAMPLE_RATE, n_mels=n_mels, floor=1e-6)
    np.testing.assert_allclose(silence, math.log(1e-6), rtol=1e-12)
    short = log_mel_spectrogram(tone(500.0, 50), SAMPLE_RATE)  # shorter than one frame: one padded frame
    assert short.shape == (40, 1)


def test_erb_formulas_and_spacing():
    np.testing.assert_allclose(erb_bandwidth(1000.0), 24.7 * 5.37, rtol=1e-12)
    centres = erb_space(50.0, 3600.0, 20)
    np.testing.assert_allclose(centres[[0, -1]], [50.0, 3600.0], rtol=1e-12)
    erb_rates = 21.4 * np.log10(4.37e-3 * centres + 1.0)
    np.testing.assert_allclose(np.diff(erb_rates), np.diff(erb_rates)[0], rtol=1e-9)


@pytest.mark.parametrize("centre", [250.0, 1000.0, 3000.0])
def test_gammatone_channel_responds_most_at_its_centre(centre):
    probe_frequencies = centre * np.linspace(0.8, 1.25, 19)
    assert np.any(np.isclose(probe_frequencies, centre))
    n_samples = 4000
    gains = []
    for frequency in probe_frequencies:
        output = gammatone_filter(tone(frequency, n_samples), SAMPLE_RATE, centre)
        steady = output[n_samples // 2:]
        gains.append(np.sqrt(2.0 * np.mean(steady**2)))  # amplitude of the steady-state sinusoid
    gains = np.array(gains)
    assert probe_frequencies[np.argmax(gains)] == pytest.approx(centre)
    assert gains.max() == pytest.approx(1.0, abs=0.02)  # unit gain at the centre
    assert gains[0] < 0.8 and gains[-1] < 0.8


def test_cochleagram_of_tone_peaks_in_nearest_channel():
    centres = erb_space(50.0, 3600.0, 24)
    signal = tone(900.0, 4000, amplitude=0.5)
    energy = gammatone_cochleagram(signal, SAMPLE_RATE, n_channels=24, f_min=50.0, f_max=3600.0,
                                   compression=None)
    assert energy.shape == (24, log_mel_spectrogram(signal, SAMPLE_RATE).shape[1])
    nearest = np.argmin(np.abs(centres - 900.0))
    assert np.all(np.argmax(energy[:, 5:-3], axis=0) == nearest)
    # mean of a half-wave rectified sinusoid of amplitude g A is g A / pi, g the filter gain at 900 Hz
    _, response = scipy.signal.freqz(*scipy.signal.gammatone(centres[nearest], "iir", fs=SAMPLE_RATE),
                                     worN=[900.0], fs=SAMPLE_RATE)
    np.testing.assert_allclose(energy[nearest, 5:-3], 0.5 * abs(response[0]) / np.pi, rtol=0.02)
    cube = gammatone_cochleagram(signal, SAMPLE_RATE, n_channels=24, f_min=50.0, f_max=3600.0,
                                 compression="cube_root")
    np.testing.assert_allclose(cube, np.cbrt(energy), rtol=1e-12)


def test_cochleagram_equals_time_domain_filtering():
    # the frequency-domain filterbank must match each channel run as an IIR filter in time
    signal = np.random.default_rng(3).standard_normal(3001)
    centres = erb_space(50.0, 3600.0, 8)
    energy = gammatone_cochleagram(signal, SAMPLE_RATE, n_channels=8, f_min=50.0, f_max=3600.0,
                                   frame_length=0.025, hop=0.010, compression=None)
    n_frames = 1 + math.ceil((3001 - 200) / 80)
    padded_length = (n_frames - 1) * 80 + 200
    for channel, centre in enumerate(centres):
        rectified = np.maximum(gammatone_filter(signal, SAMPLE_RATE, centre), 0.0)
        rectified = np.concatenate([rectified, np.zeros(padded_length - rectified.size)])
        expected = [rectified[k * 80:k * 80 + 200].mean() for k in range(n_frames)]
        np.testing.assert_allclose(energy[channel], expected, rtol=1e-9, atol=1e-12)


def test_brian2_quantities_are_accepted_and_checked():
    brian2 = pytest.importorskip("brian2")
    signal = tone(440.0, 1600)
    with_units = log_mel_spectrogram(signal, 8 * brian2.kHz, frame_length=25 * brian2.ms, hop=10 * brian2.ms,
                                     f_max=3.5 * brian2.kHz)
    np.testing.assert_allclose(with_units, log_mel_spectrogram(signal, 8000.0, f_max=3500.0))
    with pytest.raises(UnitError, match="hop must be in units of second"):
        log_mel_spectrogram(signal, 8000.0, hop=10 * brian2.Hz)


def test_bad_audio_inputs():
    signal = tone(440.0, 800)
    with pytest.raises(ValueError, match="frame_length=1e-05 s is shorter than one sample"):
        stft(signal, SAMPLE_RATE, frame_length=1e-5)
    with pytest.raises(ValueError, match="n_fft must be >= the frame length in samples"):
        stft(signal, SAMPLE_RATE, n_fft=128)
    with pytest.raises(ValueError, match="f_max=5000 Hz"):
        log_mel_spectrogram(signal, SAMPLE_RATE, f_max=5000.0)
    with pytest.raises(ValueError, match="signal must be one-dimensional"):
        log_mel_spectrogram(np.zeros((2, 100)), SAMPLE_RATE)
    with pytest.raises(ValueError, match="signal must be finite"):
        log_mel_spectrogram(np.array([0.0, np.nan]), SAMPLE_RATE)
    with pytest.raises(ValueError, match="signal must hold at least one sample"):
        gammatone_cochleagram(np.zeros(0), SAMPLE_RATE)
    with pytest.raises(ValueError, match="f_max must be < sample_rate / 2"):
        gammatone_cochleagram(signal, SAMPLE_RATE, f_max=4000.0)
    with pytest.raises(ValueError, match="compression must be one of"):
        gammatone_cochleagram(signal, SAMPLE_RATE, compression="sqrt")
    with pytest.raises(ValueError, match="sample_rate must be > 0"):
        stft(signal, -8000.0)
