"""Pair samples of two modalities by label, and split a labelled set into disjoint parts.

Pairing rule (:func:`pair_by_label`): for each class ``c`` (in increasing order), ``n_per_class``
pairs are formed from an independent random order of the class-``c`` images and an independent
random order of the class-``c`` recordings: the ``k``-th pair joins the ``k``-th image and the
``k``-th recording. Images are never reused (a class with fewer than ``n_per_class`` images is an
error); recordings are reused only when ``reuse_second`` is true and the class has fewer recordings
than pairs, in which case the order is extended by further independent permutations (so every
recording is used ``floor`` or ``ceil`` of ``n_per_class / n_recordings`` times). Finally all pairs
are shuffled together. Both members of a pair therefore always carry the same label, and the whole
result is a function of the labels and the generator's state only.

Pure numpy.

Examples
--------
>>> import numpy as np
>>> images = np.array([0, 1, 0, 1, 1])
>>> audio = np.array([1, 0, 1])
>>> pairs = pair_by_label(images, audio, 2, np.random.default_rng(0))
>>> bool(np.all(images[pairs.first] == audio[pairs.second]))
True

References
----------
N. Rathi, K. Roy, "STDP-based unsupervised multimodal learning with cross-modal processing in spiking
neural network", IEEE Trans. Emerg. Topics Comput. Intell. (2018).
"""
from dataclasses import dataclass

import numpy as np

__all__ = ["Pairs", "pair_by_label", "stratified_split"]


@dataclass(frozen=True)
class Pairs:
    """Indices of paired samples: ``first[k]`` (into the first modality) goes with ``second[k]``;
    ``labels[k]`` is their common class."""

    first: np.ndarray
    second: np.ndarray
    labels: np.ndarray

    def __len__(self):
        return int(self.labels.size)


def _check_labels(labels, name):
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{name} must be a non-empty 1-D integer array; got dtype {labels.dtype}, shape {labels.shape}")
    if labels.min() < 0:
        raise ValueError(f"{name} must hold non-negative class indices; got minimum {labels.min()}")
    return labels.astype(np.int64)


def _check_generator(rng):
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
    return rng


def _check_count(value, name, minimum=0):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def pair_by_label(first_labels, second_labels, n_per_class, rng, classes=None, reuse_second=True):
    """Pair samples of two modalities with equal labels (rule in the module docstring).

    Parameters
    ----------
    first_labels : array_like of int, shape (n_first,)
        Labels of the first modality (e.g. MNIST images); never reused.
    second_labels : array_like of int, shape (n_second,)
        Labels of the second modality (e.g. FSDD recordings).
    n_per_class : int, >= 1
        Pairs per class.
    rng : numpy.random.Generator
    classes : array_like of int, optional
        Classes to pair (default: every class present in ``first_labels``).
    reuse_second : bool
        Allow a recording in several pairs when its class has fewer than ``n_per_class``.

    Returns
    -------
    Pairs
        ``len = n_per_class * n_classes``, in a random order.

    Raises
    ------
    ValueError
        A class with too few first-modality samples, or too few (or no) second-modality samples.
    """
    first_labels = _check_labels(first_labels, "first_labels")
    second_labels = _check_labels(second_labels, "second_labels")
    n_per_class = _check_count(n_per_class, "n_per_class", 1)
    rng = _check_generator(rng)
    classes = np.unique(first_labels) if classes is None else np.unique(_check_labels(classes, "classes"))
    first, second, labels = [], [], []
    for label in classes:
        images = np.flatnonzero(first_labels == label)
        recordings = np.flatnonzero(second_labels == label)
        if images.size < n_per_class:
            raise ValueError(f"class {label}: {images.size} first-modality samples, fewer than n_per_class={n_per_class}")
        if recordings.size == 0 or (recordings.size < n_per_class and not reuse_second):
            raise ValueError(f"class {label}: {recordings.size} second-modality samples for n_per_class={n_per_class} "
                             f"(reuse_second={reuse_second})")
        first.append(rng.permutation(images)[:n_per_class])
        rounds = -(-n_per_class // recordings.size)
        second.append(np.concatenate([rng.permutation(recordings) for _ in range(rounds)])[:n_per_class])
        labels.append(np.full(n_per_class, label, dtype=np.int64))
    order = rng.permutation(n_per_class * len(classes))
    return Pairs(np.concatenate(first)[order], np.concatenate(second)[order], np.concatenate(labels)[order])


def stratified_split(labels, counts_per_class, rng):
    """Disjoint index sets with ``counts_per_class[s]`` samples of every class in part ``s``.

    Parameters
    ----------
    labels : array_like of int
    counts_per_class : sequence of int
        Samples per class in each part (e.g. ``[train, label, test]``).
    rng : numpy.random.Generator

    Returns
    -------
    list of ndarray
        One index array per part, each in a random order; no index appears twice overall.
    """
    labels = _check_labels(labels, "labels")
    counts = [_check_count(c, "counts_per_class entry") for c in counts_per_class]
    rng = _check_generator(rng)
    parts = [[] for _ in counts]
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        if members.size < sum(counts):
            raise ValueError(f"class {label}: {members.size} samples, fewer than sum(counts_per_class)={sum(counts)}")
        start = 0
        for part, count in zip(parts, counts):
            part.append(members[start:start + count])
            start += count
    return [rng.permutation(np.concatenate(part)) for part in parts]
