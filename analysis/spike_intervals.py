"""Interspike-interval statistics of each neuron: intervals, CV, CV2, local variation (pure numpy).

Every function takes a :class:`~hetero_brian.results.SpikeTrains` and the analysis window
``t_start``/``t_stop`` in seconds as keyword arguments (brian2 quantities are accepted as well);
spikes outside the window are ignored, and each neuron's spikes are sorted by time first (see
:mod:`hetero_brian.analysis.spike_arrays`).

The statistics of a neuron with fewer than two interspike intervals are ``nan`` ("undefined: too
few intervals"); no warning is emitted for these documented ``nan`` values.

Examples
--------
>>> from hetero_brian.results import SpikeTrains
>>> spikes = SpikeTrains(node_ids=[0, 0, 0, 0], timestamps=[0.1, 0.2, 0.3, 0.4], n_neurons=2)
>>> cv_isi(spikes, t_start=0.0, t_stop=1.0).round(12)
array([ 0., nan])
"""
import numpy as np

from hetero_brian.analysis.spike_arrays import sort_spikes

__all__ = ["interspike_intervals", "cv_isi", "cv2", "local_variation"]


# ----------------------------------------------------------------------------------------------
# interval statistics
# ----------------------------------------------------------------------------------------------
def _intervals(spikes):
    """All differences of consecutive sorted times, and the positions that cross neurons."""
    intervals = np.diff(spikes.timestamps)
    crossings = spikes.offsets[1:-1] - 1  # first spike of a neuron minus one
    crossings = np.unique(crossings[(crossings >= 0) & (crossings < intervals.size)])
    return intervals, crossings


def interspike_intervals(spikes, *, t_start, t_stop):
    """All interspike intervals in the window.

    Parameters
    ----------
    spikes : SpikeTrains
        Spikes of one population (times in s).
    t_start, t_stop : float or Quantity
        Analysis window in seconds.

    Returns
    -------
    intervals : ndarray of float, shape (n_intervals,)
        Intervals in seconds, grouped by neuron and in time order within a neuron.
    owners : ndarray of int, shape (n_intervals,)
        The neuron of each interval.
    """
    spikes = sort_spikes(spikes, t_start=t_start, t_stop=t_stop)
    intervals, crossings = _intervals(spikes)
    return np.delete(intervals, crossings), np.delete(spikes.node_ids[1:], crossings)


def cv_isi(spikes, *, t_start, t_stop, ddof=0, min_intervals=2):
    """Coefficient of variation of the interspike intervals of each neuron.

    ``CV = std(ISI) / mean(ISI)`` with ``ddof`` degrees of freedom in the standard deviation
    (``ddof=0`` like elephant's ``cv``). A Poisson train has CV = 1, a regular train CV = 0.

    Parameters
    ----------
    spikes : SpikeTrains
        Spikes of one population (times in s).
    t_start, t_stop : float or Quantity
        Analysis window in seconds.
    ddof : int
        Delta degrees of freedom of the standard deviation.
    min_intervals : int
        Fewest intervals (>= 2, > ddof) for a defined CV.

    Returns
    -------
    ndarray, shape (n_neurons,)
        ``nan`` for neurons with fewer than ``min_intervals`` (>= 2) intervals.
    """
    if int(min_intervals) < 2 or int(min_intervals) <= ddof:
        raise ValueError(f"min_intervals must be >= 2 and > ddof; got min_intervals="
                         f"{min_intervals!r}, ddof={ddof!r}")
    spikes = sort_spikes(spikes, t_start=t_start, t_stop=t_stop)
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


def cv2(spikes, *, t_start, t_stop):
    """Local coefficient of variation CV2 of each neuron (Holt et al. 1996).

    Parameters
    ----------
    spikes : SpikeTrains
        Spikes of one population (times in s).
    t_start, t_stop : float or Quantity
        Analysis window in seconds.

    Returns
    -------
    ndarray, shape (n_neurons,)

    Notes
    -----
    ``CV2 = < 2 |I_{i+1} - I_i| / (I_{i+1} + I_i) >`` averaged over consecutive interval pairs of a
    neuron; 1 for a Poisson train, 0 for a regular one. ``nan`` for neurons with < 2 intervals.

    References
    ----------
    Holt, Softky, Koch & Douglas (1996), J. Neurophysiol. 75:1806-1814.
    """
    spikes = sort_spikes(spikes, t_start=t_start, t_stop=t_stop)
    return _pair_sums(spikes, lambda ratio: 2.0 * np.abs(ratio, out=ratio))


def local_variation(spikes, *, t_start, t_stop):
    """Local variation LV of each neuron (Shinomoto et al. 2003).

    Parameters
    ----------
    spikes : SpikeTrains
        Spikes of one population (times in s).
    t_start, t_stop : float or Quantity
        Analysis window in seconds.

    Returns
    -------
    ndarray, shape (n_neurons,)

    Notes
    -----
    With ``n`` intervals,
    ``LV = 3 / (n - 1) sum_{i=1}^{n-1} ((I_i - I_{i+1}) / (I_i + I_{i+1}))^2``; 1 for a Poisson
    train, 0 for a regular one. ``nan`` for neurons with < 2 intervals.

    References
    ----------
    Shinomoto, Shima & Tanji (2003), Neural Comput. 15:2823-2842.
    """
    spikes = sort_spikes(spikes, t_start=t_start, t_stop=t_stop)
    return _pair_sums(spikes, lambda ratio: 3.0 * np.square(ratio, out=ratio))


