"""ANN-to-SNN conversion: a bias-free ReLU network as integrate-and-fire layers, and its simulation.

A converted network keeps the ANN's weights (convolutions and average pooling already written as
explicit weight matrices by :mod:`hetero_brian.network.convolution`) and gives every hidden layer
integrate-and-fire neurons with reset by subtraction and a per-layer threshold (chosen by
:mod:`.threshold_balancing`); the output layer is a non-spiking accumulator whose largest potential
is the class. A ReLU activation ``a`` becomes a firing rate ``a / threshold`` spikes per step
(Diehl et al. 2015; Rueckauer et al. 2017), exact up to ``1 / n_steps`` while ``a <= threshold``.

Inputs: ``"direct"`` (the analog image enters the first layer as a constant current ``W_1 x``
every step; Rueckauer et al. 2017, Rathi & Roy 2021) or ``"poisson"`` (each pixel spikes in a step
with probability equal to its intensity in [0, 1]).

:func:`simulate_converted` is the float64 reference simulation (numpy, no PyTorch). With
``exact=True`` it sums each neuron's synaptic input in presynaptic order, as Brian2 delivers spikes,
so it gives bit-identical potentials and the same spikes as :mod:`.converted_export`.

References
----------
P. U. Diehl, D. Neil, J. Binas, M. Cook, S.-C. Liu, M. Pfeiffer, "Fast-classifying, high-accuracy
spiking deep networks through weight and threshold balancing", IJCNN 2015.
B. Rueckauer et al., Front. Neurosci. 11:682 (2017).
"""
from dataclasses import dataclass

import numpy as np

__all__ = ["ENCODINGS", "SharedWeights", "ConvertedNetwork", "ConvertedRun", "poisson_raster", "simulate_converted",
           "accuracy_curve", "check_n_steps", "check_images"]

ENCODINGS = ("direct", "poisson")


def check_n_steps(n_steps):
    """``n_steps`` as a positive int, or ValueError naming it."""
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps (time steps) must be a positive integer; got {n_steps!r}")
    return int(n_steps)


def check_request(network, encoding, n_steps):
    """Check a simulation request of a converted network; returns ``n_steps`` as an int.

    ``network`` must be a :class:`ConvertedNetwork`, ``encoding`` one of :data:`ENCODINGS` and
    ``n_steps`` a positive integer; otherwise TypeError or ValueError naming the argument.
    """
    if not isinstance(network, ConvertedNetwork):
        raise TypeError(f"network must be a ConvertedNetwork; got {type(network).__name__}")
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {ENCODINGS}; got {encoding!r}")
    return check_n_steps(n_steps)


@dataclass(frozen=True, eq=False)
class SharedWeights:
    """Weight sharing of one layer: every synapse carries ``scale`` times one entry of a parameter array.

    A convolution's synapses carry kernel entries (one value per kernel entry, reused at every
    output position); a layer after a folded average pooling of size ``s`` carries its ANN
    weights times ``scale = 1 / s**2`` (each pooled input pixel reuses one value).

    Parameters
    ----------
    index : numpy.ndarray of int, shape (n_post, n_pre)
        Flat index into ``values`` of each synapse; -1 where there is no synapse.
    values : numpy.ndarray of float
        The shared parameter (e.g. the kernels, shape ``(out_channels, channels, kh, kw)``).
    scale : float
        Fixed factor (dimensionless) from folded average pooling; 1 without pooling.
    """

    index: np.ndarray
    values: np.ndarray
    scale: float = 1.0

    def __post_init__(self):
        index = np.array(self.index, dtype=np.int64)
        values = np.array(self.values, dtype=np.float64)
        if index.ndim != 2 or index.min() < -1 or index.max() >= values.size:
            raise ValueError(f"index must be a (n_post, n_pre) matrix of -1 or indices into values ({values.size})")
        index.setflags(write=False)
        values.setflags(write=False)
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "scale", float(self.scale))

    def matrix(self, values=None):
        """The ``(n_post, n_pre)`` weight matrix ``scale * values[index]`` (0 where there is no synapse)."""
        values = self.values if values is None else np.asarray(values, dtype=np.float64)
        return np.where(self.index >= 0, self.scale * values.ravel()[np.maximum(self.index, 0)], 0.0)

    def with_values(self, values):
        """The same sharing with other values (e.g. trained kernels)."""
        return SharedWeights(self.index, np.asarray(values, dtype=np.float64).reshape(self.values.shape), self.scale)


