"""Per-sample features of saved reservoir spikes, for linear readouts (pure numpy).

A run presents samples back to back; sample ``s`` occupies the window
``[sample_boundaries[s, 0], sample_boundaries[s, 1])`` (seconds), as returned by
:func:`hetero_brian.inputs.stimulus_sequence`. Each window is cut into ``n_bins`` equal bins and
each neuron gives one number per bin:

* :func:`sample_spike_counts`: the number of its spikes in the bin;
* :func:`filtered_traces`: its exponentially filtered spike train sampled at the end of the bin.

Spikes outside every window (the rest periods) are ignored, and the traces start from zero at each
window's start: the features of a sample do not depend on earlier samples through the filter (the
network itself may carry state across samples; that is the simulation's business). Counts in
consecutive bins of one continuous window are :func:`hetero_brian.analysis.spike_counts.binned_spike_counts`.

References
----------
W. Maass, T. Natschläger, H. Markram, "Real-time computing without stable states: a new framework
for neural computation based on perturbations", Neural Comput. 14, 2531 (2002) (exponentially
filtered spike trains read out linearly).
"""
import numpy as np

from hetero_brian.analysis._spike_checks import _spike_trains
from hetero_brian.units import to_si


def _check_spikes(spikes):
    """``(node_ids, timestamps, n_neurons)`` of a :class:`~hetero_brian.results.SpikeTrains`, checked."""
    spikes = _spike_trains(spikes)
    return _checked_arrays(spikes.node_ids, spikes.timestamps, spikes.n_neurons)


def _checked_arrays(node_ids, timestamps, n_neurons):
    if isinstance(n_neurons, (bool, np.bool_)) or not isinstance(n_neurons, (int, np.integer)) or n_neurons <= 0:
        raise ValueError(f"n_neurons must be a positive integer; got {n_neurons!r}")
    node_ids = np.asarray(node_ids)
    if node_ids.size and not np.issubdtype(node_ids.dtype, np.integer):
        raise ValueError(f"node_ids must be integers; got dtype {node_ids.dtype}")
    node_ids = node_ids.astype(np.int64).ravel()
    timestamps = to_si(timestamps, "second", "timestamps").ravel()
    if node_ids.shape != timestamps.shape:
        raise ValueError(f"node_ids and timestamps must have equal lengths; got {node_ids.size} and {timestamps.size}")
    if node_ids.size and (node_ids.min() < 0 or node_ids.max() >= n_neurons):
        raise ValueError(f"node_ids must lie in [0, n_neurons={n_neurons}); got [{node_ids.min()}, {node_ids.max()}]")
    if not np.all(np.isfinite(timestamps)):
        raise ValueError("timestamps must be finite")
    return node_ids, timestamps, int(n_neurons)


def check_sample_boundaries(sample_boundaries):
    """Validate sample windows: shape ``(n_samples, 2)``, ``t_start < t_stop``, sorted, not overlapping.

    Parameters
    ----------
    sample_boundaries : array_like, shape (n_samples, 2)
        ``[t_start, t_stop)`` of each sample in seconds.

    Returns
    -------
    numpy.ndarray of float64, shape (n_samples, 2)
    """
    boundaries = to_si(sample_boundaries, "second", "sample_boundaries")
    if boundaries.ndim != 2 or boundaries.shape[1] != 2 or boundaries.shape[0] == 0:
        raise ValueError(f"sample_boundaries must have shape (n_samples, 2) with n_samples >= 1; got {boundaries.shape}")
    if not np.all(np.isfinite(boundaries)):
        raise ValueError("sample_boundaries must be finite")
    bad = np.flatnonzero(~(boundaries[:, 1] > boundaries[:, 0]))
    if bad.size:
        s = int(bad[0])
        raise ValueError(f"sample_boundaries need t_stop > t_start; sample {s} has "
                         f"[{boundaries[s, 0]:g}, {boundaries[s, 1]:g}) s")
    overlap = np.flatnonzero(boundaries[1:, 0] < boundaries[:-1, 1])
    if overlap.size:
        s = int(overlap[0])
        raise ValueError(f"sample_boundaries must be sorted and not overlap; sample {s + 1} starts at "
                         f"{boundaries[s + 1, 0]:g} s, before sample {s} ends at {boundaries[s, 1]:g} s")
    return boundaries


def _check_bins(n_bins):
    if isinstance(n_bins, (bool, np.bool_)) or not isinstance(n_bins, (int, np.integer)) or n_bins <= 0:
        raise ValueError(f"n_bins must be a positive integer; got {n_bins!r}")
    return int(n_bins)


def _assign(timestamps, boundaries):
    """Sample index of each spike (-1 outside every window)."""
    sample = np.searchsorted(boundaries[:, 0], timestamps, side="right") - 1
    inside = sample >= 0
    inside[inside] &= timestamps[inside] < boundaries[sample[inside], 1]
    return np.where(inside, sample, -1)


