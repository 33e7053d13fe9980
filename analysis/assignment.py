"""Label assignment and voting for unsupervised spiking classifiers (Diehl & Cook 2015).

Each neuron is labelled with the class to which it responds most (highest mean spike count over
the labelling samples of that class); a sample is then classified by the labelled neurons' votes:
the class whose neurons fire most on average. Pure numpy; responses are spike counts (or rates)
in an array ``(n_samples, n_neurons)``.

Examples
--------
Two neurons, two classes: neuron 0 fires for class 0, neuron 1 for class 1.

>>> import numpy as np
>>> responses = np.array([[5, 0], [4, 1], [0, 6], [1, 3]])
>>> labels = np.array([0, 0, 1, 1])
>>> assign_labels(responses, labels, 2)
array([0, 1])
>>> classify(np.array([[0, 2], [3, 1]]), np.array([0, 1]), 2)
array([1, 0])

References
----------
P. U. Diehl, M. Cook, "Unsupervised learning of digit recognition using spike-timing-dependent
plasticity", Front. Comput. Neurosci. 9:99 (2015).
"""
import numpy as np

from hetero_brian.analysis._synapse_checks import check_integer

UNASSIGNED = -1

__all__ = ["UNASSIGNED", "class_responses", "assign_labels", "class_scores", "classify", "accuracy",
           "confusion_matrix"]


def _responses(responses, name="responses"):
    responses = np.asarray(responses, dtype=float)
    if responses.ndim != 2 or responses.shape[1] == 0:
        raise ValueError(f"{name} must be a 2-D array (n_samples, n_neurons); got shape {responses.shape}")
    if not np.all(np.isfinite(responses)) or (responses.size and responses.min() < 0):
        raise ValueError(f"{name} must hold finite, non-negative spike counts or rates")
    return responses


def _labels(labels, n_samples, n_classes, name="labels"):
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size != n_samples:
        raise ValueError(f"{name} must be a 1-D array of {n_samples} class indices (one per sample); "
                         f"got shape {labels.shape}")
    if labels.size and (not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"{name} must hold integers in [0, {n_classes}); got values "
                         f"{np.unique(labels)[:5]}")
    return labels.astype(np.int64)


def class_responses(responses, labels, n_classes):
    """Mean response of each neuron to each class, shape ``(n_classes, n_neurons)``.

    A class without labelling samples gets a row of zeros.
    """
    n_classes = check_integer(n_classes, "n_classes", 2)
    responses = _responses(responses)
    labels = _labels(labels, responses.shape[0], n_classes)
    totals = np.zeros((n_classes, responses.shape[1]))
    np.add.at(totals, labels, responses)
    counts = np.bincount(labels, minlength=n_classes).astype(float)
    return np.divide(totals, counts[:, None], out=np.zeros_like(totals), where=counts[:, None] > 0)


def assign_labels(responses, labels, n_classes):
    """Assign each neuron the class it responds to most.

    Parameters
    ----------
    responses : array_like, shape (n_samples, n_neurons)
        Spike counts (or rates) of each neuron for each labelling sample.
    labels : array_like of int, shape (n_samples,)
        True class of each labelling sample, in ``[0, n_classes)``.
    n_classes : int, >= 2

    Returns
    -------
    assignments : ndarray of int, shape (n_neurons,)
        ``argmax_c`` of the neuron's mean response to class ``c`` (ties: the lowest class);
        :data:`UNASSIGNED` (-1) for a neuron that never responded.

    Notes
    -----
    The mean is over the samples of each class, so unbalanced labelling sets do not bias the
    assignment toward frequent classes.
    """
    means = class_responses(responses, labels, n_classes)
    assignments = np.argmax(means, axis=0).astype(np.int64)
    assignments[means.max(axis=0) <= 0] = UNASSIGNED
    return assignments


def _assignments(assignments, n_neurons, n_classes):
    assignments = np.asarray(assignments)
    if assignments.ndim != 1 or assignments.size != n_neurons:
        raise ValueError(f"assignments must be a 1-D array of {n_neurons} labels (one per neuron); "
                         f"got shape {assignments.shape}")
    if assignments.size and (not np.issubdtype(assignments.dtype, np.integer) or assignments.min() < UNASSIGNED
                             or assignments.max() >= n_classes):
        raise ValueError(f"assignments must hold integers in [-1, {n_classes}); got values {np.unique(assignments)[:5]}")
    return assignments.astype(np.int64)


def class_scores(responses, assignments, n_classes):
    """Vote of each class for each sample: the mean response of the neurons assigned to it.

    Returns
    -------
    ndarray, shape (n_samples, n_classes)
        ``score[s, c] = sum_{n: a_n = c} r[s, n] / #{n: a_n = c}``; 0 for a class with no neuron.
    """
    n_classes = check_integer(n_classes, "n_classes", 2)
    responses = _responses(responses)
    assignments = _assignments(assignments, responses.shape[1], n_classes)
    assigned = assignments >= 0
    membership = np.zeros((responses.shape[1], n_classes))
    membership[np.flatnonzero(assigned), assignments[assigned]] = 1.0
    sizes = membership.sum(axis=0)
    totals = responses @ membership
    return np.divide(totals, sizes[None, :], out=np.zeros_like(totals), where=sizes[None, :] > 0)


def classify(responses, assignments, n_classes):
    """Predicted class of each sample: the class with the highest :func:`class_scores` vote.

    Ties go to the lowest class; a sample with no vote at all (no assigned neuron fired) is
    :data:`UNASSIGNED` (-1), which counts as an error in :func:`accuracy`.
    """
    scores = class_scores(responses, assignments, n_classes)
    predictions = np.argmax(scores, axis=1).astype(np.int64)
    predictions[scores.max(axis=1) <= 0] = UNASSIGNED
    return predictions


def accuracy(predictions, labels):
    """Fraction of ``predictions`` equal to ``labels`` (both 1-D of equal length, at least one)."""
    predictions = np.asarray(predictions)
    labels = np.asarray(labels)
    if predictions.ndim != 1 or predictions.shape != labels.shape or predictions.size == 0:
        raise ValueError(f"predictions and labels must be non-empty 1-D arrays of equal length; got shapes "
                         f"{predictions.shape} and {labels.shape}")
    return float(np.mean(predictions == labels))


def confusion_matrix(predictions, labels, n_classes):
    """Counts ``[true class, predicted class]``; unassigned predictions (-1) go to an extra last column."""
    n_classes = check_integer(n_classes, "n_classes", 2)
    labels = _labels(labels, np.size(labels), n_classes)
    predictions = np.asarray(predictions, dtype=np.int64)
    if predictions.shape != labels.shape or (predictions.size and (predictions.min() < -1 or predictions.max() >= n_classes)):
        raise ValueError(f"predictions must be {labels.size} integers in [-1, {n_classes})")
    matrix = np.zeros((n_classes, n_classes + 1), dtype=np.int64)
    np.add.at(matrix, (labels, np.where(predictions < 0, n_classes, predictions)), 1)
    return matrix
