"""The adaptive spiking RNN of Yin, Corradi & Bohté in PyTorch (discrete time, BPTT-trainable).

The forward pass is the map of :class:`hetero_brian.models.discrete.DiscreteAdaptiveLIF` (hidden
layer) and :class:`hetero_brian.models.discrete.DiscreteLeakyReadout` (readout), in the same order
of operations, with decay factors from the same :func:`hetero_brian.models.discrete.decay_factor`:
in float64 the Brian2 export reproduces its spikes exactly (:mod:`hetero_brian.training.export`).

References
----------
B. Yin, F. Corradi, S. M. Bohté, arXiv:2005.11633 (2020); Nature Machine Intelligence 3, 905-913 (2021).
"""
from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, second

from ..models.discrete import decay_factor
from ._torch import torch
from .parameters import SRNNParameters
from .surrogates import MultiGaussian, spike

__all__ = ["AdaptiveSRNN", "SRNNOutput"]


class _Decay(torch.autograd.Function):
    """``exp(-step / tau)`` (``tau``, ``step`` in seconds) computed by :func:`decay_factor` (float64
    numpy, as the Brian2 export does), differentiable in ``tau``."""

    @staticmethod
    def forward(ctx, tau, step):
        decay = torch.from_numpy(decay_factor(tau.detach().cpu().numpy(), step)).to(dtype=tau.dtype)
        ctx.save_for_backward(tau, decay)
        ctx.step = step
        return decay

    @staticmethod
    def backward(ctx, grad_output):
        tau, decay = ctx.saved_tensors
        return grad_output * decay * ctx.step / tau ** 2, None


@dataclass
class SRNNOutput:
    """Result of a forward pass (tensors of shape ``(batch, steps, ...)``).

    ``membrane`` and ``threshold`` (hidden ``u`` and ``theta``) are filled only with
    ``record_states=True``.
    """

    readout: object
    spikes: object
    membrane: object = None
    threshold: object = None


def _check_inputs(inputs, n_inputs):
    if not isinstance(inputs, torch.Tensor):
        raise TypeError(f"inputs must be a torch.Tensor of shape (batch, steps, {n_inputs}); got {type(inputs).__name__}")
    if inputs.ndim != 3 or inputs.shape[2] != n_inputs or inputs.shape[1] == 0:
        raise ValueError(f"inputs must have shape (batch, steps, n_inputs={n_inputs}); got {tuple(inputs.shape)}")
    if not torch.isfinite(inputs).all():
        raise ValueError("inputs contain NaN or Inf")


