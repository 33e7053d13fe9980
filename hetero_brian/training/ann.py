"""Bias-free ReLU networks (MLP and a small CNN) in PyTorch, their training, and their conversion.

Only layers with an exact spiking counterpart are accepted: ``Linear`` and ``Conv2d`` without bias,
``ReLU``, ``AvgPool2d`` (non-overlapping) and ``Flatten``; anything else raises
:class:`UnsupportedLayerError` naming the layer. :func:`to_converted_network` writes every
convolution as explicit connectivity (:mod:`hetero_brian.network.convolution`) and folds each
average pooling (linear) into the next weight layer.
"""
import numpy as np

from ..network.convolution import average_pooling_connectivity, connectivity_matrix, convolution_entries
from ._torch import torch
from .conversion import ConvertedNetwork, SharedWeights

__all__ = ["UnsupportedLayerError", "relu_mlp", "small_cnn", "train_ann", "ann_accuracy", "ann_macs",
           "to_converted_network"]

nn = torch.nn


class UnsupportedLayerError(ValueError):
    """A layer of the ANN has no exact integrate-and-fire counterpart."""


def relu_mlp(n_inputs=784, hidden=(256, 128), n_outputs=10, seed=0):
    """A bias-free ReLU multilayer perceptron (``Flatten`` first), seeded."""
    torch.manual_seed(seed)
    layers, previous = [nn.Flatten()], n_inputs
    for size in hidden:
        layers += [nn.Linear(previous, size, bias=False), nn.ReLU()]
        previous = size
    layers.append(nn.Linear(previous, n_outputs, bias=False))
    return nn.Sequential(*layers).double()


def small_cnn(channels=8, n_outputs=10, seed=0, input_shape=(1, 28, 28)):
    """Bias-free CNN: conv 5x5 -> ReLU -> avgpool 2 -> linear 128 -> ReLU -> linear, seeded.

    ``input_shape`` is ``(1, height, width)`` (default MNIST's 28 x 28; FSDD log-mel images are
    ``(1, n_mels, n_frames)``).
    """
    _, height, width = (int(n) for n in input_shape)
    if height < 6 or width < 6:
        raise ValueError(f"input_shape must be at least (1, 6, 6) for a 5x5 kernel and 2x2 pooling; got {input_shape}")
    torch.manual_seed(seed)
    pooled = ((height - 4) // 2) * ((width - 4) // 2)
    return nn.Sequential(nn.Conv2d(1, channels, 5, bias=False), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
                         nn.Linear(channels * pooled, 128, bias=False), nn.ReLU(),
                         nn.Linear(128, n_outputs, bias=False)).double()


def train_ann(model, images, labels, epochs=5, batch_size=64, learning_rate=1e-3, seed=0):
    """Train with Adam and cross-entropy (float64, one thread); returns the per-epoch mean losses.

    Parameters
    ----------
    images : numpy.ndarray
        ``(n_samples, *input_shape)`` values in [0, 1] (for the CNN: ``(n, 1, 28, 28)``).
    labels : numpy.ndarray of int
    """
    generator = np.random.default_rng(seed)
    torch.manual_seed(seed)
    x = torch.as_tensor(np.asarray(images, dtype=np.float64))
    y = torch.as_tensor(np.asarray(labels, dtype=np.int64))
    optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate)
    losses = []
    for _ in range(epochs):
        order = torch.as_tensor(generator.permutation(len(y)))
        total = 0.0
        for start in range(0, len(y), batch_size):
            batch = order[start:start + batch_size]
            optimiser.zero_grad()
            loss = nn.functional.cross_entropy(model(x[batch]), y[batch])
            loss.backward()
            optimiser.step()
            total += loss.item() * len(batch)
        losses.append(total / len(y))
    return losses


def ann_accuracy(model, images, labels):
    """Fraction of correctly classified samples."""
    with torch.no_grad():
        scores = model(torch.as_tensor(np.asarray(images, dtype=np.float64)))
    return float(np.mean(scores.argmax(dim=1).numpy() == np.asarray(labels)))


def _layers(model):
    return list(model) if isinstance(model, nn.Sequential) else [model]


