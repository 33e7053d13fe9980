"""Spike statistics against closed forms and independent brute-force computations."""
import numpy as np
import pytest

from hetero_brian.analysis import activity, spike_arrays, spike_counts, spike_distances, spike_intervals
from hetero_brian.errors import DegenerateNetworkError
from hetero_brian.results import SpikeTrains

RATE = 20.0        # Hz
DURATION = 100.0   # s
N_NEURONS = 40


def poisson_population(rate, duration, n_neurons, seed):
    """Homogeneous Poisson trains from exponential intervals (independent of the module)."""
    rng = np.random.default_rng(seed)
    n_draw = int(rate * duration * 1.5 + 50)
    times = np.cumsum(rng.exponential(1.0 / rate, size=(n_neurons, n_draw)), axis=1)
    node = np.repeat(np.arange(n_neurons), n_draw).reshape(n_neurons, n_draw)
    keep = times < duration
    order = np.argsort(times[keep], kind="stable")  # time-ordered like a monitor
    return node[keep][order], times[keep][order]


@pytest.fixture(scope="module")
def poisson():
    return poisson_population(RATE, DURATION, N_NEURONS, seed=7)


def test_poisson_rates_within_five_standard_errors(poisson):
    node_ids, timestamps = poisson
    spikes = SpikeTrains(node_ids, timestamps, N_NEURONS)
    rates = activity.firing_rates(spikes, t_start=0.0, t_stop=DURATION)
    standard_error = np.sqrt(RATE * DURATION) / DURATION  # of one neuron's count-based rate
    assert rates.shape == (N_NEURONS,)
    assert np.all(np.abs(rates - RATE) < 5 * standard_error)
    mean = activity.mean_firing_rate(spikes, t_start=0.0, t_stop=DURATION)
    assert abs(mean - RATE) < 5 * standard_error / np.sqrt(N_NEURONS)
    assert mean == pytest.approx(node_ids.size / (N_NEURONS * DURATION))


def test_poisson_interval_statistics_are_one(poisson):
    node_ids, timestamps = poisson
    spikes = SpikeTrains(node_ids, timestamps, N_NEURONS)
    for function in (spike_intervals.cv_isi, spike_intervals.cv2, spike_intervals.local_variation):
        values = function(spikes, t_start=0.0, t_stop=DURATION)
        assert values.shape == (N_NEURONS,)
        assert abs(np.mean(values) - 1.0) < 0.03, function.__name__
        assert np.all(np.abs(values - 1.0) < 0.15), function.__name__
    fano = spike_counts.fano_factor(spikes, 0.5, t_start=0.0, t_stop=DURATION)
    assert abs(np.mean(fano) - 1.0) < 0.05


def test_interval_statistics_match_direct_formulas(poisson):
    node_ids, timestamps = poisson
    spikes = SpikeTrains(node_ids, timestamps, N_NEURONS)
    cv = spike_intervals.cv_isi(spikes, t_start=0.0, t_stop=DURATION)
    cv2 = spike_intervals.cv2(spikes, t_start=0.0, t_stop=DURATION)
    lv = spike_intervals.local_variation(spikes, t_start=0.0, t_stop=DURATION)
    for neuron in (0, 17, N_NEURONS - 1):
        isi = np.diff(np.sort(timestamps[node_ids == neuron]))
        assert cv[neuron] == pytest.approx(np.std(isi) / np.mean(isi), rel=1e-10)
        pairs = np.abs(isi[1:] - isi[:-1]) / (isi[1:] + isi[:-1])
        assert cv2[neuron] == pytest.approx(np.mean(2 * pairs), rel=1e-10)
        assert lv[neuron] == pytest.approx(3 * np.sum(pairs ** 2) / (isi.size - 1), rel=1e-10)


def test_fano_factor_matches_histogram_counts(poisson):
    node_ids, timestamps = poisson
    spikes = SpikeTrains(node_ids, timestamps, N_NEURONS)
    window = 0.7  # 142 whole windows; the trailing 0.6 s is dropped
    fano = spike_counts.fano_factor(spikes, window, t_start=0.0, t_stop=DURATION)
    edges = np.arange(143) * window
    for neuron in (3, 21):
        counts = np.histogram(timestamps[node_ids == neuron], edges)[0]
        assert fano[neuron] == pytest.approx(np.var(counts, ddof=1) / np.mean(counts), rel=1e-10)


