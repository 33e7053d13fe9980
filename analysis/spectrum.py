"""Rate-model linearisation of a recurrent network and the spectrum of its Jacobian (pure numpy).

The network is one recurrent population given as synapse arrays ``i`` (pre), ``j`` (post), ``w``
with per-neuron time constants ``tau`` (s). Its firing-rate linearisation around an operating point
with gains ``g = phi'(h)`` is

.. math:: A = D (-I + G W),\\quad D = \\mathrm{diag}(1/\\tau),\\ G = \\mathrm{diag}(g),

``W[post, pre]`` the dense weights (1/s units for ``A``). For this time-invariant linearisation the
Lyapunov exponents are the real parts of the eigenvalues of ``A``.

* :func:`synapses_from_dense`, :func:`dense_from_synapses`, :func:`linear_jacobian` -- the
  conversions and ``A``;
* :func:`spectrum` -> :class:`Spectrum` -- eigenvalues of ``A``, spectral radius of ``G W`` and,
  optionally, the largest Lyapunov exponent of the nonlinear rate model
  (:func:`rate_model_exponent`);
* :func:`spectrum_report` -- plain-number comparison of two spectra (before / after pruning).

Used by the Lyapunov Noise Pruning pipeline of :mod:`hetero_brian.analysis.lnp`, which re-exports every public
name.

Examples
--------
>>> result = spectrum([0], [1], [0.5], n_neurons=2, tau=0.01)   # one synapse 0 -> 1: A = -I / tau
>>> result.largest_real_part, result.connectivity_radius
(-100.0, 0.0)
"""
from dataclasses import dataclass

import numpy as np

from hetero_brian.analysis._synapse_checks import check_synapses
from hetero_brian.units import to_si

__all__ = ["synapses_from_dense", "dense_from_synapses", "linear_jacobian", "Spectrum", "spectrum",
           "rate_model_exponent", "spectrum_report"]


def synapses_from_dense(weights):
    """Synapse arrays ``(i, j, w)`` from a dense or scipy-sparse ``W[post, pre]`` (non-zeros only)."""
    if hasattr(weights, "tocoo"):
        coo = weights.tocoo()
        keep = coo.data != 0
        order = np.lexsort((coo.row[keep], coo.col[keep]))
        return (coo.col[keep][order].astype(np.int64), coo.row[keep][order].astype(np.int64),
                np.asarray(coo.data[keep][order], dtype=float))
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2 or weights.shape[0] != weights.shape[1]:
        raise ValueError(f"weights must be a square W[post, pre] matrix; got shape {weights.shape}")
    post, pre = np.nonzero(weights)
    order = np.lexsort((post, pre))
    return pre[order].astype(np.int64), post[order].astype(np.int64), weights[post[order], pre[order]]


def dense_from_synapses(i, j, w, n_neurons):
    """Dense ``W[post, pre]`` of shape ``(n_neurons, n_neurons)``; parallel synapses are summed."""
    i, j, w = check_synapses(i, j, w, n_neurons, n_neurons)
    weights = np.zeros((n_neurons, n_neurons))
    np.add.at(weights, (j, i), w)
    return weights


def _tau_and_gain(tau, gain, n_neurons):
    tau = np.broadcast_to(to_si(tau, "second", "tau"), (n_neurons,)).astype(float)
    if np.any(~np.isfinite(tau)) or np.any(tau <= 0):
        raise ValueError(f"tau must be positive and finite (s); got min {tau.min()!r}")
    gain = np.ones(n_neurons) if gain is None else np.broadcast_to(np.asarray(gain, float), (n_neurons,))
    if np.any(~np.isfinite(gain)):
        raise ValueError("gain must be finite")
    return tau, np.array(gain, dtype=float)


def linear_jacobian(i, j, w, n_neurons, tau, gain=None):
    """Rate Jacobian ``A = diag(1/tau) (-I + diag(gain) W)`` (1/s), ``W[post, pre]``.

    Computed locally from the synapse arrays (same convention as ``hetero_brian.analysis.rate_model``); ``gain``
    holds ``phi'(h)`` per neuron (default 1: the linear rate network).
    """
    tau, gain = _tau_and_gain(tau, gain, n_neurons)
    weights = dense_from_synapses(i, j, w, n_neurons)
    return (gain[:, None] * weights - np.eye(n_neurons)) / tau[:, None]


