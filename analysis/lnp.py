"""Lyapunov Noise Pruning (LNP) of an untrained recurrent network, and spectrum reports.

The network is one recurrent population given as synapse arrays ``i`` (pre), ``j`` (post), ``w``
with per-neuron time constants ``tau`` (s). Its firing-rate linearisation around an operating point
with gains ``g = phi'(h)`` is

.. math:: A = D (-I + G W),\\quad D = \\mathrm{diag}(1/\\tau),\\ G = \\mathrm{diag}(g),

``W[post, pre]`` the dense weights (1/s units for ``A``). For this time-invariant linearisation the
Lyapunov exponents are the real parts of the eigenvalues of ``A``. (``A`` is formed here from the
synapse arrays; for a nonlinear operating point pass the gains ``phi'(h)``, e.g. from
``hetero_brian.analysis.rate_model``.)

The linearisation and the spectrum report (:func:`linear_jacobian`, :func:`spectrum`,
:func:`spectrum_report`, :class:`Spectrum`...) live in :mod:`hetero_brian.analysis.spectrum`, the
graph steps (betweenness centrality, neuron removal, heterogeneity edges) in
:mod:`hetero_brian.analysis.graph_edits`.

LNP steps (Chakraborty et al. 2024): (1) :func:`noise_prune` -- synapses sampled with the
noise-prune probabilities of Moore & Chaudhuri (2020) scaled by Lyapunov factors;
(2) :func:`~hetero_brian.analysis.graph_edits.remove_low_betweenness` -- neurons of lowest
betweenness centrality removed; (3) :func:`~hetero_brian.analysis.graph_edits.add_heterogeneity_edges`
-- local preferential attachment; (4) timescale tuning is the ``timescale_tuner`` hook of
:func:`lyapunov_noise_prune` (Bayesian optimisation lives elsewhere).

References
----------
.. [1] B. Chakraborty, B. Kang, H. Kumar, S. Mukhopadhyay, "Sparse spiking neural network:
   exploiting heterogeneity in timescales for pruning recurrent SNN", ICLR 2024, arXiv:2403.03409.
.. [2] J. Moore, R. Chaudhuri, "Using noise to probe recurrent neural network structure and prune
   synapses", NeurIPS 2020, arXiv:2011.07334.
.. [3] J. H. Wilkinson, *The Algebraic Eigenvalue Problem*, Oxford (1965): first-order eigenvalue
   sensitivity d(lambda_k)/d(a_pq) = l_kp r_qk / (l_k r_k).
"""
from dataclasses import dataclass, field

import numpy as np

from hetero_brian.analysis._synapse_checks import check_fraction, check_integer, check_synapses
from hetero_brian.analysis.graph_edits import add_heterogeneity_edges, remove_low_betweenness
from hetero_brian.analysis.spectrum import Spectrum, _tau_and_gain, linear_jacobian, spectrum, spectrum_report
from hetero_brian.errors import DegenerateNetworkError
from hetero_brian.random import as_generator

LYAPUNOV_WEIGHTINGS = ("none", "sensitivity", "participation")


