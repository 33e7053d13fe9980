"""HRSNN on scikit-learn's 8x8 digits, rows presented over time: the 2x2 over seeds, with a baseline.

Each 8x8 image (intensities 0-16, scaled to [0, 1]) becomes a sequence of its rows: row ``k`` is
frame ``k`` and each of the 8 columns drives one input neuron with a deterministic rate code, so
the reservoir must hold the earlier rows to classify the digit. The rest of the protocol (an STDP
phase over training samples, plasticity frozen, spike-count features in time bins, standardised
logistic and ridge readouts, the 2x2 of homogeneous or heterogeneous neurons x homogeneous or
heterogeneous STDP over seeds, a logistic-regression baseline on the same rows) is the one of
:mod:`hetero_brian.scenarios.hrsnn_fsdd`. There is no standard split: a stratified ``test_fraction`` of the
images (drawn from the ``data`` stream of the seed) is held out.

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

from hetero_brian.config import QuantityField
from hetero_brian.errors import ConfigError
from hetero_brian.scenarios.hrsnn_fsdd import HRSNNRunConfig, run_2x2


class Config(HRSNNRunConfig):
    """Digits options on top of the shared HRSNN options (10 ms per row, denser input)."""

    frame_duration: QuantityField(ms) = "10 ms"
    p_input: float = 0.5
    n_bins: int = 4
    test_fraction: float = 0.3
    n_samples: Optional[int] = None


def split_digits(labels, test_fraction, rng):
    """Stratified split: ``round(test_fraction * n_c)`` of each class ``c`` to the test set.

    Returns
    -------
    train, test : numpy.ndarray of int64
        Sorted indices.
    """
    if not 0 < test_fraction < 1:
        raise ConfigError(f"test_fraction must be in (0, 1); got {test_fraction!r}")
    test = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        n_test = int(round(test_fraction * members.size))
        if n_test < 1 or n_test >= members.size:
            raise ConfigError(f"test_fraction={test_fraction} leaves class {label} ({members.size} samples) "
                              "without training or test samples")
        test.append(rng.choice(members, n_test, replace=False))
    test = np.sort(np.concatenate(test))
    train = np.setdiff1d(np.arange(labels.size), test)
    return train, test


def row_frames(images):
    """Images ``(n, rows, columns)`` with values 0-16 -> frames ``(n, columns, rows)`` in [0, 1]."""
    images = np.asarray(images, dtype=float)
    if images.ndim != 3 or images.min() < 0 or images.max() > 16:
        raise ValueError(f"images must be an (n, rows, columns) array with values in [0, 16]; got shape {images.shape}")
    return np.transpose(images, (0, 2, 1)) / 16.0


def run(config, output, backend="auto", seed=None):
    """Load the digits, split them, and run the HRSNN 2x2."""
    from hetero_brian.inputs import load_sklearn_digits, stratified_subset
    from hetero_brian.random import SeedStreams, fresh_seed

    seed = fresh_seed() if seed is None else seed
    start = time.perf_counter()
    rng = SeedStreams(seed).generator("data")
    data = load_sklearn_digits()
    if config.n_samples is not None:
        if not 20 <= config.n_samples <= len(data):
            raise ConfigError(f"n_samples must be between 20 and {len(data)}; got {config.n_samples}")
        data = data.subset(stratified_subset(data.labels, int(np.ceil(config.n_samples / data.n_classes)), rng))
    train, test = split_digits(data.labels, config.test_fraction, rng)
    frames = row_frames(data.samples)
    read_time = time.perf_counter() - start
    metrics = run_2x2(config, frames[train], data.labels[train], frames[test], data.labels[test], output, backend,
                      seed, "hrsnn_digits")
    metrics["wall_time_read"] = read_time
    return metrics


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    main()
