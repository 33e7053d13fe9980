"""Lyapunov analysis of a trained SRNN: perturbed replicas of its Brian2 run, and its map's Jacobian.

Two measurements, both on the exported network (no PyTorch):

- :func:`replica_divergence`: the exported Brian2 network (:func:`~hetero_brian.training.export.srnn_network_spec`)
  runs a driving input once from rest (the reference) and once per replica with the hidden
  membranes ``u`` displaced at the start by ``epsilon`` (RMS over neurons, a random direction per
  replica); the separation of the hidden state ``(u, b)`` is fitted by
  :func:`hetero_brian.analysis.trajectory_divergence.divergence_rate` (a finite-size rate: the
  perturbation must move a threshold crossing to reach other neurons).
- :func:`jacobian_exponents`: between spike changes the map is linear, its Jacobian is triangular in
  ``(u, b)`` with diagonal ``alpha_i = exp(-dt/tau_m,i)`` and ``rho_i = exp(-dt/tau_adp,i)`` (the
  spike function has derivative 0 almost everywhere), so the infinitesimal Lyapunov spectrum is
  ``-1/tau_m,i`` and ``-1/tau_adp,i`` exactly, for any input: a perturbation that moves no spike
  decays. Its largest exponent is ``-1 / max(tau)``.
"""
from dataclasses import dataclass

import numpy as np

from ..analysis.trajectory_divergence import divergence_rate
from ..random import SeedStreams
from ..network.recording import Recording, StateRecord
from ..simulate import Simulator
from .export import analog_input_values, srnn_network_spec, LAG_STEPS
from .parameters import SRNNParameters

__all__ = ["ReplicaDivergence", "replica_divergence", "jacobian_exponents"]


@dataclass
class ReplicaDivergence:
    """Separation of perturbed replicas from the reference run.

    Attributes
    ----------
    results : list of hetero_brian.analysis.trajectory_divergence.DivergenceResult
        One per replica (rates in 1/s).
    spike_mismatch : numpy.ndarray, shape (n_replicas,)
        Fraction of neuron-steps whose hidden spike differs from the reference.
    epsilon : float
        Initial displacement of ``u`` (RMS over neurons; the threshold baseline ``b0`` sets its scale).
    duration : float
        Seconds of input (``n_steps x dt``).
    """

    results: list
    spike_mismatch: np.ndarray
    epsilon: float
    duration: float

    def rates(self):
        """The fitted rates (1/s) of the replicas."""
        return np.array([result.rate for result in self.results])

    def mean_and_error(self):
        """Mean rate over replicas and its standard error (1/s); NaN rates (unresolved) left out."""
        rates = self.rates()
        rates = rates[np.isfinite(rates)]
        if rates.size == 0:
            return float("nan"), float("nan")
        error = float(np.std(rates, ddof=1) / np.sqrt(rates.size)) if rates.size > 1 else float("nan")
        return float(np.mean(rates)), error


def _state_and_spikes(result, n_hidden, n_steps, step):
    # trained step k is Brian2 step k + 1, recorded at the start of step k + 2
    u = np.asarray(result.traces["hidden.u"].values)[2:n_steps + 2]
    b = np.asarray(result.traces["hidden.b"].values)[2:n_steps + 2]
    spikes = np.zeros((n_steps, n_hidden), dtype=bool)
    trains = result.spikes["hidden"]
    steps = np.rint(np.asarray(trains.timestamps) / step).astype(np.int64) - 1
    inside = (steps >= 0) & (steps < n_steps)
    spikes[steps[inside], np.asarray(trains.node_ids)[inside]] = True
    return np.concatenate([u, b], axis=1), spikes


def replica_divergence(parameters, inputs, epsilon=1e-4, n_replicas=4, seed=0, backend="runtime"):
    """Separation rate of perturbed replicas of a trained SRNN run in Brian2 (analog input path).

    Parameters
    ----------
    parameters : SRNNParameters
    inputs : array_like, shape (n_steps, n_inputs)
        The driving input (e.g. test sequences one after another).
    epsilon : float
        RMS displacement of the initial hidden ``u`` (dimensionless, > 0).
    n_replicas : int
    seed : int
        Seeds the perturbation directions (stream ``lyapunov/directions``).
    backend : str or backend object
        As in :class:`hetero_brian.simulate.Simulator`.

    Returns
    -------
    ReplicaDivergence
    """
    if not isinstance(parameters, SRNNParameters):
        raise TypeError(f"parameters must be SRNNParameters; got {type(parameters).__name__}")
    if not epsilon > 0 or not np.isfinite(epsilon):
        raise ValueError(f"epsilon must be a positive finite number; got {epsilon!r}")
    if isinstance(n_replicas, bool) or not isinstance(n_replicas, (int, np.integer)) or n_replicas < 1:
        raise ValueError(f"n_replicas must be a positive integer; got {n_replicas!r}")
    values = analog_input_values(inputs)
    n_steps, n_hidden, step = values.shape[0] - LAG_STEPS, parameters.n_hidden, float(parameters.step)
    spec = srnn_network_spec(parameters, n_steps, analog=True)
    recording = Recording(spikes=("hidden",), states=(StateRecord("hidden", ("u", "b"), tuple(range(n_hidden))),))
    directions = SeedStreams(seed).generator("lyapunov/directions").standard_normal((n_replicas, n_hidden))
    directions /= np.sqrt(np.mean(directions ** 2, axis=1, keepdims=True))
    times = (np.arange(n_steps) + 1) * step
    with Simulator(spec, (n_steps + LAG_STEPS) * parameters.step, backend=backend, seed=seed,
                   recording=recording) as simulator:
        reference, reference_spikes = _state_and_spikes(simulator.run(inputs={"input": values}), n_hidden, n_steps, step)
        results, mismatch = [], []
        for direction in directions:
            run = simulator.run(inputs={"input": values}, parameters={"hidden.u": epsilon * direction})
            perturbed, spikes = _state_and_spikes(run, n_hidden, n_steps, step)
            results.append(divergence_rate(times, reference, perturbed))
            mismatch.append(float(np.mean(spikes != reference_spikes)))
    return ReplicaDivergence(results, np.array(mismatch), float(epsilon), n_steps * step)


def jacobian_exponents(parameters):
    """The infinitesimal Lyapunov spectrum of the map (1/s), largest first: ``-1/tau_m`` and ``-1/tau_adp``.

    Exact for any input (see the module docstring); with ``beta = 0`` the adaptation variables
    still decay with ``rho`` but no longer act on ``u``.
    """
    if not isinstance(parameters, SRNNParameters):
        raise TypeError(f"parameters must be SRNNParameters; got {type(parameters).__name__}")
    step = float(parameters.step)
    decays = np.concatenate([np.exp(-step / np.asarray(parameters.tau_m)), np.exp(-step / np.asarray(parameters.tau_adp))])
    return np.sort(np.log(decays) / step)[::-1]
