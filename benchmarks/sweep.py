"""Time a 20-task sweep of the toy objective on one local worker and on two (issue 9).

Target: two local workers at least 1.6x faster than one. Every task runs in a fresh process (the
default executor), so each pays Python start-up and the Brian2 import (about 4 s here) plus the
toy scenario's own compute. The table gives wall times, the speed-up, the CPU time of the task
processes and CPU/wall, the cores the sweep actually got: on a machine shared with
other jobs the speed-up cannot exceed the ratio of CPU/wall between the rows.

``--per-run`` instead times the runs of one compiled binary (issue 20, item 4): a 10-point sweep
of the per-synapse ``ee.tau_pre`` array on the benchmark reservoir of ``simulation.py``, in C++
standalone, as plain Brian2's own ``device.run(run_args=...)`` loop (reading the spike monitors
back) against ``Simulator.run(parameters=...)``. Each arm runs in its own process; per point it gives
wall time, CPU time (the process plus the binary) and the binary's own network-run time, and the
overhead is wall time minus that network-run time.

Usage::

    python benchmarks/sweep.py [--tasks 20] [--workers 1 2] [--n-units 100] [--n-steps 20000] [--dask]
    python benchmarks/sweep.py --per-run [--n-neurons 1000] [--duration 0.2] [--points 10]
"""
import argparse
import json
import os
import resource
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

from hetero_brian.experiment.executors import dask_executor
from hetero_brian.experiment.sweep import Task, run_sweep

TARGET = 1.6


