"""Simulation speed of one heterogeneous E/I STDP reservoir on every implementation (issue 3, item 6).

The model (``plain_brian2_reservoir.py``): current-based LIF, 80 % excitatory, Gamma-distributed
membrane time constants, ~200 recurrent synapses per neuron, Poisson input, additive STDP on the
E->E synapses with log-normal per-synapse trace time constants, dt = 0.1 ms. Every variant uses the
same connectivity. Variants:

* ``plain_runtime``, ``plain_cpp``: the model written directly in Brian2 (cython runtime, C++ standalone);
* ``hb_runtime``, ``hb_cpp``: hetero_brian (``Simulator``) with per-synapse traces;
* ``hb_neuron_f32_cpp``: hetero_brian with ``STDP(traces="neuron")`` and
  ``prefs.core.default_float_dtype = float32`` (C++ standalone);
* ``hb_f32_cpp``: per-synapse traces with per-synapse state in float32 (``precision="float32"``);
* ``hb_perstep_cpp``, ``hb_neuron_f32_perstep_cpp``: as ``hb_cpp`` / ``hb_neuron_f32_cpp`` but with
  the code before ``models.decay`` (``exp(-dt/tau)`` per neuron and step), for the before/after ratio;
* ``numpy``: vectorised numpy / scipy.sparse (``numpy_reservoir.py``);
* ``hb_cuda`` (only with ``--backends cuda_standalone``, needs a GPU and brian2cuda).

Each point runs in a fresh Python process (so devices and preferences never leak between
variants) and is repeated ``--repeats`` times; the table keeps the minimum. CPU time is the CPU
time of the process that simulates: the Python process for runtime and numpy, the compiled
``main`` binary for standalone (``RUSAGE_CHILDREN`` deltas around the run, set-up of the binary
included). Peak memory: ``ru_maxrss`` of the Python process, and the standalone binary's own peak
resident memory, measured by running it under ``/usr/bin/time`` (``ru_maxrss`` of Python's children
would count the forked Python's pages); "python + binary" adds the two peaks. "ns/event" divides it by the synaptic events: presynaptic spikes times their outgoing
synapses (all projections, input included) plus postsynaptic spikes times their incoming plastic
synapses. Compile time is reported apart.

The sweep section times a 10-point sweep of ``ee.eta_plus``: compile once (one ``Simulator``,
``run(parameters=...)`` per point) against rebuilding each point (a new ``Simulator`` in a new build
directory with the value baked into the spec). ``--rebuild-points K`` times only K of the rebuilds
and scales their mean to 10 points (marked "extrapolated").

Usage::

    python benchmarks/simulation.py                         # 1k and 4k, about 20-30 min here
    python benchmarks/simulation.py --sizes 1000,4000,16000
    python benchmarks/simulation.py --backends cuda_standalone --sizes 16000   # on a GPU machine
    python benchmarks/simulation.py --sizes 1000,4000,16000 --variants plain_cpp,hb_cpp,numpy --sweep "" \
        --repeats 1 --rounds 3 --build-cache /tmp/bench-cache    # points interleaved, minimum of 3 rounds

The tables are printed by ``simulation_table.py``.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from plain_brian2_reservoir import MODEL, make_connectivity, population_sizes  # noqa: E402
from simulation_table import print_table, summarise  # noqa: E402

VARIANTS = ("plain_runtime", "plain_cpp", "hb_runtime", "hb_cpp", "hb_f32_cpp", "hb_neuron_f32_cpp", "numpy")
SWEEP_VALUES = tuple(round(0.005 * (k + 1), 4) for k in range(10))  # ee.eta_plus


def _cpu(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


# -- hetero_brian variant -------------------------------------------------------------------------
def hetero_spec(n_neurons, traces="synapse", eta_plus=None, seed=1, precision="float64"):
    """The benchmark reservoir as a hetero_brian ``NetworkSpec`` (same connectivity as the plain script);
    ``precision`` is the storage of per-synapse state (``STDP.precision``)."""
    from brian2 import Hz, mV, ms, second

    from hetero_brian.distributions import Constant, Gamma, LogNormal
    from hetero_brian.models.neurons import LIF
    from hetero_brian.models.synapses import STDP, StaticSynapse
    from hetero_brian.network.spec import NetworkSpec, PoissonInput, Population, Projection

    connectivity = make_connectivity(n_neurons, seed)
    n_exc, n_inh = population_sizes(n_neurons)
    neuron = LIF(tau_m=Gamma(MODEL["tau_m_mean"] * second, MODEL["tau_m_cv"]), v_rest=MODEL["v_rest"] * 1e3 * mV,
                 v_th=MODEL["v_th"] * 1e3 * mV, v_reset=MODEL["v_reset"] * 1e3 * mV, t_ref=MODEL["t_ref"] * second,
                 tau_syn=MODEL["tau_syn"] * second)
    trace_tau = LogNormal(MODEL["tau_trace_mean"] * second, MODEL["tau_trace_cv"])
    stdp = STDP(weight=Constant(MODEL["w_exc"] * 1e3 * mV), w_max=MODEL["w_max"] * 1e3 * mV, tau_pre=trace_tau,
                tau_post=trace_tau, eta_plus=Constant(MODEL["eta_plus"] if eta_plus is None else eta_plus),
                eta_minus=Constant(MODEL["eta_minus"]), traces=traces, precision=precision)
    excitatory = StaticSynapse(weight=MODEL["w_exc"] * 1e3 * mV, precision=precision)
    inhibitory = StaticSynapse(weight=MODEL["w_inh"] * 1e3 * mV, sign=-1, precision=precision)
    feed = StaticSynapse(weight=MODEL["w_input"] * 1e3 * mV, precision=precision)
    synapses = {"ee": stdp, "ei": excitatory, "ie": inhibitory, "ii": inhibitory, "input_exc": feed, "input_inh": feed}
    ends = {"ee": ("exc", "exc"), "ei": ("exc", "inh"), "ie": ("inh", "exc"), "ii": ("inh", "inh"),
            "input_exc": ("input", "exc"), "input_inh": ("input", "inh")}
    projections = tuple(Projection(name, *ends[name], synapses[name], *connectivity[name]) for name in ends)
    return NetworkSpec(populations=(Population("exc", n_exc, neuron), Population("inh", n_inh, neuron)),
                       projections=projections,
                       inputs=(PoissonInput("input", MODEL["n_input"], MODEL["input_rate"] * Hz),),
                       dt=MODEL["dt"] * 1e3 * ms)


def _recording():
    from hetero_brian.network.recording import Recording

    return Recording(spikes=("exc", "inh", "input"))


def _counts(result):
    return {name: np.bincount(result.spikes[name].node_ids, minlength=result.spikes[name].n_neurons).tolist()
            for name in ("exc", "inh", "input")}


def _build_directory(kind, n_neurons):
    """A build folder kept between points when ``--build-cache`` is given (else a new temporary one),
    so that later rounds of a point reuse its compiled binary."""
    cache = os.environ.get("HB_BENCHMARK_BUILD_CACHE")
    if not cache:
        return tempfile.mkdtemp(prefix=f"{kind}-")
    directory = os.path.join(cache, f"{kind}-{n_neurons}")
    os.makedirs(directory, exist_ok=True)
    return directory


def run_hetero(n_neurons, backend, traces, float32, duration, repeats, seed, precision="float64", per_step_exp=False,
               kind="hb-bench"):
    """Time hetero_brian on ``backend``: one build, ``repeats`` runs.

    ``float32``: every state in float32 (Brian2's default float type); ``precision``: per-synapse
    state only; ``per_step_exp``: the code before precomputed decays (``models.decay``)."""
    import brian2
    from brian2 import second

    from hetero_brian.network import builder
    from hetero_brian.simulate import Simulator

    if float32:
        brian2.prefs.core.default_float_dtype = np.float32
    if per_step_exp:
        builder.with_precomputed_decays = lambda equations, method: (equations, method, [])
    spec = hetero_spec(n_neurons, traces, seed=seed, precision=precision)
    build_root = _build_directory(kind, n_neurons)
    result = {"runs": []}
    children, start = _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
    with Simulator(spec, duration * second, backend=backend, seed=seed, recording=_recording(),
                   build_root=build_root) as simulator:
        result["compile_wall"] = time.perf_counter() - start
        result["compile_cpu"] = _cpu(resource.RUSAGE_CHILDREN) - children if not backend.startswith("runtime") else None
        if backend.startswith("runtime"):  # code generation and cython compilation outside the timed runs
            simulator.run()
        for _ in range(repeats):
            own, children, start = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
            outcome = simulator.run()
            wall = time.perf_counter() - start
            cpu = _cpu(resource.RUSAGE_SELF) - own if backend.startswith("runtime") else _cpu(resource.RUSAGE_CHILDREN) - children
            result["runs"].append({"cpu": cpu, "wall": wall, "inner": getattr(brian2.device, "_last_run_time", None)
                                   if not backend.startswith("runtime") else None})
        if float32:
            group = simulator.built.groups["exc"]
            result["state_dtype"] = str(np.dtype(group.variables["v"].dtype))
    result["spike_counts"] = _counts(outcome)
    return result


# -- sweep ----------------------------------------------------------------------------------------
def sweep_once(n_neurons, duration, seed):
    """Compile once, run 10 points with ``parameters={"ee.eta_plus": value}``; totals in seconds.

    Then the same sweep again with a new ``Simulator`` on the same build root: the structure's
    build is cached, so this second sweep ("cached") pays no compilation at all.
    """
    from brian2 import second

    from hetero_brian.simulate import Simulator

    spec = hetero_spec(n_neurons, seed=seed)
    build_root = tempfile.mkdtemp(prefix="hb-sweep-")
    outcome = {"points": len(SWEEP_VALUES)}
    for label in ("", "cached_"):
        own, children, start = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
        with Simulator(spec, duration * second, backend="cpp_standalone", seed=seed, recording=_recording(),
                       build_root=build_root) as simulator:
            outcome[label + "compile_wall"] = time.perf_counter() - start
            outcome[label + "compile_cpu"] = _cpu(resource.RUSAGE_SELF) - own + _cpu(resource.RUSAGE_CHILDREN) - children
            outcome[label + "rates"] = [float(np.mean(_counts(simulator.run(parameters={"ee.eta_plus": value}))["exc"]))
                                        / duration for value in SWEEP_VALUES]
            outcome[label + "n_compilations"] = simulator.backend.n_compilations
        outcome[label + "wall"] = time.perf_counter() - start
        outcome[label + "cpu"] = _cpu(resource.RUSAGE_SELF) - own + _cpu(resource.RUSAGE_CHILDREN) - children
    return outcome


def sweep_rebuild(n_neurons, duration, seed, points):
    """Rebuild for each of the first ``points`` values (new build directory, value baked in)."""
    from brian2 import second

    from hetero_brian.simulate import simulate

    own, children, start = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
    rates = []
    for value in SWEEP_VALUES[:points]:
        spec = hetero_spec(n_neurons, eta_plus=value, seed=seed)
        outcome = simulate(spec, duration * second, backend="cpp_standalone", seed=seed, recording=_recording(),
                           build_root=tempfile.mkdtemp(prefix="hb-rebuild-"))
        rates.append(float(np.mean(_counts(outcome)["exc"])) / duration)
    return {"wall": time.perf_counter() - start, "cpu": _cpu(resource.RUSAGE_SELF) - own + _cpu(resource.RUSAGE_CHILDREN) - children,
            "points": points, "rates": rates}


# -- one point in this process ---------------------------------------------------------------------
def worker(arguments):
    """Measure one point in this process; build folders go to a private temporary folder, removed after."""
    import shutil

    private = tempfile.mkdtemp(prefix="hb-simulation-benchmark-")
    tempfile.tempdir = private
    try:
        _measure(arguments)
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _time_the_binary():
    """Run every standalone binary under ``/usr/bin/time``, which appends the binary's own peak
    resident memory (KiB) to a file; returns that file's path (None without ``/usr/bin/time``).

    ``ru_maxrss`` of this process's children is not the binary's peak: a child forked from Python
    counts the parent's resident pages until it executes the binary (measured equal to the Python
    figure). ``/usr/bin/time`` is a small process whose own child is the binary.
    """
    import brian2

    if not os.path.exists("/usr/bin/time"):
        return None
    path = os.path.join(tempfile.gettempdir(), "binary_peak_kib.txt")
    brian2.prefs.devices.cpp_standalone.run_cmd_unix = ["/usr/bin/time", "-a", "-o", path, "-f", "%M", "./main"]
    return path


def _binary_peak_mib(path):
    if path is None or not os.path.exists(path):
        return None
    with open(path) as stream:
        values = [int(line) for line in stream.read().split() if line.isdigit()]
    return max(values) / 1024 if values else None


def _measure(arguments):
    variant, n_neurons, duration, repeats, seed = (arguments.worker, arguments.n, arguments.duration,
                                                   arguments.repeats, arguments.seed)
    binary_log = _time_the_binary() if "cpp" in variant or "cuda" in variant else None
    if variant in ("plain_runtime", "plain_cpp"):
        from plain_brian2_reservoir import run_plain

        result = run_plain(n_neurons, "runtime" if variant == "plain_runtime" else "cpp_standalone", duration, repeats, seed,
                           build_directory=_build_directory(variant, n_neurons) if variant == "plain_cpp" else None)
    elif variant == "numpy":
        from numpy_reservoir import run_numpy

        result = run_numpy(n_neurons, duration, repeats, seed)
    elif variant == "hb_runtime":
        result = run_hetero(n_neurons, "runtime:cython", "synapse", False, duration, repeats, seed)
    elif variant == "hb_cpp":
        result = run_hetero(n_neurons, "cpp_standalone", "synapse", False, duration, repeats, seed, kind=variant)
    elif variant == "hb_neuron_f32_cpp":
        result = run_hetero(n_neurons, "cpp_standalone", "neuron", True, duration, repeats, seed)
    elif variant == "hb_f32_cpp":
        result = run_hetero(n_neurons, "cpp_standalone", "synapse", False, duration, repeats, seed, precision="float32")
    elif variant == "hb_perstep_cpp":
        result = run_hetero(n_neurons, "cpp_standalone", "synapse", False, duration, repeats, seed, per_step_exp=True)
    elif variant == "hb_neuron_f32_perstep_cpp":
        result = run_hetero(n_neurons, "cpp_standalone", "neuron", True, duration, repeats, seed, per_step_exp=True)
    elif variant == "hb_neuron_cpp":
        result = run_hetero(n_neurons, "cpp_standalone", "neuron", False, duration, repeats, seed)
    elif variant == "hb_cuda":
        result = run_hetero(n_neurons, "cuda_standalone", "synapse", False, duration, repeats, seed)
    elif variant == "sweep_once":
        result = sweep_once(n_neurons, duration, seed)
    elif variant == "sweep_rebuild":
        result = sweep_rebuild(n_neurons, duration, seed, arguments.rebuild_points)
    else:
        raise ValueError(f"unknown variant {variant!r}")
    result["peak_rss_python_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["peak_rss_binary_mib"] = _binary_peak_mib(binary_log)
    print("RESULT " + json.dumps(result))
    if arguments.log_file:  # every finished point is kept, so an interrupted benchmark can be tabulated
        record = {"variant": variant, "n": n_neurons, "duration": duration, "repeats": repeats, "seed": seed,
                  "rebuild_points": arguments.rebuild_points, "result": result}
        with open(arguments.log_file, "a") as stream:
            stream.write(json.dumps(record) + "\n")


def launch(variant, n_neurons, duration, repeats, seed, rebuild_points=10, log=None, log_file=None):
    """Run one point in a fresh process; returns its result dict (or {"error": ...})."""
    command = [sys.executable, os.path.abspath(__file__), "--worker", variant, "--n", str(n_neurons),
               "--duration", str(duration), "--repeats", str(repeats), "--seed", str(seed),
               "--rebuild-points", str(rebuild_points)] + (["--log-file", log_file] if log_file else [])
    environment = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    start = time.perf_counter()
    process = subprocess.run(command, capture_output=True, text=True, env=environment)
    lines = [line for line in process.stdout.splitlines() if line.startswith("RESULT ")]
    if process.returncode != 0 or not lines:
        tail = (process.stderr or process.stdout).strip().splitlines()[-3:]
        outcome = {"error": " | ".join(tail)}
    else:
        outcome = json.loads(lines[-1][len("RESULT "):])
    if log is not None:
        print(f"  [{time.strftime('%H:%M:%S')}] {variant} N={n_neurons}: {time.perf_counter() - start:.0f} s wall, "
              f"load {os.getloadavg()[0]:.1f}" + (f", ERROR {outcome['error']}" if "error" in outcome else ""),
              file=log, flush=True)
    return outcome


def table_from_log(arguments):
    """Print the table of the points recorded in ``arguments.from_log`` (the last record of each point)."""
    records = {}
    with open(arguments.from_log) as stream:
        for line in stream:
            record = json.loads(line)
            records[(record["variant"], record["n"], record["duration"])] = record
    rows, sweeps = {}, {}
    for (variant, n_neurons, duration), record in sorted(records.items(), key=lambda item: (item[0][1], item[0][0])):
        if variant.startswith("sweep"):
            continue
        arguments.duration, arguments.repeats = duration, record["repeats"]
        rows.setdefault(n_neurons, {})[variant] = summarise(n_neurons, record["result"], duration, record["seed"])
    for (variant, n_neurons, duration), record in records.items():
        if variant == "sweep_once" and ("sweep_rebuild", n_neurons, duration) in records:
            sweeps[(n_neurons, duration)] = (record["result"], records[("sweep_rebuild", n_neurons, duration)]["result"])
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    arguments.jobs = "see log"
    print_table(rows, sweeps, arguments, [f"(from {arguments.from_log})", load])


def run_rounds(arguments, sizes, variants):
    """Every point ``arguments.rounds`` times, in turn (round 1: every variant of every size, then
    round 2, ...), each in a fresh process; a point's runs of all rounds are pooled."""
    loads = [" ".join(f"{value:.1f}" for value in os.getloadavg())]
    outcomes = {}
    for _ in range(arguments.rounds):
        for n_neurons in sizes:
            for variant in variants:
                outcome = launch(variant, n_neurons, arguments.duration, arguments.repeats, arguments.seed,
                                 log=sys.stderr, log_file=arguments.log_file)
                pooled = outcomes.setdefault((n_neurons, variant), {"runs": []})
                if "error" in outcome:
                    pooled.setdefault("errors", []).append(outcome["error"])
                    continue
                runs = pooled["runs"] + outcome["runs"]
                peaks = {key: max(value for value in (pooled.get(key), outcome.get(key)) if value is not None)
                         if outcome.get(key) is not None or pooled.get(key) is not None else None
                         for key in ("peak_rss_python_mib", "peak_rss_binary_mib")}
                pooled.update(outcome, runs=runs, **peaks)
    rows = {n_neurons: {variant: (summarise(n_neurons, outcomes[(n_neurons, variant)], arguments.duration, arguments.seed)
                                  if outcomes[(n_neurons, variant)]["runs"] else {"error": outcomes[(n_neurons, variant)]["errors"][0]})
                        for variant in variants} for n_neurons in sizes}
    loads.append(" ".join(f"{value:.1f}" for value in os.getloadavg()))
    print_table(rows, {}, arguments, loads)
    if arguments.output:
        with open(arguments.output, "w") as stream:
            print_table(rows, {}, arguments, loads, stream)
            json.dump({"rows": {str(k): v for k, v in rows.items()},
                       "runs": {f"{n}:{v}": [run["cpu"] for run in o["runs"]] for (n, v), o in outcomes.items()}},
                      stream, indent=1, default=str)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,4000", help="comma-separated N (default 1000,4000)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated subset of {VARIANTS} "
                        "(also hb_neuron_cpp: neuron traces, float64)")
    parser.add_argument("--backends", default="", help="extra backends: cuda_standalone adds the hb_cuda variant")
    parser.add_argument("--duration", type=float, default=1.0, help="simulated seconds per run")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--sweep", default="4000:1.0,1000:0.2", help="N:duration of the sweeps ('' for none)")
    parser.add_argument("--rebuild-points", type=int, default=10, help="rebuilds actually timed (scaled to 10)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1, help="points run concurrently (default 1)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every point this many times, one point after another in turn (plain and "
                             "hetero_brian interleaved), and keep the runs of all rounds (the minimum is reported)")
    parser.add_argument("--build-cache", default=None,
                        help="keep standalone builds here between rounds (later rounds reuse the binary)")
    parser.add_argument("--output", default=None, help="also write the table to this file")
    parser.add_argument("--log-file", default=os.path.join(tempfile.gettempdir(), "hetero_brian_simulation_benchmark.jsonl"),
                        help="every finished point is appended here (JSON lines)")
    parser.add_argument("--from-log", default=None, help="only print the table of the points in this log file")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=None, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.worker:
        return worker(arguments)
    if arguments.from_log:
        return table_from_log(arguments)
    sizes = [int(size) for size in arguments.sizes.split(",") if size]
    variants = [variant for variant in arguments.variants.split(",") if variant]
    if "cuda_standalone" in arguments.backends.split(","):
        variants.append("hb_cuda")
    loads = [" ".join(f"{value:.1f}" for value in os.getloadavg())]
    if arguments.build_cache:
        os.makedirs(arguments.build_cache, exist_ok=True)
        os.environ["HB_BENCHMARK_BUILD_CACHE"] = os.path.abspath(arguments.build_cache)
    if arguments.rounds > 1:
        return run_rounds(arguments, sizes, variants)
    tasks = [(variant, n_neurons, arguments.duration, arguments.repeats, arguments.seed, 10)
             for n_neurons in sizes for variant in variants]
    for item in [item for item in arguments.sweep.split(",") if item]:
        n_text, duration_text = item.split(":")
        for variant in ("sweep_rebuild", "sweep_once"):
            tasks.append((variant, int(n_text), float(duration_text), 1, arguments.seed, arguments.rebuild_points))
    # the longest points first; with --jobs > 1 points run concurrently (CPU times stay per process)
    tasks.sort(key=lambda task: (task[0] != "sweep_rebuild", "cpp" not in task[0] and "sweep" not in task[0], -task[1]))
    with ThreadPoolExecutor(max_workers=arguments.jobs) as pool:
        futures = {task: pool.submit(launch, *task, log=sys.stderr, log_file=arguments.log_file) for task in tasks}
    rows = {n_neurons: {variant: summarise(n_neurons, futures[(variant, n_neurons, arguments.duration, arguments.repeats,
                                                                  arguments.seed, 10)].result(),
                                           arguments.duration, arguments.seed) for variant in variants}
            for n_neurons in sizes}
    sweeps = {}
    for task in tasks:
        if task[0] == "sweep_once":
            rebuild = futures[("sweep_rebuild", *task[1:4], task[4], task[5])].result()
            sweeps[(task[1], task[2])] = (futures[task].result(), rebuild)
    loads.append(" ".join(f"{value:.1f}" for value in os.getloadavg()))
    print_table(rows, sweeps, arguments, loads)
    if arguments.output:
        with open(arguments.output, "w") as stream:
            print_table(rows, sweeps, arguments, loads, stream)
            json.dump({"rows": {str(k): v for k, v in rows.items()},
                       "sweeps": {f"{k[0]}:{k[1]}": v for k, v in sweeps.items()}}, stream, indent=1, default=str)


if __name__ == "__main__":
    main()
