"""Sequence data for training: checks, and the QTDB ECG wave-segmentation set (numpy only).

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

__all__ = ["check_sequences", "load_qtdb", "QTDB_ENVIRONMENT_VARIABLE"]

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
        Folder holding both files; default: the environment variable ``HETERO_BRIAN_QTDB``.

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
        directory = os.environ.get(QTDB_ENVIRONMENT_VARIABLE)
        if not directory:
            raise FileNotFoundError(f"QTDB data path not given and {QTDB_ENVIRONMENT_VARIABLE} is not set; pass the folder "
                                    "holding QTDB_train.mat and QTDB_test.mat")
    directory = Path(directory)
    data = {}
    for split in ("train", "test"):
        path = directory / f"QTDB_{split}.mat"
        if not path.is_file():
            raise FileNotFoundError(f"QTDB file {str(path)!r} not found (data path {str(directory)!r}); it needs "
                                    "QTDB_train.mat and QTDB_test.mat (see ../shared/data/README.md)")
        data[f"{split}_inputs"], data[f"{split}_labels"] = _read(path)
    return data