@dataclass(frozen=True)
class Spectrum:
    """Eigenvalues of the rate Jacobian of one network (see the module notes).

    Attributes
    ----------
    eigenvalues : ndarray of complex
        Of ``A`` (1/s), sorted by decreasing real part.
    connectivity_radius : float
        Spectral radius of ``diag(gain) W`` (dimensionless).
    largest_lyapunov_exponent : float or None
        Of the rate model (1/s), from the ``lyapunov_exponent`` callable when one was given.
    """

    eigenvalues: np.ndarray
    connectivity_radius: float
    n_neurons: int
    n_synapses: int
    largest_lyapunov_exponent: float = None

    @property
    def largest_real_part(self):
        """Largest real part of the eigenvalues (1/s): the leading exponent of the linearisation."""
        return float(self.eigenvalues[0].real)

    def leading(self, n_leading):
        """The ``n_leading`` eigenvalues of largest real part."""
        return self.eigenvalues[:n_leading]


def spectrum(i, j, w, n_neurons, tau, gain=None, lyapunov_exponent=None):
    """Spectrum of the rate Jacobian, and optionally the rate model's largest Lyapunov exponent.

    Parameters
    ----------
    lyapunov_exponent : callable, optional
        ``lyapunov_exponent(weights, tau) -> float`` (``weights`` dense ``W[post, pre]``, ``tau`` in
        s), e.g. :func:`rate_model_exponent` (the nonlinear rate model of ``hetero_brian.analysis.rate_model``).
    """
    jacobian = linear_jacobian(i, j, w, n_neurons, tau, gain)
    tau_array, gain_array = _tau_and_gain(tau, gain, n_neurons)
    eigenvalues = np.linalg.eigvals(jacobian)
    eigenvalues = eigenvalues[np.lexsort((-eigenvalues.imag, -eigenvalues.real))]
    weights = dense_from_synapses(i, j, w, n_neurons)
    radius = float(np.max(np.abs(np.linalg.eigvals(gain_array[:, None] * weights))))
    exponent = None if lyapunov_exponent is None else float(lyapunov_exponent(weights, tau_array))
    return Spectrum(eigenvalues=eigenvalues, connectivity_radius=radius, n_neurons=int(n_neurons),
                    n_synapses=int(np.size(w)), largest_lyapunov_exponent=exponent)


def rate_model_exponent(gain_function="tanh", external_input=0.0, seed=0):
    """A ``lyapunov_exponent`` callable for :func:`spectrum`: the largest Lyapunov exponent (1/s) of
    ``hetero_brian.analysis.rate_model`` (``rate_lyapunov_spectrum`` with one exponent, its default durations).

    ``external_input`` must be a scalar (the pruned network has fewer neurons).
    """
    from hetero_brian.analysis.rate_model import rate_lyapunov_spectrum

    if np.ndim(external_input) != 0:
        raise ValueError(f"external_input must be a scalar; got shape {np.shape(external_input)}")

    def largest(weights, tau):
        result = rate_lyapunov_spectrum(weights, tau, external_input, gain_function=gain_function,
                                        n_exponents=1, seed=seed)
        return float(result.exponents[0])

    return largest


def spectrum_report(before, after, n_leading=5):
    """Plain-number comparison of two :class:`Spectrum` objects, with the sparsities.

    Returns a dict: neuron and synapse counts and sparsities, spectral radii, largest real parts and
    Lyapunov exponents (when present) before and after, and the leading eigenvalues as
    ``[real, imag]`` pairs.
    """
    report = {
        "n_neurons_before": before.n_neurons, "n_neurons_after": after.n_neurons,
        "n_synapses_before": before.n_synapses, "n_synapses_after": after.n_synapses,
        "neuron_sparsity": 1.0 - after.n_neurons / before.n_neurons,
        "synapse_sparsity": 1.0 - after.n_synapses / max(before.n_synapses, 1),
        "connectivity_radius_before": before.connectivity_radius,
        "connectivity_radius_after": after.connectivity_radius,
        "largest_real_part_before": before.largest_real_part,
        "largest_real_part_after": after.largest_real_part,
        "largest_lyapunov_exponent_before": before.largest_lyapunov_exponent,
        "largest_lyapunov_exponent_after": after.largest_lyapunov_exponent,
    }
    for name, item in (("before", before), ("after", after)):
        report[f"leading_eigenvalues_{name}"] = [[float(z.real), float(z.imag)] for z in item.leading(n_leading)]
    return report
