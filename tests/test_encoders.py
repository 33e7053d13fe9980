"""Encoders against closed forms; stimulus assembly; dense rasters; Brian2 accepts the output."""
import math

import numpy as np
import pytest
import scipy.signal

from hetero_brian.inputs import (
    EncodedSpikes,
    bsa_decode,
    bsa_encode,
    bsa_filter,
    delta_encode,
    latency_encode,
    normalise_features,
    poisson_encode,
    stimulus_sequence,
    to_dense_raster,
)


def assert_on_grid_and_sorted(spikes, dt):
    steps = spikes.times / dt
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-9)
    assert np.all(np.diff(spikes.times) >= 0)
    pairs = np.round(steps).astype(np.int64) * spikes.n_channels + spikes.indices
    assert np.unique(pairs).size == pairs.size  # never two spikes of one channel in one step


# ----------------------------------------------------------------------------- Poisson


def test_poisson_constant_rate_within_five_standard_errors():
    n_channels, rate, duration, dt = 20, 50.0, 2.0, 1e-3
    spikes = poisson_encode(np.full(n_channels, rate), dt, np.random.default_rng(1), duration=duration)
    n_trials = n_channels * round(duration / dt)
    p = rate * dt
    expected, standard_error = n_trials * p, math.sqrt(n_trials * p * (1 - p))
    assert abs(spikes.n_spikes - expected) < 5 * standard_error
    assert spikes.n_channels == n_channels and spikes.duration == duration
    assert_on_grid_and_sorted(spikes, dt)
    per_channel = np.bincount(spikes.indices, minlength=n_channels)
    single_se = math.sqrt(round(duration / dt) * p * (1 - p))
    assert np.all(np.abs(per_channel - round(duration / dt) * p) < 5 * single_se)


def test_poisson_steps_are_independent_bernoulli_even_at_high_probability():
    # p = 0.7 per step: every step of every channel spikes with probability 0.7, at most once
    n_channels, dt, rate = 2000, 1e-3, 700.0
    spikes = poisson_encode(np.full(n_channels, rate), dt, np.random.default_rng(8), duration=0.01)
    assert_on_grid_and_sorted(spikes, dt)
    per_step = np.bincount(np.rint(spikes.times / dt).astype(int), minlength=10)
    p = rate * dt
    assert np.all(np.abs(per_step - n_channels * p) < 5 * math.sqrt(n_channels * p * (1 - p)))
    per_channel = np.bincount(spikes.indices, minlength=n_channels)  # Binomial(10, 0.7) per channel
    assert abs(per_channel.var() - 10 * p * (1 - p)) < 5 * 0.1


def test_poisson_time_varying_rates_follow_frames():
    rates = np.array([[200.0, 0.0, 50.0]] * 10)  # 10 channels, 3 frames of 0.5 s
    dt, frame = 1e-3, 0.5
    spikes = poisson_encode(rates, dt, np.random.default_rng(2), frame_duration=frame)
    assert spikes.duration == pytest.approx(1.5)
    counts = np.histogram(spikes.times, bins=[0.0, 0.5, 1.0, 1.5])[0]
    n_trials = 10 * round(frame / dt)
    for count, rate in zip(counts, rates[0]):
        p = rate * dt
        assert abs(count - n_trials * p) <= 5 * math.sqrt(n_trials * p * (1 - p))
    assert counts[1] == 0
    # a longer configured duration leaves the time after the last frame silent
    longer = poisson_encode(rates, dt, np.random.default_rng(2), frame_duration=frame, duration=2.0)
    assert longer.duration == 2.0 and longer.times.max() < 1.5


def test_poisson_reproducible_and_bad_inputs():
    rates = np.full(4, 30.0)
    first = poisson_encode(rates, 1e-3, np.random.default_rng(7), duration=0.5)
    again = poisson_encode(rates, 1e-3, np.random.default_rng(7), duration=0.5)
    assert np.array_equal(first.times, again.times) and np.array_equal(first.indices, again.indices)
    with pytest.raises(ValueError, match=r"rates \* dt must be <= 1.*2000 Hz"):
        poisson_encode(np.full(2, 2000.0), 1e-3, np.random.default_rng(0), duration=0.1)
    with pytest.raises(ValueError, match="rates must be >= 0 Hz"):
        poisson_encode(np.array([-1.0]), 1e-3, np.random.default_rng(0), duration=0.1)
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        poisson_encode(rates, 1e-3, 3, duration=0.1)
    with pytest.raises(ValueError, match="needs frame_duration"):
        poisson_encode(np.ones((2, 3)), 1e-3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="whole number of dt steps"):
        poisson_encode(rates, 1e-3, np.random.default_rng(0), duration=0.1005)