def _tasks(n_tasks, n_units, n_steps):
    base = {"n_units": n_units, "n_steps": n_steps}
    return [Task("toy_objective", {"tau_m.cv": round(0.1 * (index % 10), 1)}, index // 10, base, "auto")
            for index in range(n_tasks)]


def _load():
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def time_sweep(tasks, workers, use_dask):
    """Wall time (s) and CPU time of the task processes (s) of one fresh sweep of ``tasks``."""
    directory = tempfile.mkdtemp(prefix="hetero-brian-sweep-benchmark-")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = usage.ru_utime + usage.ru_stime
    try:
        start = time.perf_counter()
        if use_dask:
            with dask_executor(workers=workers) as executor:
                report = run_sweep(tasks, directory, executor=executor, progress=False)
        else:
            report = run_sweep(tasks, directory, workers=workers, progress=False)
        elapsed = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = usage.ru_utime + usage.ru_stime - cpu_before
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    if report.failed:
        raise RuntimeError(f"{len(report.failed)} benchmark tasks failed:\n{report.failed[0].traceback}")
    return elapsed, cpu


def _cpu_all():
    return sum(getattr(resource.getrusage(who), field) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for field in ("ru_utime", "ru_stime"))


def _tau_pre_values(n_synapses, points):
    """One per-synapse ``tau_pre`` array (s) per point: LogNormal(20 ms, CV 0.3) from its own seed."""
    sigma = np.sqrt(np.log(1 + 0.3 ** 2))
    return [np.random.default_rng(100 + k).lognormal(np.log(20e-3) - sigma ** 2 / 2, sigma, n_synapses)
            for k in range(points)]


def per_run_worker(arm, n_neurons, duration, points):
    """Compile once, then time ``points`` runs; prints one JSON line per point."""
    import brian2

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from plain_brian2_reservoir import build_network, make_connectivity
    from simulation import _recording, hetero_spec

    directory = tempfile.mkdtemp(prefix=f"hb-per-run-{arm}-")
    n_synapses = make_connectivity(n_neurons, 1)["ee"][0].size
    values = _tau_pre_values(n_synapses, points)
    if arm == "plain":
        brian2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j2"]
        brian2.set_device("cpp_standalone", directory=directory, build_on_run=False)
        network, monitors = build_network(n_neurons, make_connectivity(n_neurons, 1), 2)
        brian2.device.apply_run_args()
        network.run(duration * brian2.second, namespace={})
        brian2.device.build(directory=directory, compile=True, run=False, with_output=False)
        ee = network["ee"]
        for k, value in enumerate(values):
            cpu, start = _cpu_all(), time.perf_counter()
            brian2.device.run(directory=directory, results_directory=f"results_{k}", with_output=False,
                              run_args={ee.taupre: value * brian2.second})
            spikes = sum(np.asarray(monitor.i[:]).size for monitor in monitors.values())
            print(json.dumps({"wall": time.perf_counter() - start, "cpu": _cpu_all() - cpu,
                              "inner": brian2.device._last_run_time, "spikes": spikes}), flush=True)
        return
    from hetero_brian.simulate import Simulator

    with Simulator(hetero_spec(n_neurons, seed=1), duration * brian2.second, backend="cpp_standalone", seed=1,
                   recording=_recording(), build_root=directory) as simulator:
        for value in values:
            cpu, start = _cpu_all(), time.perf_counter()
            result = simulator.run(parameters={"ee.tau_pre": value * brian2.second})
            spikes = sum(trains.node_ids.size for trains in result.spikes.values())
            print(json.dumps({"wall": time.perf_counter() - start, "cpu": _cpu_all() - cpu,
                              "inner": brian2.device._last_run_time, "spikes": spikes}), flush=True)


def per_run(arguments):
    """Both arms, one after the other (plain first), each in a fresh process; prints the table."""
    rows = {}
    for arm in ("plain", "hetero_brian"):
        load = _load()
        command = [sys.executable, __file__, "--per-run-worker", arm, "--n-neurons", str(arguments.n_neurons),
                   "--duration", str(arguments.duration), "--points", str(arguments.points)]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        points = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
        rows[arm] = (points, load)
    print(f"machine: {platform.node()} ({os.cpu_count()} CPUs); N = {arguments.n_neurons}, "
          f"{arguments.duration} s runs, {arguments.points} points of ee.tau_pre (per-synapse array run argument)")
    print("arm | wall/run (s): median, min | CPU/run (s): median, min | in-binary run (s): median | "
          "overhead = wall - in-binary (s): median, min | load before")
    summary = {}
    for arm, (points, load) in rows.items():
        wall, cpu, inner = (np.array([p[key] for p in points]) for key in ("wall", "cpu", "inner"))
        overhead = wall - inner
        summary[arm] = (np.median(wall), np.median(overhead))
        print(f"{arm} | {np.median(wall):.3f}, {wall.min():.3f} | {np.median(cpu):.3f}, {cpu.min():.3f} | "
              f"{np.median(inner):.3f} | {np.median(overhead):.3f}, {overhead.min():.3f} | {load}")
    (plain_wall, plain_overhead), (hetero_wall, hetero_overhead) = summary["plain"], summary["hetero_brian"]
    print(f"hetero_brian / plain: wall per run {hetero_wall / plain_wall:.2f}x, overhead per run "
          f"{hetero_overhead / plain_overhead:.2f}x (target: <= 1.0x)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--n-units", type=int, default=100)
    parser.add_argument("--n-steps", type=int, default=20000)
    parser.add_argument("--dask", action="store_true", help="use an embedded Dask LocalCluster")
    parser.add_argument("--per-run", action="store_true", help="time runs of one binary against plain run_args")
    parser.add_argument("--per-run-worker", choices=("plain", "hetero_brian"), help=argparse.SUPPRESS)
    parser.add_argument("--n-neurons", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=0.2, help="simulated seconds per run")
    parser.add_argument("--points", type=int, default=10)
    arguments = parser.parse_args(argv)
    if arguments.per_run_worker:
        return per_run_worker(arguments.per_run_worker, arguments.n_neurons, arguments.duration, arguments.points)
    if arguments.per_run:
        return per_run(arguments)
    tasks = _tasks(arguments.tasks, arguments.n_units, arguments.n_steps)
    print(f"machine: {platform.node()} ({os.cpu_count()} CPUs), python {platform.python_version()}, "
          f"executor: {'dask LocalCluster' if arguments.dask else 'spawn process pool'}")
    print(f"{'workers':>7} | {'wall (s)':>9} | {'s/task':>7} | {'speed-up':>8} | {'task CPU (s)':>12} | "
          f"{'CPU/wall':>8} | load before")
    print("-" * 86)
    reference = None
    for workers in arguments.workers:
        load = _load()
        elapsed, cpu = time_sweep(tasks, workers, arguments.dask)
        reference = elapsed if reference is None else reference
        speedup = reference / elapsed   # relative to the first row
        print(f"{workers:>7} | {elapsed:>9.1f} | {elapsed / len(tasks):>7.2f} | {speedup:>7.2f}x | {cpu:>12.1f} | "
              f"{cpu / elapsed:>8.2f} | {load}")
    if 1 in arguments.workers and 2 in arguments.workers:
        print(f"target: 2 workers >= {TARGET}x faster than 1")


if __name__ == "__main__":
    main()