def to_converted_network(model, input_shape, thresholds=None):
    """Weight matrices of a bias-free ReLU network as a :class:`~.conversion.ConvertedNetwork`.

    Parameters
    ----------
    model : torch.nn.Sequential
    input_shape : tuple of int
        Shape of one sample, e.g. ``(28, 28)`` for the MLP or ``(1, 28, 28)`` for the CNN.
    thresholds : sequence of float, optional
        Default 1 for every hidden layer (balance them with :mod:`.threshold_balancing`).

    Raises
    ------
    UnsupportedLayerError
        For a layer other than Flatten, Linear/Conv2d without bias, ReLU, non-overlapping AvgPool2d,
        or when a weight layer does not follow a ReLU (except the last).
    """
    shape = tuple(int(n) for n in input_shape)
    weights, sharing, pending, after_weight = [], [], None, False
    for index, layer in enumerate(_layers(model)):
        name = f"layer {index} ({type(layer).__name__})"
        if isinstance(layer, nn.Flatten):
            shape = (int(np.prod(shape)),)
            continue
        if isinstance(layer, nn.ReLU):
            if not after_weight:
                raise UnsupportedLayerError(f"{name}: a ReLU must follow a Linear or Conv2d layer")
            after_weight = False
            continue
        if isinstance(layer, (nn.Linear, nn.Conv2d)) and layer.bias is not None:
            raise UnsupportedLayerError(f"{name}: layers with a bias are not supported (build it with bias=False)")
        if after_weight:
            raise UnsupportedLayerError(f"{name}: every weight layer but the last must be followed by ReLU")
        if isinstance(layer, nn.Linear):
            if shape != (layer.in_features,):
                raise UnsupportedLayerError(f"{name}: takes {layer.in_features} inputs but gets shape {shape}")
            values = layer.weight.detach().double().numpy().copy()
            index = np.arange(values.size).reshape(values.shape)
            shape = (layer.out_features,)
        elif isinstance(layer, nn.Conv2d):
            if layer.groups != 1 or layer.dilation != (1, 1) or len(set(layer.stride)) != 1 or len(set(layer.padding)) != 1:
                raise UnsupportedLayerError(f"{name}: only square stride/padding, no groups or dilation")
            if len(shape) != 3:
                raise UnsupportedLayerError(f"{name}: needs a (channels, height, width) input; gets shape {shape}")
            values = layer.weight.detach().double().numpy().copy()
            i, j, entry, out = convolution_entries(shape, values.shape, layer.stride[0], layer.padding[0])
            index = np.full((int(np.prod(out)), int(np.prod(shape))), -1, dtype=np.int64)
            index[j, i] = entry
            shape = out
        elif isinstance(layer, nn.AvgPool2d):
            size = layer.kernel_size if isinstance(layer.kernel_size, int) else layer.kernel_size[0]
            stride = layer.stride if isinstance(layer.stride, int) else layer.stride[0]
            if stride != size or layer.padding not in (0, (0, 0)):
                raise UnsupportedLayerError(f"{name}: only non-overlapping pooling without padding")
            i, j, w, out = average_pooling_connectivity(shape, size)
            pooling = connectivity_matrix(i, j, w, int(np.prod(shape)), int(np.prod(out)))
            pending = pooling if pending is None else pooling @ pending
            shape = out
            continue
        else:
            raise UnsupportedLayerError(f"{name}: unsupported layer type {type(layer).__name__} "
                                        f"(supported: Flatten, Linear, Conv2d, ReLU, AvgPool2d)")
        shared = _shared_through_pooling(index, values, pending, convolution=isinstance(layer, nn.Conv2d))
        weights.append(shared.matrix() if shared is not None else values)
        sharing.append(shared)
        pending, after_weight = None, True
    if pending is not None or not weights:
        raise UnsupportedLayerError("the network must end with a Linear or Conv2d layer (the output)")
    n_hidden = len(weights) - 1
    return ConvertedNetwork(weights, thresholds if thresholds is not None else [1.0] * n_hidden,
                            input_shape=tuple(int(n) for n in input_shape), sharing=sharing)


def _shared_through_pooling(index, values, pooling, convolution):
    """The sharing of ``values[index]`` after the folded (non-overlapping) average ``pooling`` matrix, or None.

    Each presynaptic pixel feeds at most one pooled pixel with the same weight ``1 / s**2``, so the
    folded weight of pixel ``i`` is ``scale * values[index[:, p(i)]]`` (``p(i)`` its pooled pixel).
    A plain linear layer without pooling shares nothing (None).
    """
    if pooling is None:
        return SharedWeights(index, values) if convolution else None
    pooled = np.argmax(pooling != 0, axis=0)
    present = np.any(pooling != 0, axis=0)
    scales = np.unique(pooling[pooling != 0])
    if scales.size != 1:
        raise UnsupportedLayerError(f"average pooling with unequal weights {scales} cannot be folded")
    folded = np.where(present[None, :], index[:, pooled], -1)
    return SharedWeights(folded, values, float(scales[0]))


def ann_macs(network):
    """Multiply-accumulates of one ANN inference: the non-zero weights of every layer."""
    return int(sum(np.count_nonzero(w) for w in network.weights))
