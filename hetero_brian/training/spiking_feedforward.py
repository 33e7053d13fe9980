"""Surrogate-gradient training of converted feed-forward SNNs: hybrid STDB and DIET-SNN (PyTorch).

Both start from a converted network (:mod:`.conversion`, thresholds from :mod:`.threshold_balancing`)
and train it as an SNN with backpropagation through time; the trained network is again a
:class:`~.conversion.ConvertedNetwork` (weights, thresholds, leaks), so it is evaluated by the float64
reference simulation and runs in Brian2 by :mod:`.converted_export`.

- **Hybrid STDB** (Rathi, Srinivasan, Panda & Roy, "Enabling deep spiking neural networks with hybrid
  conversion and spike timing dependent backpropagation", ICLR 2020): the spike's surrogate
  derivative depends on the time since the neuron's last spike,
  ``ds/du = alpha exp(-beta dt_spike)`` (:func:`stdb_surrogate`; defaults ``alpha = 0.3``,
  ``beta = 0.01`` per step, checked against the authors' code, github.com/nitin-rathi/
  hybrid-snn-conversion at commit 3f6832c: ``snn.py`` lines 259-260 set ``--alpha 0.3`` and
  ``--beta 0.01``; ``self_models/vgg_spiking.py`` line 50 computes
  ``STDB.alpha * torch.exp(-1*last_spike)**STDB.beta``, i.e. ``alpha exp(-beta dt)``, with
  ``dt = t - 1 - spike`` in steps (line 279) and ``spike`` initialised to 0 (line 256): a neuron
  that has not spiked yet counts ``dt`` from the start of the sample, as here). Poisson input,
  leak 1, thresholds fixed; weights trained.
- **DIET-SNN** (Rathi & Roy, IEEE TNNLS 2021, arXiv:2008.03658): direct (analog) input into the first
  layer, per-layer leak and threshold trained with the weights, linear surrogate
  ``ds/du = alpha max(0, 1 - |u - theta| / theta)`` (:func:`linear_surrogate`, ``alpha = 0.3``).

The forward pass is the map of :mod:`.conversion` (``u = leak u + I``, spike when ``u >= theta``,
reset by subtraction with the spike detached from the graph), the output the accumulated input of
the non-spiking output layer times the product of the initial thresholds divided by ``n_steps``
(the ANN's logit scale); loss: cross-entropy. Layers with weight sharing (a convolution's kernels,
a layer after folded average pooling: :class:`~.conversion.SharedWeights`) train one value per shared
entry, so the trained network is still a convolution with shared kernel values; other layers train
their matrix with absent synapses kept absent.
"""
import numpy as np

from ._torch import torch
from .conversion import ENCODINGS, ConvertedNetwork, check_n_steps

__all__ = ["stdb_surrogate", "linear_surrogate", "SpikingFeedforward", "train_spiking", "hybrid_stdb", "diet_snn"]

#: Step taken as the "last spike" of a neuron that has not spiked yet in this sample: 0, so its
#: ``dt_spike`` is the time since the sample started (the authors' code initialises its last-spike
#: tensor to zeros: ``self.spike = copy.deepcopy(self.mem)``, vgg_spiking.py line 256).
NO_SPIKE_YET = 0.0


def stdb_surrogate(time_since_spike, alpha=0.3, beta=0.01):
    """STDB surrogate ``alpha * exp(-beta * dt_spike)`` (Rathi et al., ICLR 2020); ``dt`` in steps."""
    return alpha * torch.exp(-beta * torch.as_tensor(time_since_spike, dtype=torch.float64))


def linear_surrogate(potential, threshold, alpha=0.3):
    """DIET-SNN surrogate ``alpha * max(0, 1 - |u - theta| / theta)`` (Rathi & Roy 2021)."""
    return alpha * torch.clamp(1.0 - torch.abs(potential - threshold) / threshold, min=0.0)


