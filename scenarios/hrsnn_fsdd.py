"""HRSNN on spoken digits (FSDD): heterogeneous neurons and STDP, 2x2 over seeds, with a baseline.

Each recording of the Free Spoken Digit Dataset is brought to one level (``level="recording"``: its
loudest 25 ms frame at RMS 1; ``"global"`` keeps the recorded levels), becomes a log-mel spectrogram
resampled to a fixed number of frames, and is scaled to [0, 1] with the training side's
percentiles; every mel channel drives one input neuron through a deterministic rate code. The
samples are presented back to back (``frame_duration`` per frame, then ``t_rest`` of silence,
reset-free) to an E/I reservoir (:func:`hetero_brian.network.hrsnn.hrsnn_spec`): ``n_stdp_samples``
training samples with STDP on, then every training and test sample (shuffled) with plasticity
frozen. Spike counts of every reservoir neuron in ``n_bins`` bins of each presentation feed a
logistic (and a ridge) readout fitted on the training side. The four cells of the 2x2 are four runs
of one binary per seed (:func:`hetero_brian.protocols.hrsnn_2x2.run_2x2`); the baseline is a
logistic regression on the very frames the encoder sees. ``stdp_training="converged"``: STDP in chunks of
training presentations until the ee weights stop changing (:mod:`hetero_brian.protocols.hrsnn_convergence`).

``split="standard"``: FSDD's split (takes 0-4 test, the rest training). ``split="speaker"``: leave one speaker
out, one fold per speaker in ``folds`` (default all); STDP, the percentiles and the readouts see only the
other speakers. Fold ``f`` writes ``hrsnn_fsdd_<f>_*`` files; the metrics hold every fold's numbers
(``<metric>_<fold>``) and their mean (``<metric>_folds_mean``). ``validation_fraction``: score part of the training side.

References
----------
B. Chakraborty, S. Mukhopadhyay, "Heterogeneous recurrent spiking neural network for
spatio-temporal classification", Front. Neurosci. 17:994517 (2023).
Z. Jackson et al., Free Spoken Digit Dataset, https://github.com/Jakobovski/free-spoken-digit-dataset
"""
import time
from typing import Literal, Optional

import numpy as np
from pydantic import Field

from hetero_brian.analysis.figures_hrsnn import plot_2x2
from hetero_brian.errors import ConfigError
from hetero_brian.experiment.checks import hrsnn_2x2_disk_bytes
from hetero_brian.inputs import (FSDD_TEST_TAKES, fixed_fold, leave_one_group_out, log_mel_frames, normalise_level,
                                 read_fsdd, scale_frames, stratified_subset, validation_fold)
from hetero_brian.protocols.hrsnn_2x2 import HRSNNRunConfig, run_2x2
from hetero_brian.random import SeedStreams, fresh_seed


class Config(HRSNNRunConfig):
    """FSDD options (data, front end, split) on top of the reservoir and 2x2 options."""

    data_path: Optional[str] = Field(None, description="FSDD recordings folder; None: $HETERO_BRIAN_DATA/fsdd, then "
                                                       "../shared/data/fsdd")
    split: Literal["standard", "speaker"] = Field("standard", description="FSDD split (takes 0-4 test) or leave one speaker out")
    folds: Optional[list[str]] = Field(None, description="split='speaker' only: speakers held out, one fold each; None: all")
    level: Literal["recording", "global"] = Field(
        "recording", description="loudest 25 ms frame of each recording at RMS 1, or the recorded levels")
    n_train: Optional[int] = Field(None, description="training recordings per fold, stratified by digit; None: all")
    n_test: Optional[int] = Field(None, description="test recordings per fold, stratified by digit; None: all")
    n_mels: int = Field(20, description="mel bands of the log-mel spectrogram: the input neurons")
    n_frames: int = Field(20, description="frames each recording is resampled to (presented one per frame_duration)")
    low_percentile: float = Field(5.0, description="percentile of the training frames scaled to 0 (%)")
    high_percentile: float = Field(99.5, description="percentile of the training frames scaled to 1 (%)")
    validation_fraction: float = Field(0.0, ge=0.0, lt=1.0, description="score this seeded, stratified fraction of the "
                                       "training side, not the test side (choosing settings); 0: the test side")