@dataclass(frozen=True, eq=False)
class ConvertedNetwork:
    """A feed-forward SNN: weights, per-layer thresholds and leaks (float64).

    Parameters
    ----------
    weights : sequence of numpy.ndarray
        ``weights[l]`` has shape ``(n_post, n_pre)``; the first takes the flattened input, the last
        feeds the non-spiking output layer.
    thresholds : sequence of float
        One firing threshold (> 0) per spiking (hidden) layer: ``len(weights) - 1`` values.
    leaks : sequence of float, optional
        Per-step leak factor in [0, 1] per hidden layer (default 1: integrate-and-fire).
    input_shape : tuple of int
        Shape of one input sample (e.g. ``(28, 28)`` or ``(1, 28, 28)``).
    sharing : sequence of SharedWeights or None, optional
        Per weight layer, its weight sharing (convolution kernels, folded pooling) or None; a
        given sharing must reproduce ``weights[l]`` (checked, relative tolerance 1e-12).
    """

    weights: tuple
    thresholds: tuple
    leaks: tuple = None
    input_shape: tuple = None
    sharing: tuple = None

    def __post_init__(self):
        weights = tuple(np.array(w, dtype=np.float64) for w in self.weights)
        if not weights:
            raise ValueError("a converted network needs at least one weight matrix")
        for index, w in enumerate(weights):
            if w.ndim != 2:
                raise ValueError(f"weights[{index}] must be a (n_post, n_pre) matrix; got shape {w.shape}")
            if index and w.shape[1] != weights[index - 1].shape[0]:
                raise ValueError(f"weights[{index}] takes {w.shape[1]} inputs but layer {index} has "
                                 f"{weights[index - 1].shape[0]} neurons")
            if not np.all(np.isfinite(w)):
                raise ValueError(f"weights[{index}] holds NaN or Inf")
            w.setflags(write=False)
        thresholds = tuple(float(t) for t in self.thresholds)
        if len(thresholds) != len(weights) - 1:
            raise ValueError(f"thresholds: need one per hidden layer ({len(weights) - 1}); got {len(thresholds)}")
        for index, value in enumerate(thresholds):
            if not value > 0 or not np.isfinite(value):
                raise ValueError(f"thresholds[{index}] must be a finite threshold > 0; got {value!r} "
                                 f"(a negative or zero threshold is not allowed)")
        leaks = tuple(float(v) for v in self.leaks) if self.leaks is not None else (1.0,) * len(thresholds)
        if len(leaks) != len(thresholds) or not all(0.0 <= v <= 1.0 for v in leaks):
            raise ValueError(f"leaks must be {len(thresholds)} values in [0, 1]; got {leaks}")
        input_shape = tuple(int(n) for n in self.input_shape) if self.input_shape is not None else (weights[0].shape[1],)
        if int(np.prod(input_shape)) != weights[0].shape[1]:
            raise ValueError(f"input_shape {input_shape} has {int(np.prod(input_shape))} values but the first "
                             f"layer takes {weights[0].shape[1]}")
        sharing = tuple(self.sharing) if self.sharing is not None else (None,) * len(weights)
        if len(sharing) != len(weights):
            raise ValueError(f"sharing: need one entry (or None) per weight layer ({len(weights)}); got {len(sharing)}")
        for index, (shared, w) in enumerate(zip(sharing, weights)):
            if shared is None:
                continue
            if not isinstance(shared, SharedWeights) or shared.index.shape != w.shape:
                raise ValueError(f"sharing[{index}] must be SharedWeights with index shape {w.shape}")
            if not np.allclose(shared.matrix(), w, rtol=1e-12, atol=0.0):
                raise ValueError(f"sharing[{index}] does not reproduce weights[{index}] (not one value per shared entry)")
        for name, value in (("weights", weights), ("thresholds", thresholds), ("leaks", leaks), ("input_shape", input_shape),
                            ("sharing", sharing)):
            object.__setattr__(self, name, value)

    @property
    def layer_sizes(self):
        """Neurons per layer: input, hidden layers, output."""
        return (self.weights[0].shape[1],) + tuple(w.shape[0] for w in self.weights)

    @property
    def n_layers(self):
        """Number of weight layers (hidden spiking layers + the output layer)."""
        return len(self.weights)

    def with_thresholds(self, thresholds):
        """The same network with other thresholds."""
        return ConvertedNetwork(self.weights, thresholds, self.leaks, self.input_shape, self.sharing)