def sample_spike_counts(spikes, sample_boundaries, n_bins=1):
    """Spike counts of every neuron in ``n_bins`` equal bins of every sample window.

    Parameters
    ----------
    spikes : SpikeTrains
        Spikes of one population (``n_neurons`` >= 1, times in s).
    sample_boundaries : array_like, shape (n_samples, 2)
        ``[t_start, t_stop)`` of each sample in seconds (sorted, not overlapping).
    n_bins : int
        Bins per sample; bin ``b`` of sample ``s`` is
        ``[t_start + b w, t_start + (b + 1) w)`` with ``w = (t_stop - t_start) / n_bins``.

    Returns
    -------
    numpy.ndarray of int64, shape (n_samples, n_bins, n_neurons)
        ``counts[s, b, i]``; reshape to ``(n_samples, -1)`` for a readout.
    """
    node_ids, timestamps, n_neurons = _check_spikes(spikes)
    boundaries = check_sample_boundaries(sample_boundaries)
    n_bins = _check_bins(n_bins)
    n_samples = boundaries.shape[0]
    sample = _assign(timestamps, boundaries)
    keep = sample >= 0
    sample, node_ids, timestamps = sample[keep], node_ids[keep], timestamps[keep]
    start, width = boundaries[sample, 0], (boundaries[sample, 1] - boundaries[sample, 0]) / n_bins
    bins = np.minimum(np.floor((timestamps - start) / width).astype(np.int64), n_bins - 1)
    flat = (sample * n_bins + bins) * n_neurons + node_ids
    counts = np.bincount(flat, minlength=n_samples * n_bins * n_neurons)
    return counts.reshape(n_samples, n_bins, n_neurons).astype(np.int64)


def filtered_traces(spikes, sample_boundaries, tau, n_bins=1):
    """Exponentially filtered spike trains sampled at the end of each bin of each sample window.

    Parameters
    ----------
    spikes, sample_boundaries, n_bins
        As in :func:`sample_spike_counts`.
    tau : float or brian2 Quantity
        Filter time constant in seconds (> 0).

    Returns
    -------
    numpy.ndarray of float64, shape (n_samples, n_bins, n_neurons)
        ``traces[s, b, i]`` (dimensionless: each spike adds 1, then decays).

    Notes
    -----
    With ``t_s`` the start of sample ``s`` and ``e_{s,b} = t_s + (b + 1) w`` the end of its bin ``b``:

    .. math::

        x_i(e_{s,b}) = \\sum_{k:\\ t_s \\le t^i_k < e_{s,b}} \\exp\\left(-\\frac{e_{s,b} - t^i_k}{\\tau}\\right)

    i.e. the trace ``tau dx/dt = -x``, ``x -> x + 1`` at each spike, started at zero at ``t_s``.
    """
    node_ids, timestamps, n_neurons = _check_spikes(spikes)
    boundaries = check_sample_boundaries(sample_boundaries)
    n_bins = _check_bins(n_bins)
    tau = float(to_si(tau, "second", "tau"))
    if not tau > 0 or not np.isfinite(tau):
        raise ValueError(f"tau must be a positive finite time in seconds; got {tau!r}")
    n_samples = boundaries.shape[0]
    sample = _assign(timestamps, boundaries)
    keep = sample >= 0
    sample, node_ids, timestamps = sample[keep], node_ids[keep], timestamps[keep]
    start, width = boundaries[sample, 0], (boundaries[sample, 1] - boundaries[sample, 0]) / n_bins
    traces = np.zeros((n_samples, n_bins, n_neurons))
    for b in range(n_bins):
        end = start + (b + 1) * width
        if b == n_bins - 1:
            end = boundaries[sample, 1]
        before = timestamps < end
        weights = np.exp(-(end[before] - timestamps[before]) / tau)
        flat = sample[before] * n_neurons + node_ids[before]
        traces[:, b, :] = np.bincount(flat, weights, minlength=n_samples * n_neurons).reshape(n_samples, n_neurons)
    return traces


def period_boundaries(sample_boundaries, t_stop=None):
    """Boundaries ``(n_samples + 1,)`` of whole periods: each sample's window plus the rest after it.

    Period ``s`` is ``[t_start[s], t_start[s + 1])``, the last one ends at ``t_stop`` (default: the
    last window's end plus the gap between the previous two starts minus their window, i.e. the same
    rest). Use them to count spikes or synaptic operations per sample *including* the rest, the
    whole cost of processing one sample (``hetero_brian.analysis.energy.synaptic_operations_per_sample``).

    Parameters
    ----------
    sample_boundaries : array_like, shape (n_samples, 2)
        Seconds.
    t_stop : float or brian2 Quantity, optional
        End of the last period in seconds (>= the last window's end).

    Returns
    -------
    numpy.ndarray of float64, shape (n_samples + 1,)
    """
    boundaries = check_sample_boundaries(sample_boundaries)
    if t_stop is None:
        rest = boundaries[1, 0] - boundaries[0, 1] if boundaries.shape[0] > 1 else 0.0
        t_stop = boundaries[-1, 1] + rest
    else:
        t_stop = float(to_si(t_stop, "second", "t_stop"))
        if t_stop < boundaries[-1, 1]:
            raise ValueError(f"t_stop must be >= the end of the last sample ({boundaries[-1, 1]:g} s); got {t_stop:g} s")
    return np.concatenate([boundaries[:, 0], [t_stop]])


__all__ = ["sample_spike_counts", "filtered_traces", "check_sample_boundaries", "period_boundaries"]
