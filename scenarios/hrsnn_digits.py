"""HRSNN on scikit-learn's 8x8 digits, rows presented over time: the 2x2 over seeds, with a baseline.

Each 8x8 image (intensities 0-16, scaled to [0, 1]) becomes a sequence of its rows: row ``k`` is
frame ``k`` and each of the 8 columns drives one input neuron with a deterministic rate code, so
the reservoir must hold the earlier rows to classify the digit. The rest of the protocol (an STDP
phase over training samples, plasticity frozen, spike-count features in time bins, standardised
logistic and ridge readouts, the 2x2 of homogeneous or heterogeneous neurons x homogeneous or
heterogeneous STDP over seeds, a logistic-regression baseline on the same rows) is the one of
:mod:`hetero_brian.protocols.hrsnn_2x2`, as in :mod:`hetero_brian.scenarios.hrsnn_fsdd`. There is
no standard split: a stratified ``test_fraction`` of the images (drawn from the ``data`` stream of
the seed) is held out. ``stdp_training="converged"``: STDP in chunks until convergence, as there.

References
----------
B. Chakraborty, S. Mukhopadhyay, "Heterogeneous recurrent spiking neural network for
spatio-temporal classification", Front. Neurosci. 17:994517 (2023).
E. Alpaydin, C. Kaynak, "Optical recognition of handwritten digits", UCI repository (1998).
"""
import time
from typing import Optional

import numpy as np
from brian2 import ms
from pydantic import Field

from hetero_brian.analysis.figures_hrsnn import plot_2x2
from hetero_brian.config import QuantityField
from hetero_brian.errors import ConfigError
from hetero_brian.experiment.checks import hrsnn_2x2_disk_bytes
from hetero_brian.inputs import load_sklearn_digits, row_frames, stratified_split, stratified_subset
from hetero_brian.protocols.hrsnn_2x2 import HRSNNRunConfig, run_2x2
from hetero_brian.random import SeedStreams, fresh_seed


class Config(HRSNNRunConfig):
    """Digits options on top of the reservoir and 2x2 options (10 ms per row, denser input)."""

    frame_duration: QuantityField(ms) = "10 ms"
    p_input: float = 0.5
    n_bins: int = 4
    test_fraction: float = Field(0.3, description="fraction of the images held out for testing, stratified by digit")
    n_samples: Optional[int] = Field(None, description="images used, stratified by digit (20 to 1797); None: all 1797")


def disk_bytes(config):
    """Most bytes written: the 2x2's files (:func:`~hetero_brian.experiment.checks.hrsnn_2x2_disk_bytes`) for
    at most all 1,797 images of 8 rows x 8 columns."""
    return hrsnn_2x2_disk_bytes(config, config.n_samples or 1797, 8, 8)


def run(config, output, backend="auto", seed=None):
    """Load the digits, split them, run the HRSNN 2x2 and draw its figure; return the metrics."""
    seed = fresh_seed() if seed is None else seed
    start = time.perf_counter()
    rng = SeedStreams(seed).generator("data")
    data = load_sklearn_digits()
    if config.n_samples is not None:
        if not 20 <= config.n_samples <= len(data):
            raise ConfigError(f"n_samples must be between 20 and {len(data)}; got {config.n_samples}")
        data = data.subset(stratified_subset(data.labels, int(np.ceil(config.n_samples / data.n_classes)), rng))
    train, test = stratified_split(data.labels, config.test_fraction, rng)
    frames = row_frames(data.samples)
    read_time = time.perf_counter() - start
    metrics, per_seed = run_2x2(config, frames[train], data.labels[train], frames[test], data.labels[test], output,
                                backend, seed, "hrsnn_digits")
    plot_2x2(per_seed, metrics["baseline_accuracy"], output / "hrsnn_digits.png", title="hrsnn_digits")
    metrics["wall_time_read"] = read_time
    return metrics


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    main()