# ----------------------------------------------------------------------------------------------
# (1) noise-based synapse pruning
# ----------------------------------------------------------------------------------------------
def noise_covariance(jacobian, noise_std=1.0, stability_margin=None):
    """Stationary covariance ``C`` of ``dx = A x dt + noise_std dB`` (solves A C + C A^T + s^2 I = 0).

    Parameters
    ----------
    jacobian : ndarray, shape (n, n)
        ``A`` (1/s).
    noise_std : float
        Noise amplitude (only scales ``C``).
    stability_margin : float, optional
        (1/s) When the largest real part of the eigenvalues exceeds ``-stability_margin`` the
        covariance is taken of the shifted matrix ``A - shift I`` whose largest real part is
        ``-stability_margin`` (an unstable ``A`` has no stationary covariance). Default: 5 % of the
        mean diagonal magnitude of ``A``.

    Returns
    -------
    covariance : ndarray, shape (n, n)
    shift : float
        The shift applied (1/s); 0 for a stable ``A``.
    """
    from scipy.linalg import solve_continuous_lyapunov

    jacobian = np.asarray(jacobian, dtype=float)
    noise_std = float(noise_std)
    if not noise_std > 0:
        raise ValueError(f"noise_std must be > 0; got {noise_std!r}")
    if stability_margin is None:
        stability_margin = 0.05 * max(float(np.mean(np.abs(np.diag(jacobian)))), 1e-12)
    stability_margin = float(stability_margin)
    if not stability_margin > 0:
        raise ValueError(f"stability_margin must be > 0 (1/s); got {stability_margin!r}")
    largest = float(np.max(np.linalg.eigvals(jacobian).real))
    shift = max(0.0, largest + stability_margin)
    shifted = jacobian - shift * np.eye(jacobian.shape[0])
    covariance = solve_continuous_lyapunov(shifted, -noise_std ** 2 * np.eye(jacobian.shape[0]))
    return 0.5 * (covariance + covariance.T), shift


def lyapunov_factors(jacobian, i, j, weighting="sensitivity", n_leading=4, strength=1.0):
    """Per-synapse factors (>= 1) that favour synapses the leading Lyapunov exponents depend on.

    Parameters
    ----------
    jacobian : ndarray, shape (n, n)
    i, j : ndarray of int
    weighting : {"none", "sensitivity", "participation"}
        ``"none"``: all factors 1 (plain Moore & Chaudhuri). ``"sensitivity"``: first-order change of
        the ``n_leading`` largest real parts of the eigenvalues when the synapse is removed [3]_,
        ``s = sum_k |Re(a_ji l_kj r_ik)|`` (``l_k``, ``r_k`` left/right eigenvectors with
        ``l_k r_k = 1``). ``"participation"``: ``s = pi_i + pi_j`` with ``pi_n = sum_k |r_nk|^2`` the
        participation of neuron ``n`` in the leading (unit-norm) eigenvectors.
    n_leading : int
        Number of leading eigenvalues (by real part) considered (at most ``n``).
    strength : float >= 0
        Factor ``1 + strength * s / mean(s)``.

    Notes
    -----
    The LNP paper does not give the exact scaling; these rules are our documented choice.
    """
    if weighting not in LYAPUNOV_WEIGHTINGS:
        raise ValueError(f"lyapunov_weighting must be one of {LYAPUNOV_WEIGHTINGS}; got {weighting!r}")
    if weighting == "none" or i.size == 0:
        return np.ones(i.size)
    strength = float(strength)
    if not strength >= 0:
        raise ValueError(f"lyapunov_strength must be >= 0; got {strength!r}")
    n = jacobian.shape[0]
    n_leading = min(check_integer(n_leading, "n_leading", 1), n)
    eigenvalues, right = np.linalg.eig(jacobian)
    leading = np.argsort(-eigenvalues.real, kind="stable")[:n_leading]
    if weighting == "participation":
        participation = np.sum(np.abs(right[:, leading]) ** 2, axis=1)
        sensitivity = participation[i] + participation[j]
    else:
        left = np.linalg.inv(right)[leading]          # rows: left eigenvectors, left @ right = I
        coupling = jacobian[j, i]
        sensitivity = np.abs(np.real(coupling[:, None] * left[:, j].T * right[:, leading][i])).sum(axis=1)
    mean = sensitivity.mean()
    if not mean > 0:
        return np.ones(i.size)
    return 1.0 + strength * sensitivity / mean


