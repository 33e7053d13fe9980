"""Firing rates of one population: per neuron, population mean, silent fraction, per sample, in time.

Every function takes a :class:`~hetero_brian.results.SpikeTrains` (``node_ids``, ``timestamps`` in
s, ``n_neurons``) and, where it needs one, the analysis window ``t_start``/``t_stop`` in seconds as
keyword arguments (brian2 quantities are accepted as well); spikes outside the window are ignored
(see :mod:`hetero_brian.analysis.spike_arrays`). :func:`rate_sanity` gates a network's activity
before the statistics of :mod:`~hetero_brian.analysis.spike_intervals` and
:mod:`~hetero_brian.analysis.spike_counts` are worth computing.

Empty trains: rates are zero.

Examples
--------
>>> from hetero_brian.results import SpikeTrains
>>> spikes = SpikeTrains(node_ids=[0, 0, 0, 1], timestamps=[0.1, 0.2, 0.3, 0.5], n_neurons=3)
>>> firing_rates(spikes, t_start=0.0, t_stop=1.0)
array([3., 1., 0.])
>>> fraction_silent(spikes, t_start=0.0, t_stop=1.0)
0.3333333333333333
"""
from dataclasses import dataclass

import numpy as np

from hetero_brian.analysis._spike_checks import _positive_time
from hetero_brian.units import to_si
from hetero_brian.analysis.spike_arrays import _bin_count, _bin_index, sort_spikes
from hetero_brian.errors import DegenerateNetworkError

__all__ = [
    "firing_rates", "mean_firing_rate", "fraction_silent", "spikes_per_neuron_per_sample",
    "population_rate", "RateSanityReport", "rate_sanity",
]


# ----------------------------------------------------------------------------------------------
# rates
# ----------------------------------------------------------------------------------------------
def firing_rates(spikes, *, t_start, t_stop):
    """Firing rate of each neuron, ``count / (t_stop - t_start)``, in Hz; shape (n_neurons,)."""
    spikes = sort_spikes(spikes, t_start=t_start, t_stop=t_stop, sort=False)
    return spikes.counts / spikes.duration


def mean_firing_rate(spikes, *, t_start, t_stop):
    """Population-averaged firing rate in Hz: ``n_spikes / (n_neurons (t_stop - t_start))``."""
    spikes = sort_spikes(spikes, t_start=t_start, t_stop=t_stop, sort=False)
    return spikes.node_ids.size / (spikes.n_neurons * spikes.duration)


def fraction_silent(spikes, *, t_start, t_stop, min_spikes=1):
    """Fraction of neurons with fewer than ``min_spikes`` spikes in the window (in [0, 1])."""
    if int(min_spikes) < 1:
        raise ValueError(f"min_spikes must be >= 1; got {min_spikes!r}")
    spikes = sort_spikes(spikes, t_start=t_start, t_stop=t_stop, sort=False)
    return float(np.mean(spikes.counts < int(min_spikes)))


def spikes_per_neuron_per_sample(spikes, sample_boundaries):
    """Mean number of spikes per neuron in each sample (presentation).

    Parameters
    ----------
    spikes : SpikeTrains
        Spikes of one population (times in s).
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
    spikes = sort_spikes(spikes, t_start=boundaries[0], t_stop=boundaries[-1], sort=False)
    sample = np.searchsorted(boundaries, spikes.timestamps, side="right") - 1
    counts = np.bincount(sample, minlength=boundaries.size - 1)
    return counts / spikes.n_neurons


# ----------------------------------------------------------------------------------------------
# population rate in time
# ----------------------------------------------------------------------------------------------
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


def population_rate(spikes, bin_size, *, t_start, t_stop, kernel=None, width=None):
    """Population firing rate (per neuron, Hz) in bins, optionally smoothed.

    Parameters
    ----------
    spikes : SpikeTrains
        Spikes of one population (times in s).
    t_start, t_stop : float or Quantity
        Analysis window in seconds; a trailing partial bin is dropped.
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
    spikes = sort_spikes(spikes, t_start=t_start, t_stop=t_stop, sort=False)
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


def rate_sanity(spikes, *, t_start, t_stop, min_mean_rate=0.1, max_mean_rate=200.0, max_fraction_silent=0.95):
    """Check that a network's activity is worth analysing: neither silent nor runaway.

    Parameters
    ----------
    spikes : SpikeTrains
        Spikes of one population (times in s).
    t_start, t_stop : float or Quantity
        Analysis window in seconds.
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
    spikes = sort_spikes(spikes, t_start=t_start, t_stop=t_stop, sort=False)
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
