"""Size estimates before building, so an oversized network is refused with numbers (FAULTS.md 11, 24).

Two checks, both from numbers known before anything large is allocated:

* :func:`check_planned_network` (and its per-projection form :func:`check_planned_synapses`, called by
  every connectivity generator) runs on the *configuration*: population sizes and expected synapse
  counts, before connectivity is drawn, so ``n_neurons=1e9`` is refused in milliseconds;
* :func:`estimate_memory` / :func:`check_memory` run on a built :class:`NetworkSpec` before Brian2
  objects are made, including the monitors; :func:`estimate_disk` / :func:`check_disk` bound the
  results file before it is written.
"""
import os
import shutil

from .errors import SimulationError

BYTES_PER_FLOAT = 8
#: Brian2 keeps per synapse its indices (int32 x 2), the synapse number and the pathway bookkeeping.
SYNAPSE_OVERHEAD_BYTES = 24
#: A recorded spike is an int32 index plus a float64 time.
BYTES_PER_SPIKE = 12
#: Drawing connectivity holds i and j (int64), the sort permutation and the per-neuron lists (int64).
CONNECTIVITY_BYTES_PER_SYNAPSE = 32
#: A spike in a results file: uint64 node id plus float64 time (SONATA layout).
BYTES_PER_SAVED_SPIKE = 16
_SKIP_VARIABLE = "HETERO_BRIAN_SKIP_MEMORY_CHECK"