def test_poisson_refuses_sample_longer_than_duration_unless_truncating():
    rates = np.full((3, 12), 100.0)  # 12 frames of 10 ms = 120 ms
    with pytest.raises(ValueError, match=r"0.12 s, longer than duration=0.1 s"):
        poisson_encode(rates, 1e-3, np.random.default_rng(0), frame_duration=0.01, duration=0.1)
    cut = poisson_encode(rates, 1e-3, np.random.default_rng(0), frame_duration=0.01, duration=0.1, truncate=True)
    assert cut.duration == 0.1 and cut.times.max() < 0.1


# ----------------------------------------------------------------------------- latency


def test_latency_lif_closed_form():
    tau, threshold = 0.01, 1.0
    intensities = np.array([2.0, 1.0, 0.5, 11.0, 1.5])
    spikes = latency_encode(intensities, t_max=0.1, method="lif", tau=tau, threshold=threshold)
    # I = 2: tau ln 2; I = 11: tau ln 1.1; I = 1.5: tau ln 3; I <= threshold never fires
    expected = {0: tau * math.log(2.0), 3: tau * math.log(1.1), 4: tau * math.log(3.0)}
    assert dict(zip(spikes.indices.tolist(), spikes.times.tolist())) == pytest.approx(expected, rel=1e-12)
    assert spikes.indices.tolist() == [3, 0, 4]  # sorted by time
    # the time is where the membrane tau dv/dt = -v + I, v(0) = 0 reaches the threshold
    for channel, time in expected.items():
        assert intensities[channel] * (1 - math.exp(-time / tau)) == pytest.approx(threshold, rel=1e-12)


def test_latency_linear_grid_and_frames():
    spikes = latency_encode(np.array([1.0, 0.25, 0.0, 0.6]), t_max=0.02, method="linear")
    assert dict(zip(spikes.indices.tolist(), spikes.times.tolist())) == pytest.approx({0: 0.0, 1: 0.015, 3: 0.008})
    on_grid = latency_encode(np.array([0.61]), t_max=0.02, method="linear", dt=1e-3)
    assert on_grid.times.tolist() == pytest.approx([0.008])  # 7.8 ms moved up to the next 1 ms step
    frames = latency_encode(np.array([[2.0, 3.0], [0.5, 2.0]]), t_max=0.02, method="lif", tau=0.01,
                            frame_duration=0.05)
    assert frames.duration == pytest.approx(0.1)
    # frame 0: channel 0 at tau ln 2 (channel 1 is below threshold); frame 1 starts at 50 ms
    np.testing.assert_allclose(frames.times, [0.01 * math.log(2.0), 0.05 + 0.01 * math.log(1.5),
                                              0.05 + 0.01 * math.log(2.0)], rtol=1e-12)
    assert frames.indices.tolist() == [0, 0, 1]
    with pytest.raises(ValueError, match=r"intensities must lie in \[0, 1\]"):
        latency_encode(np.array([1.5]), t_max=0.02, method="linear")
    with pytest.raises(ValueError, match="tau is required: a number in second"):
        latency_encode(np.array([1.5]), t_max=0.02, method="lif")
    with pytest.raises(ValueError, match="t_max=0.1 s must be <= frame_duration=0.05 s"):
        latency_encode(np.ones((2, 2)), t_max=0.1, method="lif", tau=0.01, frame_duration=0.05)


# ----------------------------------------------------------------------------- delta / step-forward


def test_step_forward_spike_count_for_a_ramp():
    threshold, rise, n_samples = 0.1, 1.234, 500
    ramp = np.linspace(0.0, rise, n_samples)  # slope 0.0025 per step < threshold
    spikes = delta_encode(ramp, threshold, sample_interval=1e-3, method="step_forward")
    assert spikes.n_channels == 2
    assert spikes.n_spikes == math.floor(rise / threshold) and np.all(spikes.indices == 0)
    down = delta_encode(ramp[::-1], threshold, sample_interval=1e-3)
    assert down.n_spikes == math.floor(rise / threshold) and np.all(down.indices == 1)
    # each spike happens at the first sample above the moved baseline: x[k] > k_th * threshold
    expected_steps = [int(np.argmax(ramp > (number + 1) * threshold)) for number in range(12)]
    np.testing.assert_allclose(spikes.times, np.array(expected_steps) * 1e-3)


