"""Time a 20-task sweep of the toy objective on one local worker and on two (issue 9).

Target: two local workers at least 1.6x faster than one. Every task runs in a fresh process (the
default executor), so each pays Python start-up and the Brian2 import (about 4 s here) plus the
toy scenario's own compute. The table gives wall times, the speed-up, the CPU time of the task
processes and CPU/wall, the cores the sweep actually got: on a machine shared with
other jobs the speed-up cannot exceed the ratio of CPU/wall between the rows.

Usage::

    python benchmarks/sweep.py [--tasks 20] [--workers 1 2] [--n-units 100] [--n-steps 20000] [--dask]
"""
import argparse
import os
import resource
import platform
import shutil
import tempfile
import time

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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--n-units", type=int, default=100)
    parser.add_argument("--n-steps", type=int, default=20000)
    parser.add_argument("--dask", action="store_true", help="use an embedded Dask LocalCluster")
    arguments = parser.parse_args(argv)
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
