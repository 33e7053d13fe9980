"""Weight quantisation: rounding kept weights to a few conductance levels (pure numpy).

* :func:`uniform_levels` -- levels evenly spaced over ``[w_min, w_max]``;
* :func:`kmeans_levels` -- optimal 1-D k-means levels (dynamic programming, then Lloyd's
  iterations);
* :func:`quantise_weights` -- each kept weight replaced by its nearest level; pruned synapses
  (``mask`` False) are left unchanged.

Used by the pruning schedule of :mod:`hetero_brian.analysis.pruning`, which re-exports every public name.

Examples
--------
>>> uniform_levels(3, 0.0, 1.0)
array([0. , 0.5, 1. ])
>>> w_quantised, levels = quantise_weights([0.1, 0.4, 0.9], 3, 0.0, 1.0)
>>> w_quantised
array([0. , 0.5, 1. ])

References
----------
N. Rathi, P. Panda, K. Roy, "STDP-based pruning of connections and weight quantization in spiking
neural networks for energy-efficient recognition", IEEE TCAD 38(4):668-677 (2018),
arXiv:1710.04734.
"""
import numpy as np

from hetero_brian.analysis._synapse_checks import _degenerate, check_integer, check_mask

__all__ = ["uniform_levels", "kmeans_levels", "quantise_weights"]


def uniform_levels(n_levels, w_min, w_max):
    """``n_levels`` equally spaced weight levels from ``w_min`` to ``w_max`` (both included)."""
    n_levels = _check_levels(n_levels)
    w_min, w_max = _check_bounds(w_min, w_max)
    levels = np.linspace(w_min, w_max, n_levels)
    levels[0], levels[-1] = w_min, w_max
    return levels


def kmeans_levels(values, n_levels, n_groups=1000, max_iterations=100):
    """1-D k-means levels: exact dynamic programming on grouped values, refined by Lloyd's iterations.

    Parameters
    ----------
    values : array_like of float
        Must hold at least ``n_levels`` distinct values.
    n_levels : int, >= 2
    n_groups : int
        When there are more distinct values than ``max(n_groups, n_levels)``, the sorted values are
        cut into about that many contiguous groups before the dynamic programme: half of the cuts
        at equally spaced ranks, half at equally spaced values (so sparse tails get their own groups).
    max_iterations : int
        Lloyd's iterations after the dynamic programme.

    Returns
    -------
    levels : ndarray, shape (n_levels,)
        Strictly increasing cluster means, within ``[min(values), max(values)]``. Deterministic.

    Notes
    -----
    Optimal 1-D clusters are contiguous in the sorted values, so the minimum within-cluster sum of
    squares over ``k`` clusters of the first ``b`` groups obeys
    ``D_k(b) = min_a D_{k-1}(a) + SSE(a, b)`` (Wang & Song 2011, Ckmeans.1d.dp); with distinct values
    as groups this is the exact optimum. Lloyd's iterations (assignment to the nearest centre, centre
    to the cluster mean) can only lower the sum of squares further. Non-empty contiguous clusters
    have distinct, increasing means.

    References
    ----------
    H. Wang, M. Song, "Ckmeans.1d.dp: optimal k-means clustering in one dimension by dynamic
    programming", The R Journal 3(2):29-33 (2011).
    """
    n_levels = _check_levels(n_levels)
    values = np.sort(np.asarray(values, dtype=float).ravel())
    distinct, counts = np.unique(values, return_counts=True)
    if distinct.size < n_levels:
        raise ValueError(f"n_levels={n_levels} k-means levels need at least {n_levels} distinct weights; "
                         f"got {distinct.size}")
    if distinct.size <= max(int(n_groups), n_levels):
        group_count, group_sum, group_square = counts.astype(float), distinct * counts, distinct ** 2 * counts
    else:
        half = max(int(n_groups), n_levels) // 2 + 1
        by_count = np.round(np.linspace(0, values.size, half)).astype(np.int64)
        by_value = np.searchsorted(values, np.linspace(values[0], values[-1], half), side="left")
        starts = np.unique(np.concatenate([by_count, by_value]))
        starts = starts[starts < values.size]
        group_count = np.diff(np.append(starts, values.size)).astype(float)
        group_sum, group_square = np.add.reduceat(values, starts), np.add.reduceat(values ** 2, starts)
    cumulative = [np.concatenate(([0.0], np.cumsum(x))) for x in (group_count, group_sum, group_square)]
    first, last = np.meshgrid(np.arange(group_count.size + 1), np.arange(group_count.size + 1), indexing="ij")
    with np.errstate(divide="ignore", invalid="ignore"):
        count = cumulative[0][last] - cumulative[0][first]
        cost = cumulative[2][last] - cumulative[2][first] - (cumulative[1][last] - cumulative[1][first]) ** 2 / count
    cost = np.where(last > first, np.maximum(cost, 0.0), np.inf)
    best, choices = cost[0], []
    for _ in range(n_levels - 1):
        total = best[:, None] + cost
        choice = np.argmin(total, axis=0)
        best = total[choice, np.arange(total.shape[1])]
        choices.append(choice)
    edges = [group_count.size]
    for choice in reversed(choices):
        edges.append(int(choice[edges[-1]]))
    edges = np.array([0] + edges[::-1])               # the first cluster starts at group 0
    centres = np.diff(cumulative[1][edges]) / np.diff(cumulative[0][edges])
    for _ in range(max_iterations):
        labels = np.searchsorted(0.5 * (centres[1:] + centres[:-1]), values, side="right")
        occupancy = np.bincount(labels, minlength=n_levels)
        if np.any(occupancy == 0):
            break                                   # keep the last centres with non-empty clusters
        new_centres = np.bincount(labels, weights=values, minlength=n_levels) / occupancy
        if np.array_equal(new_centres, centres):
            break
        centres = new_centres
    return centres


