"""Non-spiking recurrent baselines (Elman RNN, GRU, LSTM) trained the same way as the SRNN.

A baseline has the small interface the trainer needs (``weight_parameters``, ``forward`` returning
an :class:`~hetero_brian.training.srnn.SRNNOutput` with a per-step readout), so
:func:`hetero_brian.training.trainer.train` trains it on the same data, batches and windows.
:func:`hidden_size_for_parameters` sizes it to a parameter budget (e.g. the SRNN's).

References
----------
S. Hochreiter, J. Schmidhuber, Neural Computation 9, 1735-1780 (1997) (LSTM); K. Cho et al.,
EMNLP 2014 (GRU); J. L. Elman, Cognitive Science 14, 179-211 (1990).
"""
import math

import numpy as np

from ..random import SeedStreams
from ._torch import torch
from .srnn import SRNNOutput, _check_inputs

__all__ = ["CELLS", "RecurrentBaseline", "hidden_size_for_parameters", "parameter_count"]

#: Gates per cell type (weight matrices acting on the input and on the hidden state).
CELLS = {"rnn": 1, "gru": 3, "lstm": 4}


def parameter_count(cell, n_inputs, n_hidden, n_outputs):
    """Trainable parameters of a PyTorch cell (two bias vectors per gate) plus a dense readout."""
    gates = CELLS[cell]
    return gates * (n_hidden * (n_inputs + n_hidden) + 2 * n_hidden) + n_outputs * (n_hidden + 1)


def hidden_size_for_parameters(cell, n_inputs, n_outputs, n_parameters):
    """The hidden size whose :func:`parameter_count` is closest to ``n_parameters``."""
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; known: {sorted(CELLS)}")
    gates = CELLS[cell]
    # gates h^2 + (gates (n_inputs + 2) + n_outputs) h + n_outputs = n_parameters
    linear = gates * (n_inputs + 2) + n_outputs
    root = (-linear + math.sqrt(linear ** 2 + 4 * gates * max(n_parameters - n_outputs, 0))) / (2 * gates)
    candidates = [max(1, math.floor(root)), max(1, math.ceil(root))]
    return min(candidates, key=lambda h: abs(parameter_count(cell, n_inputs, h, n_outputs) - n_parameters))


class RecurrentBaseline(torch.nn.Module):
    """``torch.nn.RNN`` (tanh), ``GRU`` or ``LSTM`` with a dense readout at every step.

    Parameters
    ----------
    cell : {"rnn", "gru", "lstm"}
    n_inputs, n_hidden, n_outputs : int
    seed : int
        Master seed of the initialisation (stream ``training/baseline/<cell>``; PyTorch's default
        initialisation drawn under that seed).
    dtype : torch.dtype
    """

    train_time_constants = False
    surrogate = None

    def __init__(self, cell, n_inputs, n_hidden, n_outputs, seed, dtype=torch.float32):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}; known: {sorted(CELLS)}")
        self.cell = cell
        layer = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
        generator_state = torch.random.get_rng_state()
        torch.manual_seed(SeedStreams(seed).integer_seed(f"training/baseline/{cell}"))
        try:
            self.recurrent = layer(n_inputs, n_hidden, batch_first=True, dtype=dtype)
            self.output = torch.nn.Linear(n_hidden, n_outputs, dtype=dtype)
        finally:
            torch.random.set_rng_state(generator_state)

    @property
    def n_inputs(self):
        return self.recurrent.input_size

    @property
    def n_outputs(self):
        return self.output.out_features

    @property
    def dtype(self):
        return self.output.weight.dtype

    def weight_parameters(self):
        return list(self.parameters())

    def time_constant_parameters(self):
        return []

    def clamp_time_constants(self):
        """Nothing to clamp (the trainer's interface)."""

    def n_parameters(self):
        return int(sum(np.prod(p.shape) for p in self.parameters()))

    def forward(self, inputs, record_states=False):
        """Readout per step; ``spikes`` is None (no spikes)."""
        _check_inputs(inputs, self.n_inputs)
        hidden, _ = self.recurrent(inputs.to(self.dtype))
        return SRNNOutput(self.output(hidden), None)
