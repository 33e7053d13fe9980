"""Lyapunov analysis of spiking networks from saved replica runs (pure numpy, no brian2).

Reads the :class:`~hetero_brian.results.SimulationResult` of
:class:`hetero_brian.protocols.replicas.ReplicaSimulator` (block 0 the reference, blocks 1..K the
replicas, ``provenance["replicas"]`` their epsilons) and computes:

* :func:`membrane_distance` -- RMS distance of each replica's state from the reference over time,
  in units of the threshold distance ``v_th - v_rest``;
* :func:`spike_mismatch` -- fraction of spikes not shared with the reference, per time bin;
* :func:`benettin_exponent` -- largest exponent from renormalised segments (Benettin);
* :func:`classify_regime` / :func:`regime_from_distances` -- "stable", "chaotic", "stable chaos"
  or "undetermined", from an infinitesimal exponent and finite-size divergence kept apart;
* :func:`analyse_replicas` -- all of it, as a :class:`SpikingLyapunovResult`.

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
from hetero_brian.analysis.lyapunov import LyapunovResult, divergence_rate

__all__ = ["GRID_NOTE", "replica_info", "membrane_distance", "spike_mismatch", "BenettinResult",
           "benettin_exponent", "RegimeResult", "classify_regime", "regime_from_distances",
           "DivergenceProbability", "divergence_probability", "SpikingLyapunovResult", "analyse_replicas"]

GRID_NOTE = ("clock-driven: a perturbation that moves no spike to another time step decays as exp(-t/tau_m) and "
             "is erased by the next reset, so the infinitesimal exponent is at most -1/tau_max by construction, "
             "chaotic or not; the finite-size divergence is the informative measure (no event-based method used)")
SMALL_EPSILON = 1e-6  # below this (threshold distances) a perturbation is labelled small, above finite-size


def replica_info(result):
    """``provenance["replicas"]`` of a replica run, checked."""
    info = getattr(result, "provenance", {}).get("replicas") if hasattr(result, "provenance") else None
    if not info or "epsilons" not in info:
        raise ValueError("result must come from ReplicaSimulator.run (provenance['replicas'] with epsilons); "
                         f"got provenance keys {sorted(getattr(result, 'provenance', {}))}")
    return info


def _blocks(values, n_copies, name):
    values = np.asarray(values, dtype=float)
    if values.shape[-1] % n_copies:
        raise ValueError(f"{name}: {values.shape[-1]} columns cannot be split into {n_copies} blocks")
    return values.reshape(*values.shape[:-1], n_copies, values.shape[-1] // n_copies)


def membrane_distance(result, variables=("v",)):
    """RMS distance of every replica from the reference over time.

    Parameters
    ----------
    result : SimulationResult
        A replica run with traces ``<population>.<variable>`` of every neuron.
    variables : tuple of str
        State variables included (volt-valued; default the membrane potential only).

    Returns
    -------
    times : ndarray, shape (n_times,)
        Sample times (s).
    distance : ndarray, shape (n_times, K)
        ``sqrt(mean_i sum_var ((x_ik - x_i0) / (v_th,i - v_rest,i))^2)``, dimensionless.
    scaled : ndarray, shape (n_times, n_copies, n_neurons)
        ``(x - v_rest) / (v_th - v_rest)`` of every block (variables concatenated), for fits.
    """
    info = replica_info(result)
    n_copies = int(info["n_copies"])
    times, pieces = None, []
    for population in info["block_sizes"]:
        parameters = result.populations[population].parameters
        n = int(info["block_sizes"][population])
        scale = (np.asarray(parameters["v_th"]) - np.asarray(parameters["v_rest"]))[:n]
        rest = np.asarray(parameters["v_rest"])[:n]
        for variable in variables:
            key = f"{population}.{variable}"
            if key not in result.traces:
                raise ValueError(f"variables: no trace {key!r} in the result; traces: {sorted(result.traces)}")
            trace = result.traces[key]
            if times is None:
                times = np.asarray(trace.times, dtype=float)
            blocks = _blocks(trace.values, n_copies, key)
            offset = rest if variable == "v" else 0.0
            pieces.append((blocks - offset) / scale)
    scaled = np.concatenate(pieces, axis=-1)
    n_neurons = sum(int(n) for n in info["block_sizes"].values())
    distance = np.sqrt(np.sum((scaled[:, 1:, :] - scaled[:, :1, :]) ** 2, axis=-1) / n_neurons)
    return times, distance, scaled


def spike_mismatch(result, bin_width, t_stop=None):
    """Fraction of spikes of each replica not matched by the reference, per time bin.

    Parameters
    ----------
    result : SimulationResult
    bin_width : float
        Bin width (s), > 0; a spike moved by less than a bin but across its edge counts as mismatch.
    t_stop : float, optional
        End of the analysis (s); default the run's ``t_stop``.

    Returns
    -------
    bin_starts : ndarray (s)
    mismatch : ndarray, shape (n_bins, K)
        ``sum_i |n_ik - n_i0| / sum_i (n_ik + n_i0)``; 0 where neither block spikes.
    """
    info = replica_info(result)
    bin_width = float(bin_width)
    if not bin_width > 0:
        raise ValueError(f"bin_width must be > 0 s; got {bin_width!r}")
    t_stop = float(result.provenance.get("t_stop", 0.0) if t_stop is None else t_stop)
    n_bins = int(math.floor(t_stop / bin_width + 1e-9))
    if n_bins < 1:
        raise ValueError(f"bin_width={bin_width} s is longer than the run (t_stop={t_stop} s)")
    n_copies = int(info["n_copies"])
    counts = None
    for population, n in info["block_sizes"].items():
        trains = result.spikes[population]
        n = int(n)
        bins = np.floor(np.asarray(trains.timestamps) / bin_width + 1e-9).astype(np.int64)
        keep = bins < n_bins
        ids = np.asarray(trains.node_ids)[keep]
        histogram = np.zeros((n_bins, n_copies, n))
        np.add.at(histogram, (bins[keep], ids // n, ids % n), 1.0)
        counts = histogram if counts is None else np.concatenate([counts, histogram], axis=-1)
    different = np.abs(counts[:, 1:, :] - counts[:, :1, :]).sum(axis=-1)
    total = (counts[:, 1:, :] + counts[:, :1, :]).sum(axis=-1)
    mismatch = np.divide(different, total, out=np.zeros_like(different), where=total > 0)
    return np.arange(n_bins) * bin_width, mismatch


# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True, eq=False)
class BenettinResult(LyapunovResult):
    """Largest exponent from renormalised replica segments.

    Attributes
    ----------
    log_growth : ndarray
        ln(d / epsilon) of each segment used (-inf where the deviation was erased exactly).
    n_erased : int
        Segments whose deviation vanished exactly (clock-driven reset); excluded from the mean,
        which is then an upper bound (``upper_bound``).
    grid_bound : float or None
        ``-1/tau_max`` (1/s): the clock-driven bound on the infinitesimal exponent.
    label : str
        "small-perturbation" or "finite-size" (epsilon above 1e-6 threshold distances).
    message : str
    """

    log_growth: np.ndarray
    n_erased: int
    upper_bound: bool
    grid_bound: float | None
    label: str
    message: str

    def summary(self):
        return self._header() + f"\n  {self.label}; {self.message}"


def benettin_exponent(log_growth, interval, epsilon, dt, *, n_transient=1, n_blocks=10, tau_max=None,
                      saturation_distance=0.1):
    """Largest exponent from per-segment log growth factors (Benettin renormalisation).

    Parameters
    ----------
    log_growth : array_like, shape (n_segments,)
        ``ln(d_end / epsilon)`` of each renormalisation interval (-inf: deviation erased).
    interval : float
        Renormalisation interval (s), > 0.
    epsilon : float
        Perturbation size (threshold distances) to which each deviation was rescaled, > 0.
    dt : float
        Simulation time step (s), for the record; ``interval`` must be a multiple of it.
    n_transient : int
        Leading segments discarded.
    n_blocks : int
        Blocks of consecutive segments for the standard error.
    tau_max : float, optional
        Largest membrane time constant (s): reported as ``grid_bound = -1/tau_max``.
    saturation_distance : float
        If the median end-of-segment distance ``epsilon exp(log_growth)`` reaches this (threshold
        distances), the interval is too long for epsilon and the request is refused.

    Returns
    -------
    BenettinResult
        ``exponents[0] = mean(log_growth) / interval`` (1/s) over finite segments, standard error
        from block means.

    Raises
    ------
    ValueError
        Fewer than 10 usable segments, bad interval/epsilon/dt, saturated growth.
    """
    log_growth = np.asarray(log_growth, dtype=float)
    if log_growth.ndim != 1:
        raise ValueError(f"log_growth must be 1-D (one value per segment); got shape {log_growth.shape}")
    interval, epsilon, dt = float(interval), float(epsilon), float(dt)
    if not (interval > 0 and math.isfinite(interval)):
        raise ValueError(f"interval must be a positive time (s); got {interval!r}")
    if not dt > 0:
        raise ValueError(f"dt must be > 0 s; got {dt!r}")
    if abs(interval / dt - round(interval / dt)) > 1e-6:
        raise ValueError(f"interval={interval!r} s is not a multiple of dt={dt!r} s")
    if not 0 < epsilon < saturation_distance:
        raise ValueError(f"epsilon must be in (0, saturation_distance={saturation_distance}); got {epsilon!r}")
    if epsilon < 1e-14:
        raise ValueError(f"epsilon={epsilon!r} is below double precision relative to the state")
    used = log_growth[int(n_transient):]
    if used.size < 10:
        raise ValueError(f"run too short: {used.size} segments after {n_transient} transient ones; need >= 10 "
                         f"(got {log_growth.size} in all)")
    if np.any(np.isnan(used)) or np.any(used == np.inf):
        raise ValueError("log_growth must hold finite values or -inf (erased deviations); got NaN or +inf")
    finite = used[np.isfinite(used)]
    n_erased = int(used.size - finite.size)
    if finite.size and np.median(epsilon * np.exp(finite)) >= saturation_distance:
        raise ValueError(f"renormalisation interval too long: the deviation grows from epsilon={epsilon:.3g} to a "
                         f"median {np.median(epsilon * np.exp(finite)):.3g} >= {saturation_distance} threshold distances "
                         f"within interval={interval:.6g} s; use a shorter interval or a smaller epsilon")
    label = "small-perturbation" if epsilon <= SMALL_EPSILON else "finite-size"
    grid_bound = -1.0 / float(tau_max) if tau_max else None
    if finite.size < 2:
        exponent, error = -math.inf, 0.0
        message = f"deviation erased exactly in {n_erased} of {used.size} segments: exponent -inf (clock-driven reset)"
    else:
        exponent = float(np.mean(finite) / interval)
        blocks = np.array_split(finite, min(int(n_blocks), finite.size))
        means = np.array([np.mean(block) / interval for block in blocks])
        error = float(np.std(means, ddof=1) / math.sqrt(means.size)) if means.size > 1 else float("nan")
        message = (f"{label} exponent from {finite.size} segments"
                   + (f"; {n_erased} segments erased exactly, so this is an upper bound" if n_erased else ""))
    if grid_bound is not None:
        message += f"; clock-driven bound -1/tau_max = {grid_bound:.4g} 1/s"
    return BenettinResult(exponents=np.array([exponent]), standard_error=np.array([error]),
                          method=f"Benettin renormalisation of clock-driven replicas ({label})", dt=dt,
                          duration=interval * used.size, n_steps=int(round(interval * used.size / dt)),
                          renormalisation_interval=interval, transient=interval * int(n_transient), epsilon=epsilon,
                          log_growth=used, n_erased=n_erased, upper_bound=n_erased > 0, grid_bound=grid_bound,
                          label=label, message=message)


# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegimeResult:
    """Which dynamical regime, and why. The two kinds of evidence are kept apart."""

    regime: str
    infinitesimal_exponent: float
    infinitesimal_standard_error: float
    finite_epsilons: np.ndarray
    finite_divergence_probability: np.ndarray
    reason: str


REGIMES = ("stable", "chaotic", "stable chaos", "undetermined")


def classify_regime(infinitesimal_exponent, standard_error, finite_epsilons, finite_divergence_probability, *,
                    diverge_probability=0.5, converge_probability=0.1, n_sigma=2.0, zero_tolerance=1e-6):
    """Classify from an infinitesimal exponent and the divergence of finite perturbations.

    Parameters
    ----------
    infinitesimal_exponent, standard_error : float
        Largest exponent for (near-)infinitesimal perturbations (1/s) and its standard error.
    finite_epsilons : array_like
        Finite perturbation sizes (threshold distances).
    finite_divergence_probability : array_like
        Probability that perturbations of each size diverge (in [0, 1]).
    diverge_probability, converge_probability : float
        Finite perturbations "diverge" when the largest size's probability is >= the first,
        "converge" when every probability is <= the second.
    n_sigma : float
        The exponent's sign counts when it is ``n_sigma`` standard errors from zero ...
    zero_tolerance : float
        ... and further from zero than this (1/s), so rounding noise is not read as a sign.

    Returns
    -------
    RegimeResult
        "chaotic" (exponent > 0), "stable" (exponent < 0 and finite perturbations converge),
        "stable chaos" (exponent < 0 yet finite perturbations diverge; Jahnke et al. 2008) or
        "undetermined".
    """
    exponent, error = float(infinitesimal_exponent), float(standard_error)
    epsilons = np.atleast_1d(np.asarray(finite_epsilons, dtype=float))
    probability = np.atleast_1d(np.asarray(finite_divergence_probability, dtype=float))
    if epsilons.shape != probability.shape or epsilons.size == 0:
        raise ValueError(f"finite_epsilons and finite_divergence_probability must be non-empty and of one shape; "
                         f"got {epsilons.shape} and {probability.shape}")
    if np.any((probability < 0) | (probability > 1)) or np.any(~np.isfinite(probability)):
        raise ValueError(f"finite_divergence_probability must be in [0, 1]; got {probability!r}")
    if math.isnan(exponent) or not (error >= 0 or math.isinf(exponent)):
        raise ValueError(f"infinitesimal_exponent must be a number and standard_error >= 0; got {exponent!r}, {error!r}")
    error = 0.0 if math.isnan(error) and math.isinf(exponent) else error
    largest = float(probability[np.argmax(epsilons)])
    margin = n_sigma * error + float(zero_tolerance)
    sign = 1 if exponent - margin > 0 else (-1 if exponent + margin < 0 else 0)
    text = f"infinitesimal exponent {exponent:.4g} +/- {error:.2g} 1/s; divergence probability {largest:.2f} at epsilon {epsilons.max():.3g}"
    if sign > 0:
        regime = "chaotic"
    elif sign == 0:
        regime = "undetermined"
        text += " (exponent not distinguishable from 0)"
    elif largest >= diverge_probability:
        regime = "stable chaos"
    elif np.all(probability <= converge_probability):
        regime = "stable"
    else:
        regime = "undetermined"
        text += " (finite perturbations neither clearly converge nor diverge)"
    return RegimeResult(regime, exponent, error, epsilons, probability, text)


def _final_mean(times, values, final_fraction):
    start = times[0] + (1 - final_fraction) * (times[-1] - times[0])
    return np.mean(values[times >= start], axis=0)


def regime_from_distances(times, distances, epsilons, *, final_fraction=0.25, divergence_distance=0.1,
                          dt=None):
    """Regime from distance curves ``d_k(t)`` of perturbations of sizes ``epsilons``.

    The smallest epsilon gives the infinitesimal exponent (:func:`hetero_brian.analysis.lyapunov.divergence_rate`
    on the curve); every other curve "diverges" when its mean over the final ``final_fraction``
    of the run exceeds ``divergence_distance`` (threshold distances).

    Parameters
    ----------
    times : array_like, shape (n_times,) (s)
    distances : array_like, shape (n_times, K) (threshold distances)
    epsilons : array_like, shape (K,)
    """
    times = np.asarray(times, dtype=float)
    distances = np.asarray(distances, dtype=float)
    epsilons = np.asarray(epsilons, dtype=float)
    if distances.ndim != 2 or distances.shape != (times.size, epsilons.size):
        raise ValueError(f"distances must have shape (len(times), len(epsilons)) = {(times.size, epsilons.size)}; "
                         f"got {distances.shape}")
    if epsilons.size < 2 or np.any(epsilons <= 0):
        raise ValueError(f"epsilons need >= 2 positive sizes (one small, the others finite); got {epsilons!r}")
    smallest = int(np.argmin(epsilons))
    fit = divergence_rate(times, np.zeros((times.size, 1)), distances[:, smallest:smallest + 1])
    finite = np.flatnonzero(epsilons > epsilons[smallest])
    if finite.size == 0:
        raise ValueError(f"epsilons must contain sizes above the smallest {epsilons[smallest]!r}")
    final = _final_mean(times, distances, final_fraction)
    sizes = np.unique(epsilons[finite])
    probability = np.array([np.mean(final[finite][epsilons[finite] == size] >= divergence_distance) for size in sizes])
    return classify_regime(fit.rate, fit.standard_error[0], sizes, probability)


# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DivergenceProbability:
    """Per perturbation size: probability (with binomial standard error) that spike trains diverge."""

    epsilons: np.ndarray
    probability: np.ndarray
    standard_error: np.ndarray
    n_trials: np.ndarray


def divergence_probability(epsilons, diverged):
    """Group per-replica outcomes by perturbation size.

    Parameters
    ----------
    epsilons : array_like, shape (n,)
    diverged : array_like of bool, shape (n,)
    """
    epsilons = np.asarray(epsilons, dtype=float)
    diverged = np.asarray(diverged, dtype=bool)
    if epsilons.shape != diverged.shape or epsilons.ndim != 1 or epsilons.size == 0:
        raise ValueError(f"epsilons and diverged must be 1-D of one length; got {epsilons.shape} and {diverged.shape}")
    sizes = np.unique(epsilons)
    n = np.array([np.sum(epsilons == size) for size in sizes])
    p = np.array([np.mean(diverged[epsilons == size]) for size in sizes])
    return DivergenceProbability(sizes, p, np.sqrt(p * (1 - p) / n), n)


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


def analyse_replicas(result, renormalised=None, *, bin_width=0.005, final_fraction=0.25, mismatch_threshold=0.2,
                     min_duration_factor=5.0, fsle_ratio=2.0):
    """Full analysis of a replica run (and, optionally, a renormalised run of the same network).

    Parameters
    ----------
    result : SimulationResult
        From :meth:`ReplicaSimulator.run`, with membrane traces and spikes.
    renormalised : SimulationResult, optional
        From :meth:`ReplicaSimulator.run_renormalised`: gives the infinitesimal exponent (its
        smallest epsilon). Without it, the smallest-epsilon replicas' divergence fits give it.
    bin_width : float
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
    starts, mismatch = spike_mismatch(result, bin_width)
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
