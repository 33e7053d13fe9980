"""The benchmark reservoir written directly in Brian2, as a user would write it (no hetero_brian).

A current-based LIF E/I reservoir (80 % excitatory) with heterogeneous membrane time constants,
driven by a Poisson input population, whose excitatory-to-excitatory synapses learn with additive
pair-based STDP and per-synapse trace time constants ``taupre``/``taupost`` (event-driven traces).
The connectivity comes from :func:`make_connectivity` (numpy only) so that every implementation of
the benchmark (this script, hetero_brian, ``numpy_reservoir.py``) simulates the same graph.

Notes
-----
.. math::

    \\tau_m \\frac{dv}{dt} = v_{rest} - v + I_{syn}, \\qquad \\tau_{syn} \\frac{dI_{syn}}{dt} = -I_{syn}

A presynaptic spike adds ``+w`` (excitatory) or ``-w`` (inhibitory) to ``I_syn`` of the target
(volt). STDP on ``ee`` (Song, Miller & Abbott 2000): at a presynaptic spike
``w <- clip(w - w_max eta_minus a_post)``, then ``a_pre += 1``; at a postsynaptic spike
``w <- clip(w + w_max eta_plus a_pre)``, then ``a_post += 1``; ``tau_pre da_pre/dt = -a_pre`` per synapse.

Usage::

    python benchmarks/plain_brian2_reservoir.py --n-neurons 1000 --device cpp_standalone

References
----------
S. Song, K. D. Miller, L. F. Abbott, Nat. Neurosci. 3, 919 (2000).
"""
import argparse
import os
import resource
import tempfile
import time

import numpy as np

#: Model constants shared by every implementation of the benchmark (SI units: s, V, Hz).
MODEL = {
    "excitatory_fraction": 0.8,
    "synapses_per_neuron": 200,
    "n_input": 200,
    "p_input": 0.1,
    "input_rate": 75.0,  # Hz per input channel (tuned for 10-20 Hz reservoir rates)
    "tau_m_mean": 20e-3, "tau_m_cv": 0.3,  # Gamma
    "v_rest": -65e-3, "v_th": -50e-3, "v_reset": -65e-3, "t_ref": 2e-3, "tau_syn": 5e-3,
    "w_exc": 0.5e-3, "w_inh": 2.0e-3, "w_input": 2.0e-3, "w_max": 1.0e-3,
    "tau_trace_mean": 20e-3, "tau_trace_cv": 0.3,  # LogNormal, per synapse (or per neuron)
    "eta_plus": 0.01, "eta_minus": 0.0105,
    "dt": 0.1e-3,
}

PROJECTIONS = ("ee", "ei", "ie", "ii", "input_exc", "input_inh")


def population_sizes(n_neurons):
    """(n_exc, n_inh) of a reservoir of ``n_neurons``."""
    n_exc = int(round(MODEL["excitatory_fraction"] * n_neurons))
    return n_exc, n_neurons - n_exc


def _fixed_probability(n_source, n_target, p, rng):
    """Random pairs (i, j), each present with probability ``p``; sorted by i, then j."""
    counts = rng.binomial(n_target, p, size=n_source)
    i = np.repeat(np.arange(n_source, dtype=np.int32), counts)
    j = np.empty(int(counts.sum()), dtype=np.int32)
    start = 0
    for source, count in enumerate(counts):
        j[start:start + count] = np.sort(rng.choice(n_target, size=count, replace=False))
        start += count
    return i, j


def make_connectivity(n_neurons, seed=1):
    """Connectivity of the benchmark reservoir: about ``synapses_per_neuron`` recurrent synapses
    out of (and into) each neuron, and ``p_input`` of the input channels onto each neuron.

    Returns
    -------
    dict of str -> (numpy.ndarray, numpy.ndarray)
        Per projection (``ee``, ``ei``, ``ie``, ``ii``, ``input_exc``, ``input_inh``), the pre- and
        postsynaptic indices (local to their populations), sorted by presynaptic index.
    """
    if not isinstance(n_neurons, int) or n_neurons < 10:
        raise ValueError(f"n_neurons must be an integer >= 10; got {n_neurons!r}")
    rng = np.random.default_rng(seed)
    n_exc, n_inh = population_sizes(n_neurons)
    p = min(1.0, MODEL["synapses_per_neuron"] / n_neurons)
    sizes = {"e": n_exc, "i": n_inh, "input": MODEL["n_input"]}
    connectivity = {}
    for name in ("ee", "ei", "ie", "ii"):
        connectivity[name] = _fixed_probability(sizes[name[0]], sizes[name[1]], p, rng)
    for name, size in (("input_exc", n_exc), ("input_inh", n_inh)):
        connectivity[name] = _fixed_probability(MODEL["n_input"], size, MODEL["p_input"], rng)
    return connectivity