def keep_probabilities(scores, n_keep):
    """Probabilities ``p = min(1, rho * scores)`` with ``sum(p) = n_keep`` (water filling).

    Zero scores get ``p = 0``; if fewer than ``n_keep`` scores are positive, all of those get 1.
    """
    scores = np.asarray(scores, dtype=float)
    positive = np.flatnonzero(scores > 0)
    probability = np.zeros(scores.size)
    if n_keep >= positive.size:
        probability[positive] = 1.0
        return probability
    ordered = np.sort(scores[positive])[::-1]
    tail = np.cumsum(ordered[::-1])[::-1]                # tail[k] = sum of ordered[k:]
    k = np.arange(ordered.size)
    rho = (n_keep - k) / tail
    n_saturated = int(np.flatnonzero(rho * ordered <= 1.0)[0])
    probability[positive] = np.minimum(1.0, rho[n_saturated] * scores[positive])
    return probability


def _systematic_sample(probability, rng):
    """Select exactly ``round(sum(p))`` items with inclusion probabilities ``p`` (systematic PPS)."""
    chosen = probability >= 1.0
    partial = np.flatnonzero((probability > 0) & ~chosen)
    n_partial = int(round(probability[partial].sum()))
    if n_partial > 0:
        order = partial[rng.permutation(partial.size)]
        cumulative = np.cumsum(probability[order])
        cumulative *= n_partial / cumulative[-1]
        points = rng.random() + np.arange(n_partial)
        chosen[order[np.minimum(np.searchsorted(cumulative, points, side="right"), order.size - 1)]] = True
    return chosen


@dataclass(frozen=True)
class NoisePruneResult:
    """Outcome of :func:`noise_prune`: ``mask`` and ``w`` (rescaled) per input synapse."""

    mask: np.ndarray
    w: np.ndarray
    probability: np.ndarray
    score: np.ndarray
    lyapunov_factor: np.ndarray
    covariance_shift: float


def noise_prune(i, j, w, n_neurons, tau, rng, target_sparsity=0.5, gain=None, lyapunov_weighting="sensitivity",
                n_leading=4, lyapunov_strength=1.0, noise_std=1.0, stability_margin=None, rescale=True,
                sampling="systematic"):
    """Sample synapses with noise-prune probabilities scaled by Lyapunov factors.

    Parameters
    ----------
    i, j, w : array_like, shape (n_synapses,)
    n_neurons : int
    tau : float or array_like, shape (n_neurons,)
        Membrane (rate) time constants (s).
    rng : numpy.random.Generator or int
    target_sparsity : float in [0, 1)
        Fraction of synapses removed (exactly, up to rounding, with ``sampling="systematic"``).
    gain : array_like, optional
        ``phi'(h)`` per neuron at the operating point (default 1).
    lyapunov_weighting, n_leading, lyapunov_strength
        See :func:`lyapunov_factors`; ``"none"`` gives the plain rule of [2]_.
    noise_std, stability_margin
        See :func:`noise_covariance`.
    rescale : bool
        Divide kept weights by their keep probability, so that the pruned matrix equals the
        original in expectation [2]_.
    sampling : {"systematic", "bernoulli"}
        ``"systematic"``: systematic sampling in random order, exact count and exact inclusion
        probabilities; ``"bernoulli"``: independent draws (the count fluctuates).

    Notes
    -----
    With ``a_ji = g_j w / tau_j`` the synapse's entry of ``A`` and ``C`` from :func:`noise_covariance`,
    ``score = |a_ji| (C_ii + C_jj - 2 C_ij) * factor`` and ``p = min(1, rho * score)`` with ``rho``
    chosen so that ``sum(p)`` is the number of synapses kept. Autapses (i == j) have a zero
    covariance term and are always kept (p = 1).
    """
    i, j, w = check_synapses(i, j, w, n_neurons, n_neurons)
    rng = as_generator(rng)
    target_sparsity = check_fraction(target_sparsity, "target_sparsity", allow_zero=True)
    if sampling not in ("systematic", "bernoulli"):
        raise ValueError(f"sampling must be 'systematic' or 'bernoulli'; got {sampling!r}")
    if w.size == 0:
        raise DegenerateNetworkError("noise_prune needs at least one synapse; got 0")
    jacobian = linear_jacobian(i, j, w, n_neurons, tau, gain)
    covariance, shift = noise_covariance(jacobian, noise_std, stability_margin)
    diagonal = np.diag(covariance)
    resistance = np.maximum(diagonal[i] + diagonal[j] - 2.0 * covariance[i, j], 0.0)
    tau_array, gain_array = _tau_and_gain(tau, gain, n_neurons)
    factor = lyapunov_factors(jacobian, i, j, lyapunov_weighting, n_leading, lyapunov_strength)
    score = np.abs(gain_array[j] * w / tau_array[j]) * resistance * factor
    autapse = i == j
    n_keep = int(np.ceil((1.0 - target_sparsity) * w.size - 1e-9))
    probability = np.ones(w.size)
    probability[~autapse] = keep_probabilities(score[~autapse], max(n_keep - int(autapse.sum()), 0))
    if sampling == "systematic":
        mask = _systematic_sample(probability, rng)
    else:
        mask = rng.random(w.size) < probability
    if not mask.any():
        raise DegenerateNetworkError(f"noise_prune kept 0 of {w.size} synapses (target_sparsity={target_sparsity})")
    new_w = w.copy()
    if rescale:
        new_w[mask] = w[mask] / probability[mask]
    new_w[~mask] = 0.0
    return NoisePruneResult(mask=mask, w=new_w, probability=probability, score=score, lyapunov_factor=factor,
                            covariance_shift=shift)