def test_step_forward_baseline_tracks_slow_signal_within_threshold():
    n_samples, threshold = 2000, 0.05
    signal = np.vstack([np.sin(np.linspace(0, 6 * np.pi, n_samples)), np.cos(np.linspace(0, 2 * np.pi, n_samples))])
    spikes = delta_encode(signal, threshold, sample_interval=1e-3)
    steps = np.rint(spikes.times / 1e-3).astype(int)
    for channel in range(2):
        moves = np.zeros(n_samples)
        np.add.at(moves, steps[spikes.indices == channel], threshold)
        np.add.at(moves, steps[spikes.indices == channel + 2], -threshold)
        baseline = signal[channel, 0] + np.cumsum(moves)
        assert np.max(np.abs(signal[channel] - baseline)) <= threshold + 1e-12


def test_delta_method_spikes_every_step_of_a_steep_ramp_only():
    steep = np.arange(50) * 0.3
    assert delta_encode(steep, 0.25, 1e-3, method="delta").n_spikes == 49
    assert delta_encode(steep, 0.35, 1e-3, method="delta").n_spikes == 0
    with pytest.raises(ValueError, match="threshold must be > 0"):
        delta_encode(steep, 0.0, 1e-3)
    with pytest.raises(ValueError, match=r"lasts 50 samples x 0.001 s = 0.05 s, longer than duration=0.04 s"):
        delta_encode(steep, 0.25, 1e-3, duration=0.04)


# ----------------------------------------------------------------------------- BSA


def low_pass_test_signal(n_samples, sample_rate, cutoff, seed):
    noise = np.random.default_rng(seed).standard_normal(n_samples + 400)
    numerator, denominator = scipy.signal.butter(4, cutoff, fs=sample_rate)
    smooth = scipy.signal.filtfilt(numerator, denominator, noise)[200:-200]
    return 0.1 + 0.8 * (smooth - smooth.min()) / (smooth.max() - smooth.min())  # in [0.1, 0.9]


def test_bsa_reconstruction_of_low_pass_signal():
    # a 10 Hz band-limited signal at 1 kHz, a 30-tap 20 Hz FIR filter: BSA's filtered spike train must
    # follow it with an RMS error below 20 % of the signal's standard deviation (about 8 % measured)
    sample_interval, n_samples = 1e-3, 2000
    signal = low_pass_test_signal(n_samples, 1000.0, 10.0, seed=1)
    taps = bsa_filter(30, 20.0, sample_interval)
    assert taps.sum() == pytest.approx(1.0)
    spikes = bsa_encode(signal, taps, sample_interval)
    assert_on_grid_and_sorted(spikes, sample_interval)
    train = np.zeros(n_samples)
    train[np.rint(spikes.times / sample_interval).astype(int)] = 1.0
    reconstruction = np.convolve(train, taps)[:n_samples]  # independent decoder
    np.testing.assert_allclose(bsa_decode(spikes, taps, sample_interval, n_samples)[0], reconstruction, atol=1e-12)
    error = np.sqrt(np.mean((reconstruction[30:] - signal[30:]) ** 2)) / np.std(signal[30:])
    assert error < 0.2
    # the spike density follows the signal: taps sum to 1, so the mean rate per step is the mean level
    assert spikes.n_spikes / n_samples == pytest.approx(signal.mean(), abs=0.03)


def test_bsa_several_channels_and_bad_input():
    signal = np.vstack([np.full(400, 0.5), np.zeros(400)])
    taps = bsa_filter(20, 50.0, 1e-3)
    spikes = bsa_encode(signal, taps, 1e-3)
    assert np.all(spikes.indices == 0)
    assert np.sum(spikes.indices == 0) / 400 == pytest.approx(0.5, abs=0.03)
    with pytest.raises(ValueError, match="signal must be >= 0 for BSA"):
        bsa_encode(np.array([0.2, -0.1]), taps, 1e-3)
    with pytest.raises(ValueError, match="cutoff must be < the Nyquist frequency 500 Hz"):
        bsa_filter(20, 600.0, 1e-3)


# ----------------------------------------------------------------------------- stimulus, raster, scaling


