"""Threshold balancing of converted SNNs: one firing threshold per hidden layer.

Three published rules, each returning the thresholds of :class:`~.conversion.ConvertedNetwork`
(weights unchanged). With layer statistic ``lambda_l`` of the ANN's ReLU activations (``lambda_0 = 1``
for inputs in [0, 1]), scaling the weights by ``lambda_{l-1} / lambda_l`` with threshold 1 is the
same network as keeping the weights with threshold ``lambda_l / lambda_{l-1}``; the latter is used.

- ``"max"``: ``lambda_l`` is the maximum activation of layer ``l`` over the normalisation set
  (data-based normalisation, Diehl et al., IJCNN 2015).
- ``"percentile"``: ``lambda_l`` is the ``p``-th percentile (default 99.9) of layer ``l``'s
  activations, robust to outliers (Rueckauer et al., Front. Neurosci. 11:682, 2017).
- ``"spike_norm"``: layer by layer, the threshold is the largest synaptic input the layer receives
  in any one time step when the converted network (earlier layers already balanced) is driven by
  Poisson spikes (Sengupta, Ye, Wang, Liu & Roy, "Going deeper in spiking neural networks: VGG and
  residual architectures", Front. Neurosci. 13:95, 2019).
"""
import numpy as np

from .conversion import ConvertedNetwork, check_images, check_n_steps, poisson_raster, simulate_converted

__all__ = ["METHODS", "relu_activations", "layer_statistics", "balance_thresholds", "spike_norm_thresholds"]

METHODS = ("max", "percentile", "spike_norm")


def relu_activations(weights, images):
    """ReLU activations of every hidden layer of a bias-free network (float64).

    Parameters
    ----------
    weights : sequence of numpy.ndarray
        ``(n_post, n_pre)`` matrices.
    images : numpy.ndarray, shape (n_samples, n_inputs)

    Returns
    -------
    list of numpy.ndarray
        One ``(n_samples, n_neurons)`` array per hidden layer (the output layer is not included).
    """
    activations, values = [], np.asarray(images, dtype=np.float64)
    for w in weights[:-1]:
        values = np.maximum(values @ np.asarray(w, dtype=np.float64).T, 0.0)
        activations.append(values)
    return activations


def layer_statistics(activations, method="max", percentile=99.9):
    """``lambda_l`` of each layer: the maximum, or the given percentile, of its activations."""
    if method not in ("max", "percentile"):
        raise ValueError(f"layer statistic must be 'max' or 'percentile'; got {method!r}")
    if not 0 < percentile <= 100:
        raise ValueError(f"percentile must lie in (0, 100]; got {percentile!r}")
    statistics = []
    for index, values in enumerate(activations):
        value = float(np.max(values)) if method == "max" else float(np.percentile(values, percentile))
        if not value > 0:
            raise ValueError(f"layer {index + 1} never activates on the normalisation images: cannot balance it")
        statistics.append(value)
    return statistics


def spike_norm_thresholds(network, images, n_steps, rng=0):
    """Spike-based normalisation (Sengupta et al. 2019), layer by layer.

    Parameters
    ----------
    network : ConvertedNetwork
        Its thresholds are replaced one layer at a time.
    images : array_like
        Normalisation images (values in [0, 1]).
    n_steps : int
        Time steps of each normalisation run.
    rng : int or numpy.random.Generator
        Seed of the Poisson input (the same spikes for every layer's run).

    Returns
    -------
    list of float
    """
    n_steps = check_n_steps(n_steps)
    images = check_images(network, images)
    generator = np.random.default_rng(rng)
    rasters = np.stack([poisson_raster(image, n_steps, generator) for image in images])
    thresholds = list(network.thresholds)
    for layer in range(len(thresholds)):
        current = network.with_thresholds(thresholds)
        run = simulate_converted(current, images, n_steps, "poisson", rasters=rasters, record_spikes=True, n_layers=layer)
        incoming = rasters.transpose(1, 0, 2) if layer == 0 else run.spikes[layer - 1]
        largest = float(np.max(incoming.astype(np.float64) @ current.weights[layer].T))
        if not largest > 0:
            raise ValueError(f"layer {layer + 1} receives no positive input on the normalisation images")
        thresholds[layer] = largest
    return thresholds


def balance_thresholds(network, images, method="max", percentile=99.9, n_steps=100, rng=0):
    """Thresholds of every hidden layer by one of :data:`METHODS`.

    Parameters
    ----------
    network : ConvertedNetwork
        Weights to balance (their current thresholds are ignored).
    images : array_like
        Normalisation images (a subset of the training set), values in [0, 1].
    method : {"max", "percentile", "spike_norm"}
    percentile : float
        Percentile of ``"percentile"`` (99.9 as in Rueckauer et al. 2017).
    n_steps, rng :
        Time steps and Poisson seed of ``"spike_norm"``.

    Returns
    -------
    ConvertedNetwork
        The network with balanced thresholds.
    """
    if not isinstance(network, ConvertedNetwork):
        raise TypeError(f"network must be a ConvertedNetwork; got {type(network).__name__}")
    if method not in METHODS:
        raise ValueError(f"threshold balancing method must be one of {METHODS}; got {method!r}")
    if method == "spike_norm":
        return network.with_thresholds(spike_norm_thresholds(network, images, n_steps, rng))
    statistics = layer_statistics(relu_activations(network.weights, check_images(network, images)), method, percentile)
    previous = [1.0] + statistics[:-1]
    return network.with_thresholds([value / before for value, before in zip(statistics, previous)])
