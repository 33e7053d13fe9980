"""Sequence data for training: checks, the QTDB ECG wave-segmentation set, and digit sequences
(FSDD log-mel frames, MNIST rows) with a class per sequence (numpy only).

QTDB as encoded by Yin et al.: ``QTDB_train.mat`` (618 sequences) and ``QTDB_test.mat`` (141), each
1,301 steps of 4 level-crossing channels (2 leads x up/down) with values in {-1, 0, 1}, and a
one-hot label per step (6 wave segments).

References
----------
P. Laguna et al., "A database for evaluation of algorithms for measurement of QT and other
waveform intervals in the ECG", Computers in Cardiology 24, 673-676 (1997) (PhysioNet QT Database).
B. Yin, F. Corradi, S. M. Bohté, arXiv:2005.11633 (2020) (the level-crossing encoding).
"""
import os
from pathlib import Path

import numpy as np

from hetero_brian.inputs.datasets import data_path

__all__ = ["check_sequences", "load_qtdb", "QTDB_ENVIRONMENT_VARIABLE", "sequence_labels", "fsdd_frame_sequences",
           "mnist_row_sequences"]

#: Environment variable naming the QTDB folder when no path is given.
QTDB_ENVIRONMENT_VARIABLE = "HETERO_BRIAN_QTDB"


def check_sequences(inputs, labels, n_inputs, n_classes):
    """Validate a data set of sequences with a label per step; return float and int64 copies.

    Parameters
    ----------
    inputs : array_like, shape (n_sequences, steps, n_inputs)
    labels : array_like of int, shape (n_sequences, steps)
    n_inputs, n_classes : int

    Returns
    -------
    (numpy.ndarray of float32 or float64, numpy.ndarray of int64)
    """
    inputs = np.asarray(inputs)
    labels = np.asarray(labels)
    if inputs.ndim != 3 or inputs.shape[2] != n_inputs or inputs.shape[0] == 0 or inputs.shape[1] == 0:
        raise ValueError(f"inputs must have shape (n_sequences, steps, n_inputs={n_inputs}); got {inputs.shape}")
    if labels.shape != inputs.shape[:2]:
        raise ValueError(f"labels must have shape (n_sequences, steps) = {inputs.shape[:2]}; got {labels.shape}")
    if not np.issubdtype(inputs.dtype, np.number) or not np.all(np.isfinite(inputs)):
        raise ValueError("inputs contain NaN or Inf (or are not numbers)")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers (class per step); got dtype {labels.dtype}")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"labels must lie in [0, {n_classes}); got [{labels.min()}, {labels.max()}]")
    dtype = np.float64 if inputs.dtype == np.float64 else np.float32
    return np.ascontiguousarray(inputs, dtype=dtype), np.ascontiguousarray(labels, dtype=np.int64)


def _read(path):
    from scipy.io import loadmat

    content = loadmat(path)
    for key in ("x", "y"):
        if key not in content:
            raise ValueError(f"{str(path)!r} has no variable {key!r}; is it Yin et al.'s QTDB file?")
    inputs = np.asarray(content["x"], dtype=np.float32)
    labels = np.argmax(np.asarray(content["y"]), axis=-1).astype(np.int64)
    return inputs, labels


def load_qtdb(directory=None):
    """Read ``QTDB_train.mat`` and ``QTDB_test.mat``.

    Parameters
    ----------
    directory : str or pathlib.Path, optional
        Folder holding both files; default: the environment variable ``HETERO_BRIAN_QTDB`` when
        set, else the common data lookup (``$HETERO_BRIAN_DATA/qtdb``, then the repository's
        ``../shared/data/qtdb``; :func:`hetero_brian.inputs.datasets.data_path`).

    Returns
    -------
    dict
        ``train_inputs`` (618, 1301, 4) float32 in {-1, 0, 1}, ``train_labels`` (618, 1301) int64
        in 0..5, ``test_inputs``, ``test_labels`` (141 sequences).

    Raises
    ------
    FileNotFoundError
        When the folder or a file is missing (the message names the path and the variable).
    """
    if directory is None:
        directory = os.environ.get(QTDB_ENVIRONMENT_VARIABLE) or data_path(
            None, "qtdb", f"QTDB_train.mat and QTDB_test.mat (see ../shared/data/README.md), or set "
            f"{QTDB_ENVIRONMENT_VARIABLE} to their folder", name="the QTDB data path")
    directory = Path(directory)
    data = {}
    for split in ("train", "test"):
        path = directory / f"QTDB_{split}.mat"
        if not path.is_file():
            raise FileNotFoundError(f"QTDB file {str(path)!r} not found (data path {str(directory)!r}); it needs "
                                    "QTDB_train.mat and QTDB_test.mat (see ../shared/data/README.md)")
        data[f"{split}_inputs"], data[f"{split}_labels"] = _read(path)
    return data


