"""Firing-rate linearisation of a recurrent network, as used by Lyapunov Noise Pruning.

The rate model is

    tau_i dr_i/dt = -r_i + phi(h_i),   h_i = sum_j W[i, j] r_j + I_i,

with per-neuron time constants tau_i (seconds), the weight matrix in the **W[post, pre]**
convention (row i holds the inputs *to* neuron i, column j the outputs *of* neuron j; the
transpose of a Brian2 ``Synapses`` table read as ``w[i_pre, j_post]``), a gain function phi and a
constant external input I. Rates r and inputs I are dimensionless activities (a rate divided by
its scale), so W is dimensionless. Its Jacobian is

    J(r) = D (-Id + diag(phi'(h)) W),   D = diag(1 / tau),

the matrices D (leak per neuron) and L = diag(phi') W (gain-weighted connectivity) of LNP.

References
----------
Sompolinsky, Crisanti & Sommers, Phys. Rev. Lett. 61:259 (1988) -- chaos in random rate networks.
Chakraborty & Mukhopadhyay, ICLR 2024, arXiv 2403.03409 -- Lyapunov Noise Pruning (LNP).
"""
import numpy as np

from hetero_brian.units import to_si
from hetero_brian.analysis.lyapunov import spectrum_flow

__all__ = ["GAIN_FUNCTIONS", "gain", "rate_rhs", "rate_jacobian", "rate_lyapunov_spectrum",
           "operating_point", "spectral_radius", "leading_eigenvalues"]


def _softplus(h):
    return np.logaddexp(0.0, h)


def _sigmoid(h):
    return 0.5 * (1.0 + np.tanh(0.5 * h))


#: Gain functions by name: (phi, phi'). "relu" is max(h, 0) with phi'(0) = 0.
GAIN_FUNCTIONS = {
    "tanh": (np.tanh, lambda h: 1.0 - np.tanh(h) ** 2),
    "relu": (lambda h: np.maximum(h, 0.0), lambda h: (h > 0).astype(float)),
    "softplus": (_softplus, _sigmoid),
    "linear": (lambda h: np.array(h, dtype=float), np.ones_like),
}


def gain(gain_function):
    """Return (phi, phi') for a name in :data:`GAIN_FUNCTIONS` or a pair of callables."""
    if isinstance(gain_function, str):
        if gain_function not in GAIN_FUNCTIONS:
            raise ValueError(f"gain_function must be one of {sorted(GAIN_FUNCTIONS)} or a pair "
                             f"(phi, phi_derivative); got gain_function={gain_function!r}")
        return GAIN_FUNCTIONS[gain_function]
    if (isinstance(gain_function, tuple) and len(gain_function) == 2
            and all(callable(f) for f in gain_function)):
        return gain_function
    raise ValueError(f"gain_function must be one of {sorted(GAIN_FUNCTIONS)} or a pair "
                     f"(phi, phi_derivative); got gain_function={gain_function!r}")


def _network(weights, tau, external_input):
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2 or weights.shape[0] != weights.shape[1] or weights.shape[0] == 0:
        raise ValueError(f"weights must be a square (n_neurons, n_neurons) matrix W[post, pre]; "
                         f"got shape {weights.shape}")
    if not np.all(np.isfinite(weights)):
        raise ValueError("weights must be finite; found non-finite entries")
    n_neurons = weights.shape[0]
    tau = to_si(tau, "second", "tau")
    if tau.ndim == 0:
        tau = np.full(n_neurons, float(tau))
    if tau.shape != (n_neurons,):
        raise ValueError(f"tau must be a scalar or have shape ({n_neurons},) to match weights; "
                         f"got shape {tau.shape}")
    if not np.all(np.isfinite(tau)) or np.any(tau <= 0):
        raise ValueError(f"tau must be finite and > 0 (seconds); got min(tau)={np.min(tau)!r}")
    external_input = np.asarray(external_input, dtype=float)
    if external_input.ndim > 1 or external_input.size not in (1, n_neurons):
        raise ValueError(f"external_input must be a scalar or have shape ({n_neurons},); got "
                         f"shape {external_input.shape}")
    if not np.all(np.isfinite(external_input)):
        raise ValueError(f"external_input must be finite; got {external_input!r}")
    return weights, np.asarray(tau, dtype=float), np.broadcast_to(external_input, (n_neurons,))