class AdaptiveSRNN(torch.nn.Module):
    """One recurrent layer of adaptive LIF neurons and a readout (non-spiking leaky, or adaptive
    spiking neurons whose membrane is read out: ``parameters.readout``).

    Parameters
    ----------
    parameters : SRNNParameters
        Initial (or trained) values; time constants become tensors in seconds (the trainer gives
        them their own Adam learning rate, in seconds).
    surrogate : object
        A surrogate of :mod:`hetero_brian.training.surrogates` (default multi-Gaussian).
    train_time_constants : bool
        Train ``tau_m``, ``tau_adp`` and the readout's time constants (Yin et al.) or keep them fixed.
    dtype : torch.dtype
        ``torch.float32`` (training) or ``torch.float64`` (exact comparison with Brian2).

    Notes
    -----
    Per step ``k``, with ``x_k`` the input and ``s_{-1} = u_{-1} = b_{-1} = 0``::

        I_k = W_in x_k + bias + W_rec s_{k-1}
        b_k = rho b_{k-1} + (1 - rho) s_{k-1};  theta_k = b0 + beta b_k
        u_k = alpha u_{k-1} + (1 - alpha) I_k - theta_k s_{k-1};  s_k = H(u_k - theta_k)
        o_k = alpha_o o_{k-1} + (1 - alpha_o) (W_out s_k + bias_out)

    With ``readout="adaptive_spiking"`` (Yin et al.'s QTDB script) the readout is the same map as
    the hidden layer, driven by ``d_k = W_out s_k + bias_out``, with its own ``b0``, ``beta``,
    ``tau_output`` and ``tau_output_adp``; its membrane ``o_k`` (after the reset) is the logit::

        c_k = rho_o c_{k-1} + (1 - rho_o) z_{k-1};  phi_k = b0_o + beta_o c_k
        o_k = alpha_o o_{k-1} + (1 - alpha_o) d_k - phi_k z_{k-1};  z_k = H(o_k - phi_k)

    Time constants are kept >= the step by :meth:`clamp_time_constants` (the trainer calls it after
    every optimiser step).
    """

    def __init__(self, parameters, surrogate=None, train_time_constants=True, dtype=torch.float32):
        super().__init__()
        if not isinstance(parameters, SRNNParameters):
            raise TypeError(f"parameters must be SRNNParameters; got {type(parameters).__name__}")
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype must be torch.float32 or torch.float64; got {dtype!r}")
        self.surrogate = surrogate if surrogate is not None else MultiGaussian()
        if not hasattr(self.surrogate, "derivative"):
            raise TypeError(f"surrogate must be a surrogate object (see surrogate_from_name); got {surrogate!r}")
        self.b0, self.beta = float(parameters.b0), float(parameters.beta)
        self.readout = parameters.readout
        self.output_b0, self.output_beta = float(parameters.output_b0), float(parameters.output_beta)
        self.step_seconds = float(parameters.step)
        self.train_time_constants = bool(train_time_constants)

        def tensor(value, trainable=True):
            return torch.nn.Parameter(torch.tensor(np.asarray(value), dtype=dtype), requires_grad=trainable)

        self.input_weights = tensor(parameters.input_weights)
        self.recurrent_weights = tensor(parameters.recurrent_weights)
        self.hidden_bias = tensor(parameters.hidden_bias)
        self.output_weights = tensor(parameters.output_weights)
        self.output_bias = tensor(parameters.output_bias)
        for name in self._time_constant_names():
            setattr(self, name, tensor(np.asarray(getattr(parameters, name), dtype=np.float64), self.train_time_constants))

    def _time_constant_names(self):
        names = ("tau_m", "tau_adp", "tau_output")
        return names + ("tau_output_adp",) if self.readout == "adaptive_spiking" else names

    @property
    def n_inputs(self):
        return int(self.input_weights.shape[1])

    @property
    def n_outputs(self):
        return int(self.output_weights.shape[0])

    @property
    def dtype(self):
        return self.input_weights.dtype

    def time_constant_parameters(self):
        """The time-constant tensors (seconds), trained with their own learning rate."""
        return [getattr(self, name) for name in self._time_constant_names()]

    def weight_parameters(self):
        return [self.input_weights, self.recurrent_weights, self.hidden_bias, self.output_weights, self.output_bias]

    @torch.no_grad()
    def clamp_time_constants(self):
        """Project the time constants onto ``tau >= step`` (in place)."""
        minimum = self.step_seconds
        for tau in self.time_constant_parameters():
            tau.clamp_(min=minimum)

    def forward(self, inputs, record_states=False):
        """Run a batch of sequences.

        Parameters
        ----------
        inputs : torch.Tensor, shape (batch, steps, n_inputs)
        record_states : bool
            Also return the hidden membrane ``u`` and threshold ``theta`` per step.

        Returns
        -------
        SRNNOutput
        """
        n_hidden, n_inputs = self.input_weights.shape
        _check_inputs(inputs, n_inputs)
        inputs = inputs.to(self.input_weights.dtype)
        batch, steps, _ = inputs.shape
        alpha = _Decay.apply(self.tau_m, self.step_seconds)
        rho = _Decay.apply(self.tau_adp, self.step_seconds)
        alpha_output = _Decay.apply(self.tau_output, self.step_seconds)
        # unbind once: indexing current[:, k] would make the backward pass O(steps^2)
        current = (inputs @ self.input_weights.T + self.hidden_bias).unbind(dim=1)
        recurrent = self.recurrent_weights.T
        u = inputs.new_zeros(batch, n_hidden)
        b, s = torch.zeros_like(u), torch.zeros_like(u)
        spikes, membrane, threshold = [], [], []
        for current_k in current:
            total = current_k + s @ recurrent
            b = rho * b + (1 - rho) * s
            theta = self.b0 + self.beta * b
            u = alpha * u + (1 - alpha) * total - theta * s
            s = spike(u - theta, self.surrogate)
            spikes.append(s)
            if record_states:
                membrane.append(u)
                threshold.append(theta)
        spikes = torch.stack(spikes, dim=1)
        drive = (spikes @ self.output_weights.T + self.output_bias).unbind(dim=1)
        readout, o = [], inputs.new_zeros(batch, self.output_weights.shape[0])
        if self.readout == "adaptive_spiking":
            rho_output = _Decay.apply(self.tau_output_adp, self.step_seconds)
            c, z = torch.zeros_like(o), torch.zeros_like(o)
            for drive_k in drive:
                c = rho_output * c + (1 - rho_output) * z
                phi = self.output_b0 + self.output_beta * c
                o = alpha_output * o + (1 - alpha_output) * drive_k - phi * z
                z = spike(o - phi, self.surrogate)
                readout.append(o)
        else:
            for drive_k in drive:
                o = alpha_output * o + (1 - alpha_output) * drive_k
                readout.append(o)
        return SRNNOutput(torch.stack(readout, dim=1), spikes,
                          torch.stack(membrane, dim=1) if record_states else None,
                          torch.stack(threshold, dim=1) if record_states else None)

    def to_parameters(self):
        """The current values as :class:`SRNNParameters` (float64 copies)."""
        def array(tensor):
            return tensor.detach().cpu().to(torch.float64).numpy().copy()

        return SRNNParameters(
            input_weights=array(self.input_weights), recurrent_weights=array(self.recurrent_weights),
            hidden_bias=array(self.hidden_bias),
            tau_m=Quantity(array(self.tau_m), dim=second.dim), tau_adp=Quantity(array(self.tau_adp), dim=second.dim),
            output_weights=array(self.output_weights), output_bias=array(self.output_bias),
            tau_output=Quantity(array(self.tau_output), dim=second.dim),
            b0=self.b0, beta=self.beta, step=self.step_seconds * second, readout=self.readout,
            tau_output_adp=(Quantity(array(self.tau_output_adp), dim=second.dim)
                            if self.readout == "adaptive_spiking" else None),
            output_b0=self.output_b0, output_beta=self.output_beta,
        )