def test_stimulus_sequence_places_samples_in_presentation_windows():
    first = EncodedSpikes([0, 2], [0.0, 0.049], 3, 0.05)
    second = EncodedSpikes([1], [0.01], 3, 0.04)
    stimulus, boundaries = stimulus_sequence([first, second], t_present=0.05, t_rest=0.03, dt=1e-3)
    np.testing.assert_allclose(boundaries, [[0.0, 0.05], [0.08, 0.13]])
    np.testing.assert_allclose(stimulus.times, [0.0, 0.049, 0.09])
    assert stimulus.indices.tolist() == [0, 2, 1] and stimulus.duration == pytest.approx(0.16)
    too_long = EncodedSpikes([0, 1], [0.01, 0.06], 3, 0.07)
    with pytest.raises(ValueError, match=r"samples\[1\] lasts 0.07 s, longer than t_present=0.05 s"):
        stimulus_sequence([first, too_long], 0.05, 0.03)
    cut, _ = stimulus_sequence([first, too_long], 0.05, 0.03, truncate=True)
    np.testing.assert_allclose(cut.times, [0.0, 0.049, 0.09])
    with pytest.raises(ValueError, match=r"samples\[1\] has n_channels=4"):
        stimulus_sequence([first, EncodedSpikes([], [], 4, 0.05)], 0.05, 0.0)
    with pytest.raises(ValueError, match="t_rest must be a whole number of dt steps"):
        stimulus_sequence([first], 0.05, 0.0305, dt=1e-3)


def test_dense_raster_matches_spikes():
    spikes = poisson_encode(np.full(6, 80.0), 1e-3, np.random.default_rng(3), duration=0.3)
    raster = to_dense_raster(spikes.indices, spikes.times, 6, 1e-3, 0.3)
    assert raster.shape == (300, 6) and raster.dtype == np.uint8
    steps, channels = np.nonzero(raster)
    order = np.lexsort((channels, steps))
    np.testing.assert_array_equal(steps[order], np.rint(spikes.times / 1e-3))
    np.testing.assert_array_equal(channels[order], spikes.indices)
    with pytest.raises(ValueError, match="share a step"):
        to_dense_raster([0, 0], [0.0101, 0.0104], 1, 1e-3, 0.1)
    with pytest.raises(ValueError, match=r"1 spike\(s\) at or after duration=0.1 s"):
        to_dense_raster([0], [0.1], 1, 1e-3, 0.1)
    assert to_dense_raster([0], [0.1], 1, 1e-3, 0.1, truncate=True).sum() == 0


def test_encoded_spikes_validation_and_feature_scaling():
    with pytest.raises(ValueError, match="times must be sorted"):
        EncodedSpikes([0, 1], [0.2, 0.1], 2, 1.0)
    with pytest.raises(ValueError, match=r"indices must lie in \[0, n_channels=2\)"):
        EncodedSpikes([2], [0.1], 2, 1.0)
    with pytest.raises(ValueError, match=r"times must lie in \[0, duration=1 s\)"):
        EncodedSpikes([0], [1.0], 2, 1.0)
    np.testing.assert_allclose(normalise_features(np.array([2.0, 4.0, 3.0])), [0.0, 1.0, 0.5])
    np.testing.assert_allclose(normalise_features(np.array([0.0, 10.0]), lower=2.0, upper=6.0), [0.0, 1.0])


def test_brian2_reproduces_encoded_spikes_from_generator_and_timed_array():
    brian2 = pytest.importorskip("brian2")
    dt = 0.1e-3
    spikes = poisson_encode(np.full(5, 200.0), dt, np.random.default_rng(4), duration=0.02)
    raster = to_dense_raster(spikes.indices, spikes.times, 5, dt, 0.02)
    previous_target = brian2.prefs.codegen.target
    brian2.prefs.codegen.target = "numpy"
    try:
        generator = brian2.SpikeGeneratorGroup(5, spikes.indices, spikes.times * brian2.second,
                                               dt=dt * brian2.second)
        stimulus = brian2.TimedArray(raster, dt=dt * brian2.second)
        replay = brian2.NeuronGroup(5, "", threshold="stimulus(t, i) > 0.5", dt=dt * brian2.second,
                                    namespace={"stimulus": stimulus})
        monitors = [brian2.SpikeMonitor(generator), brian2.SpikeMonitor(replay)]
        brian2.Network(generator, replay, *monitors).run(0.02 * brian2.second, namespace={})
    finally:
        brian2.prefs.codegen.target = previous_target
    for monitor in monitors:
        order = np.lexsort((monitor.i[:], monitor.t_[:]))
        np.testing.assert_array_equal(monitor.i[:][order], spikes.indices)
        np.testing.assert_allclose(monitor.t_[:][order], spikes.times, atol=1e-12)