def test_regular_train_has_zero_variability():
    timestamps = np.arange(0.005, 10.0, 0.01)
    node_ids = np.zeros(timestamps.size, dtype=int)
    for function in (spike_intervals.cv_isi, spike_intervals.cv2, spike_intervals.local_variation):
        value = function(SpikeTrains(node_ids, timestamps, 1), t_start=0.0, t_stop=10.0)[0]
        assert value == pytest.approx(0.0, abs=1e-9), function.__name__


def test_unsorted_input_gives_the_same_answers(poisson):
    node_ids, timestamps = poisson
    ordered = SpikeTrains(node_ids, timestamps, N_NEURONS)
    shuffle = np.random.default_rng(3).permutation(node_ids.size)
    shuffled = SpikeTrains(node_ids[shuffle], timestamps[shuffle], N_NEURONS)
    for function in (spike_intervals.cv_isi, spike_intervals.local_variation, spike_intervals.cv2,
                     activity.firing_rates):
        np.testing.assert_allclose(function(shuffled, t_start=0, t_stop=DURATION),
                                   function(ordered, t_start=0, t_stop=DURATION), rtol=1e-12)
    for function in (spike_counts.fano_factor, spike_counts.correlation_matrix):
        np.testing.assert_allclose(function(shuffled, 0.5, t_start=0, t_stop=DURATION),
                                   function(ordered, 0.5, t_start=0, t_stop=DURATION), rtol=1e-12)
    sorted_spikes = spike_arrays.sort_spikes(shuffled, t_start=0, t_stop=DURATION)
    order = np.lexsort((timestamps, node_ids))
    np.testing.assert_array_equal(sorted_spikes.node_ids, node_ids[order])
    np.testing.assert_array_equal(sorted_spikes.timestamps, timestamps[order])


def test_window_restricts_spikes(poisson):
    node_ids, timestamps = poisson
    spikes = SpikeTrains(node_ids, timestamps, N_NEURONS)
    rates = activity.firing_rates(spikes, t_start=10.0, t_stop=30.0)
    inside = (timestamps >= 10.0) & (timestamps < 30.0)
    np.testing.assert_allclose(rates, np.bincount(node_ids[inside], minlength=N_NEURONS) / 20.0)


def test_identical_trains_distance_correlation_tiling():
    times = np.sort(np.random.default_rng(1).uniform(0, 5, 60))
    node_ids = np.concatenate((np.zeros(60, int), np.ones(60, int)))
    both = np.concatenate((times, times))
    assert spike_distances.van_rossum_distance(times, times, 0.01) == pytest.approx(0.0, abs=1e-7)
    correlation = spike_counts.correlation_matrix(SpikeTrains(node_ids, both, 2), 0.05, t_start=0.0, t_stop=5.0)
    np.testing.assert_allclose(correlation, np.ones((2, 2)), atol=1e-12)
    assert spike_distances.spike_time_tiling_coefficient(times, times, 0.005, t_start=0.0,
                                                         t_stop=5.0) == pytest.approx(1.0)


def test_correlation_matrix_matches_numpy_corrcoef(poisson):
    node_ids, timestamps = poisson
    spikes = SpikeTrains(node_ids, timestamps, N_NEURONS)
    neurons = np.array([0, 5, 9])
    correlation = spike_counts.correlation_matrix(spikes, 0.1, t_start=0.0, t_stop=DURATION, neurons=neurons)
    edges = np.linspace(0.0, DURATION, 1001)
    counts = np.array([np.histogram(timestamps[node_ids == k], edges)[0] for k in neurons])
    np.testing.assert_allclose(correlation, np.corrcoef(counts), atol=1e-12)


def brute_force_van_rossum(a, b, tau):
    """D^2 = (1/tau) int (f_a - f_b)^2 dt evaluated on a fine grid (independent of the closed form)."""
    step = tau / 400
    grid = np.arange(min(np.min(a), np.min(b)), max(np.max(a), np.max(b)) + 30 * tau, step)

    def filtered(train):
        lag = grid[:, None] - np.asarray(train)[None, :]
        return np.where(lag >= 0, np.exp(-np.clip(lag, 0, None) / tau), 0.0).sum(axis=1)
    return np.sqrt(np.sum((filtered(a) - filtered(b)) ** 2) * step / tau)


