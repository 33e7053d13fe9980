"""STDP-correlation pruning, weight quantisation and activity-based pruning (pure numpy functions).

Connectivity is given as synapse arrays ``i`` (presynaptic index), ``j`` (postsynaptic index) and
``w`` (weight); masks are boolean arrays with one entry per synapse (``True`` = kept). Spikes are
:class:`~hetero_brian.results.SpikeTrains` (``node_ids``, ``timestamps`` in s), as saved in a
results file.

The simulation side applies a mask between run segments through a per-synapse ``mask`` variable, so
one compiled binary is reused; the functions here only compute the new mask and weights.

Weight quantisation (:func:`uniform_levels`, :func:`kmeans_levels`, :func:`quantise_weights`) lives
in :mod:`hetero_brian.analysis.quantisation` and the validation helpers (:func:`check_synapses`,
:func:`check_integer`, :func:`check_mask`, :func:`check_fraction`) in
:mod:`hetero_brian.analysis._synapse_checks`.

References
----------
.. [1] N. Rathi, P. Panda, K. Roy, "STDP-based pruning of connections and weight quantization in
   spiking neural networks for energy-efficient recognition", IEEE TCAD 38(4):668-677 (2018),
   arXiv:1710.04734.
.. [2] P. U. Diehl, M. Cook, "Unsupervised learning of digit recognition using spike-timing-dependent
   plasticity", Front. Comput. Neurosci. 9:99 (2015).
"""
from dataclasses import dataclass

import numpy as np

from hetero_brian.analysis._synapse_checks import (
    _check_positive, _degenerate, check_fraction, check_integer, check_mask, check_synapses)
from hetero_brian.units import to_si
from hetero_brian.analysis.quantisation import _check_levels, quantise_weights
from hetero_brian.analysis.spike_counts import binned_spike_counts

# Maximum number of (pre, post) products held at once when correlating spike counts.
_CHUNK_ENTRIES = 4_000_000


