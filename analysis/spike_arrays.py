"""Spikes of one population restricted to an analysis window, sorted by (neuron, time).

The statistics modules (:mod:`~hetero_brian.analysis.activity`,
:mod:`~hetero_brian.analysis.spike_intervals`, :mod:`~hetero_brian.analysis.spike_counts`) take a
:class:`~hetero_brian.results.SpikeTrains` and a window ``[t_start, t_stop)`` in seconds (brian2
quantities are accepted as well); spikes outside the window are ignored. Metrics that need each
neuron's spikes in order sort them here by (neuron, time); the others only validate them. Input
that is already sorted that way is detected in O(n) and not sorted again, so calling
:func:`sort_spikes` once and passing ``SpikeTrains(sorted.node_ids, sorted.timestamps, n_neurons)``
on makes repeated calls cheap. Nothing loops over spikes in Python.
"""
from dataclasses import dataclass

import numpy as np

from hetero_brian.analysis._spike_checks import _spike_trains, _window
from hetero_brian.units import to_si

__all__ = ["SpikeArrays", "sort_spikes"]


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


def sort_spikes(spikes, *, t_start, t_stop, sort=True):
    """Keep the spikes in ``[t_start, t_stop)`` and sort them by (neuron, time).

    Parameters
    ----------
    spikes : SpikeTrains
        Spikes of one population (``node_ids``, ``timestamps`` in s, ``n_neurons`` >= 1; neurons
        that never fire count).
    t_start, t_stop : float or Quantity
        Analysis window in seconds; ``t_stop > t_start``.
    sort : bool
        If False, unsorted input is only validated (``offsets`` is None): enough for metrics
        that do not need each neuron's spikes in order.

    Returns
    -------
    SpikeArrays
    """
    spikes = _spike_trains(spikes)
    return _sorted_arrays(spikes.node_ids, spikes.timestamps, spikes.n_neurons, t_start, t_stop, sort)


def _sorted_arrays(node_ids, timestamps, n_neurons, t_start, t_stop, sort=True):
    """Array core of :func:`sort_spikes`: ids (int), times (s), population size and window."""
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