def quantise_weights(w, n_levels, w_min, w_max, method="uniform", mask=None):
    """Round the kept weights to ``n_levels`` conductance levels inside ``[w_min, w_max]``.

    Parameters
    ----------
    w : array_like of float, shape (n_synapses,)
        Weights; the kept ones must lie in ``[w_min, w_max]``.
    n_levels : int, >= 2
    w_min, w_max : float
        Weight bounds (the STDP clipping bounds), ``w_max > w_min``.
    method : {"uniform", "kmeans"}
        ``"uniform"``: levels evenly spaced over ``[w_min, w_max]`` (:func:`uniform_levels`);
        ``"kmeans"``: levels are the 1-D k-means centres of the kept weights (:func:`kmeans_levels`).
    mask : array_like of bool, optional
        Kept synapses; pruned ones are returned unchanged.

    Returns
    -------
    w_quantised : ndarray, shape (n_synapses,)
        Each kept weight replaced by its nearest level.
    levels : ndarray, shape (n_levels,)
        Exactly ``n_levels`` distinct, increasing values within ``[w_min, w_max]``. With
        ``"kmeans"`` (once Lloyd's iteration has converged) every level is used by a kept weight.
    """
    w = np.asarray(w, dtype=float)
    if w.ndim != 1:
        raise ValueError(f"w must be a 1-D array; got shape {w.shape}")
    n_levels = _check_levels(n_levels)
    w_min, w_max = _check_bounds(w_min, w_max)
    mask = check_mask(mask, w.size)
    kept = w[mask]
    if kept.size == 0:
        _degenerate("quantise_weights", 0, w.size)
    tolerance = 1e-12 * max(abs(w_min), abs(w_max), w_max - w_min)
    if kept.min() < w_min - tolerance or kept.max() > w_max + tolerance:
        raise ValueError(f"kept weights must lie in [w_min, w_max] = [{w_min}, {w_max}]; "
                         f"got [{kept.min()}, {kept.max()}]")
    kept = np.clip(kept, w_min, w_max)
    if method == "uniform":
        levels = uniform_levels(n_levels, w_min, w_max)
    elif method == "kmeans":
        levels = np.clip(kmeans_levels(kept, n_levels), w_min, w_max)
    else:
        raise ValueError(f"method must be 'uniform' or 'kmeans'; got {method!r}")
    boundaries = 0.5 * (levels[1:] + levels[:-1])
    w_quantised = w.copy()
    w_quantised[mask] = levels[np.searchsorted(boundaries, kept, side="right")]
    return w_quantised, levels


def _check_levels(n_levels):
    return check_integer(n_levels, "n_levels", 2)


def _check_bounds(w_min, w_max):
    w_min, w_max = float(w_min), float(w_max)
    if not (np.isfinite(w_min) and np.isfinite(w_max) and w_max > w_min):
        raise ValueError(f"w_max must be > w_min (both finite); got w_min={w_min}, w_max={w_max}")
    return w_min, w_max