# ----------------------------------------------------------------------------------------------
# the full LNP pipeline
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LNPResult:
    """Outcome of :func:`lyapunov_noise_prune`.

    ``synapse_mask`` marks the input synapses that survive steps (1) and (2), ``keep_probability``
    their noise-prune probabilities; ``i``, ``j``, ``w`` are the final synapses renumbered over
    ``kept_neurons`` (original indices, sorted): first the surviving input synapses in input order
    (weights rescaled by 1/p when ``rescale``), then the edges of step (3) (``is_added``). ``tau``
    holds the kept neurons' time constants (s), tuned when ``timescales_tuned``.
    """

    synapse_mask: np.ndarray
    keep_probability: np.ndarray
    kept_neurons: np.ndarray
    centrality: np.ndarray
    i: np.ndarray
    j: np.ndarray
    w: np.ndarray
    is_added: np.ndarray
    tau: np.ndarray
    timescales_tuned: bool
    covariance_shift: float
    spectrum_before: Spectrum
    spectrum_after: Spectrum
    parameters: dict = field(default_factory=dict)

    @property
    def synapse_sparsity(self):
        """``1 - final synapses / input synapses``."""
        return 1.0 - self.i.size / self.synapse_mask.size

    @property
    def neuron_sparsity(self):
        """``1 - kept neurons / input neurons``."""
        return 1.0 - self.kept_neurons.size / self.centrality.size

    def report(self, n_leading=5):
        """:func:`spectrum_report` of the spectra before and after, plus the parameters."""
        return {**spectrum_report(self.spectrum_before, self.spectrum_after, n_leading),
                "n_added_edges": int(self.is_added.sum()), "covariance_shift": self.covariance_shift,
                "parameters": dict(self.parameters)}


