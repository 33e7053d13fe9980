"""How label-specific are cross-modal links? Offline measures on saved weights and spike counts.

Two ensembles (e.g. an image and an audio Diehl & Cook ensemble) are joined by plastic links
``i -> j`` (pre neuron ``i`` of one ensemble, post neuron ``j`` of the other). Every neuron carries
the label it was assigned from its responses (``-1``: never responded). These functions say how
much of the links' weight mass joins neurons of the same label, how much a purely Hebbian
co-activity rule could put there given how selective the neurons are, and how selective they are.

Pure numpy: reads arrays, never Brian2 state.

Examples
--------
>>> import numpy as np
>>> i, j = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
>>> labels = np.array([0, 1])
>>> same_label_fraction(i, j, np.array([3.0, 1.0, 1.0, 3.0]), labels, labels)
(0.75, 0.5)
"""
import numpy as np

__all__ = ["same_label_fraction", "coactivity_weights", "spike_label_purity"]


def same_label_fraction(i, j, weights, pre_assignments, post_assignments):
    """Fraction of the weight mass between neurons of the same label, and its chance level.

    Parameters
    ----------
    i, j : array_like of int
        Pre- and postsynaptic neuron of each synapse.
    weights : array_like of float
        Weight of each synapse (>= 0; any unit).
    pre_assignments, post_assignments : array_like of int
        Label of each pre / post neuron, ``-1`` for an unlabelled one.

    Returns
    -------
    fraction, chance : float
        Only synapses whose two neurons are both labelled count. ``chance`` is the fraction for
        weights spread uniformly over those synapses, ``sum_c n_pre(c) n_post(c) / (n_pre n_post)``
        for all-to-all links. NaN when nothing counts.
    """
    i, j = np.asarray(i), np.asarray(j)
    weights = np.asarray(weights, dtype=float)
    if not (i.shape == j.shape == weights.shape):
        raise ValueError(f"i, j and weights must have one shape; got {i.shape}, {j.shape}, {weights.shape}")
    if weights.size and (not np.all(np.isfinite(weights)) or weights.min() < 0):
        raise ValueError("weights must be finite and >= 0")
    a, b = np.asarray(pre_assignments)[i], np.asarray(post_assignments)[j]
    labelled = (a >= 0) & (b >= 0)
    same = labelled & (a == b)
    total = weights[labelled].sum()
    fraction = float(weights[same].sum() / total) if total > 0 else float("nan")
    chance = float(same.sum() / labelled.sum()) if labelled.any() else float("nan")
    return fraction, chance


def coactivity_weights(i, j, pre_counts, post_counts):
    """Weights a purely Hebbian rule would reach: co-activity, normalised per postsynaptic neuron.

    ``W_ij = sum_s n_i(s) n_j(s) / sum_k sum_s n_k(s) n_j(s)`` over samples ``s`` (spike counts of
    the two ensembles to the same paired sample). Its :func:`same_label_fraction` is what
    cross-modal learning that tracks co-activity can reach with these neurons' selectivity: a
    learned fraction near it means the links are limited by the ensembles, not by the rule.

    Parameters
    ----------
    i, j : array_like of int
        Synapses (pre neuron in ``pre_counts``' ensemble, post neuron in ``post_counts``').
    pre_counts, post_counts : array_like, shape (n_samples, n_pre) and (n_samples, n_post)
        Spike counts per sample (>= 0).

    Returns
    -------
    ndarray of float
        One weight per synapse; a post neuron that never fired gets 0 on all its links.
    """
    pre_counts = np.asarray(pre_counts, dtype=float)
    post_counts = np.asarray(post_counts, dtype=float)
    if pre_counts.ndim != 2 or post_counts.ndim != 2 or pre_counts.shape[0] != post_counts.shape[0]:
        raise ValueError("pre_counts and post_counts must be 2-D with one row per sample each; got shapes "
                         f"{pre_counts.shape} and {post_counts.shape}")
    if (pre_counts < 0).any() or (post_counts < 0).any():
        raise ValueError("spike counts must be >= 0")
    coactivity = pre_counts.T @ post_counts
    per_post = coactivity.sum(axis=0)
    normalised = np.divide(coactivity, per_post, out=np.zeros_like(coactivity), where=per_post > 0)
    return normalised[np.asarray(i), np.asarray(j)]


def spike_label_purity(counts, labels, assignments):
    """Fraction of an ensemble's spikes fired by neurons labelled with the sample's own label.

    Parameters
    ----------
    counts : array_like, shape (n_samples, n_neurons)
        Spike counts per sample.
    labels : array_like of int, shape (n_samples,)
        True label of each sample.
    assignments : array_like of int, shape (n_neurons,)
        Label of each neuron (``-1``: unlabelled; their spikes count as impure).

    Returns
    -------
    float
        Spike-weighted label purity in [0, 1]; NaN without spikes. Unlike vote accuracy, every
        spike counts, so neurons that respond to several digits lower it.
    """
    counts = np.asarray(counts, dtype=float)
    labels, assignments = np.asarray(labels), np.asarray(assignments)
    if counts.ndim != 2 or counts.shape != (labels.size, assignments.size):
        raise ValueError(f"counts must have shape (n_samples={labels.size}, n_neurons={assignments.size}); "
                         f"got {counts.shape}")
    total = counts.sum()
    if total == 0:
        return float("nan")
    return float(counts[labels[:, None] == assignments[None, :]].sum() / total)
