"""Low-latency SNNs on MNIST (Rathi's supervised half): ANN, converted SNN, hybrid STDB and DIET-SNN.

A bias-free ReLU MLP (or a small CNN: ``architecture: cnn``) is trained in PyTorch on the package's
MNIST split (the t10k images permuted by the seed, first ``n_train`` for training, next ``n_test``
for testing), converted to integrate-and-fire layers with reset by subtraction and thresholds
balanced by each method in ``balancing``, and run with direct and Poisson input for up to
``max_steps`` steps. The converted network is fine-tuned by hybrid STDB (Poisson input,
``stdb_steps``) and by DIET-SNN (direct input, trainable leaks and thresholds, ``diet_steps``). The
first ``brian_images`` test images run in Brian2 and their spikes are compared with the float64
reference. Writes ``curves.npz`` (accuracy after every step) and ``conversion.png`` (accuracy vs
time steps; energy vs accuracy).

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


class Config(StrictModel):
    """Options (the default runs in about 10 minutes on one core)."""

    data_path: Optional[str] = Field(None, description="folder of t10k-*-idx*-ubyte[.gz]; None: $HETERO_BRIAN_DATA/mnist, "
                                                       "then ../shared/data/mnist")
    n_train: int = Field(8000, description="training images (the first of the seed's permutation of the 10,000)")
    n_test: int = Field(2000, description="test images (the next n_test of the permutation)")
    architecture: Literal["mlp", "cnn"] = Field("mlp", description="bias-free ReLU MLP, or a small CNN (conv 5x5, pool)")
    hidden: List[int] = Field([256, 128], description="MLP only: sizes of the hidden layers")
    ann_epochs: int = Field(5, description="training epochs of the ANN")
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
    stdb_epochs: int = Field(3, description="hybrid STDB fine-tuning epochs (0: skip)")
    stdb_steps: int = Field(25, description="time steps per image of hybrid STDB (Poisson input)")
    stdb_learning_rate: float = Field(1e-4, description="Adam learning rate of hybrid STDB")
    diet_epochs: int = Field(10, description="DIET-SNN fine-tuning epochs (0: skip)")
    diet_steps: int = Field(5, description="time steps per image of DIET-SNN (direct input)")
    diet_learning_rate: float = Field(1e-4, description="Adam learning rate of DIET-SNN (weights, leaks, thresholds)")
    brian_images: int = Field(3, description="first test images run in Brian2 and compared with the reference (0: skip)")
    brian_steps: int = Field(20, description="time steps of each Brian2 run")
    threads: int = Field(1, description="PyTorch CPU threads")


def disk_bytes(config):
    """Most bytes written: ``curves.npz`` (accuracy and spikes after every step), the figure, and the
    Brian2 project of a C++ backend under ``builds/`` (sources, binary, 3 values per synapse per run)."""
    widths = [784, *config.hidden, 10]
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
    import numpy as np
    import torch

    from hetero_brian.results import save_arrays
    from hetero_brian.training.conversion_study import conversion_study

    seed = 0 if seed is None else seed
    torch.set_num_threads(config.threads)
    metrics, curves = conversion_study(config, seed=seed, backend="runtime" if backend == "auto" else backend,
                                       build_root=str(output / "builds"))
    save_arrays(output / "curves.npz", **{name: np.asarray(curve) for name, curve in curves.items()})
    metrics["figure"] = str(_figure(metrics, curves, output))
    metrics["energy_constants"] = "E_AC 0.9 pJ, E_MAC 4.6 pJ (Horowitz, ISSCC 2014, 45 nm, 32-bit float)"
    return metrics


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
