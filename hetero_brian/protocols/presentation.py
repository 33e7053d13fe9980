"""Presenting samples to Diehl & Cook ensembles: input rows, Poisson rasters, per-sample spike counts.

Each sample is shown for ``t_present`` (channel rate ``intensity * (max_rate + boost)``) and followed by
``t_rest`` of silence; ``images_per_run`` samples make the input of one run of a compiled binary. These
pure functions (numpy in, numpy out, ``rng`` passed in) are shared by
:class:`~hetero_brian.protocols.diehl_cook.DiehlCookNetwork` and
:class:`~hetero_brian.protocols.multimodal.MultimodalNetwork`.
"""
import numpy as np

from ..inputs import poisson_encode, stimulus_sequence, to_dense_raster


def presentation_rates(parameters, intensities, boosts):
    """Rows of a :class:`RateInput` presenting samples one after another, and their windows.

    Parameters
    ----------
    parameters : DiehlCookParameters
        Presentation protocol (``t_present``, ``t_rest``, ``dt``, ``row_steps``) and ``max_rate``.
    intensities : array_like, shape (n_samples, n_channels)
        Intensities in [0, 1]; channel rate ``intensity * (max_rate + boost)`` during the
        presentation, 0 during the rest.
    boosts : sequence of float
        Extra maximum rate per sample (Hz).

    Returns
    -------
    rates : ndarray, shape (n_samples * rows_per_sample, n_channels)
        Rates in Hz.
    windows : ndarray, shape (n_samples, 2)
        Start and end (s) of each presentation within the run.
    """
    p = parameters
    intensities = np.asarray(intensities, dtype=float)
    rows_present = int(round(float(p.t_present) / float(p.dt))) // p.row_steps
    rows_per_sample = p.steps_per_image // p.row_steps
    rates = np.zeros((rows_per_sample * len(intensities), intensities.shape[1]))
    for k, (row, boost) in enumerate(zip(intensities, boosts)):
        rates[k * rows_per_sample:k * rows_per_sample + rows_present] = row * (float(p.max_rate) + boost)
    starts = p.steps_per_image * float(p.dt) * np.arange(len(intensities))
    return rates, np.stack([starts, starts + float(p.t_present)], axis=1)


def presentation_raster(parameters, intensities, boosts, n_steps, rng):
    """Host-drawn Poisson spikes presenting samples one after another, as a 0/1 raster, and their windows.

    Parameters
    ----------
    parameters : DiehlCookParameters
        Presentation protocol (``t_present``, ``t_rest``, ``dt``) and ``max_rate``.
    intensities : array_like, shape (n_samples, n_channels)
        Intensities in [0, 1] (rate ``intensity * (max_rate + boost)`` during the presentation).
    boosts : sequence of float
        Extra maximum rate per sample (Hz).
    n_steps : int
        Rows of the raster (steps of ``dt``; the built input's length).
    rng : numpy.random.Generator

    Returns
    -------
    raster : ndarray of uint8, shape (n_steps, n_channels)
    windows : ndarray, shape (n_samples, 2)
        Start and end (s) of each presentation within the run.
    """
    p = parameters
    dt, t_present = float(p.dt), float(p.t_present)
    intensities = np.asarray(intensities, dtype=float)
    samples = [poisson_encode(row * (float(p.max_rate) + boost), dt, rng, duration=t_present)
               for row, boost in zip(intensities, boosts)]
    stimulus, windows = stimulus_sequence(samples, t_present, float(p.t_rest), dt=dt)
    raster = to_dense_raster(stimulus.indices, stimulus.times, intensities.shape[1], dt, n_steps * dt)
    return raster, windows


def window_counts(spikes, windows, n_neurons):
    """Spikes of each neuron inside each presentation window.

    Parameters
    ----------
    spikes : SpikeTrains
        Spikes of one run (times in s).
    windows : ndarray, shape (n_samples, 2)
        ``[start, stop)`` of each presentation (s), in increasing order.
    n_neurons : int

    Returns
    -------
    ndarray of int, shape (n_samples, n_neurons)
    """
    sample = np.searchsorted(windows[:, 0], spikes.timestamps, side="right") - 1
    inside = (sample >= 0) & (spikes.timestamps < windows[np.maximum(sample, 0), 1])
    counts = np.zeros((len(windows), n_neurons), dtype=np.int64)
    np.add.at(counts, (sample[inside], spikes.node_ids[inside]), 1)
    return counts


def normalised_weights(weights, post, n_post, total, w_max):
    """Each postsynaptic neuron's input weights scaled to sum to ``total``, then clipped to ``[0, w_max]``.

    A neuron whose weights sum to 0 keeps them. Diehl & Cook's divisive weight normalisation (78 for
    784 MNIST inputs).

    Parameters
    ----------
    weights : ndarray
        One weight per synapse (dimensionless conductance jumps).
    post : ndarray of int
        Postsynaptic neuron of each synapse.
    n_post : int
        Number of postsynaptic neurons.
    total, w_max : float
    """
    sums = np.bincount(post, weights, minlength=n_post)
    factor = np.divide(total, sums, out=np.ones_like(sums), where=sums > 0)
    return np.clip(weights * factor[post], 0.0, w_max)


__all__ = ["presentation_rates", "presentation_raster", "window_counts", "normalised_weights"]