def _rates(rates, n_neurons, name="rates"):
    rates = np.asarray(rates, dtype=float)
    if rates.shape != (n_neurons,):
        raise ValueError(f"{name} must have shape ({n_neurons},); got shape {rates.shape}")
    if not np.all(np.isfinite(rates)):
        raise ValueError(f"{name} must be finite; got {rates!r}")
    return rates


def rate_rhs(rates, weights, tau, external_input=0.0, *, gain_function="tanh"):
    """Time derivative dr/dt of the rate model, in 1/second.

    Parameters
    ----------
    rates : array_like, shape (n_neurons,)
        Dimensionless activities r.
    weights : array_like, shape (n_neurons, n_neurons)
        W[post, pre], dimensionless.
    tau : float, array_like or Quantity, shape (n_neurons,)
        Time constants in seconds.
    external_input : float or array_like, optional
        Constant input I (dimensionless).
    gain_function : str or (callable, callable), optional
        "tanh" (default), "relu", "softplus", "linear", or a pair (phi, phi').

    Returns
    -------
    ndarray, shape (n_neurons,)
        (-r + phi(W r + I)) / tau.
    """
    weights, tau, external_input = _network(weights, tau, external_input)
    rates = _rates(rates, weights.shape[0])
    phi, _ = gain(gain_function)
    return (phi(weights @ rates + external_input) - rates) / tau


def rate_jacobian(rates, weights, tau, external_input=0.0, *, gain_function="tanh"):
    """Jacobian d(dr/dt)/dr = D (-Id + diag(phi'(h)) W) at ``rates``, in 1/second.

    Parameters are those of :func:`rate_rhs`. Returns an (n_neurons, n_neurons) array whose
    entry [i, j] is d(dr_i/dt)/dr_j, i.e. the same [post, pre] layout as ``weights``.
    """
    weights, tau, external_input = _network(weights, tau, external_input)
    rates = _rates(rates, weights.shape[0])
    _, derivative = gain(gain_function)
    slope = derivative(weights @ rates + external_input)
    jacobian = slope[:, None] * weights
    jacobian[np.diag_indices_from(jacobian)] -= 1.0
    return jacobian / tau[:, None]


class _JacobianProduct:
    """J = D (-Id + diag(slope) W) as an operator: ``J @ V`` costs one product W @ V.

    Forming J takes O(n^2) work and memory per call on top of the O(n^2 k) product; this form
    skips it, which matters when spectrum_flow evaluates J four times per RK4 step.
    """

    __slots__ = ("slope", "weights", "inverse_tau", "shape")

    def __init__(self, slope, weights, inverse_tau):
        self.slope, self.weights, self.inverse_tau = slope, weights, inverse_tau
        self.shape = weights.shape

    def __matmul__(self, vectors):
        if np.ndim(vectors) == 1:
            return self.inverse_tau * (self.slope * (self.weights @ vectors) - vectors)
        return self.inverse_tau[:, None] * (self.slope[:, None] * (self.weights @ vectors)
                                            - vectors)


def _fields(weights, tau, external_input, gain_function, tangent_dtype="float64"):
    """Fast closures rhs(r) and jacobian(r) (an operator) for already validated arrays.

    With ``tangent_dtype="float32"`` the Jacobian operator works in single precision (its
    products with float32 tangent vectors stay float32); the state stays float64.
    """
    phi, derivative = gain(gain_function)
    inverse_tau = 1.0 / tau
    tangent_weights = weights.astype(tangent_dtype, copy=False)
    tangent_inverse_tau = inverse_tau.astype(tangent_dtype, copy=False)

    def rhs(rates):
        return (phi(weights @ rates + external_input) - rates) * inverse_tau

    def jacobian(rates):
        slope = derivative(weights @ rates + external_input).astype(tangent_dtype, copy=False)
        return _JacobianProduct(slope, tangent_weights, tangent_inverse_tau)

    return rhs, jacobian


