"""Train an :class:`~hetero_brian.training.srnn.AdaptiveSRNN` by BPTT with Adam; resumable checkpoints.

Reproducibility: the batch order of epoch ``e`` comes from the stream ``training/batches/<e>`` of
the master seed (so a resumed run sees the same batches), ``torch.manual_seed`` is set from the
stream ``training/torch``, and PyTorch runs on ``threads`` threads (1 by default; the result of a
run depends on the thread count through the order of floating-point sums).
"""
import dataclasses
import time
from pathlib import Path

import numpy as np
from brian2 import Quantity, ms, second

from ..errors import ConfigError, UnitError
from ..random import SeedStreams
from ._torch import torch
from .checkpoint import load_checkpoint, save_checkpoint
from .data import check_sequences
from .baselines import RecurrentBaseline
from .srnn import AdaptiveSRNN

__all__ = ["TrainingSettings", "TrainingHistory", "train", "evaluate", "per_step_loss"]


@dataclasses.dataclass(frozen=True)
class TrainingSettings:
    """How to train.

    Parameters
    ----------
    epochs : int
        Passes over the training set.
    batch_size : int
    learning_rate : float
        Adam learning rate of weights and biases (1e-2 in Yin et al.).
    time_constant_learning_rate : brian2.Quantity
        Adam learning rate of the time constants, as a time (the size of an Adam step); Yin et al.
        use 3 x 1e-2 on time constants in ms, i.e. 0.03 ms.
    decay_every : int
        Multiply the learning rates by ``decay_factor`` every this many epochs (StepLR).
    decay_factor : float
    loss_start_step : int
        Steps before this one are a warm-up, excluded from loss and accuracy (10 in Yin et al.'s
        ECG code).
    crop_steps : int, optional
        Train on a random window of this many steps of each sequence (truncated BPTT from a rest
        state; the window starts are drawn from the stream ``training/crops/<epoch>``); the cost of
        an update is proportional to its length. ``None``: whole sequences (Yin et al.).
    threads : int
        PyTorch CPU threads.
    checkpoint_every : int
        Write the checkpoint every this many epochs (and after the last).
    progress : bool
        Show a tqdm progress bar.
    """

    epochs: int = 10
    batch_size: int = 64
    learning_rate: float = 1e-2
    time_constant_learning_rate: Quantity = dataclasses.field(default_factory=lambda: 0.03 * ms)
    decay_every: int = 100
    decay_factor: float = 0.5
    loss_start_step: int = 10
    crop_steps: int = None
    threads: int = 1
    checkpoint_every: int = 1
    progress: bool = True

    def __post_init__(self):
        for name in ("epochs", "batch_size", "decay_every", "threads", "checkpoint_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ConfigError(f"TrainingSettings.{name} must be a positive integer; got {value!r}")
        if isinstance(self.loss_start_step, bool) or not isinstance(self.loss_start_step, (int, np.integer)) \
                or self.loss_start_step < 0:
            raise ConfigError(f"TrainingSettings.loss_start_step must be an integer >= 0; got {self.loss_start_step!r}")
        if self.crop_steps is not None and (isinstance(self.crop_steps, bool) or not isinstance(self.crop_steps, (int, np.integer))
                                            or self.crop_steps <= self.loss_start_step):
            raise ConfigError(f"TrainingSettings.crop_steps must be None or an integer > loss_start_step="
                              f"{self.loss_start_step}; got {self.crop_steps!r}")
        for name in ("learning_rate", "decay_factor"):
            if not float(getattr(self, name)) > 0:
                raise ConfigError(f"TrainingSettings.{name} must be > 0; got {getattr(self, name)!r}")
        rate = self.time_constant_learning_rate
        if not isinstance(rate, Quantity) or not rate.has_same_dimensions(second) or float(rate) < 0:
            raise UnitError(f"TrainingSettings.time_constant_learning_rate must be a time >= 0 (e.g. 0.03*ms); got {rate!r}")

    def identity(self):
        """The settings that shape the trajectory (a resumed run must match them)."""
        values = dataclasses.asdict(self)
        for name in ("epochs", "progress", "checkpoint_every"):
            values.pop(name)
        values["time_constant_learning_rate"] = float(self.time_constant_learning_rate)
        return values


@dataclasses.dataclass
class TrainingHistory:
    """Per completed epoch: mean training loss, training per-step accuracy, wall time (s)."""

    loss: list = dataclasses.field(default_factory=list)
    accuracy: list = dataclasses.field(default_factory=list)
    wall_time: list = dataclasses.field(default_factory=list)
    resumed_from_epoch: int = 0


def per_step_loss(readout, labels, loss_start_step):
    """Mean cross-entropy of the readout (logits per step) against per-step labels from ``loss_start_step``."""
    logits = readout[:, loss_start_step:]
    targets = labels[:, loss_start_step:]
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def _optimizer(model, settings):
    groups = [{"params": [p for p in model.weight_parameters()], "lr": settings.learning_rate}]
    if model.train_time_constants and float(settings.time_constant_learning_rate) > 0:
        groups.append({"params": model.time_constant_parameters(), "lr": float(settings.time_constant_learning_rate)})
    optimizer = torch.optim.Adam(groups)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=settings.decay_every, gamma=settings.decay_factor)
    return optimizer, scheduler