def available_memory():
    """Bytes of memory available to new processes (``MemAvailable`` of /proc/meminfo), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _synapse_variables(synapse):
    names = [name for name in synapse.parameter_infos() if name != "delay"]
    if getattr(synapse, "plastic_rule", None):
        names += ["apre", "apost", "lastupdate"] + (["apre2", "apost2"] if synapse.plastic_rule == "triplet" else [])
    return len(names)


def estimate_memory(spec, duration, recording, expected_rate=50.0):
    """Estimate the memory of a simulation, in bytes, by part.

    Parameters
    ----------
    spec : NetworkSpec
    duration : float or brian2.Quantity
        Simulated time (s).
    recording : Recording
    expected_rate : float
        Mean firing rate (Hz) assumed for spike monitors; the default is deliberately high.

    Returns
    -------
    dict
        ``{"synapses": ..., "neurons": ..., "spike_monitors": ..., "state_monitors": ..., "total": ...}``;
        the total counts the monitors twice (device arrays plus their copy in Python).
    """
    duration = float(duration)
    sizes = {item.name: item.n_neurons for item in (*spec.populations, *spec.inputs)}
    synapse_bytes = sum(
        p.n_synapses * (SYNAPSE_OVERHEAD_BYTES + BYTES_PER_FLOAT * _synapse_variables(p.synapse))
        for p in spec.projections
    )
    neuron_bytes = sum(p.n_neurons * BYTES_PER_FLOAT * (len(p.model.parameter_infos()) + 6) for p in spec.populations)
    recorded = list(sizes) if recording.spikes == "all" else list(recording.spikes)
    spike_bytes = sum(sizes.get(name, 0) for name in recorded) * expected_rate * duration * BYTES_PER_SPIKE
    state_bytes = 0.0
    dt = float(spec.dt)
    for record in recording.states:
        interval = dt if record.interval is None else float(record.interval)
        state_bytes += (duration / interval) * len(record.indices) * len(record.variables) * BYTES_PER_FLOAT
    if recording.weight_snapshots and recording.weight_interval is not None:
        n_snapshots = duration / float(recording.weight_interval)
        for name in recording.weight_snapshots:
            projection = next((p for p in spec.projections if p.name == name), None)
            if projection is not None:
                state_bytes += n_snapshots * projection.n_synapses * BYTES_PER_FLOAT
    total = synapse_bytes + neuron_bytes + 2 * (spike_bytes + state_bytes)
    return {"synapses": synapse_bytes, "neurons": neuron_bytes, "spike_monitors": spike_bytes,
            "state_monitors": state_bytes, "total": total}


def check_memory(estimate, available=None, fraction=0.8):
    """Refuse a simulation whose estimate exceeds ``fraction`` of the available memory.

    Raises
    ------
    SimulationError
        With the estimate by part and the available memory, and what to reduce.
    """
    available = available_memory() if available is None else available
    if available is None or os.environ.get(_SKIP_VARIABLE):
        return
    if estimate["total"] > fraction * available:
        parts = ", ".join(f"{key} {value / 2**30:.2f} GiB" for key, value in estimate.items() if key != "total")
        raise SimulationError(
            f"the simulation needs about {estimate['total'] / 2**30:.2f} GiB ({parts}) but only "
            f"{available / 2**30:.2f} GiB are available; record fewer neurons or variables, snapshot weights less "
            "often, shorten the run or use a sparser network (set HETERO_BRIAN_SKIP_MEMORY_CHECK=1 to override)"
        )


def planned_synapse_bytes(n_synapses, n_variables=1):
    """Peak bytes of drawing ``n_synapses`` and holding them in Brian2 with ``n_variables`` floats each."""
    return float(n_synapses) * (CONNECTIVITY_BYTES_PER_SYNAPSE + SYNAPSE_OVERHEAD_BYTES
                                + BYTES_PER_FLOAT * n_variables)


def _gib(n_bytes):
    return f"{n_bytes / 2**30:.3g} GiB"


def check_planned_network(n_neurons, expected_synapses, synapse_variables=None, available=None, fraction=0.8,
                          what="the network"):
    """Refuse a network, from its configuration, before its connectivity is drawn.

    Parameters
    ----------
    n_neurons : dict of str -> int
        Neurons per population (input populations included).
    expected_synapses : dict of str -> float
        Expected synapse count per projection (``n_pre * n_post * p``, or ``n_post * in_degree``).
    synapse_variables : dict of str -> int, optional
        Per-synapse float variables of each projection's model (default 1: the weight).
    available : int, optional
        Bytes of memory available (default :func:`available_memory`).
    fraction : float
        Refuse above this fraction of ``available``.
    what : str
        Name of the network for the message.

    Returns
    -------
    dict
        ``{"neurons": bytes, "synapses": bytes, "total": bytes, "n_neurons": int, "n_synapses": float}``.

    Raises
    ------
    SimulationError
        With the numbers (neurons, synapses, GiB needed and available) and what to reduce. The
        variable ``HETERO_BRIAN_SKIP_MEMORY_CHECK=1`` turns the refusal off.
    """
    synapse_variables = synapse_variables or {}
    total_neurons = int(sum(n_neurons.values()))
    total_synapses = float(sum(expected_synapses.values()))
    neuron_bytes = total_neurons * BYTES_PER_FLOAT * 12.0  # state, parameters and Brian2's bookkeeping
    synapse_bytes = sum(planned_synapse_bytes(count, synapse_variables.get(name, 1))
                        for name, count in expected_synapses.items())
    estimate = {"neurons": neuron_bytes, "synapses": synapse_bytes, "total": neuron_bytes + synapse_bytes,
                "n_neurons": total_neurons, "n_synapses": total_synapses}
    available = available_memory() if available is None else available
    if available is None or os.environ.get(_SKIP_VARIABLE):
        return estimate
    if estimate["total"] > fraction * available:
        largest = max(expected_synapses, key=expected_synapses.get) if expected_synapses else None
        detail = f" (the largest projection, {largest!r}: {expected_synapses[largest]:.3g})" if largest else ""
        raise SimulationError(
            f"{what} is too large for this machine: {total_neurons:,} neurons and about {total_synapses:.3g} "
            f"synapses{detail} need about {_gib(estimate['total'])} (synapses {_gib(synapse_bytes)}, neurons "
            f"{_gib(neuron_bytes)}) but only {_gib(available)} are available (limit {fraction:.0%}); use fewer "
            f"neurons or a lower connection probability (set {_SKIP_VARIABLE}=1 to override)"
        )
    return estimate


def check_planned_synapses(n_pre, n_post, expected_synapses, available=None, fraction=0.8):
    """Refuse one projection before drawing it (the guard every connectivity generator calls).

    ``expected_synapses`` is the expected count; sizes ``n_pre``, ``n_post`` go into the message.
    Raises :class:`SimulationError` as :func:`check_planned_network` does.
    """
    return check_planned_network({"pre": int(n_pre), "post": int(n_post)},
                                 {f"{n_pre} x {n_post}": float(expected_synapses)},
                                 available=available, fraction=fraction, what="a projection")


def estimate_disk(estimate):
    """Bytes of the results file of a simulation, from :func:`estimate_memory`'s monitor parts."""
    spikes = estimate["spike_monitors"] / BYTES_PER_SPIKE * BYTES_PER_SAVED_SPIKE
    return spikes + estimate["state_monitors"]


def check_disk(n_bytes, folder, fraction=0.9):
    """Refuse to write ``n_bytes`` into ``folder`` when its file system has less free space.

    Raises
    ------
    SimulationError
        With the bytes needed, the free bytes and the folder.
    """
    probe = os.path.abspath(folder)
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    free = shutil.disk_usage(probe).free
    if n_bytes > fraction * free and not os.environ.get(_SKIP_VARIABLE):
        raise SimulationError(
            f"writing about {_gib(n_bytes)} into {str(folder)!r} needs more than the {_gib(free)} free there "
            f"(limit {fraction:.0%}); record fewer neurons or variables, or write elsewhere"
        )
    return free
