"""Lyapunov analysis of spiking networks from saved replica runs (pure numpy, no brian2).

Reads the :class:`~hetero_brian.results.SimulationResult` of
:class:`hetero_brian.protocols.replicas.ReplicaSimulator` (block 0 the reference, blocks 1..K the
replicas, ``provenance["replicas"]`` their epsilons) and computes, in :func:`analyse_replicas`, all
of the following as a :class:`SpikingLyapunovResult`:

* the membrane distance and spike mismatch of each replica from the reference
  (:mod:`hetero_brian.analysis.replica_distances`);
* the two-trajectory separation rate of each replica
  (:func:`hetero_brian.analysis.trajectory_divergence.divergence_rate`), the Benettin exponent of a
  renormalised run and the regime -- "stable", "chaotic", "stable chaos" or "undetermined"
  (:mod:`hetero_brian.analysis.spiking_regime`);
* the finite-size Lyapunov exponents of the membrane distances
  (:mod:`hetero_brian.analysis.finite_size_lyapunov`).

Notes
-----
Clock-driven caveat: on a fixed time grid a perturbation too small to move any spike to another
step never reaches other neurons and is erased at the next reset, so the infinitesimal exponent of
a clock-driven LIF network is at most ``-1/tau_max`` by construction, chaotic or not
(``grid_bound`` in the results). A negative infinitesimal exponent measured this way therefore
does not distinguish "stable chaos" (Jahnke et al. 2008) from chaos that an exact event-based
method (Engelken et al.) would reveal; the finite-size divergence (probability and rate) is the
informative part. Both are reported; they are never averaged into one number.

Spike mismatch of replica k in bin b: ``sum_i |n_ik - n_i0| / sum_i (n_ik + n_i0)`` (0 identical,
about 1 for unrelated sparse trains; 0 when neither block spikes).

References
----------
G. Benettin et al., Meccanica 15:9-30 (1980).
S. Jahnke, R.-M. Memmesheimer, M. Timme, Phys. Rev. Lett. 100:048102 (2008).
M. Monteforte, F. Wolf, Phys. Rev. X 2:041007 (2012).
R. Engelken, F. Wolf, L. F. Abbott, Phys. Rev. Research 5:043044 (2023).
"""
import math
from dataclasses import dataclass

import numpy as np

from hetero_brian.analysis.finite_size_lyapunov import finite_size_exponents
from hetero_brian.analysis.replica_distances import membrane_distance, replica_info, spike_mismatch
from hetero_brian.analysis.spiking_regime import (
    SMALL_EPSILON, DivergenceProbability, RegimeResult, _final_mean, benettin_exponent, classify_regime,
    divergence_probability)
from hetero_brian.analysis.trajectory_divergence import divergence_rate

__all__ = ["GRID_NOTE", "SpikingLyapunovResult", "analyse_replicas"]

GRID_NOTE = ("clock-driven: a perturbation that moves no spike to another time step decays as exp(-t/tau_m) and "
             "is erased by the next reset, so the infinitesimal exponent is at most -1/tau_max by construction, "
             "chaotic or not; the finite-size divergence is the informative measure (no event-based method used)")


@dataclass(frozen=True)
class SpikingLyapunovResult:
    """Everything the replica analysis found; infinitesimal and finite-size numbers kept apart."""

    epsilons: np.ndarray
    dt: float
    duration: float
    method: str
    renormalisation_interval: float | None
    infinitesimal_exponent: float
    infinitesimal_standard_error: float
    infinitesimal_method: str
    grid_bound: float | None
    finite_size_rates: np.ndarray
    finite_size_standard_errors: np.ndarray
    probability: DivergenceProbability
    regime: RegimeResult
    divergence: tuple
    note: str = GRID_NOTE
    finite_size: object = None  # FiniteSizeResult of the perturbed replicas' membrane distances

    def summary(self):
        lines = [f"{self.method}: dt={self.dt:.3g} s, duration={self.duration:.4g} s, renormalisation interval="
                 f"{'none' if self.renormalisation_interval is None else f'{self.renormalisation_interval:.4g} s'}",
                 f"  infinitesimal exponent {self.infinitesimal_exponent:.4g} +/- {self.infinitesimal_standard_error:.2g} 1/s "
                 f"({self.infinitesimal_method}; clock-driven bound -1/tau_max = {self.grid_bound})"]
        for size, rate, error in zip(self.epsilons, self.finite_size_rates, self.finite_size_standard_errors):
            lines.append(f"  epsilon {size:.1e}: rate {rate:.4g} +/- {error:.2g} 1/s, "
                         f"P(spike trains diverge) = {self.probability.probability[list(self.probability.epsilons).index(size)]:.2f}")
        lines.append(f"  regime: {self.regime.regime} ({self.regime.reason})")
        if self.finite_size is not None:
            lines.append("  " + self.finite_size.summary().replace("\n", "\n  "))
        lines.append(f"  note: {self.note}")
        return "\n".join(lines)