def test_van_rossum_against_integral_and_edge_cases():
    rng = np.random.default_rng(5)
    a, b = np.sort(rng.uniform(0, 1, 25)), np.sort(rng.uniform(0, 1, 20))
    expected = brute_force_van_rossum(a, b, 0.02)
    assert spike_distances.van_rossum_distance(a, b, 0.02) == pytest.approx(expected, rel=2e-3)
    # one spike against an empty train: D^2 = (1/tau) int_0^inf e^{-2t/tau} dt = 1/2
    assert spike_distances.van_rossum_distance([0.3], [], 0.01) == pytest.approx(np.sqrt(0.5))
    assert spike_distances.van_rossum_distance([], [], 0.01) == 0.0
    # trains separated by long silent gaps (gap compression) against the direct double sum
    a2, b2 = np.concatenate((a, a + 1e4)), np.concatenate((b, b + 2e4))

    def kernel(x, y):
        return np.exp(-np.abs(x[:, None] - y[None, :]) / 0.02).sum()
    direct = np.sqrt(0.5 * (kernel(a2, a2) + kernel(b2, b2) - 2 * kernel(a2, b2)))
    assert spike_distances.van_rossum_distance(a2, b2, 0.02) == pytest.approx(direct, rel=1e-10)


def brute_force_sttc(a, b, t_start, t_stop, dt):
    grid = np.linspace(t_start, t_stop, 400_001)[:-1] + (t_stop - t_start) / 800_000

    def tiled(train):
        return np.mean(np.any(np.abs(grid[:, None] - train[None, :]) <= dt, axis=1))

    def near(x, y):
        return np.mean(np.any(np.abs(x[:, None] - y[None, :]) <= dt, axis=1))
    pa, pb, ta, tb = near(a, b), near(b, a), tiled(a), tiled(b)
    return 0.5 * ((pa - tb) / (1 - pa * tb) + (pb - ta) / (1 - pb * ta))


def test_sttc_against_brute_force():
    rng = np.random.default_rng(9)
    a = np.sort(rng.uniform(0, 2, 15))
    b = np.sort(np.concatenate((a[:8] + rng.normal(0, 0.004, 8), rng.uniform(0, 2, 6))))
    b = b[(b >= 0) & (b < 2)]
    value = spike_distances.spike_time_tiling_coefficient(a, b, 0.01, t_start=0.0, t_stop=2.0)
    assert value == pytest.approx(brute_force_sttc(a, b, 0.0, 2.0, 0.01), abs=2e-4)
    assert np.isnan(spike_distances.spike_time_tiling_coefficient(a, [], 0.01, t_start=0.0, t_stop=2.0))


def test_population_rate_binned_and_smoothed(poisson):
    node_ids, timestamps = poisson
    spikes = SpikeTrains(node_ids, timestamps, N_NEURONS)
    times, rate = activity.population_rate(spikes, 0.5, t_start=0.0, t_stop=DURATION)
    counts = np.histogram(timestamps, np.linspace(0, DURATION, 201))[0]
    np.testing.assert_allclose(rate, counts / (N_NEURONS * 0.5))
    np.testing.assert_allclose(times[:2], [0.25, 0.75])
    # a perfectly regular population (one spike per bin) has a flat smoothed rate, edges included
    regular = np.arange(0.0005, 1.0, 0.001)
    for kernel in ("gaussian", "exponential"):
        _, smooth = activity.population_rate(SpikeTrains(np.zeros(regular.size, int), regular, 1), 0.001,
                                             t_start=0.0, t_stop=1.0, kernel=kernel, width=0.01)
        np.testing.assert_allclose(smooth, 1000.0, rtol=1e-9)


