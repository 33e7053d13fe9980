"""Time a 20-task sweep of the toy objective on one local worker and on two (issue 9).

Target: two local workers at least 1.6x faster than one. Every task runs in a fresh process (the
default executor), so each pays Python start-up and the Brian2 import (about 4 s here) plus the
toy scenario's own compute. The table gives wall times, the speed-up, the CPU time of the task
processes and CPU/wall, the cores the sweep actually got: on a machine shared with
other jobs the speed-up cannot exceed the ratio of CPU/wall between the rows.

``--per-run`` instead times the runs of one compiled binary (issue 20, item 4): a 10-point sweep
of the per-synapse ``ee.tau_pre`` array on the benchmark reservoir of ``simulation.py``, in C++
standalone, as plain Brian2's own ``device.run(run_args=...)`` loop (reading the spike monitors'
``i`` and ``t`` back) against ``Simulator.run(parameters=...)``. Each arm is one warm process that
compiled once; the arms are asked for a batch of ``--points`` runs in turn (A B A B ..., ``--pairs``
rounds), so both see the same machine load. Per run: CPU time (the process plus the binary),
wall time and the binary's own network-run time.

Usage::

    python benchmarks/sweep.py [--tasks 20] [--workers 1 2] [--n-units 100] [--n-steps 20000] [--dask]
    python benchmarks/sweep.py --per-run [--n-neurons 1000] [--duration 0.2] [--points 10] [--pairs 5]
        [--arms plain,hetero_brian,main=/path/to/old/checkout] [--build-cache DIR]
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

if os.environ.get("HB_BENCHMARK_SOURCE"):  # --arms NAME=PATH: this worker times another checkout
    sys.meta_path[:] = [finder for finder in sys.meta_path if "__editable__" not in getattr(finder, "__module__", "")]
    sys.path.insert(0, os.environ["HB_BENCHMARK_SOURCE"])

from hetero_brian.experiment.executors import dask_executor  # noqa: E402
from hetero_brian.experiment.sweep import Task, run_sweep  # noqa: E402

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


def _batches(run_batch):
    """Run a batch of points for each line ``N`` read from stdin (``N`` points), then print ``END``."""
    for line in sys.stdin:
        run_batch(int(line))
        print("END", flush=True)


def _blocks_written():
    """Bytes this process and its waited-for children wrote (page cache included) minus those deleted
    or truncated before reaching the disk (Linux ``/proc/self/io``; 0 elsewhere)."""
    try:
        with open("/proc/self/io") as handle:
            fields = dict(line.split(": ") for line in handle.read().splitlines())
    except OSError:
        return 0
    return int(fields["write_bytes"]) - int(fields["cancelled_write_bytes"])


def _cpu_self():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _point(start_cpu, start_wall, start_blocks, spikes, start_self):
    import brian2

    print(json.dumps({"wall": time.perf_counter() - start_wall, "cpu": _cpu_all() - start_cpu,
                      "python": _cpu_self() - start_self,
                      "inner": brian2.device._last_run_time, "spikes": int(spikes),
                      "written_mb": (_blocks_written() - start_blocks) / 1e6}), flush=True)


def per_run_worker(arm, n_neurons, duration, points, build_directory=None):
    """Compile once, then for each batch asked on stdin time ``points`` runs (one JSON line each).

    ``plain``: Brian2's own ``device.run(run_args=...)`` loop, reading back each spike monitor's
    ``i`` and ``t`` (the spike trains a hetero_brian result holds); its results folders stay on disk
    (``results_<k>``; deleted when the worker ends). ``hetero_brian``: ``Simulator.run(parameters=...)``.
    """
    import brian2

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from plain_brian2_reservoir import build_network, make_connectivity
    from simulation import _recording, hetero_spec

    directory = build_directory or tempfile.mkdtemp(prefix=f"hb-per-run-{arm}-")
    n_synapses = make_connectivity(n_neurons, 1)["ee"][0].size
    values = _tau_pre_values(n_synapses, points)
    if arm == "plain":
        brian2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j2"]
        brian2.set_device("cpp_standalone", directory=directory, build_on_run=False)
        network, monitors = build_network(n_neurons, make_connectivity(n_neurons, 1), 2)
        brian2.device.apply_run_args()
        network.run(duration * brian2.second, namespace={})
        brian2.device.build(directory=directory, compile=True, run=False, with_output=False)
        ee, folders = network["ee"], []

        def run_batch(count):
            for value in values[:count]:
                cpu, start, blocks, own = _cpu_all(), time.perf_counter(), _blocks_written(), _cpu_self()
                folders.append(f"results_{time.time_ns()}")
                brian2.device.run(directory=directory, results_directory=folders[-1], with_output=False,
                                  run_args={ee.taupre: value * brian2.second})
                trains = [(np.asarray(monitor.i[:]), np.asarray(monitor.t[:])) for monitor in monitors.values()]
                _point(cpu, start, blocks, sum(i.size for i, _ in trains), own)
        try:
            _batches(run_batch)
        finally:
            for folder in folders:
                shutil.rmtree(os.path.join(directory, folder), ignore_errors=True)
        return
    from hetero_brian.simulate import Simulator

    with Simulator(hetero_spec(n_neurons, seed=1), duration * brian2.second, backend="cpp_standalone", seed=1,
                   recording=_recording(), build_root=directory) as simulator:
        def run_batch(count):
            for value in values[:count]:
                cpu, start, blocks, own = _cpu_all(), time.perf_counter(), _blocks_written(), _cpu_self()
                result = simulator.run(parameters={"ee.tau_pre": value * brian2.second})
                _point(cpu, start, blocks, sum(trains.node_ids.size for trains in result.spikes.values()), own)
        _batches(run_batch)


def _worker(arm, arguments):
    """A worker process of ``arm`` (``name``, or ``name=PATH``: hetero_brian imported from ``PATH``, e.g. an
    older checkout, ahead of the installed one)."""
    name, _, path = arm.partition("=")
    command = [sys.executable, os.path.abspath(__file__), "--per-run-worker", "plain" if name == "plain" else "hetero_brian",
               "--n-neurons", str(arguments.n_neurons), "--duration", str(arguments.duration),
               "--points", str(arguments.points)]
    if arguments.build_cache:
        command += ["--build-directory", os.path.join(arguments.build_cache, name)]
    environment = dict(os.environ, HB_BENCHMARK_SOURCE=path) if path else None
    return name, subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=environment)


def _batch(process, points):
    process.stdin.write(f"{points}\n")
    process.stdin.flush()
    rows = []
    for line in process.stdout:
        if line.startswith("END"):
            return rows
        if line.startswith("{"):
            rows.append(json.loads(line))
    raise RuntimeError(f"worker exited with status {process.wait()} before finishing its batch")


def per_run(arguments):
    """Arms interleaved: one warm worker process per arm, batches of ``points`` runs asked in turn
    (A B A B ...) for ``pairs`` rounds after one warm-up batch each; prints per batch and overall."""
    workers = [_worker(arm, arguments) for arm in arguments.arms.split(",")]
    names = [name for name, _ in workers]
    batches = {name: [] for name in names}
    try:
        for name, process in workers:
            _batch(process, 1)  # warm-up (the build happened at start-up)
        print(f"machine: {platform.node()} ({os.cpu_count()} CPUs); N = {arguments.n_neurons}, {arguments.duration} s runs, "
              f"batches of {arguments.points} runs of ee.tau_pre (per-synapse array run argument), arms interleaved")
        print("round | arm | UTC | load (1 min) | CPU/run (s): median, min | Python process CPU/run (s): median "
          "| wall/run (s): median, min | in-binary (s): median "
          "| MB written and not deleted before reaching the disk: median")
        for round_ in range(arguments.pairs):
            for name, process in workers:
                load, stamp = os.getloadavg()[0], time.strftime("%H:%M:%S", time.gmtime())
                rows = _batch(process, arguments.points)
                cpu, wall, inner, written, own = (np.array([row[key] for row in rows])
                                                  for key in ("cpu", "wall", "inner", "written_mb", "python"))
                batches[name].append((cpu, wall, inner, load, own))
                print(f"{round_ + 1} | {name} | {stamp} | {load:.1f} | {np.median(cpu):.4f}, {cpu.min():.4f} | "
                      f"{np.median(own):.4f} | "
                      f"{np.median(wall):.4f}, {wall.min():.4f} | {np.median(inner):.4f} | {np.median(written):.1f}", flush=True)
    finally:
        for _, process in workers:
            process.stdin.close()
            process.wait()
    reference = names[0]
    print(f"\noverall ({arguments.pairs} rounds x {arguments.points} runs per arm) | CPU/run median, min | "
          f"wall/run median, min | Python process CPU/run median, min | CPU median / {reference} | "
          f"rounds where CPU median < {reference}'s")
    for name in names:
        cpu = np.concatenate([b[0] for b in batches[name]])
        wall = np.concatenate([b[1] for b in batches[name]])
        own = np.concatenate([b[4] for b in batches[name]])
        ratio = np.median(cpu) / np.median(np.concatenate([b[0] for b in batches[reference]]))
        wins = sum(np.median(b[0]) < np.median(r[0]) for b, r in zip(batches[name], batches[reference]))
        print(f"{name} | {np.median(cpu):.4f}, {cpu.min():.4f} | {np.median(wall):.4f}, {wall.min():.4f} | "
              f"{np.median(own):.4f}, {own.min():.4f} | "
              f"{ratio:.3f}x | {wins}/{arguments.pairs}")
    per_round = {name: [np.median(b[0]) / np.median(r[0]) for b, r in zip(batches[name], batches[reference])]
                 for name in names[1:]}
    for name, ratios in per_round.items():
        print(f"{name} / {reference}, CPU median per round: " + ", ".join(f"{r:.3f}" for r in ratios)
              + f" (median {np.median(ratios):.3f}x)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--n-units", type=int, default=100)
    parser.add_argument("--n-steps", type=int, default=20000)
    parser.add_argument("--dask", action="store_true", help="use an embedded Dask LocalCluster")
    parser.add_argument("--per-run", action="store_true", help="time runs of one binary against plain run_args")
    parser.add_argument("--per-run-worker", choices=("plain", "hetero_brian"), help=argparse.SUPPRESS)
    parser.add_argument("--build-directory", help=argparse.SUPPRESS)
    parser.add_argument("--arms", default="plain,hetero_brian",
                        help="--per-run arms in turn: plain, hetero_brian, or NAME=PATH (hetero_brian from another checkout)")
    parser.add_argument("--pairs", type=int, default=5, help="--per-run rounds (each arm one batch per round)")
    parser.add_argument("--build-cache", help="--per-run: keep each arm's build here (no recompilation next time)")
    parser.add_argument("--n-neurons", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=0.2, help="simulated seconds per run")
    parser.add_argument("--points", type=int, default=10)
    arguments = parser.parse_args(argv)
    if arguments.per_run_worker:
        return per_run_worker(arguments.per_run_worker, arguments.n_neurons, arguments.duration, arguments.points,
                              arguments.build_directory)
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
