"""Train / test index splits by group: leave one group (for example one speaker) out, every fold.

A fold's test side holds every sample of one group and its training side every other sample, so a
statistic computed from the training indices never sees the held-out group.
"""
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Fold:
    """One train / test split.

    Attributes
    ----------
    name : str
        The held-out group (``"standard"`` for a fixed split).
    train, test : numpy.ndarray of int
        Sorted, disjoint indices into the data set.
    """

    name: str
    train: np.ndarray
    test: np.ndarray


def leave_one_group_out(groups, held_out=None):
    """One :class:`Fold` per group: that group's samples are the test side, all others the training side.

    Parameters
    ----------
    groups : array_like, shape (n_samples,)
        The group of every sample (for example FSDD's ``metadata["speaker"]``).
    held_out : sequence, optional
        Make folds for these groups only (in this order); default every group, sorted.

    Returns
    -------
    list of Fold

    Raises
    ------
    ValueError
        If there are fewer than two groups or ``held_out`` names a group that does not occur.
    """
    groups = np.asarray(groups)
    names = np.unique(groups)
    if names.size < 2:
        raise ValueError(f"leave-one-group-out needs at least two groups; got {names.tolist()}")
    chosen = names.tolist() if held_out is None else list(held_out)
    unknown = sorted(set(chosen) - set(names.tolist()))
    if unknown:
        raise ValueError(f"held_out names groups that do not occur: {unknown}; the groups are {names.tolist()}")
    indices = np.arange(groups.size)
    return [Fold(str(name), indices[groups != name], indices[groups == name]) for name in chosen]


def fixed_fold(is_test, name="standard"):
    """The :class:`Fold` of a fixed split: samples with ``is_test`` true form the test side."""
    is_test = np.asarray(is_test, dtype=bool)
    indices = np.arange(is_test.size)
    if is_test.all() or not is_test.any():
        raise ValueError("a fixed split needs at least one training and one test sample")
    return Fold(name, indices[~is_test], indices[is_test])


def validation_fold(fold, labels, fraction, rng):
    """A fold whose test side is a stratified ``fraction`` of ``fold``'s training side.

    For choosing settings without the test side: the returned fold's training and test (validation)
    indices are disjoint and both drawn from ``fold.train``; ``fold.test`` appears in neither.

    Parameters
    ----------
    fold : Fold
    labels : numpy.ndarray of int, shape (n_samples,)
        Class of every sample of the data set (the stratification: ``round(fraction * n_c)`` of each class).
    fraction : float
        In (0, 1).
    rng : numpy.random.Generator
    """
    from .datasets import stratified_split

    fit, held = stratified_split(np.asarray(labels)[fold.train], fraction, rng)
    return Fold(fold.name, fold.train[fit], fold.train[held])


__all__ = ["Fold", "fixed_fold", "leave_one_group_out", "validation_fold"]