class _Spike(torch.autograd.Function):
    """Heaviside of ``u - theta`` forward; the given surrogate (times the incoming gradient) backward."""

    @staticmethod
    def forward(ctx, difference, surrogate):
        ctx.save_for_backward(surrogate)
        return (difference >= 0).to(difference.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        (surrogate,) = ctx.saved_tensors
        return grad_output * surrogate, None


class SpikingFeedforward(torch.nn.Module):
    """A converted network as a trainable SNN (float64).

    Parameters
    ----------
    network : ConvertedNetwork
        Initial weights, thresholds and leaks.
    surrogate : {"stdb", "linear"}
    train_leak, train_threshold : bool
        Make the per-layer leaks / thresholds trainable (DIET-SNN).
    alpha, beta : float
        Surrogate parameters (``beta`` only for STDB, per step).
    """

    def __init__(self, network, surrogate="stdb", train_leak=False, train_threshold=False, alpha=0.3, beta=0.01):
        super().__init__()
        if surrogate not in ("stdb", "linear"):
            raise ValueError(f"surrogate must be 'stdb' or 'linear'; got {surrogate!r}")
        # a shared layer (convolution kernels, folded pooling) trains one value per shared entry, so the trained
        # network keeps its kernels; other layers train their matrix, and absent synapses stay absent
        self.sharing = list(network.sharing)
        self.weights = torch.nn.ParameterList([torch.nn.Parameter(torch.tensor(shared.values if shared is not None else w))
                                               for w, shared in zip(network.weights, self.sharing)])
        self.masks = [torch.tensor(w != 0, dtype=torch.float64) for w in network.weights]
        self.indices = [torch.tensor(np.maximum(shared.index, 0)) if shared is not None else None for shared in self.sharing]
        self.present = [torch.tensor(shared.index >= 0) if shared is not None else None for shared in self.sharing]
        self.thresholds = torch.nn.Parameter(torch.tensor(network.thresholds, dtype=torch.float64), requires_grad=train_threshold)
        self.leaks = torch.nn.Parameter(torch.tensor(network.leaks, dtype=torch.float64), requires_grad=train_leak)
        self.surrogate, self.alpha, self.beta = surrogate, alpha, beta
        self.input_shape = network.input_shape
        # rates are activations / thresholds: the product of the initial thresholds brings the output back to
        # the ANN's logit scale, so the loss starts where the ANN's is (a fixed constant, not trained)
        self.output_scale = float(np.prod(network.thresholds))

    def matrices(self):
        """The current ``(n_post, n_pre)`` weight matrices (shared layers expanded from their values)."""
        return [w * mask if shared is None else
                torch.where(present, shared.scale * w.reshape(-1)[index], torch.zeros((), dtype=torch.float64))
                for w, mask, shared, index, present in zip(self.weights, self.masks, self.sharing, self.indices, self.present)]

    def forward(self, images, n_steps, encoding="direct", generator=None, record_spikes=False):
        """Logits: output potential x ``output_scale`` / ``n_steps``, shape ``(n_samples, n_outputs)``.

        With ``record_spikes`` the hidden layers' spikes are kept in ``self.recorded_spikes``: per
        layer a bool array ``(n_steps, n_samples, n_neurons)``.
        """
        n_steps = check_n_steps(n_steps)
        if encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {ENCODINGS}; got {encoding!r}")
        x = images.reshape(images.shape[0], -1)
        weights = self.matrices()
        recorded = [[] for _ in range(len(self.weights) - 1)]
        hidden = len(self.weights) - 1
        potentials = [torch.zeros(x.shape[0], w.shape[0], dtype=torch.float64) for w in weights[:-1]]
        last_spike = [torch.full_like(u, NO_SPIKE_YET) for u in potentials]
        output = 0.0
        direct = x @ weights[0].T if encoding == "direct" else None
        for step in range(n_steps):
            if encoding == "direct":
                current = direct
            else:
                current = (torch.rand(x.shape, generator=generator, dtype=torch.float64) < x).to(torch.float64) @ weights[0].T
            for layer in range(hidden):
                threshold = torch.clamp(self.thresholds[layer], min=1e-3)
                leak = torch.clamp(self.leaks[layer], 0.0, 1.0)
                u = leak * potentials[layer] + current
                if self.surrogate == "stdb":
                    surrogate = stdb_surrogate(step - last_spike[layer], self.alpha, self.beta)
                else:
                    surrogate = linear_surrogate(u.detach(), threshold.detach(), self.alpha)
                spikes = _Spike.apply((u - threshold) / threshold, surrogate)
                potentials[layer] = u - threshold * spikes.detach()
                last_spike[layer] = torch.where(spikes.detach() > 0, torch.full_like(u, float(step)), last_spike[layer])
                if record_spikes:
                    recorded[layer].append(spikes.detach().numpy() > 0)
                current = spikes @ weights[layer + 1].T
            output = output + current
        if record_spikes:
            self.recorded_spikes = [np.stack(layer) for layer in recorded]
        return output * self.output_scale / n_steps

    def to_network(self):
        """The trained network as a :class:`ConvertedNetwork` (float64 copies)."""
        with torch.no_grad():
            sharing = [None if shared is None else shared.with_values(w.detach().numpy().copy())
                       for w, shared in zip(self.weights, self.sharing)]
            return ConvertedNetwork([w.detach().numpy().copy() for w in self.matrices()],
                                    [max(float(t), 1e-3) for t in self.thresholds],
                                    [min(max(float(v), 0.0), 1.0) for v in self.leaks], self.input_shape, sharing)


def train_spiking(model, images, labels, n_steps, encoding, epochs=1, batch_size=64, learning_rate=1e-4, seed=0):
    """Backpropagation through time with Adam; returns the per-epoch mean losses."""
    generator = torch.Generator().manual_seed(seed)
    order_rng = np.random.default_rng(seed)
    x = torch.as_tensor(np.asarray(images, dtype=np.float64))
    y = torch.as_tensor(np.asarray(labels, dtype=np.int64))
    optimiser = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=learning_rate)
    losses = []
    for _ in range(epochs):
        total = 0.0
        order = torch.as_tensor(order_rng.permutation(len(y)))
        for start in range(0, len(y), batch_size):
            batch = order[start:start + batch_size]
            optimiser.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x[batch], n_steps, encoding, generator), y[batch])
            loss.backward()
            optimiser.step()
            total += loss.item() * len(batch)
        losses.append(total / len(y))
    return losses


def hybrid_stdb(network, images, labels, n_steps, epochs=1, alpha=0.3, beta=0.01, learning_rate=1e-4, seed=0, **options):
    """Hybrid training: fine-tune a converted network with STDB and Poisson input; returns the trained network."""
    model = SpikingFeedforward(network, "stdb", alpha=alpha, beta=beta)
    train_spiking(model, images, labels, n_steps, "poisson", epochs, learning_rate=learning_rate, seed=seed, **options)
    return model.to_network()


def diet_snn(network, images, labels, n_steps, epochs=1, alpha=0.3, learning_rate=1e-4, seed=0, **options):
    """DIET-SNN: train weights, per-layer leaks and thresholds with direct input; returns the trained network."""
    model = SpikingFeedforward(network, "linear", train_leak=True, train_threshold=True, alpha=alpha)
    train_spiking(model, images, labels, n_steps, "direct", epochs, learning_rate=learning_rate, seed=seed, **options)
    return model.to_network()