def sample_gamma(mean, cv, size, rng):
    """Gamma samples of the given mean and coefficient of variation."""
    shape = 1.0 / cv ** 2
    return rng.gamma(shape, mean / shape, size=size)


def sample_lognormal(mean, cv, size, rng):
    """Log-normal samples of the given mean and coefficient of variation."""
    sigma2 = np.log1p(cv ** 2)
    return rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2), size=size)


def build_network(n_neurons, connectivity, seed=2):
    """Create the Brian2 objects on the current device; returns (Network, dict of monitors)."""
    from brian2 import Hz, Network, NeuronGroup, PoissonGroup, SpikeMonitor, Synapses, second, volt

    rng = np.random.default_rng(seed)
    n_exc, n_inh = population_sizes(n_neurons)
    dt = MODEL["dt"] * second
    namespace = {"v_rest": MODEL["v_rest"] * volt, "v_th": MODEL["v_th"] * volt,
                 "v_reset": MODEL["v_reset"] * volt, "tau_syn": MODEL["tau_syn"] * second,
                 "t_ref": MODEL["t_ref"] * second, "w_max": MODEL["w_max"] * volt,
                 "eta_plus": MODEL["eta_plus"], "eta_minus": MODEL["eta_minus"]}
    equations = """
    dv/dt = (v_rest - v + I_syn) / tau_m : volt (unless refractory)
    dI_syn/dt = -I_syn / tau_syn : volt
    tau_m : second (constant)
    """
    groups = {}
    for name, size in (("exc", n_exc), ("inh", n_inh)):
        group = NeuronGroup(size, equations, threshold="v > v_th", reset="v = v_reset", refractory="t_ref",
                            method="exponential_euler", namespace=namespace, dt=dt, name=name)
        group.tau_m = sample_gamma(MODEL["tau_m_mean"], MODEL["tau_m_cv"], size, rng) * second
        group.v = MODEL["v_rest"] * volt
        groups[name] = group
    groups["input"] = PoissonGroup(MODEL["n_input"], MODEL["input_rate"] * Hz, dt=dt, name="input")
    stdp_model = """
    w : volt
    taupre : second (constant)
    taupost : second (constant)
    dapre/dt = -apre / taupre : 1 (event-driven)
    dapost/dt = -apost / taupost : 1 (event-driven)
    """
    synapses = []
    ends = {"ee": ("exc", "exc"), "ei": ("exc", "inh"), "ie": ("inh", "exc"), "ii": ("inh", "inh"),
            "input_exc": ("input", "exc"), "input_inh": ("input", "inh")}
    for name in PROJECTIONS:
        source, target = ends[name]
        i, j = connectivity[name]
        if name == "ee":
            group = Synapses(groups[source], groups[target], model=stdp_model,
                             on_pre="I_syn_post += w\nw = clip(w - w_max * eta_minus * apost, 0*volt, w_max)\napre += 1",
                             on_post="w = clip(w + w_max * eta_plus * apre, 0*volt, w_max)\napost += 1",
                             namespace=namespace, dt=dt, name=name)
        else:
            sign = "-" if source == "inh" else "+"
            group = Synapses(groups[source], groups[target], model="w : volt", on_pre=f"I_syn_post {sign}= w",
                             dt=dt, name=name)
        group.connect(i=i, j=j)
        if name == "ee":
            group.w = MODEL["w_exc"] * volt
            group.taupre = sample_lognormal(MODEL["tau_trace_mean"], MODEL["tau_trace_cv"], len(i), rng) * second
            group.taupost = sample_lognormal(MODEL["tau_trace_mean"], MODEL["tau_trace_cv"], len(i), rng) * second
        else:
            group.w = {"exc": MODEL["w_exc"], "inh": MODEL["w_inh"], "input": MODEL["w_input"]}[source] * volt
        synapses.append(group)
    monitors = {name: SpikeMonitor(groups[name], name=f"spikes_{name}") for name in ("exc", "inh", "input")}
    network = Network(*groups.values(), *synapses, *monitors.values())
    return network, monitors


