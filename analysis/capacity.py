"""Linear memory capacity of a reservoir and the activity / capacity design objective.

References
----------
Jaeger (2001), "Short term memory in echo state networks", GMD Report 152.
Chakraborty & Mukhopadhyay (2023), "Heterogeneous neuronal and synaptic dynamics for spike-efficient
unsupervised learning: theory and design principles", ICLR 2023, arXiv:2302.11618.
"""
from dataclasses import dataclass

import numpy as np

__all__ = ["MemoryCapacity", "CapacityAboveControl", "memory_capacity", "capacity_above_control", "uniform_input",
           "echo_state_states", "delay_line_states", "activity_over_capacity"]


@dataclass(frozen=True)
class MemoryCapacity:
    """Result of :func:`memory_capacity`.

    Attributes
    ----------
    capacity : float
        ``MC = sum_k r_squared[k]`` over the delays evaluated.
    delays : ndarray of int, shape (max_delay,)
        Delays ``1..max_delay`` in time steps.
    r_squared : ndarray of float, shape (max_delay,)
        Squared correlation of the reconstruction of ``u(t - k)`` on the held-out split.
    """

    capacity: float
    delays: np.ndarray
    r_squared: np.ndarray


def memory_capacity(inputs, states, max_delay, train_fraction=0.5, ridge=1e-8, washout=0):
    """Linear memory capacity (Jaeger 2001) of a state sequence driven by a scalar input.

    Parameters
    ----------
    inputs : array_like, shape (n_times,)
        The input ``u(t)``, ideally i.i.d. (e.g. :func:`uniform_input`).
    states : array_like, shape (n_times, n_features)
        The reservoir state ``X(t)`` after receiving ``u(t)`` (e.g. spike counts per step).
    max_delay : int
        Largest delay ``k_max`` (time steps); use a few times ``n_features``.
    train_fraction : float
        Fraction of the usable steps (in time order) used to fit the readouts; the rest is the
        held-out split on which ``r^2`` is measured.
    ridge : float
        Ridge penalty relative to the mean state variance: ``lambda = ridge * trace(X'X) /
        n_features`` on centred training states (0: ordinary least squares).
    washout : int
        Initial steps discarded (transient from the initial state).

    Returns
    -------
    MemoryCapacity

    Notes
    -----
    For each delay ``k`` a linear readout with intercept, ``y_k(t) = w_k . X(t) + b_k``, is fitted
    to ``u(t - k)`` by ridge regression on the training split (all delays share one solve), and
    ``MC_k = corr(y_k, u(t - k))^2`` on the held-out split; ``MC = sum_{k=1}^{k_max} MC_k``.
    For i.i.d. input, ``MC <= n_features`` (Jaeger 2001). Finite test sets bias each ``MC_k``
    upwards by about ``1 / n_test`` for a readout that has nothing to reconstruct.
    """
    u = np.asarray(inputs, dtype=float).ravel()
    x = np.asarray(states, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] != u.size:
        raise ValueError(f"states must have shape (n_times={u.size}, n_features); got {x.shape}")
    if not (np.all(np.isfinite(u)) and np.all(np.isfinite(x))):
        raise ValueError("inputs and states must be finite; got NaN or Inf")
    max_delay, washout = int(max_delay), int(washout)
    if max_delay < 1 or washout < 0:
        raise ValueError(f"max_delay must be >= 1 and washout >= 0; got max_delay={max_delay}, "
                         f"washout={washout}")
    if not 0 < train_fraction < 1 or ridge < 0:
        raise ValueError(f"train_fraction must be in (0, 1) and ridge >= 0; got "
                         f"train_fraction={train_fraction!r}, ridge={ridge!r}")
    start = washout + max_delay
    n_usable = u.size - start
    n_train = int(round(train_fraction * n_usable))
    if n_train < x.shape[1] + 2 or n_usable - n_train < 3:
        raise ValueError(f"too few time steps: {u.size} steps leave {n_usable} after washout="
                         f"{washout} and max_delay={max_delay}; need > n_features + 5 "
                         f"(n_features={x.shape[1]})")
    delays = np.arange(1, max_delay + 1)
    rows = np.arange(start, u.size)
    targets = u[rows[:, None] - delays[None, :]]        # (n_usable, max_delay)
    features = x[rows]
    train, test = slice(0, n_train), slice(n_train, None)
    feature_mean = features[train].mean(axis=0)
    target_mean = targets[train].mean(axis=0)
    centred = features[train] - feature_mean
    gram = centred.T @ centred
    penalty = ridge * np.trace(gram) / gram.shape[0]
    cross = centred.T @ (targets[train] - target_mean)
    if penalty > 0:
        weights = np.linalg.solve(gram + penalty * np.eye(gram.shape[0]), cross)
    else:
        weights = np.linalg.lstsq(centred, targets[train] - target_mean, rcond=None)[0]
    prediction = (features[test] - feature_mean) @ weights
    observed = targets[test] - targets[test].mean(axis=0)
    prediction = prediction - prediction.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r_squared = (np.sum(prediction * observed, axis=0) ** 2
                     / (np.sum(prediction ** 2, axis=0) * np.sum(observed ** 2, axis=0)))
    r_squared = np.nan_to_num(r_squared, nan=0.0)  # a constant readout reconstructs nothing
    return MemoryCapacity(float(r_squared.sum()), delays, r_squared)


