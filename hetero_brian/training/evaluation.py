"""Evaluation helpers of trained networks: Brian2 against the forward pass, baselines of equal size."""
import numpy as np

from ._torch import torch
from .baselines import RecurrentBaseline, hidden_size_for_parameters
from .export import run_in_brian
from .srnn import AdaptiveSRNN
from .trainer import evaluate, train

__all__ = ["compare_with_brian", "train_baseline", "trainable_parameter_count"]


def trainable_parameter_count(model):
    """Number of trained scalars of a PyTorch module (time constants included when trained)."""
    return int(sum(np.prod(p.shape) for p in model.parameters() if p.requires_grad))


def compare_with_brian(parameters, sequences, labels, loss_start_step, backend="auto", seed=0, build_root=None,
                       analog=None):
    """Run a trained SRNN in Brian2 and compare with the PyTorch forward pass in float64 and float32.

    Parameters
    ----------
    parameters : SRNNParameters
    sequences : numpy.ndarray, shape (n, steps, n_inputs)
        Values in {-1, 0, 1} (spike path) or any finite values (analog path).
    labels : numpy.ndarray of int, shape (n, steps)
    loss_start_step : int
        First step counted in the accuracy.
    backend, seed, build_root, analog
        As in :func:`hetero_brian.training.export.run_in_brian`.

    Returns
    -------
    dict
        ``runs`` (list of BrianRun), ``identical_float64`` (bool: every hidden spike equal),
        ``float32_spike_mismatch_fraction`` (neuron-steps where float32 and float64 differ),
        ``brian_accuracy`` (per-step accuracy of Brian2's readout).
    """
    runs = run_in_brian(parameters, sequences, backend=backend, seed=seed, build_root=build_root, analog=analog)
    with torch.no_grad():
        forward64 = AdaptiveSRNN(parameters, dtype=torch.float64)(torch.from_numpy(np.asarray(sequences, np.float64)))
        forward32 = AdaptiveSRNN(parameters)(torch.from_numpy(np.asarray(sequences, np.float32)))
    spikes64 = forward64.spikes.numpy().astype(bool)
    brian_spikes = np.stack([run.spikes for run in runs])
    predictions = np.stack([run.readout.argmax(-1) for run in runs])[:, loss_start_step:]
    return {"runs": runs, "identical_float64": bool(np.array_equal(brian_spikes, spikes64)),
            "float32_spike_mismatch_fraction": float(np.mean(forward32.spikes.numpy().astype(bool) != spikes64)),
            "brian_accuracy": float(np.mean(predictions == np.asarray(labels)[:, loss_start_step:]))}


def train_baseline(cell, n_parameters, n_outputs, data, settings, seed, checkpoint_path=None):
    """Train an RNN/GRU/LSTM of about ``n_parameters`` parameters the same way; test it.

    Parameters
    ----------
    cell : {"rnn", "gru", "lstm"}
    n_parameters : int
        Parameter budget (e.g. :func:`trainable_parameter_count` of the SRNN).
    n_outputs : int
        Number of classes.
    data : dict
        ``train_inputs``, ``train_labels``, ``test_inputs``, ``test_labels`` (as :func:`load_qtdb`).
    settings : TrainingSettings
    seed : int
    checkpoint_path : str or pathlib.Path, optional

    Returns
    -------
    dict
        ``model``, ``n_hidden``, ``n_parameters``, ``test_accuracy``.
    """
    n_inputs = data["train_inputs"].shape[2]
    n_hidden = hidden_size_for_parameters(cell, n_inputs, n_outputs, n_parameters)
    model = RecurrentBaseline(cell, n_inputs, n_hidden, n_outputs, seed)
    train(model, data["train_inputs"], data["train_labels"], settings, seed, checkpoint_path)
    test = evaluate(model, data["test_inputs"], data["test_labels"], settings.loss_start_step, batch_size=141)
    return {"model": model, "n_hidden": n_hidden, "n_parameters": model.n_parameters(),
            "test_accuracy": float(test["accuracy"])}