def sequence_labels(labels, n_steps):
    """One class per sequence -> the same class at every step, ``(n_sequences, n_steps)`` int64.

    The trainer's per-step loss from ``loss_start_step`` on then trains a sequence classifier (with
    ``loss_start_step = n_steps - 1``: the last step's readout only).
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a 1-D integer array (one class per sequence); got {labels.dtype} {labels.shape}")
    return np.repeat(labels.astype(np.int64)[:, None], int(n_steps), axis=1)


def fsdd_frame_sequences(path, n_mels=20, n_frames=20, low_percentile=5.0, high_percentile=99.5):
    """FSDD on its standard split as log-mel frame sequences, one frame per step.

    The front end of the HRSNN FSDD scenario (:func:`hetero_brian.inputs.log_mel_frames`, scaled to
    [0, 1] by the training set's percentiles with :func:`hetero_brian.inputs.scale_frames`).

    Returns
    -------
    dict
        ``train_inputs`` (n, n_frames, n_mels) float32, ``train_classes`` (n,) int64, ``test_inputs``,
        ``test_classes`` (takes 0-4 of every speaker and digit).
    """
    from ..inputs import log_mel_frames, read_fsdd, scale_frames

    train, test = read_fsdd(path, split="train"), read_fsdd(path, split="test")
    train_frames, test_frames = scale_frames(log_mel_frames(train.samples, train.sample_rate, n_mels, n_frames),
                                             log_mel_frames(test.samples, test.sample_rate, n_mels, n_frames),
                                             low_percentile, high_percentile)
    return {"train_inputs": np.ascontiguousarray(np.transpose(train_frames, (0, 2, 1)), dtype=np.float32),
            "train_classes": np.asarray(train.labels, dtype=np.int64),
            "test_inputs": np.ascontiguousarray(np.transpose(test_frames, (0, 2, 1)), dtype=np.float32),
            "test_classes": np.asarray(test.labels, dtype=np.int64)}


def mnist_row_sequences(path, n_train=8000, n_test=2000, pixels=False):
    """MNIST (the 10,000 test-file images the package uses) as row sequences: row ``k`` is step ``k``.

    The first ``n_train`` images train, the last ``n_test`` test (the 8k/2k split); values are
    pixel / 255. ``pixels=True``: one pixel per step (784 steps, 1 channel; the larger configuration).

    Returns
    -------
    dict
        ``train_inputs`` (n_train, 28, 28) float32 (or (n_train, 784, 1)), ``train_classes``,
        ``test_inputs``, ``test_classes``.
    """
    from ..inputs import read_mnist

    data = read_mnist(path, split="test")
    if n_train < 1 or n_test < 1 or n_train + n_test > len(data.labels):
        raise ValueError(f"n_train + n_test must be <= {len(data.labels)} images, both >= 1; got {n_train}, {n_test}")
    images = np.asarray(data.samples, dtype=np.float32) / 255.0
    if pixels:
        images = images.reshape(len(images), -1, 1)
    labels = np.asarray(data.labels, dtype=np.int64)
    return {"train_inputs": np.ascontiguousarray(images[:n_train]), "train_classes": labels[:n_train],
            "test_inputs": np.ascontiguousarray(images[len(images) - n_test:]), "test_classes": labels[len(images) - n_test:]}
