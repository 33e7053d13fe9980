"""Spiking-activity statistics on flat spike arrays (pure numpy, SI units).

Every function takes the SONATA-style flat arrays of a saved result: ``node_ids`` (int, one per
spike), ``timestamps`` (float, seconds, one per spike), plus ``n_neurons`` and the analysis window
``[t_start, t_stop)`` in seconds (brian2 quantities are accepted as well). Spikes outside the window
are ignored. Metrics that need each neuron's spikes in order (intervals, CV, CV2, LV, Fano factor)
sort them by (neuron, time); the others only validate them. Input that is already sorted that way
is detected in O(n) and not sorted again, so calling :func:`sort_spikes` once first and passing its
``node_ids`` and ``timestamps`` on makes repeated calls cheap. Nothing loops over spikes in Python.
The two-train measures (:func:`spike_time_tiling_coefficient`, :func:`van_rossum_distance`) live in
:mod:`hetero_brian.analysis.spike_distances` and are re-exported here.

Empty trains: rates are zero; the interval statistics (CV, CV2, LV) of a neuron with fewer than two
interspike intervals are ``nan`` ("undefined: too few intervals"), the Fano factor of a neuron with
no spikes is ``nan`` (0/0), and the correlation of a neuron whose binned counts do not vary is
``nan``. No warning is emitted for these documented ``nan`` values.

Examples
--------
>>> node_ids, timestamps = [0, 0, 0, 1], [0.1, 0.2, 0.3, 0.5]
>>> firing_rates(node_ids, timestamps, n_neurons=3, t_start=0.0, t_stop=1.0)
array([3., 1., 0.])
>>> fraction_silent(node_ids, timestamps, 3, 0.0, 1.0)
0.3333333333333333
>>> round(van_rossum_distance([0.1], [], tau=0.01), 4)  # one spike against none: sqrt(1/2)
0.7071
"""
from dataclasses import dataclass

import numpy as np

from hetero_brian.analysis._spike_checks import _positive_time, _window
from hetero_brian.units import to_si
from hetero_brian.analysis.spike_distances import spike_time_tiling_coefficient, van_rossum_distance  # noqa: F401
from hetero_brian.errors import DegenerateNetworkError

__all__ = [
    "SpikeArrays", "sort_spikes", "firing_rates", "mean_firing_rate", "fraction_silent",
    "interspike_intervals",
    "cv_isi", "cv2", "local_variation", "fano_factor", "binned_counts", "correlation_matrix",
    "population_rate", "spikes_per_neuron_per_sample", "spike_time_tiling_coefficient",
    "van_rossum_distance", "RateSanityReport", "rate_sanity",
]


# ----------------------------------------------------------------------------------------------
# validation and sorting
# ----------------------------------------------------------------------------------------------
def _bin_count(duration, bin_size, name):
    """Number of whole bins of ``bin_size`` in ``duration`` (a trailing partial bin is dropped)."""
    if bin_size > duration * (1 + 1e-12):
        raise ValueError(f"{name} ({bin_size} s) is wider than the recording "
                         f"(t_stop - t_start = {duration} s)")
    return max(1, int(np.floor(duration / bin_size * (1 + 1e-12))))


def _bin_index(spikes, bin_size):
    """Index of the bin of each spike, ``floor((t - t_start) / bin_size)`` (int64)."""
    index = np.subtract(spikes.timestamps, spikes.t_start)
    index /= bin_size
    return np.floor(index, out=index).astype(np.int64)


def _neuron_count(n_neurons):
    if isinstance(n_neurons, (bool, np.bool_)) or not isinstance(n_neurons, (int, np.integer)) \
            or n_neurons < 1:
        raise ValueError(f"n_neurons must be a positive integer; got {n_neurons!r}")
    return int(n_neurons)


