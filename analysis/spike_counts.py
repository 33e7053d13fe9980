"""Spike counts in consecutive bins of one window: binned counts, Fano factor, count correlations.

Every function takes a :class:`~hetero_brian.results.SpikeTrains`, a bin width ``bin_size`` and the
analysis window ``t_start``/``t_stop`` in seconds as keyword arguments (brian2 quantities are
accepted as well); spikes outside the window are ignored (see
:mod:`hetero_brian.analysis.spike_arrays`). Per-sample counts (each presentation window cut into its
own bins) are :func:`hetero_brian.analysis.features.sample_spike_counts`.

The Fano factor of a neuron with no spikes is ``nan`` (0/0), and the correlation of a neuron whose
binned counts do not vary is ``nan``. No warning is emitted for these documented ``nan`` values.

Examples
--------
>>> from hetero_brian.results import SpikeTrains
>>> spikes = SpikeTrains(node_ids=[0, 0, 1], timestamps=[0.1, 0.6, 0.7], n_neurons=2)
>>> binned_spike_counts(spikes, 0.5, t_start=0.0, t_stop=1.0)
array([[1, 1],
       [0, 1]])
"""
import numpy as np

from hetero_brian.analysis._spike_checks import _positive_time
from hetero_brian.analysis.spike_arrays import _bin_count, _bin_index, sort_spikes

__all__ = ["binned_spike_counts", "fano_factor", "correlation_matrix"]


def _bin_layout(duration, bin_size, partial_bin):
    """Number of bins in the window and whether a trailing partial bin is kept (see
    :func:`binned_spike_counts`)."""
    if partial_bin:
        return max(int(np.ceil(duration / bin_size - 1e-9)), 1)
    return _bin_count(duration, bin_size, "bin_size")


def binned_spike_counts(spikes, bin_size, *, t_start, t_stop, neurons=None, partial_bin=False):
    """Spike counts of each neuron in consecutive bins of ``[t_start, t_stop)``.

    Parameters
    ----------
    spikes : SpikeTrains
        Spikes of one population (times in s).
    bin_size : float or Quantity
        Bin width in seconds.
    t_start, t_stop : float or Quantity
        Analysis window in seconds; ``t_stop > t_start``.
    neurons : array_like of int, optional
        The neurons to return (rows), default all. A dense matrix of all neurons can be large.
    partial_bin : bool
        False (default): ``floor((t_stop - t_start) / bin_size)`` whole bins, the spikes of a
        trailing partial bin are dropped, and a bin wider than the window is an error. True:
        ``ceil((t_stop - t_start) / bin_size)`` bins (at least one), the last one shorter when the
        window is not a multiple of ``bin_size``: every spike in the window is counted.

    Returns
    -------
    ndarray of int64, shape (len(neurons), n_bins)
        Bin ``b`` is ``[t_start + b bin_size, t_start + (b + 1) bin_size)``.
    """
    spikes = sort_spikes(spikes, t_start=t_start, t_stop=t_stop, sort=False)
    bin_size = _positive_time(bin_size, "bin_size")
    n_bins = _bin_layout(spikes.duration, bin_size, partial_bin)
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
    if partial_bin:
        column = np.minimum(column, n_bins - 1)
    keep = (row >= 0) & (column < n_bins)
    flat = np.bincount(row[keep] * n_bins + column[keep], minlength=rows.size * n_bins)
    return flat.reshape(rows.size, n_bins)


def fano_factor(spikes, bin_size, *, t_start, t_stop, ddof=1):
    """Fano factor of each neuron's spike counts in consecutive bins.

    The window ``[t_start, t_stop)`` is cut into ``floor((t_stop - t_start) / bin_size)`` bins (a
    trailing partial bin is dropped); ``F = var(counts) / mean(counts)`` with ``ddof`` (default
    1: the unbiased variance, so a Poisson train has E[F] = 1). ``nan`` where the mean is 0.
    Computed without a dense (neuron x bin) matrix.

    Parameters
    ----------
    spikes : SpikeTrains
        Spikes of one population (times in s).
    bin_size : float or Quantity
        Counting window in seconds.
    t_start, t_stop : float or Quantity
        Analysis window in seconds.
    ddof : int
        Delta degrees of freedom of the variance.

    Returns
    -------
    ndarray, shape (n_neurons,)

    Raises
    ------
    ValueError
        If ``bin_size`` is wider than the recording or fewer than ``ddof + 1`` bins fit.
    """
    spikes = sort_spikes(spikes, t_start=t_start, t_stop=t_stop)
    bin_size = _positive_time(bin_size, "bin_size")
    n_bins = _bin_count(spikes.duration, bin_size, "bin_size")
    if n_bins <= ddof:
        raise ValueError(f"fano_factor needs more than ddof={ddof} bins; got {n_bins} "
                         f"bins of {bin_size} s in {spikes.duration} s")
    node, key = spikes.node_ids, _bin_index(spikes, bin_size)
    if key.size and key.max() >= n_bins:  # spikes in a trailing partial bin
        keep = key < n_bins
        node, key = node[keep], key[keep]
    key += node * n_bins  # sorted (by neuron, then time): its runs are the nonzero counts
    starts = np.flatnonzero(key[1:] != key[:-1]) + 1 if key.size else np.zeros(0, np.int64)
    starts = np.concatenate(([0], starts)) if key.size else starts
    run_counts = np.diff(np.concatenate((starts, [key.size]))).astype(float)
    total = np.bincount(node, minlength=spikes.n_neurons).astype(float)
    squares = np.bincount(node[starts], run_counts ** 2, minlength=spikes.n_neurons)
    mean = total / n_bins
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = (squares - total * mean) / (n_bins - ddof)
        return variance / mean


def correlation_matrix(spikes, bin_size, *, t_start, t_stop, neurons=None):
    """Pearson correlation matrix of binned spike counts (``neurons`` x ``neurons``).

    Counts as in :func:`binned_spike_counts` (whole bins of ``bin_size`` seconds). Rows of neurons
    whose counts do not vary (e.g. silent ones) are ``nan``; the diagonal of the others is 1.
    Identical trains have correlation 1.
    """
    counts = binned_spike_counts(spikes, bin_size, t_start=t_start, t_stop=t_stop, neurons=neurons)
    centred = counts - counts.mean(axis=1, keepdims=True)
    norms = np.sqrt(np.einsum("ij,ij->i", centred, centred))
    with np.errstate(invalid="ignore", divide="ignore"):
        normalised = centred / norms[:, None]
    return normalised @ normalised.T