def evaluate(model, inputs, labels, loss_start_step=10, batch_size=64):
    """Per-step accuracy and mean loss on a data set (no gradients).

    Returns
    -------
    dict
        ``{"accuracy": ..., "loss": ..., "spikes_per_neuron_per_step": ... (None without spikes),
        "predictions": array (n, steps)}``.
    """
    inputs, labels = check_sequences(inputs, labels, model.n_inputs, model.n_outputs)
    correct = counted = 0
    loss_sum, spike_sum, predictions = 0.0, 0.0, []
    with torch.no_grad():
        for start in range(0, len(inputs), batch_size):
            x = torch.from_numpy(inputs[start:start + batch_size])
            y = torch.from_numpy(labels[start:start + batch_size])
            output = model(x)
            predicted = output.readout.argmax(-1)
            predictions.append(predicted.numpy())
            correct += int((predicted[:, loss_start_step:] == y[:, loss_start_step:]).sum())
            counted += int(y[:, loss_start_step:].numel())
            loss_sum += float(per_step_loss(output.readout, y, loss_start_step)) * len(x)
            if output.spikes is not None:
                spike_sum += float(output.spikes.sum())
                n_neurons = output.spikes.shape[-1]
    rate = None if not isinstance(model, AdaptiveSRNN) else spike_sum / (len(inputs) * inputs.shape[1] * n_neurons)
    return {"accuracy": correct / counted, "loss": loss_sum / len(inputs), "spikes_per_neuron_per_step": rate,
            "predictions": np.concatenate(predictions)}


def _resume(checkpoint_path, model, optimizer, scheduler, settings, seed):
    state = load_checkpoint(checkpoint_path)
    if state["seed"] != seed or state["settings"] != settings.identity():
        raise ConfigError(f"checkpoint {str(checkpoint_path)!r} belongs to another run (seed {state['seed']}, settings "
                          f"{state['settings']}); use another checkpoint path or the same seed and settings")
    if state["surrogate"] != repr(model.surrogate) or state["train_time_constants"] != model.train_time_constants:
        raise ConfigError(f"checkpoint {str(checkpoint_path)!r} was written with surrogate {state['surrogate']} and "
                          f"train_time_constants={state['train_time_constants']}")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    history = TrainingHistory(list(state["history"]["loss"]), list(state["history"]["accuracy"]),
                              list(state["history"]["wall_time"]), resumed_from_epoch=int(state["epoch"]))
    return int(state["epoch"]), history


def _windows(streams, epoch, n_sequences, n_steps, crop_steps):
    """Step indices ``(n_sequences, crop_steps)`` of each sequence's training window, or None."""
    if crop_steps is None or crop_steps >= n_steps:
        return None
    starts = streams.generator(f"training/crops/{epoch}").integers(0, n_steps - crop_steps + 1, n_sequences)
    return starts[:, None] + np.arange(crop_steps)[None, :]