def _stable_order(node_ids, n_neurons):
    """Stable argsort of non-negative ids: numpy radix-sorts 16-bit keys, so sort 16 bits a pass."""
    order = np.argsort((node_ids & 0xFFFF).astype(np.uint16), kind="stable")
    for shift in range(16, int(n_neurons - 1).bit_length(), 16):
        key = ((node_ids[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(key, kind="stable")]
    return order


_CHUNK = 1 << 20  # validate in chunks: small temporaries are reused instead of page-faulted


def _check_spikes(node_ids, timestamps, n_neurons, t_start, t_stop):
    """Check ids and times in one chunked pass; return (sorted by (id, time), all in window)."""
    ordered, all_inside, low, high = True, True, 0, 0
    for start in range(0, node_ids.size, _CHUNK):
        ids = node_ids[start:start + _CHUNK + 1]  # one overlapping element links the chunks
        times = timestamps[start:start + _CHUNK + 1]
        low, high = min(low, int(ids.min())), max(high, int(ids.max()))
        if not np.all(np.isfinite(times)):
            raise ValueError("timestamps must be finite; got NaN or Inf")
        all_inside = all_inside and bool(times.min() >= t_start) and bool(times.max() < t_stop)
        if ordered:
            step = np.diff(ids)
            ordered = bool(np.all(step >= 0)) and bool(np.all((step > 0) | (np.diff(times) >= 0)))
    if low < 0 or high >= n_neurons:
        raise ValueError(f"node_ids must lie in [0, n_neurons={n_neurons}); got values in "
                         f"[{low}, {high}]")
    return ordered, all_inside


@dataclass(frozen=True)
class SpikeArrays:
    """Validated spikes inside ``[t_start, t_stop)``.

    When ``offsets`` is not None the spikes are sorted by (neuron, time) and the spikes of neuron
    ``k`` are ``timestamps[offsets[k]:offsets[k + 1]]``; otherwise they keep the input order.
    """

    node_ids: np.ndarray
    timestamps: np.ndarray
    offsets: object
    n_neurons: int
    t_start: float
    t_stop: float

    @property
    def counts(self):
        """Number of spikes of each neuron, shape (n_neurons,)."""
        if self.offsets is None:
            return np.bincount(self.node_ids, minlength=self.n_neurons)
        return np.diff(self.offsets)

    @property
    def duration(self):
        """``t_stop - t_start`` in seconds."""
        return self.t_stop - self.t_start


def sort_spikes(node_ids, timestamps, n_neurons, t_start, t_stop, sort=True):
    """Validate spikes, keep those in ``[t_start, t_stop)`` and sort them by (neuron, time).

    Parameters
    ----------
    node_ids : array_like of int, shape (n_spikes,)
        Index of the neuron of each spike, in ``[0, n_neurons)``.
    timestamps : array_like of float, shape (n_spikes,)
        Spike times in seconds (or a brian2 quantity).
    n_neurons : int
        Size of the population (neurons that never fire count).
    t_start, t_stop : float or Quantity
        Analysis window in seconds; ``t_stop > t_start``.
    sort : bool
        If False, unsorted input is only validated (``offsets`` is None): enough for metrics
        that do not need each neuron's spikes in order.

    Returns
    -------
    SpikeArrays
    """
    n_neurons = _neuron_count(n_neurons)
    t_start, t_stop = _window(t_start, t_stop)
    node_ids = np.asarray(node_ids)
    timestamps = to_si(timestamps, "second", "timestamps").ravel()
    if node_ids.ndim != 1 or node_ids.shape != timestamps.shape:
        raise ValueError(f"node_ids and timestamps must be 1-D of equal length; got shapes "
                         f"{node_ids.shape} and {timestamps.shape}")
    if node_ids.size and not np.issubdtype(node_ids.dtype, np.integer):
        raise ValueError(f"node_ids must be integers; got dtype {node_ids.dtype}")
    node_ids = node_ids.astype(np.int64, copy=False)
    ordered, all_inside = _check_spikes(node_ids, timestamps, n_neurons, t_start, t_stop)
    if not all_inside:
        inside = (timestamps >= t_start) & (timestamps < t_stop)
        node_ids, timestamps = node_ids[inside], timestamps[inside]
    if ordered:
        offsets = np.searchsorted(node_ids, np.arange(n_neurons + 1))
    elif not sort:
        offsets = None
    else:
        counts = np.bincount(node_ids, minlength=n_neurons)
        by_time = None
        if not np.all(np.diff(timestamps) >= 0):  # monitors record in time order already
            by_time = np.argsort(timestamps)  # ties in time need no particular order
            node_ids = node_ids[by_time]
        order = _stable_order(node_ids, n_neurons)
        timestamps = np.take(timestamps, order if by_time is None else by_time[order])
        node_ids = np.repeat(np.arange(n_neurons, dtype=np.int64), counts)
        offsets = np.concatenate(([0], np.cumsum(counts)))
    return SpikeArrays(node_ids, timestamps, offsets, n_neurons, t_start, t_stop)


# ----------------------------------------------------------------------------------------------
# rates
# ----------------------------------------------------------------------------------------------
def firing_rates(node_ids, timestamps, n_neurons, t_start, t_stop):
    """Firing rate of each neuron, ``count / (t_stop - t_start)``, in Hz; shape (n_neurons,)."""
    spikes = sort_spikes(node_ids, timestamps, n_neurons, t_start, t_stop, sort=False)
    return spikes.counts / spikes.duration


def mean_firing_rate(node_ids, timestamps, n_neurons, t_start, t_stop):
    """Population-averaged firing rate in Hz: ``n_spikes / (n_neurons (t_stop - t_start))``."""
    spikes = sort_spikes(node_ids, timestamps, n_neurons, t_start, t_stop, sort=False)
    return spikes.node_ids.size / (spikes.n_neurons * spikes.duration)


def fraction_silent(node_ids, timestamps, n_neurons, t_start, t_stop, min_spikes=1):
    """Fraction of neurons with fewer than ``min_spikes`` spikes in the window (in [0, 1])."""
    if int(min_spikes) < 1:
        raise ValueError(f"min_spikes must be >= 1; got {min_spikes!r}")
    spikes = sort_spikes(node_ids, timestamps, n_neurons, t_start, t_stop, sort=False)
    return float(np.mean(spikes.counts < int(min_spikes)))


def spikes_per_neuron_per_sample(node_ids, timestamps, n_neurons, sample_boundaries):
    """Mean number of spikes per neuron in each sample (presentation).

    Parameters
    ----------
    sample_boundaries : array_like of float, shape (n_samples + 1,)
        Strictly increasing boundaries in seconds; sample ``s`` is
        ``[sample_boundaries[s], sample_boundaries[s + 1])``.

    Returns
    -------
    ndarray, shape (n_samples,)
        ``spikes in sample s / n_neurons``.
    """
    boundaries = to_si(sample_boundaries, "second", "sample_boundaries").ravel()
    if boundaries.size < 2 or not np.all(np.diff(boundaries) > 0):
        raise ValueError(f"sample_boundaries must be >= 2 strictly increasing times; got "
                         f"{boundaries[:5]}{'...' if boundaries.size > 5 else ''}")
    spikes = sort_spikes(node_ids, timestamps, n_neurons, boundaries[0], boundaries[-1], False)
    sample = np.searchsorted(boundaries, spikes.timestamps, side="right") - 1
    counts = np.bincount(sample, minlength=boundaries.size - 1)
    return counts / spikes.n_neurons


# ----------------------------------------------------------------------------------------------
# interval statistics
# ----------------------------------------------------------------------------------------------
def _intervals(spikes):
    """All differences of consecutive sorted times, and the positions that cross neurons."""
    intervals = np.diff(spikes.timestamps)
    crossings = spikes.offsets[1:-1] - 1  # first spike of a neuron minus one
    crossings = np.unique(crossings[(crossings >= 0) & (crossings < intervals.size)])
    return intervals, crossings


def interspike_intervals(node_ids, timestamps, n_neurons, t_start, t_stop):
    """All interspike intervals in the window.

    Returns
    -------
    intervals : ndarray of float, shape (n_intervals,)
        Intervals in seconds, grouped by neuron and in time order within a neuron.
    owners : ndarray of int, shape (n_intervals,)
        The neuron of each interval.
    """
    spikes = sort_spikes(node_ids, timestamps, n_neurons, t_start, t_stop)
    intervals, crossings = _intervals(spikes)
    return np.delete(intervals, crossings), np.delete(spikes.node_ids[1:], crossings)


def cv_isi(node_ids, timestamps, n_neurons, t_start, t_stop, ddof=0, min_intervals=2):
    """Coefficient of variation of the interspike intervals of each neuron.

    ``CV = std(ISI) / mean(ISI)`` with ``ddof`` degrees of freedom in the standard deviation
    (``ddof=0`` like elephant's ``cv``). A Poisson train has CV = 1, a regular train CV = 0.

    Returns
    -------
    ndarray, shape (n_neurons,)
        ``nan`` for neurons with fewer than ``min_intervals`` (>= 2) intervals.
    """
    if int(min_intervals) < 2 or int(min_intervals) <= ddof:
        raise ValueError(f"min_intervals must be >= 2 and > ddof; got min_intervals="
                         f"{min_intervals!r}, ddof={ddof!r}")
    spikes = sort_spikes(node_ids, timestamps, n_neurons, t_start, t_stop)
    intervals, crossings = _intervals(spikes)
    n = np.maximum(spikes.counts - 1, 0)
    mean = np.full(spikes.n_neurons, np.nan)
    several = n > 0
    span = spikes.timestamps[spikes.offsets[1:][several] - 1] - \
        spikes.timestamps[spikes.offsets[:-1][several]]
    mean[several] = span / n[several]  # sum of a neuron's intervals = last - first spike time
    deviation = np.subtract(intervals, mean[spikes.node_ids[1:]], out=intervals)
    deviation[crossings] = 0.0
    squares = np.bincount(spikes.node_ids[1:], deviation * deviation, spikes.n_neurons)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = np.sqrt(squares / (n - ddof)) / mean
    cv[n < int(min_intervals)] = np.nan
    return cv


def _pair_sums(spikes, measure):
    """Per-neuron mean over consecutive interval pairs of ``measure((I2 - I1) / (I2 + I1))``."""
    intervals, crossings = _intervals(spikes)
    first, second = intervals[:-1], intervals[1:]
    total = first + second
    ratio = np.subtract(second, first)
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(ratio, total, out=ratio)
    values = measure(ratio)
    # a pair straddling two neurons is invalid; two zero intervals (duplicated times) undefined
    straddling = np.concatenate((crossings, crossings - 1))
    straddling = straddling[(straddling >= 0) & (straddling < values.size)]
    undefined = np.setdiff1d(np.flatnonzero(total == 0), straddling)
    values[straddling] = 0.0
    values[undefined] = 0.0
    owners = spikes.node_ids[2:]
    n = np.maximum(spikes.counts - 2, 0) - np.bincount(owners[undefined],
                                                       minlength=spikes.n_neurons)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(owners, values, spikes.n_neurons) / n


def cv2(node_ids, timestamps, n_neurons, t_start, t_stop):
    """Local coefficient of variation CV2 of each neuron (Holt et al. 1996).

    Notes
    -----
    ``CV2 = < 2 |I_{i+1} - I_i| / (I_{i+1} + I_i) >`` averaged over consecutive interval pairs of a
    neuron; 1 for a Poisson train, 0 for a regular one. ``nan`` for neurons with < 2 intervals.

    References
    ----------
    Holt, Softky, Koch & Douglas (1996), J. Neurophysiol. 75:1806-1814.
    """
    spikes = sort_spikes(node_ids, timestamps, n_neurons, t_start, t_stop)
    return _pair_sums(spikes, lambda ratio: 2.0 * np.abs(ratio, out=ratio))


def local_variation(node_ids, timestamps, n_neurons, t_start, t_stop):
    """Local variation LV of each neuron (Shinomoto et al. 2003).

    Notes
    -----
    With ``n`` intervals,
    ``LV = 3 / (n - 1) sum_{i=1}^{n-1} ((I_i - I_{i+1}) / (I_i + I_{i+1}))^2``; 1 for a Poisson train, 0 for a regular one. ``nan`` for neurons with < 2 intervals.

    References
    ----------
    Shinomoto, Shima & Tanji (2003), Neural Comput. 15:2823-2842.
    """
    spikes = sort_spikes(node_ids, timestamps, n_neurons, t_start, t_stop)
    return _pair_sums(spikes, lambda ratio: 3.0 * np.square(ratio, out=ratio))


# ----------------------------------------------------------------------------------------------
# counts in windows: Fano factor, binned counts, correlations, population rate
# ----------------------------------------------------------------------------------------------
def fano_factor(node_ids, timestamps, n_neurons, t_start, t_stop, window, ddof=1):
    """Fano factor of each neuron's spike counts in consecutive windows.

    The window ``[t_start, t_stop)`` is cut into ``floor((t_stop - t_start) / window)`` windows (a
    trailing partial window is dropped); ``F = var(counts) / mean(counts)`` with ``ddof`` (default
    1: the unbiased variance, so a Poisson train has E[F] = 1). ``nan`` where the mean is 0.
    Computed without a dense (neuron x window) matrix.

    Raises
    ------
    ValueError
        If ``window`` is wider than the recording or fewer than ``ddof + 1`` windows fit.
    """
    spikes = sort_spikes(node_ids, timestamps, n_neurons, t_start, t_stop)
    window = _positive_time(window, "window")
    n_windows = _bin_count(spikes.duration, window, "window")
    if n_windows <= ddof:
        raise ValueError(f"fano_factor needs more than ddof={ddof} windows; got {n_windows} "
                         f"windows of {window} s in {spikes.duration} s")
    node, key = spikes.node_ids, _bin_index(spikes, window)
    if key.size and key.max() >= n_windows:  # spikes in a trailing partial window
        keep = key < n_windows
        node, key = node[keep], key[keep]
    key += node * n_windows  # sorted (by neuron, then time): its runs are the nonzero counts
    starts = np.flatnonzero(key[1:] != key[:-1]) + 1 if key.size else np.zeros(0, np.int64)
    starts = np.concatenate(([0], starts)) if key.size else starts
    run_counts = np.diff(np.concatenate((starts, [key.size]))).astype(float)
    total = np.bincount(node, minlength=spikes.n_neurons).astype(float)
    squares = np.bincount(node[starts], run_counts ** 2, minlength=spikes.n_neurons)
    mean = total / n_windows
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = (squares - total * mean) / (n_windows - ddof)
        return variance / mean


def binned_counts(node_ids, timestamps, n_neurons, t_start, t_stop, bin_size, neurons=None):
    """Spike counts in consecutive bins.

    Parameters
    ----------
    bin_size : float or Quantity
        Bin width in seconds; a trailing partial bin is dropped.
    neurons : array_like of int, optional
        The neurons to return (rows), default all. A dense matrix of all neurons can be large.

    Returns
    -------
    ndarray of int, shape (len(neurons), n_bins)
    """
    spikes = sort_spikes(node_ids, timestamps, n_neurons, t_start, t_stop, sort=False)
    bin_size = _positive_time(bin_size, "bin_size")
    n_bins = _bin_count(spikes.duration, bin_size, "bin_size")
    rows = np.arange(spikes.n_neurons) if neurons is None else np.asarray(neurons, dtype=np.int64)
    if rows.size and (rows.min() < 0 or rows.max() >= spikes.n_neurons):
        raise ValueError(f"neurons must lie in [0, {spikes.n_neurons}); got "
                         f"{rows.min()}..{rows.max()}")
    if np.unique(rows).size != rows.size:
        raise ValueError(f"neurons must not repeat; got {rows.size} entries, "
                         f"{np.unique(rows).size} distinct")
    row_of = np.full(spikes.n_neurons, -1, dtype=np.int64)
    row_of[rows] = np.arange(rows.size)
    row = row_of[spikes.node_ids]
    column = _bin_index(spikes, bin_size)
    keep = (row >= 0) & (column < n_bins)
    flat = np.bincount(row[keep] * n_bins + column[keep], minlength=rows.size * n_bins)
    return flat.reshape(rows.size, n_bins)


def correlation_matrix(node_ids, timestamps, n_neurons, t_start, t_stop, bin_size, neurons=None):
    """Pearson correlation matrix of binned spike counts (``neurons`` x ``neurons``).

    Rows of neurons whose counts do not vary (e.g. silent ones) are ``nan``; the diagonal of the
    others is 1. Identical trains have correlation 1.
    """
    counts = binned_counts(node_ids, timestamps, n_neurons, t_start, t_stop, bin_size, neurons)
    centred = counts - counts.mean(axis=1, keepdims=True)
    norms = np.sqrt(np.einsum("ij,ij->i", centred, centred))
    with np.errstate(invalid="ignore", divide="ignore"):
        normalised = centred / norms[:, None]
    return normalised @ normalised.T


def _convolve(values, kernel, offset):
    """``sum_m kernel[m] values[n + offset - m]`` for each n (zero outside), by FFT."""
    size = values.size + kernel.size - 1
    length = 1 << (size - 1).bit_length()
    full = np.fft.irfft(np.fft.rfft(values, length) * np.fft.rfft(kernel, length), length)
    return full[offset:offset + values.size]


def _smooth(rate, bin_size, kernel, width):
    if kernel == "gaussian":
        half = int(np.ceil(4 * width / bin_size))
        weights = np.exp(-0.5 * (np.arange(-half, half + 1) * bin_size / width) ** 2)
        offset = half
    elif kernel == "exponential":
        length = int(np.ceil(40 * width / bin_size)) + 1  # tail beyond is < e^-40 of the mass
        weights = np.exp(-np.arange(min(length, rate.size)) * bin_size / width)
        offset = 0
    else:
        raise ValueError(f"kernel must be None, 'gaussian' or 'exponential'; got {kernel!r}")
    # normalise by the kernel mass inside the recording, so edges are not biased low
    smoothed = _convolve(rate, weights, offset) / _convolve(np.ones_like(rate), weights, offset)
    return np.maximum(smoothed, 0.0)  # FFT round-off must not give negative rates


def population_rate(node_ids, timestamps, n_neurons, t_start, t_stop, bin_size, kernel=None,
                    width=None):
    """Population firing rate (per neuron, Hz) in bins, optionally smoothed.

    Parameters
    ----------
    bin_size : float or Quantity
        Bin width in seconds.
    kernel : {None, "gaussian", "exponential"}
        ``gaussian``: symmetric, standard deviation ``width`` (truncated at 4 sigma);
        ``exponential``: causal, time constant ``width``. Both are normalised by their mass inside
        the recording, so a constant rate stays constant up to the edges.
    width : float or Quantity
        Kernel width in seconds (required with a kernel).

    Returns
    -------
    times : ndarray, shape (n_bins,)
        Bin centres in seconds.
    rate : ndarray, shape (n_bins,)
        ``spikes in bin / (n_neurons * bin_size)`` in Hz.
    """
    spikes = sort_spikes(node_ids, timestamps, n_neurons, t_start, t_stop, sort=False)
    bin_size = _positive_time(bin_size, "bin_size")
    n_bins = _bin_count(spikes.duration, bin_size, "bin_size")
    column = np.minimum(_bin_index(spikes, bin_size), n_bins)  # n_bins: trailing partial bin
    counts = np.bincount(column, minlength=n_bins + 1)[:n_bins]
    rate = counts / (spikes.n_neurons * bin_size)
    if kernel is not None:
        if width is None:
            raise ValueError(f"width is required with kernel={kernel!r}")
        rate = _smooth(rate, bin_size, kernel, _positive_time(width, "width"))
    times = spikes.t_start + (np.arange(n_bins) + 0.5) * bin_size
    return times, rate


# ----------------------------------------------------------------------------------------------
# rate sanity gate (FAULTS.md case 15)
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RateSanityReport:
    """Outcome of :func:`rate_sanity`: ``status`` is "ok", "silent" or "runaway"."""

    status: str
    mean_rate: float
    max_rate: float
    fraction_silent: float
    n_spikes: int
    reasons: tuple

    @property
    def ok(self):
        """True when the activity passed every threshold."""
        return self.status == "ok"

    def raise_if_bad(self):
        """Raise :class:`hetero_brian.errors.DegenerateNetworkError` unless the report is ok."""
        if not self.ok:
            raise DegenerateNetworkError(f"{self.status} network: " + "; ".join(self.reasons))
        return self


def rate_sanity(node_ids, timestamps, n_neurons, t_start, t_stop, min_mean_rate=0.1,
                max_mean_rate=200.0, max_fraction_silent=0.95):
    """Check that a network's activity is worth analysing: neither silent nor runaway.

    Parameters
    ----------
    min_mean_rate : float or Quantity
        Below this population-mean rate (Hz) the network is "silent" (default 0.1 Hz).
    max_mean_rate : float or Quantity
        Above this population-mean rate (Hz) the network is "runaway" (default 200 Hz).
    max_fraction_silent : float
        If more than this fraction of neurons never fire, the network is "silent" (default 0.95).

    Returns
    -------
    RateSanityReport
        Use ``report.ok`` or ``report.raise_if_bad()`` before computing statistics.
    """
    min_mean_rate = float(to_si(min_mean_rate, "hertz", "min_mean_rate"))
    max_mean_rate = float(to_si(max_mean_rate, "hertz", "max_mean_rate"))
    if not 0 <= min_mean_rate < max_mean_rate:
        raise ValueError(f"need 0 <= min_mean_rate < max_mean_rate; got {min_mean_rate} Hz, "
                         f"{max_mean_rate} Hz")
    if not 0 <= max_fraction_silent <= 1:
        raise ValueError(f"max_fraction_silent must be in [0, 1]; got {max_fraction_silent!r}")
    spikes = sort_spikes(node_ids, timestamps, n_neurons, t_start, t_stop, sort=False)
    rates = spikes.counts / spikes.duration
    mean_rate, silent = float(rates.mean()), float(np.mean(spikes.counts == 0))
    reasons, status = [], "ok"
    if mean_rate < min_mean_rate:
        status = "silent"
        reasons.append(f"mean rate {mean_rate:.4g} Hz < min_mean_rate {min_mean_rate:.4g} Hz")
    if silent > max_fraction_silent:
        status = "silent"
        reasons.append(f"fraction of silent neurons {silent:.3f} > max_fraction_silent "
                       f"{max_fraction_silent:.3f}")
    if mean_rate > max_mean_rate:
        status = "runaway"
        reasons.append(f"mean rate {mean_rate:.4g} Hz > max_mean_rate {max_mean_rate:.4g} Hz")
    return RateSanityReport(status, mean_rate, float(rates.max()), silent,
                            int(spikes.node_ids.size), tuple(reasons))