def disk_bytes(config):
    """Most bytes written: the 2x2's files (:func:`~hetero_brian.experiment.checks.hrsnn_2x2_disk_bytes`) per
    fold, for FSDD's 3,000 recordings by 6 speakers (a larger data set needs a larger bound)."""
    folds = 1 if config.split == "standard" else len(config.folds or range(6))
    n_samples = min(3000, (config.n_train or 3000) + (config.n_test or 3000))
    return folds * hrsnn_2x2_disk_bytes(config, n_samples, config.n_mels, config.n_frames)


def _subset(indices, labels, n, rng, name):
    """``n`` of ``indices``, stratified by label (all of them when ``n`` is None)."""
    if n is None:
        return indices
    if not 10 <= n <= len(indices):
        raise ConfigError(f"{name} must be between 10 and {len(indices)}; got {n}")
    n_classes = np.unique(labels[indices]).size
    return indices[stratified_subset(labels[indices], int(np.ceil(n / n_classes)), rng)[:n]]


def fold_frames(log_mels, labels, fold, config, rng):
    """Training and test frames of one fold, scaled with the training side's percentiles only.

    Returns
    -------
    train_frames, train_labels, test_frames, test_labels, train_indices, test_indices
    """
    train = _subset(fold.train, labels, config.n_train, rng, "n_train")
    test = _subset(fold.test, labels, config.n_test, rng, "n_test")
    train_frames, test_frames = scale_frames(log_mels[train], log_mels[test], config.low_percentile,
                                             config.high_percentile)
    return train_frames, labels[train], test_frames, labels[test], train, test


def folds_of(data, config, seed=0):
    """The folds of ``config.split``; with ``validation_fraction``, their ``validation_fold`` (stream ``validation``)."""
    if config.split == "standard":
        if config.folds is not None:
            raise ConfigError("folds applies to split='speaker' only")
        folds = [fixed_fold(data.metadata["take"] < FSDD_TEST_TAKES)]
    else:
        try:
            folds = leave_one_group_out(data.metadata["speaker"], config.folds)
        except ValueError as error:
            raise ConfigError(f"folds: {error}") from None
    rng = SeedStreams(seed).generator("validation")
    return [validation_fold(fold, data.labels, config.validation_fraction, rng) for fold in folds] \
        if config.validation_fraction else folds


def run(config, output, backend="auto", seed=None):
    """Read FSDD, build the frames, run the 2x2 on every fold and draw its figure; return the metrics."""
    seed = fresh_seed() if seed is None else seed
    if not 0 <= config.low_percentile < config.high_percentile <= 100:
        raise ConfigError(f"need 0 <= low_percentile < high_percentile <= 100; got {config.low_percentile}, {config.high_percentile}")
    start = time.perf_counter()
    data = read_fsdd(config.data_path, split="all")
    signals = data.samples if config.level == "global" else [normalise_level(signal, data.sample_rate)
                                                             for signal in data.samples]
    log_mels = log_mel_frames(signals, data.sample_rate, config.n_mels, config.n_frames)
    read_time = time.perf_counter() - start
    print(f"hrsnn_fsdd: {len(data)} recordings read and encoded, {read_time:.0f} s", flush=True)
    folds, rng, metrics = folds_of(data, config, seed), SeedStreams(seed).generator("data"), {}
    if config.validation_fraction:
        print(f"hrsnn_fsdd: scoring {config.validation_fraction:g} of the training side, not the test side", flush=True)
    for fold in folds:
        train_frames, train_labels, test_frames, test_labels, _, _ = fold_frames(log_mels, data.labels, fold, config, rng)
        name = "hrsnn_fsdd" if config.split == "standard" else f"hrsnn_fsdd_{fold.name}"
        summary, per_seed = run_2x2(config, train_frames, train_labels, test_frames, test_labels, output, backend,
                                    seed, name)
        plot_2x2(per_seed, summary["baseline_accuracy"], output / f"{name}.png", title=name)
        if config.split == "standard":
            metrics = summary
        else:
            metrics.update({f"{key}_{fold.name}": value for key, value in summary.items()})
    if config.split == "speaker":
        for key in [key for key in metrics if key.endswith(f"_{folds[0].name}")]:
            stem = key[:-len(folds[0].name) - 1]
            if not stem.startswith("wall_time"):
                metrics[f"{stem}_folds_mean"] = float(np.mean([metrics[f"{stem}_{fold.name}"] for fold in folds]))
    metrics.update(wall_time_read=read_time, validation_fraction=config.validation_fraction)
    return metrics


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    main()