def check_images(network, images):
    """Images as a float64 ``(n_samples, n_inputs)`` array in [0, 1], or ValueError naming the shape."""
    images = np.asarray(images, dtype=np.float64)
    shape = tuple(network.input_shape)
    if images.shape[1:] == shape or (images.ndim == 2 and images.shape[1] == int(np.prod(shape))):
        images = images.reshape(images.shape[0], -1)
    elif images.shape == shape:
        images = images.reshape(1, -1)
    else:
        raise ValueError(f"wrong input shape: expected (n_samples, *{shape}) or {shape}; got {images.shape}")
    if images.size and (images.min() < 0 or images.max() > 1):
        raise ValueError("input values must lie in [0, 1] (scale pixels by 1/255)")
    return images


def poisson_raster(image, n_steps, rng):
    """Poisson spikes of one image: pixel ``p`` spikes in a step with probability ``x_p`` in [0, 1].

    Returns
    -------
    numpy.ndarray of uint8, shape (n_steps, n_inputs)
    """
    image = np.asarray(image, dtype=np.float64).ravel()
    rng = np.random.default_rng(rng)
    return (rng.random((check_n_steps(n_steps), image.size)) < image).astype(np.uint8)


@dataclass
class ConvertedRun:
    """Result of :func:`simulate_converted`.

    Attributes
    ----------
    output : numpy.ndarray, shape (n_steps, n_samples, n_outputs)
        Output potential after each step (cumulative input of the output layer).
    spike_counts : list of numpy.ndarray
        Per hidden layer, spikes per sample and neuron, shape ``(n_samples, n_neurons)``.
    input_spike_counts : numpy.ndarray or None
        Input spikes per sample and pixel (``"poisson"`` only).
    spikes : list of numpy.ndarray or None
        Per hidden layer, bool ``(n_steps, n_samples, n_neurons)`` (only with ``record_spikes``).
    spikes_per_step : numpy.ndarray
        Hidden spikes per step, layer and sample, averaged over samples: ``(n_steps, n_hidden_layers)``.
    """

    output: np.ndarray
    spike_counts: list
    input_spike_counts: object = None
    spikes: object = None
    spikes_per_step: object = None

    def predictions(self, n_steps=None):
        """Predicted classes after ``n_steps`` steps (default: all)."""
        step = self.output.shape[0] if n_steps is None else check_n_steps(n_steps)
        return np.argmax(self.output[step - 1], axis=1)


def _synaptic_input(spikes, weights, exact):
    if exact:  # sequential sum over presynaptic neurons in index order, as Brian2 delivers spikes
        return np.cumsum(spikes[:, None, :] * weights[None, :, :], axis=2)[..., -1]
    return spikes @ weights.T


