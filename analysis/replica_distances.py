"""Distance of replicas from the reference run, read from a saved replica run (pure numpy).

Reads the :class:`~hetero_brian.results.SimulationResult` of
:class:`hetero_brian.protocols.replicas.ReplicaSimulator` (block 0 the reference, blocks 1..K the
replicas, ``provenance["replicas"]`` their epsilons):

* :func:`membrane_distance` -- RMS distance of each replica's state from the reference over time,
  in units of the threshold distance ``v_th - v_rest``;
* :func:`spike_mismatch` -- fraction of spikes not shared with the reference, per time bin:
  ``sum_i |n_ik - n_i0| / sum_i (n_ik + n_i0)`` for replica k in bin b (0 identical, about 1 for
  unrelated sparse trains; 0 when neither block spikes).
"""
import math

import numpy as np

__all__ = ["replica_info", "membrane_distance", "spike_mismatch"]


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


def spike_mismatch(result, bin_size, *, t_stop=None):
    """Fraction of spikes of each replica not matched by the reference, per time bin.

    Parameters
    ----------
    result : SimulationResult
    bin_size : float
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
    bin_size = float(bin_size)
    if not bin_size > 0:
        raise ValueError(f"bin_size must be > 0 s; got {bin_size!r}")
    t_stop = float(result.provenance.get("t_stop", 0.0) if t_stop is None else t_stop)
    n_bins = int(math.floor(t_stop / bin_size + 1e-9))
    if n_bins < 1:
        raise ValueError(f"bin_size={bin_size} s is longer than the run (t_stop={t_stop} s)")
    n_copies = int(info["n_copies"])
    counts = None
    for population, n in info["block_sizes"].items():
        trains = result.spikes[population]
        n = int(n)
        bins = np.floor(np.asarray(trains.timestamps) / bin_size + 1e-9).astype(np.int64)
        keep = bins < n_bins
        ids = np.asarray(trains.node_ids)[keep]
        histogram = np.zeros((n_bins, n_copies, n))
        np.add.at(histogram, (bins[keep], ids // n, ids % n), 1.0)
        counts = histogram if counts is None else np.concatenate([counts, histogram], axis=-1)
    different = np.abs(counts[:, 1:, :] - counts[:, :1, :]).sum(axis=-1)
    total = (counts[:, 1:, :] + counts[:, :1, :]).sum(axis=-1)
    mismatch = np.divide(different, total, out=np.zeros_like(different), where=total > 0)
    return np.arange(n_bins) * bin_size, mismatch