def train(model, inputs, labels, settings, seed, checkpoint_path=None, callback=None):
    """Train ``model`` in place on per-step labels; resume from ``checkpoint_path`` when it exists.

    Parameters
    ----------
    model : AdaptiveSRNN or RecurrentBaseline
    inputs : numpy.ndarray, shape (n_sequences, steps, n_inputs)
    labels : numpy.ndarray of int, shape (n_sequences, steps)
        Class of every step.
    settings : TrainingSettings
    seed : int
        Master seed (batch order, torch seed); recorded in the checkpoint.
    checkpoint_path : str or pathlib.Path, optional
        Written atomically every ``settings.checkpoint_every`` epochs. If it exists, training
        resumes after its last epoch (same final weights as an uninterrupted run).
    callback : callable, optional
        ``callback(epoch, history)`` after each epoch (1-based ``epoch``), after the checkpoint.

    Returns
    -------
    TrainingHistory
    """
    from tqdm.auto import tqdm

    if not isinstance(model, (AdaptiveSRNN, RecurrentBaseline)):
        raise TypeError(f"model must be an AdaptiveSRNN or a RecurrentBaseline; got {type(model).__name__}")
    if not isinstance(settings, TrainingSettings):
        raise TypeError(f"settings must be TrainingSettings; got {type(settings).__name__}")
    streams = SeedStreams(seed)
    dtype = model.dtype
    inputs, labels = check_sequences(inputs, labels, model.n_inputs, model.n_outputs)
    if labels.shape[1] <= settings.loss_start_step:
        raise ValueError(f"sequences of {labels.shape[1]} steps leave nothing after loss_start_step={settings.loss_start_step}")
    torch.set_num_threads(settings.threads)
    torch.manual_seed(streams.integer_seed("training/torch"))
    optimizer, scheduler = _optimizer(model, settings)
    start_epoch, history = 0, TrainingHistory()
    if checkpoint_path is not None and Path(checkpoint_path).exists():
        start_epoch, history = _resume(checkpoint_path, model, optimizer, scheduler, settings, streams.master_seed)
    x_all = torch.from_numpy(inputs).to(dtype)
    y_all = torch.from_numpy(labels)
    n_batches = -(-len(inputs) // settings.batch_size)
    bar = tqdm(total=settings.epochs * n_batches, initial=start_epoch * n_batches, disable=not settings.progress,
               desc="training", unit="batch")
    try:
        for epoch in range(start_epoch, settings.epochs):
            started = time.perf_counter()
            order = streams.generator(f"training/batches/{epoch}").permutation(len(inputs))
            windows = _windows(streams, epoch, len(inputs), labels.shape[1], settings.crop_steps)
            loss_sum = correct = counted = 0.0
            for start in range(0, len(order), settings.batch_size):
                index = torch.from_numpy(order[start:start + settings.batch_size])
                x, y = x_all[index], y_all[index]
                if windows is not None:
                    rows = torch.arange(len(index))[:, None]
                    columns = torch.from_numpy(windows[order[start:start + settings.batch_size]])
                    x, y = x[rows, columns], y[rows, columns]
                optimizer.zero_grad()
                output = model(x)
                loss = per_step_loss(output.readout, y, settings.loss_start_step)
                loss.backward()
                optimizer.step()
                model.clamp_time_constants()
                loss_sum += float(loss.detach()) * len(index)
                predicted = output.readout.detach()[:, settings.loss_start_step:].argmax(-1)
                correct += float((predicted == y[:, settings.loss_start_step:]).sum())
                counted += predicted.numel()
                bar.update(1)
                bar.set_postfix(epoch=epoch + 1, loss=f"{float(loss.detach()):.4f}")
            scheduler.step()
            history.loss.append(loss_sum / len(order))
            history.accuracy.append(correct / counted)
            history.wall_time.append(time.perf_counter() - started)
            completed = epoch + 1
            if checkpoint_path is not None and (completed % settings.checkpoint_every == 0 or completed == settings.epochs):
                save_checkpoint(checkpoint_path, {
                    "epoch": completed, "seed": streams.master_seed, "settings": settings.identity(),
                    "surrogate": repr(model.surrogate), "train_time_constants": model.train_time_constants,
                    "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "history": dataclasses.asdict(history),
                })
            if callback is not None:
                callback(completed, history)
    finally:
        bar.close()
    return history
