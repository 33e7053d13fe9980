"""Low-latency SNNs on MNIST or FSDD (Rathi's supervised half): ANN, converted SNN, hybrid STDB and DIET-SNN.

A bias-free ReLU MLP (or a small CNN: ``architecture: cnn``) is trained in PyTorch on the package's
MNIST split (the t10k images permuted by the seed, first ``n_train`` for training, next ``n_test``
for testing) or, with ``dataset: fsdd``, on the Free Spoken Digit Dataset's standard split (takes
0-4 test: 2,700 / 300 recordings), each recording one fixed-size ``n_mels x n_frames`` log-mel
image (its spectrogram resampled to ``n_frames`` frames over the whole recording, scaled to [0, 1]
by training percentiles: the front end of the other FSDD scenarios). It is converted to
integrate-and-fire layers with reset by subtraction and thresholds balanced by each method in
``balancing``, and run with direct and Poisson input for up to ``max_steps`` steps. The converted
network is fine-tuned by hybrid STDB (Poisson input, ``stdb_steps``) and by DIET-SNN (direct input,
trainable leaks and thresholds, ``diet_steps``). The first ``brian_images`` test images run in
Brian2 (backend ``auto``: C++ standalone, compiled once, every image a run argument; the runtime
where no compiler works, stated in ``brian.backend_note``) and their spikes are compared with the
float64 reference. Writes ``curves.npz`` (accuracy after every step) and ``conversion.png``
(accuracy vs time steps; energy vs accuracy).

References
----------
P. U. Diehl et al., IJCNN 2015; B. Rueckauer et al., Front. Neurosci. 11:682 (2017); A. Sengupta et
al., Front. Neurosci. 13:95 (2019); N. Rathi et al., ICLR 2020 (hybrid STDB); N. Rathi & K. Roy, IEEE
TNNLS 2021 (DIET-SNN); M. Horowitz, ISSCC 2014 (E_AC 0.9 pJ, E_MAC 4.6 pJ).
"""
from typing import List, Literal, Optional

from pydantic import Field

from hetero_brian.config import StrictModel
from hetero_brian.experiment.checks import array_file_bytes, figure_bytes

#: dataset -> default (ann_epochs, stdb_epochs, diet_epochs). FSDD has 2,700 training recordings against
#: MNIST's 8,000 images: its STDB and DIET epochs are tripled (about the same number of updates) and its
#: ANN needs 30 epochs (a probe, seed 1: 87.7 % test after 5, 94.7 % after 30).
EPOCHS = {"mnist": (5, 3, 10), "fsdd": (30, 9, 30)}


class Config(StrictModel):
    """Options (the MNIST default runs in 10-15 minutes on one loaded core)."""

    dataset: Literal["mnist", "fsdd"] = Field("mnist", description="MNIST digits, or FSDD recordings as log-mel images")
    data_path: Optional[str] = Field(None, description="MNIST t10k files or FSDD recordings; None: "
                                                       "$HETERO_BRIAN_DATA/{mnist,fsdd}, then ../shared/data/...")
    n_train: int = Field(8000, description="training images (MNIST: of the seed's permutation; FSDD: at most 2,700)")
    n_test: int = Field(2000, description="test images (MNIST: the next n_test; FSDD: at most its 300 test recordings)")
    n_mels: int = Field(20, description="FSDD only: image height, mel channels")
    n_frames: int = Field(20, description="FSDD only: image width, frames per recording")
    architecture: Literal["mlp", "cnn"] = Field("mlp", description="bias-free ReLU MLP, or a small CNN (conv 5x5, pool)")
    hidden: List[int] = Field([256, 128], description="MLP only: sizes of the hidden layers")
    ann_epochs: Optional[int] = Field(None, description="training epochs of the ANN; None: per dataset (EPOCHS)")
    ann_learning_rate: float = Field(1e-3, description="Adam learning rate of the ANN")
    balancing: List[Literal["percentile", "max", "spike_norm"]] = Field(
        ["percentile", "max", "spike_norm"], description="threshold-balancing methods converted (the first is fine-tuned)")
    percentile: float = Field(99.9, description="percentile of the activations used by 'percentile' balancing (%)")
    n_normalisation: int = Field(1000, description="training images used to balance the thresholds")
    spike_norm_steps: int = Field(100, description="time steps of Poisson input per image of 'spike_norm' balancing")
    encodings: List[Literal["direct", "poisson"]] = Field(
        ["direct", "poisson"], description="input codes of the converted SNNs (the first one runs in Brian2)")
    max_steps: int = Field(200, description="time steps each converted SNN runs per test image")
    report_steps: List[int] = Field([5, 10, 25, 50, 100, 200], description="step counts whose accuracy and spikes are reported")
    stdb_epochs: Optional[int] = Field(None, description="hybrid STDB epochs (0: skip); None: per dataset (EPOCHS)")
    stdb_steps: int = Field(25, description="time steps per image of hybrid STDB (Poisson input)")
    stdb_learning_rate: float = Field(1e-4, description="Adam learning rate of hybrid STDB")
    diet_epochs: Optional[int] = Field(None, description="DIET-SNN epochs (0: skip); None: per dataset (EPOCHS)")
    diet_steps: int = Field(5, description="time steps per image of DIET-SNN (direct input)")
    diet_learning_rate: float = Field(1e-4, description="Adam learning rate of DIET-SNN (weights, leaks, thresholds)")
    brian_images: int = Field(10, description="first test images run in Brian2 and compared with the reference (0: skip)")
    brian_steps: int = Field(20, description="time steps of each Brian2 run")
    threads: int = Field(1, description="PyTorch CPU threads")