def _default_dt(weights, tau):
    """min(tau)/10, or less where the linear-gain Jacobian D(-Id + W) is faster than that."""
    radius = np.max(np.abs(np.linalg.eigvals((weights - np.eye(weights.shape[0])) / tau[:, None])))
    return float(0.1 * np.min(tau) if radius == 0 else min(0.1 * np.min(tau), 0.5 / radius))


def rate_lyapunov_spectrum(weights, tau, external_input=0.0, *, gain_function="tanh",
                           n_exponents=None, dt=None, t_total=None, t_transient=None,
                           qr_interval=None, initial_rates=None, seed=0, tangent_dtype="float64"):
    """Lyapunov spectrum of the rate network along one of its trajectories (QR method).

    Parameters
    ----------
    weights, tau, external_input, gain_function
        As in :func:`rate_rhs`.
    n_exponents : int, optional
        Number of largest exponents; default all n_neurons.
    dt : float or Quantity, optional
        RK4 step in seconds; default min(tau)/10 (smaller when the linear-gain Jacobian's spectral
        radius rho asks for it: 0.5/rho), rounded down to max(tau)/n so that the default times are
        whole multiples of it (pass dt together with custom times).
    t_total, t_transient : float or Quantity, optional
        Seconds; defaults 20 max(tau) of transient followed by 200 max(tau) of averaging.
    qr_interval : float or Quantity, optional
        Seconds between re-orthonormalisations (default 10 dt).
    initial_rates : array_like, optional
        Initial r; default N(0, 0.1^2) per neuron from ``seed``.
    seed : int, optional
        Seeds the initial rates and the initial tangent basis.
    tangent_dtype : {"float64", "float32"}, optional
        Precision of the tangent vectors and Jacobian products (see
        :func:`hetero_brian.analysis.lyapunov.spectrum_flow`); float32 is about twice as fast for large spectra.

    Returns
    -------
    analysis.lyapunov.SpectrumResult
        Exponents in 1/second, descending.

    Notes
    -----
    Uses :func:`hetero_brian.analysis.lyapunov.spectrum_flow` with J(r) = D (-Id + diag(phi'(W r + I)) W).
    For phi = "linear" the exponents are the real parts of the eigenvalues of D (W - Id).
    """
    weights, tau, external_input = _network(weights, tau, external_input)
    n_neurons = weights.shape[0]
    if n_exponents is None:
        n_exponents = n_neurons
    rng = np.random.default_rng(seed)
    if initial_rates is None:
        initial_rates = 0.1 * rng.standard_normal(n_neurons)
    initial_rates = _rates(initial_rates, n_neurons, "initial_rates")
    if dt is None:  # max(tau)/n for an integer n, so that the default times are multiples
        dt = float(np.max(tau)) / np.ceil(float(np.max(tau)) / _default_dt(weights, tau))
    dt = float(to_si(dt, "second", "dt"))
    if t_transient is None:
        t_transient = 20.0 * float(np.max(tau))
    if t_total is None:
        t_total = float(to_si(t_transient, "second", "t_transient")) + 200.0 * float(np.max(tau))
    if tangent_dtype not in ("float64", "float32"):
        raise ValueError(f"tangent_dtype must be 'float64' or 'float32'; got {tangent_dtype!r}")
    rhs, jacobian = _fields(weights, tau, external_input, gain_function, tangent_dtype)
    return spectrum_flow(rhs, jacobian, initial_rates, dt, t_total, n_exponents,
                         t_transient=t_transient, qr_interval=qr_interval,
                         seed=int(rng.integers(2**31)), tangent_dtype=tangent_dtype)


