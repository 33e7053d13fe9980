"""Digit sequences (spoken digits, MNIST rows) classified by a trained adaptive spiking RNN, re-run in Brian2.

``task="fsdd"``: the Free Spoken Digit Dataset on its standard split (takes 0-4 test), each
recording as log-mel frames (the HRSNN scenario's front end: 20 mels x 20 frames, scaled to [0, 1]
by training percentiles), one frame per step. ``task="mnist_rows"``: the package's MNIST images
(the 10,000-image test file, first 8,000 train, last 2,000 test), one 28-pixel row per step;
``task="mnist_pixels"``: one pixel per step (784 steps; a larger configuration). Adaptive LIF
neurons (Yin, Corradi & Bohté) are trained by BPTT (PyTorch, one thread) on the per-step
cross-entropy of the leaky readout from ``loss_start_step`` on; a sequence's class is the readout's
argmax at its last step. The trained network is exported to Brian2 with the analog input path and
run on the first test sequences (identical spikes to the float64 forward pass?). The baseline is
a standardised logistic regression on the same features (log-mel frames; raw pixels).
Writes ``checkpoint.pt`` (resumable) and ``trained_parameters.npz``.

References
----------
B. Yin, F. Corradi, S. M. Bohté, Nature Machine Intelligence 3, 905-913 (2021), arXiv:2103.12593.
Z. Jackson et al., Free Spoken Digit Dataset, https://github.com/Jakobovski/free-spoken-digit-dataset
"""
from typing import Literal, Optional

from pydantic import Field

from hetero_brian.experiment.checks import array_file_bytes
from hetero_brian.training.parameters import SRNNTrainingOptions

#: task -> (default data folder, default epochs, default loss_start_step: None = last step)
TASKS = {"fsdd": ("../shared/data/fsdd", 150, 10), "mnist_rows": ("../shared/data/mnist", 30, None),
         "mnist_pixels": ("../shared/data/mnist", 20, None)}


class Config(SRNNTrainingOptions):
    """Options (the default, FSDD, trains in about 8-13 minutes on one shared core; MNIST rows 6-10)."""

    task: Literal["fsdd", "mnist_rows", "mnist_pixels"] = Field(
        "fsdd", description="spoken digits as log-mel frames, MNIST rows, or MNIST pixels one per step")
    data: Optional[str] = Field(None, description="data folder; None: ../shared/data/fsdd or ../shared/data/mnist")
    n_mels: int = Field(20, description="FSDD only: mel bands, the input channels")
    n_frames: int = Field(20, description="FSDD only: frames per recording, the sequence steps")
    n_train: int = Field(8000, description="MNIST only: training images (the first of the 10,000-image file)")
    n_test: int = Field(2000, description="MNIST only: test images (the last of the file)")
    n_hidden: int = 128
    epochs: Optional[int] = Field(None, description="training passes; None: 150 (FSDD), 30 (MNIST rows), 20 (pixels)")
    batch_size: int = 64
    decay_every: Optional[int] = Field(None, description="epochs between learning-rate decays; None: 70 % of epochs")
    loss_start_step: Optional[int] = Field(None, description="first step in the loss; None: 10 (FSDD), last step (MNIST)")
    baseline: bool = Field(True, description="also fit the logistic-regression baseline on the same features")
    baseline_c: float = Field(0.1, description="inverse regularisation C of the logistic baseline (as in hrsnn_fsdd)")


def disk_bytes(config):
    """Most bytes written: the checkpoint (parameters, Adam's two moments, history; the old one and its
    replacement at once) and ``trained_parameters.npz``."""
    n_inputs = {"fsdd": config.n_mels, "mnist_rows": 28, "mnist_pixels": 1}[config.task]
    parameters = config.n_hidden * (n_inputs + config.n_hidden + 3 + 10) + 20
    epochs = config.epochs or TASKS[config.task][1]
    return 2 * array_file_bytes(3 * parameters + 8 * epochs, n_arrays=64) + array_file_bytes(parameters, n_arrays=12)