@dataclass(frozen=True)
class CapacityAboveControl:
    """Result of :func:`capacity_above_control`.

    Attributes
    ----------
    capacity : float
        ``MC`` of the states for the true input (summed over delays).
    control : float
        Mean ``MC`` of the same states for shuffled copies of the input (the chance level).
    net : float
        ``capacity - control``.
    ratio : float
        ``capacity / control`` (inf when the control is 0).
    r_squared, control_r_squared : ndarray, shape (max_delay,)
        Per-delay squared correlations of the true input and the mean over the shuffled copies.
    """

    capacity: float
    control: float
    net: float
    ratio: float
    r_squared: np.ndarray
    control_r_squared: np.ndarray


def capacity_above_control(inputs, states, max_delay, rng, n_controls=5, **options):
    """Memory capacity and its shuffled-input control (Jaeger 2001, control subtracted).

    Parameters
    ----------
    inputs, states, max_delay
        As in :func:`memory_capacity`.
    rng : numpy.random.Generator or int
        Draws the ``n_controls`` permutations of ``inputs``.
    n_controls : int
        Shuffled copies averaged into the control (>= 1).
    **options
        ``train_fraction``, ``ridge``, ``washout`` of :func:`memory_capacity`.

    Returns
    -------
    CapacityAboveControl

    Notes
    -----
    A shuffled input has no temporal relation to the states, so its capacity measures what the
    readout fits by chance (about ``max_delay / n_test`` for small readouts, more when the number
    of features approaches the training length); ``net = MC - MC_shuffled`` is the memory the
    states hold beyond chance.
    """
    if int(n_controls) < 1:
        raise ValueError(f"n_controls must be >= 1; got {n_controls!r}")
    rng = np.random.default_rng(rng)
    true = memory_capacity(inputs, states, max_delay, **options)
    u = np.asarray(inputs, dtype=float).ravel()
    controls = [memory_capacity(rng.permutation(u), states, max_delay, **options).r_squared
                for _ in range(int(n_controls))]
    control_r_squared = np.mean(controls, axis=0)
    control = float(control_r_squared.sum())
    ratio = true.capacity / control if control > 0 else float("inf")
    return CapacityAboveControl(true.capacity, control, true.capacity - control, ratio, true.r_squared,
                                control_r_squared)


def delay_line_states(inputs, n_taps):
    """States of an ideal delay line: ``X(t) = (u(t), u(t - 1), ..., u(t - n_taps + 1))`` (zeros before t = 0).

    Its memory capacity over delays ``1..max_delay`` is ``min(n_taps - 1, max_delay)``: every delay it
    holds is recalled exactly, and none beyond.
    """
    u = np.asarray(inputs, dtype=float).ravel()
    if int(n_taps) < 1:
        raise ValueError(f"n_taps must be >= 1; got {n_taps!r}")
    states = np.zeros((u.size, int(n_taps)))
    for tap in range(int(n_taps)):
        states[tap:, tap] = u[:u.size - tap]
    return states


