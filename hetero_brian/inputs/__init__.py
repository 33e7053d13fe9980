"""Inputs: data-set readers, the audio front end and spike encoders (pure numpy/scipy, no brian2).

Physical arguments are floats in SI units (seconds, hertz) or Brian2 quantities of that dimension.
Encoders return :class:`EncodedSpikes` (flat ``indices``, ``times`` in seconds sorted by time,
``n_channels``, ``duration``), ready for ``SpikeGeneratorGroup(n_channels, indices, times * second)``;
:func:`to_dense_raster` gives the 0/1 time x channel array for a 2-D ``TimedArray`` instead.

Typical chain for spoken digits::

    data = read_fsdd(path, split="train")
    features = log_mel_spectrogram(data.samples[0], data.sample_rate, n_mels=40)
    rates = 100.0 * normalise_features(features)              # Hz
    spikes = poisson_encode(rates, dt=1e-4, rng=rng, frame_duration=0.010)
"""
from hetero_brian.inputs.audio import (
    erb_bandwidth,
    erb_number,
    erb_space,
    frame_signal,
    gammatone_cochleagram,
    gammatone_filter,
    hz_to_mel,
    log_mel_spectrogram,
    mel_filterbank,
    mel_to_hz,
    n_frames_of,
    stft,
)
from hetero_brian.inputs.datasets import (
    DATA_ENV_VAR,
    Dataset,
    check_labels,
    data_path,
    load_sklearn_digits,
    read_idx,
    read_mnist,
    stratified_split,
    stratified_subset,
)
from hetero_brian.inputs.encoders import (
    EncodedSpikes,
    bsa_decode,
    bsa_encode,
    bsa_filter,
    delta_encode,
    latency_encode,
    poisson_encode,
    sort_spikes,
)
from hetero_brian.inputs.folds import Fold, fixed_fold, leave_one_group_out, validation_fold
from hetero_brian.inputs.frames import log_mel_frames, normalise_level, row_frames, scale_frames
from hetero_brian.inputs.regular_encoder import regular_rate_encode
from hetero_brian.inputs.stimulus import normalise_features, stimulus_sequence, to_dense_raster
from hetero_brian.inputs.spoken import (
    FSDD_TEST_TAKES,
    parse_fsdd_name,
    read_fsdd,
    read_shd,
    read_wav,
)

__all__ = [
    "DATA_ENV_VAR",
    "Dataset",
    "EncodedSpikes",
    "FSDD_TEST_TAKES",
    "Fold",
    "bsa_decode",
    "bsa_encode",
    "bsa_filter",
    "check_labels",
    "data_path",
    "delta_encode",
    "erb_bandwidth",
    "erb_number",
    "erb_space",
    "fixed_fold",
    "frame_signal",
    "gammatone_cochleagram",
    "gammatone_filter",
    "hz_to_mel",
    "latency_encode",
    "leave_one_group_out",
    "load_sklearn_digits",
    "log_mel_frames",
    "log_mel_spectrogram",
    "mel_filterbank",
    "mel_to_hz",
    "n_frames_of",
    "normalise_features",
    "normalise_level",
    "parse_fsdd_name",
    "poisson_encode",
    "read_fsdd",
    "read_idx",
    "read_mnist",
    "read_shd",
    "read_wav",
    "regular_rate_encode",
    "row_frames",
    "scale_frames",
    "sort_spikes",
    "stft",
    "stimulus_sequence",
    "stratified_split",
    "stratified_subset",
    "validation_fold",
    "to_dense_raster",
]
