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

from hetero_brian.config import StrictModel

#: dataset -> default (ann_epochs, stdb_epochs, diet_epochs). FSDD has 2,700 training recordings against
#: MNIST's 8,000 images: its STDB and DIET epochs are tripled (about the same number of updates) and its
#: ANN needs 30 epochs (a probe, seed 1: 87.7 % test after 5, 94.7 % after 30).
EPOCHS = {"mnist": (5, 3, 10), "fsdd": (30, 9, 30)}


class Config(StrictModel):
    """Options (the MNIST default runs in 10-15 minutes on one loaded core)."""

    dataset: Literal["mnist", "fsdd"] = "mnist"
    data_path: Optional[str] = None  # MNIST t10k files / FSDD recordings; default $HETERO_BRIAN_DATA/{mnist,fsdd}
    n_train: int = 8000  # FSDD: at most its 2,700 training recordings
    n_test: int = 2000  # FSDD: at most its 300 test recordings
    n_mels: int = 20  # FSDD image height (mel channels)
    n_frames: int = 20  # FSDD image width (frames per recording)
    architecture: Literal["mlp", "cnn"] = "mlp"
    hidden: List[int] = [256, 128]
    ann_epochs: Optional[int] = None  # default per dataset (EPOCHS)
    ann_learning_rate: float = 1e-3
    balancing: List[Literal["percentile", "max", "spike_norm"]] = ["percentile", "max", "spike_norm"]
    percentile: float = 99.9
    n_normalisation: int = 1000
    spike_norm_steps: int = 100
    encodings: List[Literal["direct", "poisson"]] = ["direct", "poisson"]
    max_steps: int = 200
    report_steps: List[int] = [5, 10, 25, 50, 100, 200]
    stdb_epochs: Optional[int] = None  # default per dataset (EPOCHS)
    stdb_steps: int = 25
    stdb_learning_rate: float = 1e-4
    diet_epochs: Optional[int] = None  # default per dataset (EPOCHS)
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