def test_spikes_per_sample_and_silent_fraction():
    node_ids = np.array([0, 1, 1, 2, 0, 0])
    timestamps = np.array([0.1, 0.2, 0.3, 0.4, 1.2, 1.9])
    spikes = SpikeTrains(node_ids, timestamps, 4)
    per_sample = activity.spikes_per_neuron_per_sample(spikes, [0.0, 1.0, 2.0])
    np.testing.assert_allclose(per_sample, [4 / 4, 2 / 4])
    assert activity.fraction_silent(spikes, t_start=0.0, t_stop=2.0) == pytest.approx(0.25)
    assert activity.fraction_silent(spikes, t_start=1.0, t_stop=2.0) == pytest.approx(0.75)


def test_empty_train_gives_zero_rates_and_nan_variability():
    empty = SpikeTrains(np.zeros(0, dtype=int), np.zeros(0), 3)
    np.testing.assert_array_equal(activity.firing_rates(empty, t_start=0.0, t_stop=1.0), np.zeros(3))
    assert np.all(np.isnan(spike_intervals.cv_isi(empty, t_start=0.0, t_stop=1.0)))
    assert np.all(np.isnan(spike_intervals.local_variation(empty, t_start=0.0, t_stop=1.0)))
    assert np.all(np.isnan(spike_counts.fano_factor(empty, 0.1, t_start=0.0, t_stop=1.0)))
    assert activity.fraction_silent(empty, t_start=0.0, t_stop=1.0) == 1.0
    _, rate = activity.population_rate(empty, 0.1, t_start=0.0, t_stop=1.0)
    np.testing.assert_array_equal(rate, np.zeros(10))
    # a neuron with only two spikes has one interval: CV undefined
    assert np.isnan(spike_intervals.cv_isi(SpikeTrains([0, 0], [0.1, 0.5], 1), t_start=0.0, t_stop=1.0)[0])


@pytest.mark.parametrize("t_start, t_stop", [(1.0, 1.0), (2.0, 1.0), (0.0, np.nan)])
def test_bad_window_is_rejected(t_start, t_stop):
    with pytest.raises(ValueError, match="t_stop must be > t_start"):
        activity.firing_rates(SpikeTrains([0], [0.5], 1), t_start=t_start, t_stop=t_stop)


def test_bin_wider_than_recording_and_other_bad_input():
    with pytest.raises(ValueError, match="bin_size .* wider than the recording"):
        activity.population_rate(SpikeTrains([0], [0.5], 1), 2.0, t_start=0.0, t_stop=1.0)
    with pytest.raises(ValueError, match="bin_size .* wider than the recording"):
        spike_counts.fano_factor(SpikeTrains([0], [0.5], 1), 1.5, t_start=0.0, t_stop=1.0)
    with pytest.raises(ValueError, match="node_ids must lie in"):
        activity.firing_rates(SpikeTrains([0, 5], [0.1, 0.2], 3), t_start=0.0, t_stop=1.0)
    with pytest.raises(ValueError, match="same length"):
        activity.firing_rates(SpikeTrains([0, 1], [0.1], 3), t_start=0.0, t_stop=1.0)
    with pytest.raises(ValueError, match="n_neurons"):
        activity.firing_rates(SpikeTrains([], [], 0), t_start=0.0, t_stop=1.0)
    with pytest.raises(ValueError, match="bin_size must be"):
        activity.population_rate(SpikeTrains([0], [0.5], 1), -0.1, t_start=0.0, t_stop=1.0)
    with pytest.raises(ValueError, match="kernel"):
        activity.population_rate(SpikeTrains([0], [0.5], 1), 0.1, t_start=0.0, t_stop=1.0, kernel="box",
                                 width=0.1)


def test_rate_sanity_gate(poisson):
    node_ids, timestamps = poisson
    spikes = SpikeTrains(node_ids, timestamps, N_NEURONS)
    report = activity.rate_sanity(spikes, t_start=0.0, t_stop=DURATION)
    assert report.ok and report.status == "ok" and report.reasons == ()
    assert report.raise_if_bad() is report
    silent = activity.rate_sanity(SpikeTrains([], [], 10), t_start=0.0, t_stop=1.0)
    assert silent.status == "silent" and silent.fraction_silent == 1.0
    with pytest.raises(DegenerateNetworkError, match="silent"):
        silent.raise_if_bad()
    runaway = activity.rate_sanity(spikes, t_start=0.0, t_stop=DURATION, max_mean_rate=10.0)
    assert runaway.status == "runaway" and "max_mean_rate" in runaway.reasons[0]
    assert activity.rate_sanity(spikes, t_start=0.0, t_stop=DURATION,
                                min_mean_rate=25.0).status == "silent"