def uniform_input(n_times, rng, low=-0.5, high=0.5):
    """I.i.d. uniform input ``u(t) ~ U(low, high)``, shape (n_times,), from generator ``rng``."""
    if int(n_times) < 1 or not low < high:
        raise ValueError(f"need n_times >= 1 and low < high; got n_times={n_times!r}, "
                         f"low={low!r}, high={high!r}")
    return np.random.default_rng(rng).uniform(low, high, int(n_times))


def echo_state_states(inputs, n_units, rng, spectral_radius=0.97, input_scaling=1.0,
                      activation="linear", recurrent="orthogonal"):
    """States of a discrete-time echo-state network driven by a scalar input (for testing MC).

    Parameters
    ----------
    inputs : array_like, shape (n_times,)
    n_units : int
    rng : numpy.random.Generator or int
        Draws the recurrent and input weights.
    spectral_radius : float
        The recurrent matrix is scaled to this spectral radius; 0 gives a memoryless map.
    input_scaling : float
        Input weights are ``input_scaling * N(0, 1)``.
    activation : {"linear", "tanh"}
    recurrent : {"orthogonal", "gaussian"}
        Orthogonal (QR of a Gaussian matrix; all eigenvalues on the circle of radius
        ``spectral_radius``) or Gaussian rescaled to ``spectral_radius``.

    Returns
    -------
    ndarray, shape (n_times, n_units)

    Notes
    -----
    ``x(t) = f(W x(t - 1) + w_in u(t))``, ``x(-1) = 0``, ``f`` the identity or tanh.
    """
    rng = np.random.default_rng(rng)
    u = np.asarray(inputs, dtype=float).ravel()
    n_units = int(n_units)
    if n_units < 1 or spectral_radius < 0:
        raise ValueError(f"need n_units >= 1 and spectral_radius >= 0; got n_units={n_units}, "
                         f"spectral_radius={spectral_radius!r}")
    if activation not in ("linear", "tanh"):
        raise ValueError(f"activation must be 'linear' or 'tanh'; got {activation!r}")
    gaussian = rng.standard_normal((n_units, n_units))
    if recurrent == "orthogonal":
        q, r = np.linalg.qr(gaussian)
        matrix = q * np.sign(np.diag(r))
    elif recurrent == "gaussian":
        matrix = gaussian / np.max(np.abs(np.linalg.eigvals(gaussian)))
    else:
        raise ValueError(f"recurrent must be 'orthogonal' or 'gaussian'; got {recurrent!r}")
    matrix = spectral_radius * matrix
    input_weights = input_scaling * rng.standard_normal(n_units)
    function = np.tanh if activation == "tanh" else (lambda value: value)
    states = np.empty((u.size, n_units))
    state = np.zeros(n_units)
    for step, value in enumerate(u):
        state = function(matrix @ state + input_weights * value)
        states[step] = state
    return states


def activity_over_capacity(spikes_per_neuron, memory_capacity):
    """Design objective ``E = spiking activity / memory capacity`` (lower is better).

    Parameters
    ----------
    spikes_per_neuron : float or array_like
        Spiking activity, e.g. mean spikes per neuron per sample (>= 0).
    memory_capacity : float or array_like
        Memory capacity (> 0), broadcast against ``spikes_per_neuron``.

    Notes
    -----
    Chakraborty & Mukhopadhyay (ICLR 2023) minimise this ratio by Bayesian optimisation over the
    heterogeneity distributions: heterogeneous neurons raise MC, heterogeneous STDP lowers activity.

    Raises
    ------
    ValueError
        If the activity is negative or the capacity is not positive (the ratio is undefined).
    """
    activity = np.asarray(spikes_per_neuron, dtype=float)
    capacity = np.asarray(memory_capacity, dtype=float)
    if np.any(~np.isfinite(activity)) or np.any(activity < 0):
        raise ValueError(f"spikes_per_neuron must be finite and >= 0; got {spikes_per_neuron!r}")
    if np.any(~np.isfinite(capacity)) or np.any(capacity <= 0):
        raise ValueError(f"memory_capacity must be finite and > 0 for E = activity / capacity; "
                         f"got {memory_capacity!r}")
    ratio = activity / capacity
    return float(ratio) if ratio.ndim == 0 else ratio
