"""Time the spike statistics of ``hetero_brian.analysis`` on 10^7 spikes from 10^4 neurons, one core.

Target (issue 5): all activity metrics of a 10^7-spike results file in under 10 s on one core.
The spikes are Poisson (uniform times, uniform neuron ids) and arrive in time order, as a spike
monitor saves them; the first step sorts them by (neuron, time) once, every metric after that gets
the sorted arrays (which :func:`hetero_brian.analysis.spike_arrays.sort_spikes` recognises in O(n)).

Usage::

    python benchmarks/activity.py [--n-spikes 10000000] [--n-neurons 10000] [--repeats 1]
"""
import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"  # one core (set before numpy loads its BLAS)

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from hetero_brian.analysis import (  # noqa: E402
    activity, spike_arrays, spike_counts, spike_distances, spike_intervals)
from hetero_brian.results import SpikeTrains  # noqa: E402

TARGET_SECONDS = 10.0


def make_spikes(n_spikes, n_neurons, duration, seed):
    rng = np.random.default_rng(seed)
    timestamps = np.sort(rng.uniform(0.0, duration, n_spikes))
    node_ids = rng.integers(0, n_neurons, n_spikes)
    return node_ids, timestamps


def best_time(function, repeats):
    """Best (wall, CPU) seconds over ``repeats`` calls; CPU time is robust to a shared machine."""
    wall, cpu = [], []
    for _ in range(repeats):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append(time.perf_counter() - start_wall)
        cpu.append(time.process_time() - start_cpu)
    return min(wall), min(cpu)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-spikes", type=int, default=10_000_000)
    parser.add_argument("--n-neurons", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=100.0, help="seconds (10 Hz by default)")
    parser.add_argument("--repeats", type=int, default=1, help="best of this many runs")
    parser.add_argument("--seed", type=int, default=2024)
    arguments = parser.parse_args(argv)
    n, duration = arguments.n_neurons, arguments.duration
    node_ids, timestamps = make_spikes(arguments.n_spikes, n, duration, arguments.seed)
    window = {"t_start": 0.0, "t_stop": duration}

    spikes = SpikeTrains(node_ids, timestamps, n)
    sorted_spikes = spike_arrays.sort_spikes(spikes, **window)
    times = sorted_spikes.timestamps
    ordered = SpikeTrains(sorted_spikes.node_ids, times, n)
    pairs = np.random.default_rng(1).integers(0, n, (100, 2))
    boundaries = np.linspace(0.0, duration, 101)
    correlation_neurons = np.arange(min(n, 500))
    rows = [
        ("sort by (neuron, time), time-ordered input", lambda: spike_arrays.sort_spikes(spikes, **window)),
        ("firing_rates", lambda: activity.firing_rates(ordered, **window)),
        ("mean_firing_rate", lambda: activity.mean_firing_rate(ordered, **window)),
        ("fraction_silent", lambda: activity.fraction_silent(ordered, **window)),
        ("rate_sanity", lambda: activity.rate_sanity(ordered, **window)),
        ("interspike_intervals", lambda: spike_intervals.interspike_intervals(ordered, **window)),
        ("cv_isi", lambda: spike_intervals.cv_isi(ordered, **window)),
        ("cv2", lambda: spike_intervals.cv2(ordered, **window)),
        ("local_variation", lambda: spike_intervals.local_variation(ordered, **window)),
        ("fano_factor (100 ms bins)", lambda: spike_counts.fano_factor(ordered, 0.1, **window)),
        ("population_rate (1 ms bins)", lambda: activity.population_rate(ordered, 1e-3, **window)),
        ("population_rate (1 ms, gaussian 5 ms)",
         lambda: activity.population_rate(ordered, 1e-3, **window, kernel="gaussian", width=5e-3)),
        ("spikes_per_neuron_per_sample (100 samples)",
         lambda: activity.spikes_per_neuron_per_sample(ordered, boundaries)),
        ("correlation_matrix (500 neurons, 10 ms bins)",
         lambda: spike_counts.correlation_matrix(ordered, 0.01, **window, neurons=correlation_neurons)),
    ]
    offsets = sorted_spikes.offsets

    def train(k):
        return times[offsets[k]:offsets[k + 1]]
    rows += [
        ("van_rossum_distance (100 pairs, tau 10 ms)",
         lambda: [spike_distances.van_rossum_distance(train(a), train(b), 0.01) for a, b in pairs]),
        ("spike_time_tiling_coefficient (100 pairs, 5 ms)",
         lambda: [spike_distances.spike_time_tiling_coefficient(train(a), train(b), 0.005, **window)
                  for a, b in pairs]),
    ]
    print(f"{arguments.n_spikes:,} spikes, {n:,} neurons, {duration:g} s, one core, "
          f"best of {arguments.repeats}")
    print(f"load average before: {os.getloadavg()[0]:.2f} (on {os.cpu_count()} cores)")
    print(f"{'metric':<52}{'wall s':>10}{'CPU s':>10}")
    total_wall = total_cpu = 0.0
    for name, function in rows:
        wall, cpu = best_time(function, arguments.repeats)
        total_wall, total_cpu = total_wall + wall, total_cpu + cpu
        print(f"{name:<52}{wall:>10.3f}{cpu:>10.3f}")
    print(f"{'total':<52}{total_wall:>10.3f}{total_cpu:>10.3f}")
    verdict = "met" if total_wall < TARGET_SECONDS else "MISSED"
    print(f"{'target (wall)':<52}{TARGET_SECONDS:>10.3f}   {verdict}, ratio "
          f"{total_wall / TARGET_SECONDS:.2f}; load average after: {os.getloadavg()[0]:.2f}")
    return 0 if total_wall < TARGET_SECONDS else 1

if __name__ == "__main__":
    raise SystemExit(main())