@pytest.mark.slow  # importing elephant takes seconds
def test_against_elephant(poisson):
    elephant_statistics = pytest.importorskip("elephant.statistics")
    spike_train_dissimilarity = pytest.importorskip("elephant.spike_train_dissimilarity")
    neo = pytest.importorskip("neo")
    quantities = pytest.importorskip("quantities")
    node_ids, timestamps = poisson
    spikes = SpikeTrains(node_ids, timestamps, N_NEURONS)
    cv = spike_intervals.cv_isi(spikes, t_start=0.0, t_stop=DURATION)
    lv = spike_intervals.local_variation(spikes, t_start=0.0, t_stop=DURATION)
    isi = np.diff(np.sort(timestamps[node_ids == 4]))
    assert cv[4] == pytest.approx(elephant_statistics.cv(isi), rel=1e-10)
    assert lv[4] == pytest.approx(elephant_statistics.lv(isi), rel=1e-10)
    trains = [neo.SpikeTrain(np.sort(timestamps[node_ids == k])[:200] * quantities.s,
                             t_stop=DURATION * quantities.s) for k in (1, 2)]
    theirs = spike_train_dissimilarity.van_rossum_distance(trains, time_constant=0.01 * quantities.s)
    ours = spike_distances.van_rossum_distance(trains[0].magnitude, trains[1].magnitude, 0.01)
    assert float(theirs[0, 1]) == pytest.approx(np.sqrt(2) * ours, rel=1e-8)


def test_duplicated_times_and_short_trains():
    # neuron 0: intervals 0, 0, 0.4 -> pair (0, 0) undefined, pair (0, 0.4) has ratio 1
    # neuron 1: one spike (no interval); neuron 2: intervals 0.1, 0.2 -> ratio 1/3
    node_ids = np.array([0, 0, 0, 0, 1, 2, 2, 2])
    timestamps = np.array([0.1, 0.1, 0.1, 0.5, 0.3, 0.2, 0.3, 0.5])
    spikes = SpikeTrains(node_ids, timestamps, 4)
    np.testing.assert_allclose(spike_intervals.local_variation(spikes, t_start=0, t_stop=1),
                               [3.0, np.nan, 1 / 3, np.nan])
    np.testing.assert_allclose(spike_intervals.cv2(spikes, t_start=0, t_stop=1), [2.0, np.nan, 2 / 3, np.nan])
    cv = spike_intervals.cv_isi(spikes, t_start=0, t_stop=1)
    np.testing.assert_allclose(cv, [np.std([0, 0, 0.4]) / np.mean([0, 0, 0.4]), np.nan, 1 / 3, np.nan])
    intervals, owners = spike_intervals.interspike_intervals(spikes, t_start=0, t_stop=1)
    np.testing.assert_allclose(intervals, [0, 0, 0.4, 0.1, 0.2], atol=1e-15)
    np.testing.assert_array_equal(owners, [0, 0, 0, 2, 2])


@pytest.mark.slow  # importing elephant takes seconds
def test_sttc_against_elephant():
    correlation = pytest.importorskip("elephant.spike_train_correlation")
    neo = pytest.importorskip("neo")
    quantities = pytest.importorskip("quantities")
    rng = np.random.default_rng(21)
    a = np.sort(rng.uniform(0, 2, 30))
    b = np.sort(np.concatenate((a[:15] + rng.normal(0, 0.004, 15), rng.uniform(0, 2, 10))))
    b = b[(b >= 0) & (b < 2)]
    trains = [neo.SpikeTrain(x * quantities.s, t_start=0 * quantities.s, t_stop=2 * quantities.s)
              for x in (a, b)]
    theirs = correlation.spike_time_tiling_coefficient(*trains, dt=0.01 * quantities.s)
    ours = spike_distances.spike_time_tiling_coefficient(a, b, 0.01, t_start=0.0, t_stop=2.0)
    assert ours == pytest.approx(theirs, rel=1e-10)