def operating_point(weights, tau, external_input=0.0, *, gain_function="tanh",
                    initial_rates=None, t_settle=None, tolerance=1e-10, seed=0):
    """Rates at which the Jacobian is evaluated: a fixed point, else the end of a trajectory.

    The network is integrated (``scipy.integrate.solve_ivp``, RK45) for ``t_settle`` seconds
    (default 50 max(tau)) from ``initial_rates`` (default N(0, 0.01^2) per neuron from ``seed``,
    so that an unstable fixed point such as r = 0 is left), then ``scipy.optimize.root`` refines
    the end state to a fixed point phi(W r + I) = r. If it converges within ``tolerance`` the
    fixed point is returned with ``is_fixed_point=True`` (it may be unstable in a chaotic network:
    check the real parts of :func:`leading_eigenvalues`); otherwise (no fixed point found near the
    end state) the trajectory's end state with ``is_fixed_point=False``.

    Returns
    -------
    rates : ndarray, shape (n_neurons,)
    is_fixed_point : bool
    """
    from scipy.integrate import solve_ivp
    from scipy.optimize import root

    weights, tau, external_input = _network(weights, tau, external_input)
    n_neurons = weights.shape[0]
    if initial_rates is None:
        start = 0.01 * np.random.default_rng(seed).standard_normal(n_neurons)
    else:
        start = _rates(initial_rates, n_neurons, "initial_rates")
    t_settle = 50.0 * float(np.max(tau)) if t_settle is None else float(
        to_si(t_settle, "second", "t_settle"))
    rhs, _ = _fields(weights, tau, external_input, gain_function)
    solution = solve_ivp(lambda _, r: rhs(r), (0.0, t_settle), start, method="RK45",
                         rtol=1e-8, atol=1e-10)
    end = solution.y[:, -1]
    phi, derivative = gain(gain_function)

    def residual(rates):
        return phi(weights @ rates + external_input) - rates

    def residual_jacobian(rates):
        matrix = derivative(weights @ rates + external_input)[:, None] * weights
        matrix[np.diag_indices_from(matrix)] -= 1.0
        return matrix

    refined = root(residual, end, jac=residual_jacobian, method="hybr")
    if refined.success and np.max(np.abs(residual(refined.x))) < tolerance:
        return refined.x, True
    return end, False


def _operating_jacobian(weights, tau, external_input, gain_function, rates):
    if rates is None:
        rates, _ = operating_point(weights, tau, external_input, gain_function=gain_function)
    return rate_jacobian(rates, weights, tau, external_input, gain_function=gain_function)


def leading_eigenvalues(weights, tau, external_input=0.0, *, gain_function="tanh", rates=None,
                        n_eigenvalues=10):
    """Eigenvalues of the Jacobian at the operating point, largest real part first (1/second).

    ``rates`` defaults to :func:`operating_point`. Returns ``n_eigenvalues`` complex values.
    """
    jacobian = _operating_jacobian(weights, tau, external_input, gain_function, rates)
    if not isinstance(n_eigenvalues, (int, np.integer)) or not 1 <= n_eigenvalues <= len(jacobian):
        raise ValueError(f"n_eigenvalues must be an integer in [1, {len(jacobian)}]; got "
                         f"n_eigenvalues={n_eigenvalues!r}")
    eigenvalues = np.linalg.eigvals(jacobian)
    order = np.lexsort((-eigenvalues.imag, -eigenvalues.real))
    return eigenvalues[order][:n_eigenvalues]


def spectral_radius(weights, tau, external_input=0.0, *, gain_function="tanh", rates=None):
    """Largest |eigenvalue| of the Jacobian D (-Id + diag(phi') W) at the operating point (1/s).

    ``rates`` defaults to :func:`operating_point`. (For the radius of the connectivity alone,
    use ``np.max(np.abs(np.linalg.eigvals(weights)))``.)
    """
    jacobian = _operating_jacobian(weights, tau, external_input, gain_function, rates)
    return float(np.max(np.abs(np.linalg.eigvals(jacobian))))
