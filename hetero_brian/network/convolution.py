"""Convolution and average pooling as explicit connectivity with shared weight values.

A convolutional layer of a converted SNN is a projection whose synapse ``(i, j)`` carries the
kernel entry that links input pixel ``i`` to output pixel ``j``: every output position reuses the
same kernel values (weight sharing), stated here as ordinary ``(i, j, w)`` arrays that any
:class:`~hetero_brian.network.spec.Projection` can hold. Neurons are numbered channel-major
(``index = (channel * height + row) * width + column``, numpy's C order of ``(C, H, W)``).

:func:`convolution_entries` states the sharing itself: for every synapse the index of the kernel
entry it carries, so trained kernels can be written back onto the same synapses.

The operation is cross-correlation (no kernel flip), as in PyTorch's ``Conv2d`` and
``scipy.signal.correlate2d(..., mode="valid")``.
"""
import numpy as np

__all__ = ["convolution_entries", "convolution_connectivity", "average_pooling_connectivity", "connectivity_matrix",
           "output_shape"]


def _check_shape(shape, name):
    shape = tuple(int(n) for n in shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"{name} must be (channels, height, width) with positive sizes; got {shape}")
    return shape


def _check_positive_integer(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")


def output_shape(input_shape, kernel_size, stride=1, padding=0):
    """``(height, width)`` of a 'valid' sliding window over a zero-padded input."""
    _, height, width = _check_shape(input_shape, "input_shape")
    out_height = (height + 2 * padding - kernel_size[0]) // stride + 1
    out_width = (width + 2 * padding - kernel_size[1]) // stride + 1
    if out_height < 1 or out_width < 1:
        raise ValueError(f"kernel {kernel_size} with padding {padding} does not fit input {input_shape}")
    return out_height, out_width


def convolution_entries(input_shape, kernel_shape, stride=1, padding=0):
    """Every synapse of a 2-D convolution and the kernel entry it carries (weight sharing stated as indices).

    Parameters
    ----------
    input_shape : tuple of int
        ``(channels, height, width)`` of the presynaptic layer.
    kernel_shape : tuple of int
        ``(out_channels, channels, kernel_height, kernel_width)``.
    stride, padding : int
        Step of the window and zero padding on every side (padded pixels get no synapses).

    Returns
    -------
    i, j : numpy.ndarray of int64
        Presynaptic and postsynaptic indices, sorted by ``i`` then ``j``.
    entry : numpy.ndarray of int64
        Flat (C-order) index into the kernel array of each synapse's shared value.
    shape : tuple of int
        ``(out_channels, out_height, out_width)`` of the postsynaptic layer.
    """
    channels, height, width = _check_shape(input_shape, "input_shape")
    kernel_shape = tuple(int(n) for n in kernel_shape)
    if len(kernel_shape) != 4 or kernel_shape[1] != channels or min(kernel_shape) < 1:
        raise ValueError(f"kernels must have shape (out_channels, {channels}, kh, kw); got {kernel_shape}")
    _check_positive_integer(stride, "stride")
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or padding < 0:
        raise ValueError(f"padding must be an integer >= 0; got {padding!r}")
    out_channels, _, kernel_height, kernel_width = kernel_shape
    out_height, out_width = output_shape(input_shape, (kernel_height, kernel_width), stride, padding)
    o, c, a, b, r, q = np.meshgrid(np.arange(out_channels), np.arange(channels), np.arange(kernel_height),
                                   np.arange(kernel_width), np.arange(out_height), np.arange(out_width), indexing="ij")
    row = r * stride + a - padding
    column = q * stride + b - padding
    inside = (row >= 0) & (row < height) & (column >= 0) & (column < width)
    i = ((c * height + row) * width + column)[inside]
    j = ((o * out_height + r) * out_width + q)[inside]
    entry = (((o * channels + c) * kernel_height + a) * kernel_width + b)[inside]
    order = np.lexsort((j, i))
    return (i[order].astype(np.int64), j[order].astype(np.int64), entry[order].astype(np.int64),
            (out_channels, out_height, out_width))


def convolution_connectivity(input_shape, kernels, stride=1, padding=0):
    """Synapses of a 2-D convolution (cross-correlation) without bias.

    Parameters
    ----------
    input_shape : tuple of int
        ``(channels, height, width)`` of the presynaptic layer.
    kernels : array_like, shape (out_channels, channels, kernel_height, kernel_width)
        Shared weights (dimensionless).
    stride, padding : int
        Step of the window and zero padding on every side (padded pixels get no synapses).

    Returns
    -------
    i, j : numpy.ndarray of int64
        Presynaptic and postsynaptic indices, sorted by ``i`` then ``j``.
    w : numpy.ndarray of float64
        The kernel entry of each synapse (zero entries are left out).
    shape : tuple of int
        ``(out_channels, out_height, out_width)`` of the postsynaptic layer.
    """
    kernels = np.asarray(kernels, dtype=np.float64)
    if kernels.ndim != 4:
        raise ValueError(f"kernels must have shape (out_channels, channels, kh, kw); got {kernels.shape}")
    i, j, entry, shape = convolution_entries(input_shape, kernels.shape, stride, padding)
    w = kernels.ravel()[entry]
    keep = w != 0
    return i[keep], j[keep], w[keep], shape


def average_pooling_connectivity(input_shape, size):
    """Synapses of non-overlapping average pooling: weight ``1 / size**2`` from each window pixel.

    Returns
    -------
    i, j, w, shape
        As :func:`convolution_connectivity`; channels are pooled separately.
    """
    channels, _, _ = _check_shape(input_shape, "input_shape")
    _check_positive_integer(size, "size")
    kernels = np.zeros((channels, channels, size, size))
    kernels[np.arange(channels), np.arange(channels)] = 1.0 / size ** 2
    return convolution_connectivity(input_shape, kernels, stride=size)


def connectivity_matrix(i, j, w, n_pre, n_post):
    """Dense ``(n_post, n_pre)`` weight matrix of ``(i, j, w)`` synapses (duplicates summed)."""
    matrix = np.zeros((int(n_post), int(n_pre)))
    np.add.at(matrix, (np.asarray(j), np.asarray(i)), np.asarray(w, dtype=np.float64))
    return matrix
