"""Low-latency SNNs on MNIST (Rathi's supervised half): ANN, converted SNN, hybrid STDB and DIET-SNN.

A bias-free ReLU MLP (or a small CNN: ``architecture: cnn``) is trained in PyTorch on the package's
MNIST split (the t10k images permuted by the seed, first ``n_train`` for training, next ``n_test``
for testing), converted to integrate-and-fire layers with reset by subtraction and thresholds
balanced by each method in ``balancing``, and run with direct and Poisson input for up to
``max_steps`` steps. The converted network is fine-tuned by hybrid STDB (Poisson input,
``stdb_steps``) and by DIET-SNN (direct input, trainable leaks and thresholds, ``diet_steps``). The
first ``brian_images`` test images run in Brian2 (backend ``auto``: C++ standalone, compiled once,
every image a run argument; the runtime where no compiler works, stated in ``brian.backend_note``)
and their spikes are compared with the float64 reference. Writes ``curves.npz`` (accuracy after every step) and ``conversion.png`` (accuracy vs
time steps; energy vs accuracy).

References
----------
P. U. Diehl et al., IJCNN 2015; B. Rueckauer et al., Front. Neurosci. 11:682 (2017); A. Sengupta et
al., Front. Neurosci. 13:95 (2019); N. Rathi et al., ICLR 2020 (hybrid STDB); N. Rathi & K. Roy, IEEE
TNNLS 2021 (DIET-SNN); M. Horowitz, ISSCC 2014 (E_AC 0.9 pJ, E_MAC 4.6 pJ).
"""
from typing import List, Literal, Optional

from hetero_brian.config import StrictModel


class Config(StrictModel):
    """Options (the default runs in about 10 minutes on one core)."""

    data_path: Optional[str] = None  # folder with t10k-*-idx*-ubyte[.gz]; default $HETERO_BRIAN_DATA/mnist
    n_train: int = 8000
    n_test: int = 2000
    architecture: Literal["mlp", "cnn"] = "mlp"
    hidden: List[int] = [256, 128]
    ann_epochs: int = 5
    ann_learning_rate: float = 1e-3
    balancing: List[Literal["percentile", "max", "spike_norm"]] = ["percentile", "max", "spike_norm"]
    percentile: float = 99.9
    n_normalisation: int = 1000
    spike_norm_steps: int = 100
    encodings: List[Literal["direct", "poisson"]] = ["direct", "poisson"]
    max_steps: int = 200
    report_steps: List[int] = [5, 10, 25, 50, 100, 200]
    stdb_epochs: int = 3
    stdb_steps: int = 25
    stdb_learning_rate: float = 1e-4
    diet_epochs: int = 10
    diet_steps: int = 5
    diet_learning_rate: float = 1e-4
    brian_images: int = 10
    brian_steps: int = 20
    threads: int = 1


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
    metrics, curves = conversion_study(config, seed=seed, backend=backend, build_root=str(output / "builds"))
    save_arrays(output / "curves.npz", **{name: np.asarray(curve) for name, curve in curves.items()})
    metrics["figure"] = str(_figure(metrics, curves, output))
    metrics["energy_constants"] = "E_AC 0.9 pJ, E_MAC 4.6 pJ (Horowitz, ISSCC 2014, 45 nm, 32-bit float)"
    return metrics


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
