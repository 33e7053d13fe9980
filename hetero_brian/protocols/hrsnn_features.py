"""Reservoir features of the HRSNN 2x2: spike counts per bin, their readouts, and the feature cache.

The features of one run are the spike counts of every excitatory and inhibitory neuron in ``n_bins``
equal bins of every presentation after the STDP phase, in the data set's sample order (training
samples, then test samples, whatever order they were presented in). The readouts see
``log(1 + count)``. A cache file (``<name>_features_seed<seed>.npz``, one per seed) holds the counts
of every cell of the 2x2 with the labels and the activity metrics, so a readout-only rerun
(``features_from``) fits the readouts again without simulating and reproduces the accuracy.
"""
from pathlib import Path

import numpy as np

from ..analysis.features import sample_spike_counts
from ..errors import ConfigError
from ..readouts import LogisticReadout, RidgeReadout
from ..results.atomic import write_atomically

ACTIVITY = ("spikes_per_sample", "sops_per_sample", "mean_rate")


def reservoir_counts(result, boundaries, n_bins):
    """Spike counts ``(n_samples, n_bins * (n_exc + n_inh))`` of the ``exc`` and ``inh`` populations.

    Parameters
    ----------
    result : SimulationResult
        A run with spikes of ``exc`` and ``inh``.
    boundaries : numpy.ndarray, shape (n_samples, 2)
        ``[t_start, t_stop)`` of each presentation, seconds.
    n_bins : int
        Bins per presentation.

    Returns
    -------
    numpy.ndarray of int64
        Row ``s``: the bins of every excitatory neuron, then those of every inhibitory neuron.
    """
    blocks = [sample_spike_counts(result.spikes[name], boundaries, n_bins).reshape(len(boundaries), -1)
              for name in ("exc", "inh")]
    return np.concatenate(blocks, axis=1)


def readout_accuracies(counts, train_labels, test_labels, config):
    """Test accuracy of the logistic and the ridge readout on ``log(1 + counts)``.

    Parameters
    ----------
    counts : numpy.ndarray, shape (n_train + n_test, n_features)
        Training rows first, then test rows (:func:`reservoir_counts` in sample order).
    train_labels, test_labels : numpy.ndarray of int
    config : HRSNNRunConfig
        ``readout_c`` and ``ridge_alpha``.

    Returns
    -------
    dict
        ``accuracy`` (logistic) and ``ridge_accuracy``; both readouts are fitted on the training rows only.
    """
    features = np.log1p(np.asarray(counts, dtype=np.float64))
    n_train = len(train_labels)
    if features.shape[0] != n_train + len(test_labels):
        raise ValueError(f"counts has {features.shape[0]} rows; expected {n_train} training + {len(test_labels)} test rows")
    train, test = features[:n_train], features[n_train:]
    logistic = LogisticReadout(C=config.readout_c, max_iter=3000).fit(train, train_labels)
    ridge = RidgeReadout(alpha=config.ridge_alpha).fit(train, train_labels)
    return {"accuracy": float(logistic.score(test, test_labels)),
            "ridge_accuracy": float(ridge.score(test, test_labels))}


def features_path(folder, name, seed):
    """The cache file of one seed: ``<folder>/<name>_features_seed<seed>.npz``."""
    return Path(folder) / f"{name}_features_seed{seed}.npz"


def save_features(path, counts, activity, train_labels, test_labels):
    """Write one seed's cache atomically.

    Parameters
    ----------
    path : pathlib.Path
    counts : dict of str -> numpy.ndarray
        Per cell (``"HeNHeS"``, ...): :func:`reservoir_counts` in sample order.
    activity : dict of str -> dict
        Per cell: the :data:`ACTIVITY` metrics of the run.
    train_labels, test_labels : numpy.ndarray of int
    """
    arrays = {"train_labels": np.asarray(train_labels), "test_labels": np.asarray(test_labels)}
    for variant, values in counts.items():
        dtype = np.uint8 if values.max(initial=0) < 256 else np.uint16 if values.max() < 65536 else np.int64
        arrays[f"counts_{variant}"] = values.astype(dtype)
        arrays[f"activity_{variant}"] = np.array([activity[variant][key] for key in ACTIVITY])
    write_atomically(path, lambda temporary: _savez(temporary, arrays), if_exists="replace")


def _savez(temporary, arrays):
    with open(temporary, "wb") as stream:
        np.savez_compressed(stream, **arrays)


def load_features(path, variants, train_labels, test_labels):
    """Counts and activity of ``variants`` from a cache file, checked against the labels of this run.

    Returns
    -------
    counts : dict of str -> numpy.ndarray of int64
    activity : dict of str -> dict

    Raises
    ------
    ConfigError
        If the file is missing, lacks a cell, or was written for other samples (labels differ).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"features_from: no feature cache {str(path)!r} (was the run made with the same seed and name?)")
    with np.load(path) as stored:
        for key, labels in (("train_labels", train_labels), ("test_labels", test_labels)):
            if not np.array_equal(stored[key], labels):
                raise ConfigError(f"features_from: {path.name} holds features of other samples ({key} differ)")
        missing = [variant for variant in variants if f"counts_{variant}" not in stored]
        if missing:
            raise ConfigError(f"features_from: {path.name} lacks the cells {missing}")
        counts = {variant: stored[f"counts_{variant}"].astype(np.int64) for variant in variants}
        activity = {variant: dict(zip(ACTIVITY, stored[f"activity_{variant}"].tolist())) for variant in variants}
    return counts, activity


__all__ = ["ACTIVITY", "features_path", "load_features", "readout_accuracies", "reservoir_counts", "save_features"]