# ----------------------------------------------------------------------------------------------
# spike correlation
# ----------------------------------------------------------------------------------------------
def spike_correlation(i, j, pre_spikes, post_spikes, bin_size, *, t_start, t_stop):
    """Pearson correlation of binned pre- and postsynaptic spike counts, for each synapse.

    Only the existing synapses are evaluated: the cross-products are formed with sparse count
    matrices, chunked over presynaptic neurons so that memory stays bounded.

    Parameters
    ----------
    i, j : array_like of int, shape (n_synapses,)
        Presynaptic and postsynaptic indices.
    pre_spikes, post_spikes : SpikeTrains
        Spikes of the presynaptic and postsynaptic populations (times in s); their ``n_neurons``
        bound ``i`` and ``j``.
    bin_size : float or Quantity
        Bin width in seconds. The window holds ``ceil((t_stop - t_start) / bin_size)`` bins; the
        last one is shorter when the window is not a multiple of ``bin_size``
        (:func:`~hetero_brian.analysis.spike_counts.binned_spike_counts` with ``partial_bin=True``).
    t_start, t_stop : float or Quantity
        Window in seconds; spikes outside it are ignored.

    Returns
    -------
    correlation : ndarray of float, shape (n_synapses,)
        In ``[-1, 1]``; 0 where either neuron has constant counts (e.g. silent), which the
        pruning rules treat as uncorrelated.

    Notes
    -----
    With counts :math:`x_b` (pre) and :math:`y_b` (post) in :math:`B` bins,
    :math:`\\rho = (\\sum_b x_b y_b / B - \\bar x \\bar y) / (\\sigma_x \\sigma_y)`.
    """
    from scipy import sparse

    window = {"t_start": t_start, "t_stop": t_stop, "partial_bin": True}
    pre = binned_spike_counts(pre_spikes, bin_size, **window).astype(float)
    post = binned_spike_counts(post_spikes, bin_size, **window).astype(float)
    n_pre, n_post = pre.shape[0], post.shape[0]
    i, j, _ = check_synapses(i, j, np.zeros(np.size(i)), n_pre, n_post)
    n_bins = pre.shape[1]
    mean_pre, mean_post = pre.mean(axis=1), post.mean(axis=1)
    std_pre = np.sqrt(np.maximum((pre ** 2).mean(axis=1) - mean_pre ** 2, 0.0))
    std_post = np.sqrt(np.maximum((post ** 2).mean(axis=1) - mean_post ** 2, 0.0))
    pre_sparse = sparse.csr_matrix(pre)
    post_sparse_t = sparse.csr_matrix(post).T.tocsc()
    cross = np.empty(i.size)
    rows_per_chunk = max(1, _CHUNK_ENTRIES // n_post)
    order = np.argsort(i, kind="stable")
    sorted_i = i[order]
    for first in range(0, n_pre, rows_per_chunk):
        last = min(first + rows_per_chunk, n_pre)
        lo, hi = np.searchsorted(sorted_i, [first, last])
        if lo == hi:
            continue
        block = (pre_sparse[first:last] @ post_sparse_t).toarray()
        chosen = order[lo:hi]
        cross[chosen] = block[i[chosen] - first, j[chosen]]
    covariance = cross / n_bins - mean_pre[i] * mean_post[j]
    denominator = std_pre[i] * std_post[j]
    correlation = np.zeros(i.size)
    defined = denominator > 1e-12 * np.maximum(mean_pre[i] * mean_post[j], 1.0)
    correlation[defined] = covariance[defined] / denominator[defined]
    return np.clip(correlation, -1.0, 1.0)


# ----------------------------------------------------------------------------------------------
# keep masks
# ----------------------------------------------------------------------------------------------
def keep_mask(scores, j, n_post, threshold=None, keep_fraction=None, mask=None):
    """Mask of the synapses to keep, by a score threshold or a kept fraction per postsynaptic neuron.

    Parameters
    ----------
    scores : array_like of float, shape (n_synapses,)
        Higher is more worth keeping: a spike correlation (:func:`spike_correlation`) or the STDP
        weight itself (the proxy of [1]_: STDP potentiates causally correlated synapses).
    j : array_like of int, shape (n_synapses,)
        Postsynaptic indices.
    n_post : int
    threshold : float, optional
        Keep synapses with ``score >= threshold``.
    keep_fraction : float in (0, 1], optional
        Keep, onto each postsynaptic neuron, the ``ceil(keep_fraction * n)`` highest-scoring of its
        ``n`` currently kept synapses (ties go to the lower synapse index). Exactly one of
        ``threshold`` and ``keep_fraction`` must be given.
    mask : array_like of bool, optional
        Currently kept synapses; pruned synapses stay pruned.

    Returns
    -------
    new_mask : ndarray of bool, shape (n_synapses,)

    Raises
    ------
    hetero_brian.errors.DegenerateNetworkError
        If no synapse would be kept.
    """
    scores = np.asarray(scores, dtype=float)
    _, j, _ = check_synapses(np.zeros(scores.size, dtype=np.int64), j, scores, 1, n_post)
    mask = check_mask(mask, scores.size)
    if (threshold is None) == (keep_fraction is None):
        raise ValueError(f"give exactly one of threshold and keep_fraction; got threshold={threshold!r}, "
                         f"keep_fraction={keep_fraction!r}")
    if threshold is not None:
        threshold = float(threshold)
        if not np.isfinite(threshold):
            raise ValueError(f"threshold must be finite; got {threshold!r}")
        new_mask = mask & (scores >= threshold)
        rule = f" (threshold={threshold})"
    else:
        keep_fraction = check_fraction(keep_fraction, "keep_fraction")
        alive = np.flatnonzero(mask)
        n_alive = np.bincount(j[alive], minlength=n_post)
        n_keep = np.ceil(keep_fraction * n_alive - 1e-9).astype(np.int64)
        # sort alive synapses by post neuron, then by decreasing score, then by synapse index
        order = alive[np.lexsort((alive, -scores[alive], j[alive]))]
        group_start = np.concatenate(([0], np.cumsum(n_alive)[:-1]))
        rank = np.arange(order.size) - group_start[j[order]]
        new_mask = np.zeros(scores.size, dtype=bool)
        new_mask[order[rank < n_keep[j[order]]]] = True
        rule = f" (keep_fraction={keep_fraction})"
    if not new_mask.any():
        _degenerate("keep_mask" + rule, 0, scores.size, f"; {int(mask.sum())} were kept before")
    return new_mask


# ----------------------------------------------------------------------------------------------
# schedule: pruning and quantisation at regular intervals during training
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PruningSchedule:
    """When and how to prune and quantise during STDP training ([1]_).

    Parameters
    ----------
    interval : float
        Time between pruning steps, in seconds (``interval_unit="second"``) or in presented samples
        (``interval_unit="sample"``, a positive integer).
    interval_unit : {"second", "sample"}
    keep_fraction : float in (0, 1], optional
        Fraction of the still-kept synapses onto each postsynaptic neuron kept at each step; after
        ``k`` steps about ``keep_fraction ** k`` remain (:meth:`per_step_fraction` inverts this).
    threshold : float, optional
        Alternative to ``keep_fraction``: keep synapses whose score is ``>= threshold``.
    n_levels : int >= 2, optional
        Number of weight levels after each step; ``None`` disables quantisation.
    quantisation : {"uniform", "kmeans"}
    proxy : {"correlation", "weight"}
        Score used to rank synapses: the pre/post spike correlation over the last interval, or the
        STDP weight.
    bin_size : float or Quantity
        Bin width (s) of the spike counts correlated by ``proxy="correlation"``.
    """

    interval: float
    interval_unit: str = "second"
    keep_fraction: float = None
    threshold: float = None
    n_levels: int = None
    quantisation: str = "uniform"
    proxy: str = "correlation"
    bin_size: float = 0.01

    def __post_init__(self):
        if self.interval_unit not in ("second", "sample"):
            raise ValueError(f"interval_unit must be 'second' or 'sample'; got {self.interval_unit!r}")
        if self.interval_unit == "sample":
            check_integer(self.interval, "interval (in samples)", 1)
        else:
            object.__setattr__(self, "interval", _check_positive(to_si(self.interval, "second", "interval"),
                                                                  "interval"))
        if (self.threshold is None) == (self.keep_fraction is None):
            raise ValueError(f"give exactly one of threshold and keep_fraction; got threshold="
                             f"{self.threshold!r}, keep_fraction={self.keep_fraction!r}")
        if self.keep_fraction is not None:
            check_fraction(self.keep_fraction, "keep_fraction")
        if self.n_levels is not None:
            _check_levels(self.n_levels)
        if self.quantisation not in ("uniform", "kmeans"):
            raise ValueError(f"quantisation must be 'uniform' or 'kmeans'; got {self.quantisation!r}")
        if self.proxy not in ("correlation", "weight"):
            raise ValueError(f"proxy must be 'correlation' or 'weight'; got {self.proxy!r}")
        object.__setattr__(self, "bin_size", _check_positive(to_si(self.bin_size, "second", "bin_size"),
                                                              "bin_size"))

    def step_points(self, total):
        """Pruning points ``interval, 2 interval, ... <= total`` (seconds or sample counts)."""
        total = float(total)
        if not np.isfinite(total) or total < 0:
            raise ValueError(f"total must be a non-negative finite number; got {total!r}")
        n_steps = int(np.floor(total / self.interval + 1e-9))
        points = self.interval * np.arange(1, n_steps + 1)
        return points.astype(np.int64) if self.interval_unit == "sample" else points

    @staticmethod
    def per_step_fraction(final_keep_fraction, n_steps):
        """Per-step keep fraction that leaves ``final_keep_fraction`` after ``n_steps`` steps."""
        final_keep_fraction = check_fraction(final_keep_fraction, "final_keep_fraction")
        return final_keep_fraction ** (1.0 / check_integer(n_steps, "n_steps", 1))

    @staticmethod
    def per_step_fractions(final_keep_fraction, n_steps, n_initial):
        """Keep fractions, one per step, that leave exactly ``floor(final_keep_fraction * n_initial)``.

        The kept count follows ``n_initial * final_keep_fraction ** (k / n_steps)`` (rounded down)
        after step ``k``; each step's fraction is relative to the synapses kept before it, so
        :func:`keep_mask` (which rounds up per neuron) lands on the counts exactly, instead of
        drifting above the target as a constant fraction rounded at every step does.

        Parameters
        ----------
        final_keep_fraction : float in (0, 1]
        n_steps : int >= 1
        n_initial : int >= 1
            Synapses onto each postsynaptic neuron before the first step.

        Returns
        -------
        list of float
        """
        final_keep_fraction = check_fraction(final_keep_fraction, "final_keep_fraction")
        n_steps = check_integer(n_steps, "n_steps", 1)
        n_initial = check_integer(n_initial, "n_initial", 1)
        counts = [n_initial] + [max(1, int(np.floor(n_initial * final_keep_fraction ** (k / n_steps) + 1e-9)))
                                for k in range(1, n_steps + 1)]
        return [after / before for before, after in zip(counts[:-1], counts[1:])]


@dataclass(frozen=True)
class PruningStep:
    """Outcome of one :func:`pruning_step`: the mask and weights to load before the next segment."""

    mask: np.ndarray
    w: np.ndarray
    scores: np.ndarray
    levels: np.ndarray
    n_kept: int
    n_synapses: int

    @property
    def sparsity(self):
        """Fraction of synapses pruned, ``1 - n_kept / n_synapses``."""
        return 1.0 - self.n_kept / self.n_synapses


def pruning_step(schedule, i, j, w, mask, n_pre, n_post, w_min, w_max, pre_spikes=None, post_spikes=None, *,
                 t_start=None, t_stop=None):
    """One pruning + quantisation step of a :class:`PruningSchedule`.

    Parameters
    ----------
    schedule : PruningSchedule
    i, j, w : array_like, shape (n_synapses,)
        Synapses (pre index, post index, current weight).
    mask : array_like of bool or None
        Currently kept synapses (``None``: all).
    n_pre, n_post : int
    w_min, w_max : float
        Weight bounds used by the quantisation.
    pre_spikes, post_spikes : SpikeTrains, optional
        Spikes since the last step (times in s); needed when ``schedule.proxy == "correlation"``.
    t_start, t_stop : float or Quantity, optional
        Window (s) of those spikes.

    Returns
    -------
    PruningStep
        ``mask`` (pruned synapses stay pruned), ``w`` (kept weights quantised when
        ``schedule.n_levels`` is set, pruned weights set to 0), the ``scores`` used and the
        ``levels`` (empty without quantisation).
    """
    if not isinstance(schedule, PruningSchedule):
        raise ValueError(f"schedule must be a PruningSchedule; got {type(schedule).__name__}")
    i, j, w = check_synapses(i, j, w, n_pre, n_post)
    mask = check_mask(mask, w.size)
    if schedule.proxy == "weight":
        scores = w.copy()
    else:
        missing = [name for name, value in (("pre_spikes", pre_spikes), ("post_spikes", post_spikes),
                                            ("t_start", t_start), ("t_stop", t_stop)) if value is None]
        if missing:
            raise ValueError(f"proxy='correlation' needs spikes and a window; missing {', '.join(missing)}")
        scores = spike_correlation(i, j, pre_spikes, post_spikes, schedule.bin_size, t_start=t_start,
                                   t_stop=t_stop)
    new_mask = keep_mask(scores, j, n_post, threshold=schedule.threshold,
                         keep_fraction=schedule.keep_fraction, mask=mask)
    levels = np.empty(0)
    new_w = w.copy()
    if schedule.n_levels is not None:
        new_w, levels = quantise_weights(w, schedule.n_levels, w_min, w_max, schedule.quantisation, new_mask)
    new_w[~new_mask] = 0.0
    return PruningStep(mask=new_mask, w=new_w, scores=scores, levels=levels, n_kept=int(new_mask.sum()),
                       n_synapses=int(w.size))


# ----------------------------------------------------------------------------------------------
# neuron removal and activity-based pruning (the baseline of the LNP paper)
# ----------------------------------------------------------------------------------------------
def remove_neurons(i, j, w, n_neurons, kept_neurons):
    """Drop the synapses of removed neurons and renumber the rest (recurrent population).

    Parameters
    ----------
    i, j, w : array_like, shape (n_synapses,)
    n_neurons : int
    kept_neurons : array_like of int
        Original indices of the neurons to keep; the new index of ``kept_neurons[k]`` is the rank
        of that index among the sorted kept neurons.

    Returns
    -------
    kept_neurons : ndarray of int (sorted), new_i, new_j, new_w : ndarray, synapse_mask : ndarray of bool
        ``synapse_mask`` marks the input synapses that survive.
    """
    i, j, w = check_synapses(i, j, w, n_neurons, n_neurons)
    kept_neurons = np.unique(np.asarray(kept_neurons, dtype=np.int64))
    if kept_neurons.size and (kept_neurons[0] < 0 or kept_neurons[-1] >= n_neurons):
        raise ValueError(f"kept_neurons must lie in [0, {n_neurons}); got [{kept_neurons[0]}, {kept_neurons[-1]}]")
    new_index = np.full(n_neurons, -1, dtype=np.int64)
    new_index[kept_neurons] = np.arange(kept_neurons.size)
    synapse_mask = (new_index[i] >= 0) & (new_index[j] >= 0)
    return kept_neurons, new_index[i[synapse_mask]], new_index[j[synapse_mask]], w[synapse_mask], synapse_mask


@dataclass(frozen=True)
class ActivityPruningResult:
    """Outcome of :func:`activity_prune` (indices of ``i``/``j`` renumbered over ``kept_neurons``)."""

    kept_neurons: np.ndarray
    synapse_mask: np.ndarray
    i: np.ndarray
    j: np.ndarray
    w: np.ndarray
    n_neurons_before: int
    n_synapses_before: int

    @property
    def synapse_sparsity(self):
        """``1 - kept synapses / original synapses``."""
        return 1.0 - self.i.size / self.n_synapses_before

    @property
    def neuron_sparsity(self):
        """``1 - kept neurons / original neurons``."""
        return 1.0 - self.kept_neurons.size / self.n_neurons_before


def activity_prune(i, j, w, n_neurons, rates, synapse_sparsity=0.0, neuron_fraction=0.0):
    """Activity-based pruning (AP) of a trained recurrent network at a chosen sparsity.

    First the ``round(neuron_fraction * n_neurons)`` neurons with the lowest firing rates are
    removed (with their synapses); then the synapses with the lowest ``rates[i] * |w|`` (activity
    of the presynaptic neuron times weight magnitude) are pruned until the fraction of original
    synapses removed reaches ``synapse_sparsity``. At equal rate the lower-indexed neuron is removed
    first; at equal score the lower-indexed synapse is kept.

    Parameters
    ----------
    i, j, w : array_like, shape (n_synapses,)
    n_neurons : int
    rates : array_like of float, shape (n_neurons,)
        Firing rates (Hz) measured on the trained network.
    synapse_sparsity : float in [0, 1)
        Target fraction of the original synapses removed (match it to the method compared with).
    neuron_fraction : float in [0, 1)
        Fraction of neurons removed.

    Returns
    -------
    ActivityPruningResult
    """
    i, j, w = check_synapses(i, j, w, n_neurons, n_neurons)
    rates = to_si(rates, "hertz", "rates")
    if rates.shape != (n_neurons,) or np.any(~np.isfinite(rates)) or np.any(rates < 0):
        raise ValueError(f"rates must be {n_neurons} finite non-negative values (Hz); got shape {rates.shape}")
    synapse_sparsity = check_fraction(synapse_sparsity, "synapse_sparsity", allow_zero=True)
    neuron_fraction = check_fraction(neuron_fraction, "neuron_fraction", allow_zero=True)
    if w.size == 0:
        _degenerate("activity_prune", 0, 0)
    n_remove = int(np.floor(neuron_fraction * n_neurons + 0.5))
    by_rate = np.lexsort((np.arange(n_neurons), rates))
    kept_neurons = np.sort(by_rate[n_remove:])
    _, _, _, _, survive = remove_neurons(i, j, w, n_neurons, kept_neurons)
    n_target = int(np.ceil((1.0 - synapse_sparsity) * w.size - 1e-9))
    alive = np.flatnonzero(survive)
    if alive.size > n_target:
        score = rates[i[alive]] * np.abs(w[alive])
        order = alive[np.lexsort((alive, -score))]
        survive = np.zeros(w.size, dtype=bool)
        survive[order[:n_target]] = True
    if not survive.any():
        _degenerate("activity_prune", 0, w.size,
                    f" (neuron_fraction={neuron_fraction}, synapse_sparsity={synapse_sparsity})")
    new_index = np.full(n_neurons, -1, dtype=np.int64)
    new_index[kept_neurons] = np.arange(kept_neurons.size)
    return ActivityPruningResult(kept_neurons=kept_neurons, synapse_mask=survive, i=new_index[i[survive]],
                                 j=new_index[j[survive]], w=w[survive], n_neurons_before=int(n_neurons),
                                 n_synapses_before=int(w.size))
