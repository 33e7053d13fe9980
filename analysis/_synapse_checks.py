"""Validation helpers for synapse arrays, masks and fractions, shared by :mod:`hetero_brian.analysis.pruning`,
:mod:`hetero_brian.analysis.quantisation` and :mod:`hetero_brian.analysis.lnp`.

A leaf module (numpy only), so those modules can import it without an import cycle;
:mod:`hetero_brian.analysis.pruning` re-exports the public checks (``from hetero_brian.analysis.pruning import
check_integer`` keeps working).
"""
import numpy as np

from hetero_brian.errors import DegenerateNetworkError

__all__ = ["check_synapses", "check_integer", "check_mask", "check_fraction"]


def check_synapses(i, j, w, n_pre, n_post):
    """Validate synapse arrays and return them as ``int64, int64, float64`` arrays.

    Raises
    ------
    ValueError
        If the arrays differ in length, are not 1-D, hold non-finite weights or indices outside
        ``[0, n_pre)`` / ``[0, n_post)``.
    """
    check_integer(n_pre, "n_pre", 1)
    check_integer(n_post, "n_post", 1)
    i = np.asarray(i)
    j = np.asarray(j)
    w = np.asarray(w, dtype=float)
    for name, arr in (("i", i), ("j", j), ("w", w)):
        if arr.ndim != 1:
            raise ValueError(f"{name} must be a 1-D array; got shape {arr.shape}")
    if not (i.size == j.size == w.size):
        raise ValueError(f"i, j and w must have the same length; got {i.size}, {j.size}, {w.size}")
    for name, arr, bound in (("i", i, n_pre), ("j", j, n_post)):
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(f"{name} must hold integer neuron indices; got dtype {arr.dtype}")
        if arr.size and (arr.min() < 0 or arr.max() >= bound):
            raise ValueError(f"{name} must lie in [0, {bound}); got values in [{arr.min()}, {arr.max()}]")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"w must be finite; got {int(np.sum(~np.isfinite(w)))} non-finite weights")
    return i.astype(np.int64), j.astype(np.int64), w


def check_integer(value, name, minimum):
    """Return ``value`` as an int if it is an integer (not a bool) ``>= minimum``, else raise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def check_mask(mask, n_synapses, name="mask"):
    """Return ``mask`` as a boolean array of length ``n_synapses`` (``None`` means all kept)."""
    if mask is None:
        return np.ones(n_synapses, dtype=bool)
    mask = np.asarray(mask)
    if mask.ndim != 1 or mask.size != n_synapses:
        raise ValueError(f"{name} must be a 1-D boolean array of length {n_synapses} (one per synapse); "
                         f"got shape {mask.shape}")
    if mask.dtype != bool:
        if not np.all((mask == 0) | (mask == 1)):
            raise ValueError(f"{name} must hold booleans (or 0/1); got values {np.unique(mask)[:5]}")
        mask = mask.astype(bool)
    return mask


def check_fraction(value, name, allow_zero=False):
    """Validate a fraction in ``(0, 1]`` (or ``[0, 1)`` when ``allow_zero``) and return it as float."""
    value_float = float(value)
    ok = (0.0 <= value_float < 1.0) if allow_zero else (0.0 < value_float <= 1.0)
    if not ok:
        interval = "[0, 1)" if allow_zero else "(0, 1]"
        raise ValueError(f"{name} must be in {interval}; got {value!r}")
    return value_float


def _check_positive(value, name):
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number; got {value!r}")
    return value


def _degenerate(what, n_kept, n_total, detail=""):
    raise DegenerateNetworkError(
        f"{what} would prune every synapse: kept {n_kept} of {n_total} "
        f"(sparsity {1.0 - n_kept / max(n_total, 1):.3f}){detail}")
