"""cProfile (process clock) of the Python side of sweep runs of one compiled binary (issue 20, item 4).

``hetero_brian``: ``Simulator.run(parameters={"ee.tau_pre": array})``; ``plain``: Brian2's own
``device.run(run_args=...)`` plus reading each spike monitor's ``i`` and ``t``. The benchmark
reservoir of ``simulation.py`` in C++ standalone; one warm-up run, then ``--runs`` profiled runs.
Prints the Python CPU per run and the cumulative profile (cProfile inflates call-heavy code).

Usage::

    python benchmarks/sweep_profile.py hetero_brian --runs 20 --build-directory /tmp/profile-hb
    python benchmarks/sweep_profile.py plain --runs 20 --build-directory /tmp/profile-plain
"""
import argparse
import cProfile
import os
import pstats
import sys
import time

import brian2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plain_brian2_reservoir import build_network, make_connectivity  # noqa: E402
from simulation import _recording, hetero_spec  # noqa: E402
from sweep import _tau_pre_values  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("arm", choices=("hetero_brian", "plain"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--n-neurons", type=int, default=1000)
    parser.add_argument("--build-directory", required=True)
    parser.add_argument("--lines", type=int, default=40)
    arguments = parser.parse_args(argv)
    n = arguments.n_neurons
    values = _tau_pre_values(make_connectivity(n, 1)["ee"][0].size, arguments.runs + 1)
    if arguments.arm == "plain":
        brian2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j2"]
        directory = arguments.build_directory
        brian2.set_device("cpp_standalone", directory=directory, build_on_run=False)
        network, monitors = build_network(n, make_connectivity(n, 1), 2)
        brian2.device.apply_run_args()
        network.run(0.2 * brian2.second, namespace={})
        brian2.device.build(directory=directory, compile=True, run=False, with_output=False)
        ee = network["ee"]

        def run(value):
            brian2.device.run(directory=directory, results_directory=f"results_{time.time_ns()}", with_output=False,
                              run_args={ee.taupre: value * brian2.second})
            return [(np.asarray(m.i[:]), np.asarray(m.t[:])) for m in monitors.values()]
        profile_runs(run, values, arguments)
        return
    from hetero_brian.simulate import Simulator

    with Simulator(hetero_spec(n, seed=1), 0.2 * brian2.second, backend="cpp_standalone", seed=1,
                   recording=_recording(), build_root=arguments.build_directory) as simulator:
        profile_runs(lambda value: simulator.run(parameters={"ee.tau_pre": value * brian2.second}), values, arguments)


def profile_runs(run, values, arguments):
    run(values[0])  # warm-up
    profile = cProfile.Profile(time.process_time)
    start = time.process_time()
    profile.enable()
    for value in values[1:]:
        run(value)
    profile.disable()
    print(f"{arguments.arm}: Python CPU per run under cProfile {(time.process_time() - start) / arguments.runs * 1e3:.2f} ms")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(arguments.lines)


if __name__ == "__main__":
    main()
