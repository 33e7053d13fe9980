"""HRSNN on spoken digits (FSDD): heterogeneous neurons and STDP, 2x2 over seeds, with a baseline.

Each recording of the Free Spoken Digit Dataset becomes a log-mel spectrogram resampled to a fixed
number of frames and scaled to [0, 1] with training-set percentiles; every mel channel drives one
input neuron through a deterministic rate code (an integrate-and-fire encoder, ``max_rate`` at full
scale). The samples are presented back to back (``frame_duration`` per frame, then ``t_rest`` of
silence, reset-free: the rest lets the reservoir state decay, it is not reset) to an E/I reservoir
(:func:`hetero_brian.network.hrsnn.hrsnn_spec`). Phase 1 presents ``n_stdp_samples`` training
samples with STDP on; phase 2 presents every training and test sample with plasticity frozen,
all in one compiled binary. Spike counts of every reservoir neuron in ``n_bins`` bins of each
presentation feed a standardised logistic (and a ridge) readout trained on the training split
(takes 5-49) and scored on the test split (takes 0-4). The four cells of the 2x2 (homogeneous or
heterogeneous neurons x homogeneous or heterogeneous STDP) are four runs of one binary per seed
(:func:`hetero_brian.protocols.hrsnn_2x2.run_2x2`). The non-spiking baseline is a logistic
regression on the very frames the encoder sees.

References
----------
B. Chakraborty, S. Mukhopadhyay, "Heterogeneous recurrent spiking neural network for
spatio-temporal classification", Front. Neurosci. 17:994517 (2023).
Z. Jackson et al., Free Spoken Digit Dataset, https://github.com/Jakobovski/free-spoken-digit-dataset
"""
import time
from typing import Optional

import numpy as np

from hetero_brian.analysis.figures_hrsnn import plot_2x2
from hetero_brian.errors import ConfigError
from hetero_brian.inputs import log_mel_frames, read_fsdd, scale_frames, stratified_subset
from hetero_brian.protocols.hrsnn_2x2 import HRSNNRunConfig, run_2x2
from hetero_brian.random import SeedStreams, fresh_seed


class Config(HRSNNRunConfig):
    """FSDD options (data and front end) on top of the reservoir and 2x2 options."""

    data_path: Optional[str] = None  # None: the lookup of hetero_brian.inputs.datasets
    n_train: Optional[int] = None
    n_test: Optional[int] = None
    n_mels: int = 20
    n_frames: int = 20
    low_percentile: float = 5.0
    high_percentile: float = 99.5


def _subset(dataset, n, rng, name):
    if n is None:
        return dataset
    if not 10 <= n <= len(dataset):
        raise ConfigError(f"{name} must be between 10 and {len(dataset)}; got {n}")
    return dataset.subset(stratified_subset(dataset.labels, int(np.ceil(n / dataset.n_classes)), rng)[:n])


def run(config, output, backend="auto", seed=None):
    """Read FSDD, build the frames, run the 2x2 and draw its figure; return the metrics."""
    seed = fresh_seed() if seed is None else seed
    if not 0 <= config.low_percentile < config.high_percentile <= 100:
        raise ConfigError(f"need 0 <= low_percentile < high_percentile <= 100; got {config.low_percentile}, {config.high_percentile}")
    start = time.perf_counter()
    rng = SeedStreams(seed).generator("data")
    train = _subset(read_fsdd(config.data_path, split="train"), config.n_train, rng, "n_train")
    test = _subset(read_fsdd(config.data_path, split="test"), config.n_test, rng, "n_test")
    train_frames, test_frames = scale_frames(log_mel_frames(train.samples, train.sample_rate, config.n_mels, config.n_frames),
                                             log_mel_frames(test.samples, test.sample_rate, config.n_mels, config.n_frames),
                                             config.low_percentile, config.high_percentile)
    read_time = time.perf_counter() - start
    metrics, per_seed = run_2x2(config, train_frames, train.labels, test_frames, test.labels, output, backend, seed,
                                "hrsnn_fsdd")
    plot_2x2(per_seed, metrics["baseline_accuracy"], output / "hrsnn_fsdd.png", title="hrsnn_fsdd")
    metrics["wall_time_read"] = read_time
    return metrics


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    main()