def load_task(config):
    """The task's sequences ``(n, steps, channels)`` and classes, and the baseline's features."""
    from hetero_brian.training.data import fsdd_frame_sequences, mnist_row_sequences

    path = config.data or TASKS[config.task][0]
    if config.task == "fsdd":
        return fsdd_frame_sequences(path, config.n_mels, config.n_frames)
    return mnist_row_sequences(path, config.n_train, config.n_test, pixels=config.task == "mnist_pixels")


def run(config, output, backend="auto", seed=None):
    """Train, test, export to Brian2 (analog input) and compare with the logistic baseline."""
    import numpy as np
    import torch

    from hetero_brian.protocols.hrsnn_2x2 import baseline_accuracy
    from hetero_brian.results import save_arrays
    from hetero_brian.training.data import sequence_labels
    from hetero_brian.training.evaluation import compare_with_brian, trainable_parameter_count
    from hetero_brian.training.parameters import initial_parameters
    from hetero_brian.training.srnn import AdaptiveSRNN
    from hetero_brian.training.surrogates import surrogate_from_name
    from hetero_brian.training.trainer import TrainingSettings, evaluate, train

    seed = 0 if seed is None else seed
    torch.set_num_threads(config.threads)
    data = load_task(config)
    n_steps, n_inputs = data["train_inputs"].shape[1:]
    epochs = config.epochs or TASKS[config.task][1]
    start = TASKS[config.task][2] if config.loss_start_step is None else config.loss_start_step
    start = n_steps - 1 if start is None else start
    train_labels = sequence_labels(data["train_classes"], n_steps)
    test_labels = sequence_labels(data["test_classes"], n_steps)
    initial = initial_parameters(int(n_inputs), config.n_hidden, 10, seed, tau_m=config.tau_m, tau_adp=config.tau_adp,
                                 tau_output=config.tau_output, b0=config.b0, beta=config.beta)
    model = AdaptiveSRNN(initial, surrogate_from_name(config.surrogate), config.train_time_constants)
    settings = TrainingSettings(
        epochs=epochs, batch_size=config.batch_size, learning_rate=config.learning_rate,
        time_constant_learning_rate=config.time_constant_learning_rate,
        decay_every=config.decay_every or max(1, int(0.7 * epochs)), decay_factor=config.decay_factor,
        loss_start_step=start, threads=config.threads)
    history = train(model, data["train_inputs"], train_labels, settings, seed, output / "checkpoint.pt")
    test = evaluate(model, data["test_inputs"], test_labels, start, batch_size=256)
    trained = model.to_parameters()
    if not (output / "trained_parameters.npz").exists():  # a resumed run keeps the file it wrote
        save_arrays(output / "trained_parameters.npz", **trained.to_arrays())
    metrics = {
        "task": config.task, "steps": int(n_steps), "channels": int(n_inputs),
        "train_sequences": len(train_labels), "test_sequences": len(test_labels),
        "test_accuracy": float(np.mean(test["predictions"][:, -1] == data["test_classes"])),
        "test_per_step_accuracy": float(test["accuracy"]), "train_accuracy_last_epoch": float(history.accuracy[-1]),
        "epochs": len(history.loss), "seconds_per_epoch": float(np.mean(history.wall_time)) if history.wall_time else 0.0,
        "spikes_per_neuron_per_step": float(test["spikes_per_neuron_per_step"]),
        "trainable_parameters": trainable_parameter_count(model),
    }
    count = config.brian_sequences
    if count:
        brian = compare_with_brian(trained, data["test_inputs"][:count], test_labels[:count], n_steps - 1,
                                   backend=backend, seed=seed, analog=True)
        metrics.update({"brian_sequences": count, "brian_spikes_identical_float64": brian["identical_float64"],
                        "brian_backend": brian["runs"][0].result.provenance["backend"]["backend"],
                        "brian_accuracy": brian["brian_accuracy"],
                        "float32_spike_mismatch_fraction": brian["float32_spike_mismatch_fraction"]})
    if config.baseline:  # logistic regression on the same features (frames; pixels)
        features = {name: np.transpose(data[f"{name}_inputs"], (0, 2, 1)) for name in ("train", "test")}
        metrics["baseline_logistic_accuracy"] = baseline_accuracy(features["train"], data["train_classes"], features["test"],
                                                                  data["test_classes"], config.baseline_c, seed)
    return metrics


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
