"""Memory estimates before building, so an oversized network is refused with numbers (FAULTS.md 11)."""
import os

from .errors import SimulationError

BYTES_PER_FLOAT = 8
#: Brian2 keeps per synapse its indices (int32 x 2), the synapse number and the pathway bookkeeping.
SYNAPSE_OVERHEAD_BYTES = 24
#: A recorded spike is an int32 index plus a float64 time.
BYTES_PER_SPIKE = 12


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
    if available is None or os.environ.get("HETERO_BRIAN_SKIP_MEMORY_CHECK"):
        return
    if estimate["total"] > fraction * available:
        parts = ", ".join(f"{key} {value / 2**30:.2f} GiB" for key, value in estimate.items() if key != "total")
        raise SimulationError(
            f"the simulation needs about {estimate['total'] / 2**30:.2f} GiB ({parts}) but only "
            f"{available / 2**30:.2f} GiB are available; record fewer neurons or variables, snapshot weights less "
            "often, shorten the run or use a sparser network (set HETERO_BRIAN_SKIP_MEMORY_CHECK=1 to override)"
        )