def spike_counts(monitors):
    """Per population, the spike count of each neuron."""
    return {name: np.bincount(np.asarray(monitor.i[:]), minlength=len(monitor.source))
            for name, monitor in monitors.items()}


def _cpu_self():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu_children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_plain(n_neurons, device="cpp_standalone", duration=1.0, repeats=2, seed=1, build_directory=None):
    """Build and time the plain Brian2 reservoir.

    Parameters
    ----------
    n_neurons : int
    device : {"runtime", "cpp_standalone"}
        ``runtime`` uses the cython target.
    duration : float
        Simulated time of each run (second).
    repeats : int
        Timed runs (standalone: of the same binary; runtime: from the stored initial state).
    seed : int
        Seed of the connectivity, of the sampled parameters and of Brian2's generator.
    build_directory : str, optional
        Standalone project folder (default: a new temporary folder).

    Returns
    -------
    dict
        ``compile_wall``/``compile_cpu`` (s), and per run ``cpu``, ``wall`` and (standalone) ``inner``
        (the binary's own timing of the network run) in seconds, plus spike counts of the last run.
    """
    import brian2

    connectivity = make_connectivity(n_neurons, seed)
    duration_quantity = duration * brian2.second
    result = {"runs": []}
    if device == "cpp_standalone":
        directory = build_directory or tempfile.mkdtemp(prefix="plain-brian2-")
        brian2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j2"]
        brian2.set_device("cpp_standalone", directory=directory, build_on_run=False)
        brian2.seed(seed)
        network, monitors = build_network(n_neurons, connectivity, seed + 1)
        network.run(duration_quantity, namespace={})
        cpu, start = _cpu_children(), time.perf_counter()
        brian2.device.build(directory=directory, compile=True, run=False, with_output=False)
        result["compile_wall"], result["compile_cpu"] = time.perf_counter() - start, _cpu_children() - cpu
        for repeat in range(repeats):
            cpu, start = _cpu_children(), time.perf_counter()
            brian2.device.run(directory=directory, results_directory=f"results_{repeat}", with_output=False)
            result["runs"].append({"cpu": _cpu_children() - cpu, "wall": time.perf_counter() - start,
                                   "inner": getattr(brian2.device, "_last_run_time", None)})
    elif device == "runtime":
        brian2.set_device("runtime")
        brian2.prefs.codegen.target = "cython"
        network, monitors = build_network(n_neurons, connectivity, seed + 1)
        network.store("initial")
        start = time.perf_counter()
        brian2.seed(seed)
        network.run(2 * brian2.ms, namespace={})  # code generation and cython compilation
        result["compile_wall"], result["compile_cpu"] = time.perf_counter() - start, None
        for repeat in range(repeats):
            network.restore("initial")
            brian2.seed(seed)
            cpu, start = _cpu_self(), time.perf_counter()
            network.run(duration_quantity, namespace={})
            result["runs"].append({"cpu": _cpu_self() - cpu, "wall": time.perf_counter() - start, "inner": None})
    else:
        raise ValueError(f"device must be 'runtime' or 'cpp_standalone'; got {device!r}")
    result["spike_counts"] = {name: counts.tolist() for name, counts in spike_counts(monitors).items()}
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-neurons", type=int, default=1000)
    parser.add_argument("--device", choices=("runtime", "cpp_standalone"), default="cpp_standalone")
    parser.add_argument("--duration", type=float, default=1.0, help="simulated seconds")
    parser.add_argument("--repeats", type=int, default=1)
    arguments = parser.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    result = run_plain(arguments.n_neurons, arguments.device, arguments.duration, arguments.repeats)
    counts = result.pop("spike_counts")
    for name in ("exc", "inh"):
        print(f"{name}: {np.mean(counts[name]) / arguments.duration:.2f} Hz")
    print(result)


if __name__ == "__main__":
    main()