def simulate_converted(network, images, n_steps, encoding="direct", rng=0, rasters=None, exact=False,
                       record_spikes=False, n_layers=None):
    """Simulate a converted network in float64 (numpy), all samples at once.

    Parameters
    ----------
    network : ConvertedNetwork
    images : array_like, shape (n_samples, *network.input_shape)
        Values in [0, 1].
    n_steps : int
        Time steps (> 0).
    encoding : {"direct", "poisson"}
    rng : int or numpy.random.Generator
        Seed of the Poisson spikes (one raster per sample, drawn in sample order by
        :func:`poisson_raster`); ignored for ``"direct"`` or when ``rasters`` are given.
    rasters : array_like, shape (n_samples, n_steps, n_inputs), optional
        Given input spikes (``"poisson"``).
    exact : bool
        Sum synaptic inputs in presynaptic order (bit-identical to Brian2; slower).
    record_spikes : bool
        Keep every hidden spike.
    n_layers : int, optional
        Simulate only the first ``n_layers`` hidden layers (used by spike-norm); output stays zero.

    Returns
    -------
    ConvertedRun
    """
    n_steps = check_request(network, encoding, n_steps)
    images = check_images(network, images)
    n_samples = images.shape[0]
    if encoding == "poisson":
        if rasters is None:
            generator = np.random.default_rng(rng)
            rasters = np.stack([poisson_raster(image, n_steps, generator) for image in images]) if n_samples else \
                np.zeros((0, n_steps, images.shape[1]), dtype=np.uint8)
        rasters = np.asarray(rasters, dtype=np.float64)
        if rasters.shape != (n_samples, n_steps, images.shape[1]):
            raise ValueError(f"rasters must have shape {(n_samples, n_steps, images.shape[1])}; got {rasters.shape}")
    hidden = len(network.thresholds) if n_layers is None else int(n_layers)
    potentials = [np.zeros((n_samples, w.shape[0])) for w in network.weights]
    counts = [np.zeros((n_samples, w.shape[0])) for w in network.weights[:-1]]
    recorded = [np.zeros((n_steps, n_samples, w.shape[0]), dtype=bool) for w in network.weights[:-1]] if record_spikes else None
    output = np.zeros((n_steps, n_samples, network.weights[-1].shape[0]))
    per_step = np.zeros((n_steps, len(network.thresholds)))
    direct = images @ network.weights[0].T if encoding == "direct" else None
    for step in range(n_steps):
        if encoding == "direct":
            current = direct
            incoming = None
        else:
            incoming = rasters[:, step, :]
        for layer in range(hidden + 1):
            if layer == len(network.thresholds) or layer == hidden:
                if layer == len(network.thresholds):
                    potentials[layer] = potentials[layer] + _synaptic_input(incoming, network.weights[layer], exact)
                    output[step] = potentials[layer]
                break
            if incoming is not None:
                current = _synaptic_input(incoming, network.weights[layer], exact)
                potentials[layer] = network.leaks[layer] * potentials[layer] + current + 0.0
            else:
                potentials[layer] = network.leaks[layer] * potentials[layer] + 0.0 + current
            fired = potentials[layer] >= network.thresholds[layer]
            potentials[layer] = potentials[layer] - network.thresholds[layer] * fired
            counts[layer] += fired
            per_step[step, layer] = fired.sum() / max(n_samples, 1)
            if record_spikes:
                recorded[layer][step] = fired
            incoming = fired.astype(np.float64)
    input_counts = rasters.sum(axis=1) if encoding == "poisson" else None
    return ConvertedRun(output, counts, input_counts, recorded, per_step)


def accuracy_curve(run, labels):
    """Accuracy (fraction) after every step: ``curve[t - 1]`` is the accuracy at ``t`` steps."""
    labels = np.asarray(labels)
    return np.mean(np.argmax(run.output, axis=2) == labels[None, :], axis=1)