def analyse_replicas(result, renormalised=None, *, bin_size=0.005, final_fraction=0.25, mismatch_threshold=0.2,
                     min_duration_factor=5.0, fsle_ratio=2.0):
    """Full analysis of a replica run (and, optionally, a renormalised run of the same network).

    Parameters
    ----------
    result : SimulationResult
        From :meth:`ReplicaSimulator.run`, with membrane traces and spikes.
    renormalised : SimulationResult, optional
        From :meth:`ReplicaSimulator.run_renormalised`: gives the infinitesimal exponent (its
        smallest epsilon). Without it, the smallest-epsilon replicas' divergence fits give it.
    bin_size : float
        Spike-mismatch bin (s).
    final_fraction : float
        Part of the run at its end where divergence is judged.
    mismatch_threshold : float
        Spike trains of a replica "diverge" when the mean mismatch over the final part exceeds it.
    min_duration_factor : float
        The run must last at least this many ``tau_max`` (FAULTS.md case 16: run too short).
    fsle_ratio : float
        Growth factor between the scales of the finite-size Lyapunov exponents (``finite_size``:
        :func:`hetero_brian.analysis.finite_size_lyapunov.finite_size_exponents` of the RMS membrane distances
        of all perturbed replicas, in threshold units).
    """
    info = replica_info(result)
    epsilons = np.asarray(info["epsilons"][1:], dtype=float)
    dt = float(result.provenance["dt"])
    duration = float(result.provenance["t_stop"])
    tau_max = info.get("tau_max")
    if tau_max and duration < min_duration_factor * tau_max:
        raise ValueError(f"run too short: duration {duration:.4g} s < {min_duration_factor} x tau_max = "
                         f"{min_duration_factor * tau_max:.4g} s")
    if not 0 < final_fraction <= 0.5:
        raise ValueError(f"final_fraction must be in (0, 0.5]; got {final_fraction!r}")
    times, distances, scaled = membrane_distance(result)
    fits = []
    for k, epsilon in enumerate(epsilons):
        if epsilon == 0:
            fits.append(None)
            continue
        fits.append(divergence_rate(times, scaled[:, 0, :], scaled[:, k + 1, :]))
    starts, mismatch = spike_mismatch(result, bin_size)
    diverged = _final_mean(starts, mismatch, final_fraction) > mismatch_threshold
    positive = epsilons > 0
    probability = divergence_probability(epsilons[positive], diverged[positive])
    sizes = probability.epsilons
    rates, errors = [], []
    for size in sizes:
        values = np.array([fits[k].rate for k in np.flatnonzero(epsilons == size) if np.isfinite(fits[k].rate)])
        rates.append(float(np.mean(values)) if values.size else float("nan"))
        errors.append(float(np.std(values, ddof=1) / math.sqrt(values.size)) if values.size > 1 else float("nan"))
    rates, errors = np.array(rates), np.array(errors)
    interval = None
    if renormalised is not None:
        rinfo = replica_info(renormalised)
        trace = renormalised.traces["replicas.log_growth"]
        reps = np.asarray(rinfo["epsilons"][1:], dtype=float)
        smallest = float(np.min(reps))
        columns = np.flatnonzero(reps == smallest)
        estimates = [benettin_exponent(trace.values[:, c], rinfo["renormalisation_interval"], smallest, dt,
                                       tau_max=rinfo.get("tau_max")) for c in columns]
        values = np.array([e.exponents[0] for e in estimates])
        exponent = float(np.mean(values))
        error = (float(np.std(values, ddof=1) / math.sqrt(values.size)) if values.size > 1
                 else float(estimates[0].standard_error[0]))
        method = estimates[0].method + f", epsilon {smallest:.1e}"
        interval = float(rinfo["renormalisation_interval"])
    else:
        exponent, error = float(rates[0]), float(errors[0]) if not math.isnan(errors[0]) else 0.0
        method = f"two-trajectory fit at the smallest epsilon {sizes[0]:.1e}"
    finite = sizes > SMALL_EPSILON
    if not np.any(finite):
        raise ValueError(f"epsilons need at least one finite size > {SMALL_EPSILON}; got {sizes!r}")
    regime = classify_regime(exponent, 0.0 if math.isnan(error) else error, sizes[finite], probability.probability[finite])
    perturbed = distances[:, positive]
    finite_size = finite_size_exponents(times, perturbed, ratio=fsle_ratio) if np.any(perturbed[0] > 0) else None
    return SpikingLyapunovResult(
        epsilons=sizes, dt=dt, duration=duration, method=info["method"], renormalisation_interval=interval,
        infinitesimal_exponent=exponent, infinitesimal_standard_error=error, infinitesimal_method=method,
        grid_bound=(-1.0 / tau_max) if tau_max else None, finite_size_rates=rates, finite_size_standard_errors=errors,
        probability=probability, regime=regime, divergence=tuple(fits), finite_size=finite_size)