def disk_bytes(config):
    """Most bytes written: ``curves.npz`` (accuracy and spikes after every step), the figure, and the
    Brian2 project of a C++ backend under ``builds/`` (sources, binary, 3 values per synapse per run)."""
    widths = [784 if config.dataset == "mnist" else config.n_mels * config.n_frames, *config.hidden, 10]
    synapses = sum(a * b for a, b in zip(widths, widths[1:])) if config.architecture == "mlp" else 300_000
    curves = 2 * config.max_steps * len(config.balancing) * len(config.encodings) + config.stdb_steps + config.diet_steps
    build = (64 << 20) + 24 * synapses * (config.brian_images + 2) if config.brian_images else 0
    return array_file_bytes(curves, n_arrays=16) + figure_bytes(11, 4) + build


def _figure(metrics, curves, output):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from hetero_brian.analysis import plots

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for name, curve in curves.items():
        if name.startswith("spikes_"):
            continue
        steps = np.arange(1, len(curve) + 1)
        left.plot(steps, 100 * curve, marker="o" if len(curve) < 30 else None, label=name)
    left.axhline(100 * metrics["ann_accuracy"], color="k", linestyle="--", label="ANN")
    left.set_xscale("log")
    left.set_title(metrics.get("dataset", "mnist").upper(), fontsize=9)
    left.set_xlabel("time steps")
    left.set_ylabel("test accuracy (%)")
    left.legend(fontsize=7)
    for name, summary in metrics.items():
        if isinstance(summary, dict) and "energy_joule" in summary:
            right.scatter(summary["energy_joule"] * 1e9, 100 * summary["accuracy"], label=f"{name} ({summary['n_steps']} steps)")
    right.scatter(metrics["ann_macs"] * 4.6e-12 * 1e9, 100 * metrics["ann_accuracy"], marker="*", s=120, color="k", label="ANN")
    right.set_xscale("log")
    right.set_xlabel("energy per image (nJ)")
    right.set_ylabel("test accuracy (%)")
    right.legend(fontsize=7)
    figure.tight_layout()
    path = output / "conversion.png"
    plots.save_figure(figure, path)
    plt.close(figure)
    return path


def run(config, output, backend="auto", seed=None):
    """Train, convert, fine-tune, check in Brian2; return the metrics."""
    defaults = dict(zip(("ann_epochs", "stdb_epochs", "diet_epochs"), EPOCHS[config.dataset]))
    config = config.model_copy(update={name: value for name, value in defaults.items()
                                       if getattr(config, name) is None})
    import numpy as np
    import torch

    from hetero_brian.results import save_arrays
    from hetero_brian.training.conversion_study import conversion_study

    seed = 0 if seed is None else seed
    torch.set_num_threads(config.threads)
    metrics, curves = conversion_study(config, seed=seed, backend=backend, build_root=str(output / "builds"))
    save_arrays(output / "curves.npz", **{name: np.asarray(curve) for name, curve in curves.items()})
    metrics["dataset"] = config.dataset
    metrics["figure"] = str(_figure(metrics, curves, output))
    metrics["epochs"] = {name: getattr(config, name) for name in ("ann_epochs", "stdb_epochs", "diet_epochs")}
    metrics["energy_constants"] = "E_AC 0.9 pJ, E_MAC 4.6 pJ (Horowitz, ISSCC 2014, 45 nm, 32-bit float)"
    return metrics


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
