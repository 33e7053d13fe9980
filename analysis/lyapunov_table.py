"""Rows and summaries of a Lyapunov sweep: one row per network, cv and seed from a replica analysis."""
import math

import numpy as np

from hetero_brian.analysis.spiking_lyapunov import analyse_replicas


def mean_and_standard_error(values):
    """Mean and standard error (ddof 1) of the finite values; NaN where there are too few."""
    values = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    if values.size == 0:
        return float("nan"), float("nan")
    return float(values.mean()), (float(values.std(ddof=1) / math.sqrt(values.size)) if values.size > 1 else float("nan"))


def _fsle_columns(finite_size):
    """Row entries of the finite-size Lyapunov exponents (empty lists when none could be computed)."""
    if finite_size is None:
        return {"fsle_scales": [], "fsle": [], "fsle_pairs": [], "fsle_lower_bound": []}
    return {"fsle_scales": finite_size.scales.tolist(),
            "fsle": [None if not np.isfinite(v) else float(v) for v in finite_size.exponents],
            "fsle_pairs": finite_size.n_pairs.tolist(),
            "fsle_lower_bound": (finite_size.resolution_limited > 0).tolist()}


def lyapunov_row(network, cv, seed, result, renormalised, n_neurons, n_replicas, duration, renormalisation_epsilon):
    """Analyse one replica run (and its renormalised segments) into a JSON-ready row.

    Parameters
    ----------
    network : str
    cv : float
    seed : int
    result, renormalised : SimulationResult
        The replica run and the renormalised run (see ``analyse_replicas``).
    n_neurons : int
        Neurons of one copy of the network.
    n_replicas : int
        Perturbed copies (the reference is one more).
    duration : float
        Seconds of the replica run.
    renormalisation_epsilon : float

    Returns
    -------
    row : dict
    analysis : ReplicaAnalysis
    """
    analysis = analyse_replicas(result, renormalised)
    rate = result.spikes and sum(t.timestamps.size for t in result.spikes.values()) / (
        n_neurons * (n_replicas + 1) * duration)
    row = {
        "network": network, "cv": cv, "seed": seed, "rate_hz": float(rate),
        "infinitesimal_exponent": analysis.infinitesimal_exponent,
        "infinitesimal_standard_error": analysis.infinitesimal_standard_error,
        "grid_bound": analysis.grid_bound,
        "epsilons": analysis.epsilons.tolist(),
        "finite_size_rates": analysis.finite_size_rates.tolist(),
        **_fsle_columns(analysis.finite_size),
        "divergence_probability": analysis.probability.probability.tolist(),
        "regime": analysis.regime.regime, "summary": analysis.summary(),
        "dt": analysis.dt, "duration": analysis.duration,
        "renormalisation_interval": analysis.renormalisation_interval,
        "renormalisation_epsilon": renormalisation_epsilon,
    }
    return row, analysis


def summarise_lyapunov_rows(rows, networks, cvs):
    """Flat metrics per network and cv over seeds (means, standard errors, regime counts, rates)."""
    metrics = {}
    for kind in networks:
        for cv in cvs:
            subset = [row for row in rows if row["network"] == kind and row["cv"] == cv]
            key = f"{kind}_cv{cv:g}"
            metrics[f"{key}_infinitesimal_exponent"], metrics[f"{key}_infinitesimal_exponent_se"] = \
                mean_and_standard_error([row["infinitesimal_exponent"] for row in subset])
            metrics[f"{key}_grid_bound"] = mean_and_standard_error([row["grid_bound"] for row in subset])[0]
            metrics[f"{key}_finite_rate_eps_max"], metrics[f"{key}_finite_rate_eps_max_se"] = \
                mean_and_standard_error([row["finite_size_rates"][-1] for row in subset])
            metrics[f"{key}_divergence_probability_eps_max"] = float(np.mean([row["divergence_probability"][-1]
                                                                             for row in subset]))
            metrics[f"{key}_n_stable_chaos"] = sum(row["regime"] == "stable chaos" for row in subset)
            metrics[f"{key}_n_stable"] = sum(row["regime"] == "stable" for row in subset)
            metrics[f"{key}_rate_hz"] = float(np.mean([row["rate_hz"] for row in subset]))
    return metrics
