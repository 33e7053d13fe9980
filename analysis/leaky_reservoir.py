"""Leaky-integrator echo-state networks in numpy: a cheap stand-in reservoir for objectives and tests.

References
----------
H. Jaeger, M. Lukosevicius, D. Popovici, U. Siewert, "Optimization and applications of echo state
networks with leaky-integrator neurons", Neural Networks 20(3) (2007).
"""
import numpy as np


def leaky_reservoir_states(inputs, tau, dt, recurrent, input_weights):
    """States of leaky-integrator tanh units driven by a scalar input.

    Parameters
    ----------
    inputs : ndarray, shape (n_times,)
        Input ``u(t)`` (dimensionless).
    tau : ndarray, shape (n_units,)
        Leak time constants (s), > 0.
    dt : float
        Time step (s), > 0.
    recurrent : ndarray, shape (n_units, n_units)
        Recurrent weights ``W``.
    input_weights : ndarray, shape (n_units,)
        Input weights ``w_in``.

    Returns
    -------
    ndarray, shape (n_times, n_units)

    Notes
    -----
    ``x(t) = (1 - a) x(t - 1) + a tanh(W x(t - 1) + w_in u(t))`` with ``a_i = 1 - exp(-dt / tau_i)``,
    the exact decay of ``tau_i dx_i/dt = -x_i + f`` over one step with ``f`` held; ``x(-1) = 0``.
    """
    leak = 1.0 - np.exp(-dt / np.asarray(tau, dtype=float))
    keep = 1.0 - leak
    states = np.empty((len(inputs), len(leak)))
    state = np.zeros(len(leak))
    for step, value in enumerate(inputs):
        state = keep * state + leak * np.tanh(recurrent @ state + input_weights * value)
        states[step] = state
    return states


def random_recurrent_matrix(n_units, spectral_radius, rng):
    """Gaussian ``(n_units, n_units)`` matrix scaled to the given spectral radius (largest |eigenvalue|).

    Parameters
    ----------
    n_units : int
    spectral_radius : float
    rng : numpy.random.Generator
        Draws the standard normal entries (row by row).
    """
    gaussian = rng.standard_normal((n_units, n_units))
    radius = np.max(np.abs(np.linalg.eigvals(gaussian)))
    return spectral_radius * gaussian / radius