def lyapunov_noise_prune(i, j, w, n_neurons, tau, rng, target_sparsity=0.5, neuron_fraction=0.1,
                         n_added_edges=0, gain=None, lyapunov_weighting="sensitivity", n_leading=4,
                         lyapunov_strength=1.0, noise_std=1.0, stability_margin=None, rescale=True,
                         sampling="systematic", betweenness_method="networkx", n_hops=2,
                         attachment_exponent=1.0, timescale_tuner=None, lyapunov_exponent=None):
    """Lyapunov Noise Pruning of an untrained recurrent network [1]_.

    Steps: (1) :func:`noise_prune` to ``target_sparsity``; (2) :func:`remove_low_betweenness` on
    the pruned graph with ``neuron_fraction``; (3) :func:`add_heterogeneity_edges` with
    ``n_added_edges``; (4) ``timescale_tuner(i, j, w, n_neurons, tau) -> tau`` if given (the hook
    for the Bayesian optimisation of the timescale distributions; without it ``tau`` is unchanged).

    Parameters are those of the step functions; ``rng`` (Generator or int seed) drives steps 1 and 3.
    ``lyapunov_exponent`` is passed to :func:`spectrum` before and after.

    Returns
    -------
    LNPResult

    Raises
    ------
    hetero_brian.errors.DegenerateNetworkError
        If no synapse survives, with the pruning statistics.
    """
    i, j, w = check_synapses(i, j, w, n_neurons, n_neurons)
    rng = as_generator(rng)
    tau_array, _ = _tau_and_gain(tau, gain, n_neurons)
    gain_array = None if gain is None else _tau_and_gain(tau, gain, n_neurons)[1]
    before = spectrum(i, j, w, n_neurons, tau_array, gain_array, lyapunov_exponent)
    pruned = noise_prune(i, j, w, n_neurons, tau_array, rng, target_sparsity, gain_array, lyapunov_weighting,
                         n_leading, lyapunov_strength, noise_std, stability_margin, rescale, sampling)
    kept_synapses = np.flatnonzero(pruned.mask)
    kept, new_i, new_j, new_w, survive, centrality = remove_low_betweenness(
        i[kept_synapses], j[kept_synapses], pruned.w[kept_synapses], n_neurons, neuron_fraction,
        betweenness_method)
    if new_w.size == 0:
        raise DegenerateNetworkError(
            f"lyapunov_noise_prune left no synapse: {kept_synapses.size} of {w.size} kept by noise pruning "
            f"(target_sparsity={target_sparsity}), then 0 after removing {n_neurons - kept.size} of "
            f"{n_neurons} neurons (neuron_fraction={neuron_fraction})")
    new_i, new_j, new_w, is_added = add_heterogeneity_edges(new_i, new_j, new_w, kept.size, n_added_edges, rng,
                                                            n_hops, attachment_exponent)
    new_tau = tau_array[kept]
    if timescale_tuner is not None:
        new_tau = np.asarray(timescale_tuner(new_i, new_j, new_w, kept.size, new_tau.copy()), dtype=float)
        if new_tau.shape != (kept.size,) or np.any(~np.isfinite(new_tau)) or np.any(new_tau <= 0):
            raise ValueError(f"timescale_tuner must return {kept.size} positive time constants (s); "
                             f"got shape {new_tau.shape}")
    new_gain = None if gain_array is None else gain_array[kept]
    after = spectrum(new_i, new_j, new_w, kept.size, new_tau, new_gain, lyapunov_exponent)
    synapse_mask = pruned.mask.copy()
    synapse_mask[kept_synapses[~survive]] = False
    parameters = {"target_sparsity": target_sparsity, "neuron_fraction": neuron_fraction,
                  "n_added_edges": n_added_edges, "lyapunov_weighting": lyapunov_weighting,
                  "n_leading": n_leading, "lyapunov_strength": lyapunov_strength, "rescale": rescale,
                  "sampling": sampling, "betweenness_method": betweenness_method, "n_hops": n_hops,
                  "attachment_exponent": attachment_exponent}
    return LNPResult(synapse_mask=synapse_mask, keep_probability=pruned.probability, kept_neurons=kept,
                     centrality=centrality, i=new_i, j=new_j, w=new_w, is_added=is_added, tau=new_tau,
                     timescales_tuned=timescale_tuner is not None, covariance_shift=pruned.covariance_shift,
                     spectrum_before=before, spectrum_after=after, parameters=parameters)
