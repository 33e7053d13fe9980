"""Pure connectivity generators: numpy in, ``(i, j)`` index arrays out.

Every generator takes the random generator explicitly and returns int64 arrays of presynaptic
(``i``) and postsynaptic (``j``) indices, ordered by ``j`` then ``i`` by default (the order that
keeps the postsynaptic STDP pathway's memory accesses close together) or by ``i`` then ``j``.
"""
import numpy as np

from ..random import as_generator
from ..resources import check_planned_synapses

ORDERS = ("post", "pre")


def _check_size(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def _check_probability(p):
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"connection probability p must be in [0, 1]; got {p!r}")
    return p


def _ordered(i, j, order):
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}; got {order!r}")
    keys = (i, j) if order == "post" else (j, i)  # np.lexsort sorts by the last key first
    index = np.lexsort(keys)
    return i[index].astype(np.int64), j[index].astype(np.int64)


def _sample_without(n, k, excluded, rng):
    """``k`` distinct values from ``range(n)`` without ``excluded`` (or None)."""
    if excluded is None:
        return rng.choice(n, size=k, replace=False)
    picks = rng.choice(n - 1, size=k, replace=False)
    return picks + (picks >= excluded)


def fixed_probability(n_pre, n_post, p, rng, allow_self=False, order="post"):
    """Each possible synapse exists independently with probability ``p`` (Erdős–Rényi).

    Parameters
    ----------
    n_pre, n_post : int
        Sizes of the pre- and postsynaptic populations.
    p : float
        Connection probability in [0, 1].
    rng : numpy.random.Generator or int
        Random stream (``structure``).
    allow_self : bool
        Whether ``i == j`` synapses may exist (only meaningful for recurrent projections,
        ``n_pre == n_post``).
    order : {"post", "pre"}
        Sort order of the output.

    Returns
    -------
    i, j : numpy.ndarray of int64

    Examples
    --------
    >>> i, j = fixed_probability(100, 100, 0.1, rng=1)
    >>> bool(np.all(i != j))
    True
    """
    n_pre, n_post = _check_size(n_pre, "n_pre"), _check_size(n_post, "n_post")
    p, rng = _check_probability(p), as_generator(rng)
    recurrent_exclusion = not allow_self and n_pre == n_post
    candidates = n_pre - 1 if recurrent_exclusion else n_pre
    check_planned_synapses(n_pre, n_post, float(candidates) * n_post * p)  # before anything is drawn
    in_degrees = rng.binomial(candidates, p, size=n_post)
    return _from_in_degrees(n_pre, in_degrees, recurrent_exclusion, rng, order)


def fixed_in_degree(n_pre, n_post, in_degree, rng, allow_self=False, order="post"):
    """Every postsynaptic neuron receives exactly ``in_degree`` distinct presynaptic partners.

    Parameters
    ----------
    in_degree : int
        Number of inputs per postsynaptic neuron (<= n_pre, or n_pre - 1 without self-connections).
    Other parameters as in :func:`fixed_probability`.
    """
    n_pre, n_post = _check_size(n_pre, "n_pre"), _check_size(n_post, "n_post")
    rng = as_generator(rng)
    recurrent_exclusion = not allow_self and n_pre == n_post
    available = n_pre - 1 if recurrent_exclusion else n_pre
    if isinstance(in_degree, (bool, np.bool_)) or not isinstance(in_degree, (int, np.integer)) or not 0 <= in_degree <= available:
        raise ValueError(f"in_degree must be an integer in [0, {available}]; got {in_degree!r}")
    check_planned_synapses(n_pre, n_post, float(in_degree) * n_post)
    return _from_in_degrees(n_pre, np.full(n_post, int(in_degree)), recurrent_exclusion, rng, order)


def _from_in_degrees(n_pre, in_degrees, recurrent_exclusion, rng, order):
    pre_lists = [
        _sample_without(n_pre, int(k), post if recurrent_exclusion else None, rng)
        for post, k in enumerate(in_degrees)
    ]
    i = np.concatenate(pre_lists) if pre_lists else np.empty(0, dtype=np.int64)
    j = np.repeat(np.arange(len(in_degrees)), in_degrees)
    return _ordered(i.astype(np.int64), j.astype(np.int64), order)


def one_to_one(n):
    """Synapses ``k -> k`` for ``k < n``."""
    n = _check_size(n, "n")
    index = np.arange(n, dtype=np.int64)
    return index, index.copy()


def all_to_all(n_pre, n_post, allow_self=True, order="post"):
    """Every pre neuron connects to every post neuron (optionally without ``i == j``)."""
    n_pre, n_post = _check_size(n_pre, "n_pre"), _check_size(n_post, "n_post")
    check_planned_synapses(n_pre, n_post, float(n_pre) * n_post)
    i, j = np.meshgrid(np.arange(n_pre), np.arange(n_post), indexing="ij")
    i, j = i.ravel(), j.ravel()
    if not allow_self:
        keep = i != j
        i, j = i[keep], j[keep]
    return _ordered(i, j, order)


def excitatory_inhibitory(n_exc, n_inh, p, rng, allow_self=False, order="post"):
    """Random recurrent E/I connectivity with Dale's law by construction.

    Returns the four projections with indices *within* their populations; each projection's sign
    is fixed by its source (E excitatory, I inhibitory), so weights are magnitudes.

    Parameters
    ----------
    n_exc, n_inh : int
        Numbers of excitatory and inhibitory neurons.
    p : float or dict
        Connection probability, or a dict with keys ``"ee", "ei", "ie", "ii"`` (source first).
    rng : numpy.random.Generator or int
        Random stream (``structure``).

    Returns
    -------
    dict
        ``{"ee": (i, j), "ei": (i, j), "ie": (i, j), "ii": (i, j)}``.
    """
    probabilities = p if isinstance(p, dict) else {key: p for key in ("ee", "ei", "ie", "ii")}
    missing = {"ee", "ei", "ie", "ii"} - set(probabilities)
    if missing:
        raise ValueError(f"p must give the probabilities of ee, ei, ie and ii; missing {sorted(missing)}")
    rng = as_generator(rng)
    sizes = {"e": n_exc, "i": n_inh}
    projections = {}
    for key in ("ee", "ei", "ie", "ii"):
        n_pre, n_post = sizes[key[0]], sizes[key[1]]
        self_allowed = allow_self or key[0] != key[1]
        projections[key] = fixed_probability(n_pre, n_post, probabilities[key], rng,
                                             allow_self=self_allowed, order=order)
    return projections
