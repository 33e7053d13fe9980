"""Throughput of batched copies: K input samples through one frozen reservoir (issue 20, item 5).

Feature extraction as the HRSNN scenarios do it: a frozen E/I reservoir (no plasticity) receives one
input sample (a spike raster) per run. Two arms on the same backend, each compiled once (compilation
reported apart):

* ``one at a time``: one ``Simulator``, K runs of the compiled binary, one raster each;
* ``batched``: one :class:`~hetero_brian.protocols.batched.BatchedSimulator` of K copies of the
  same network, one run with the K rasters side by side.

The table gives samples per second (wall and CPU of this process plus the binary) and checks that
every copy's spikes equal the one-at-a-time run of the same sample. On a GPU backend
(``--backend cuda_standalone``) the batched arm is what fills the device.

Usage::

    python benchmarks/batched.py [--n-neurons 500] [--copies 1 4 16] [--duration 0.1] [--backend cpp_standalone]
"""
import argparse
import os
import platform
import resource
import tempfile
import time

import numpy as np


def _cpu():
    return sum(getattr(resource.getrusage(who), field) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for field in ("ru_utime", "ru_stime"))


def _spec(n_neurons, n_inputs, n_steps):
    from brian2 import ms

    from hetero_brian.distributions import Gamma
    from hetero_brian.models.neurons import LIF
    from hetero_brian.network.reservoir import default_synapses, reservoir_spec
    from hetero_brian.network.spec import RasterInput

    raster = np.zeros((n_steps, n_inputs), dtype=np.uint8)
    return reservoir_spec(n_neurons, RasterInput("input", raster, 0.1 * ms), 1, neuron=LIF(tau_m=Gamma(20 * ms, 0.5)),
                          synapses=default_synapses(plastic=False, weight_scale=2.0), p_input=0.2)


def _rasters(count, n_steps, n_inputs, rate_per_step=0.02):
    rng = np.random.default_rng(7)
    return [(rng.random((n_steps, n_inputs)) < rate_per_step).astype(np.uint8) for _ in range(count)]


def measure(n_neurons, copies, duration, backend, n_inputs=100):
    """Samples per second of both arms for ``copies`` samples; returns a dict of the measurements."""
    from brian2 import second

    from hetero_brian.protocols.batched import BatchedSimulator
    from hetero_brian.network.recording import Recording
    from hetero_brian.simulate import Simulator

    n_steps = int(round(duration / 1e-4))
    spec, rasters = _spec(n_neurons, n_inputs, n_steps), _rasters(copies, n_steps, n_inputs)
    recording = Recording(spikes=("exc", "inh"))
    build_root = tempfile.mkdtemp(prefix="hb-batched-benchmark-")
    outcome = {"copies": copies}
    start = time.perf_counter()
    with Simulator(spec, duration * second, backend=backend, seed=1, recording=recording, build_root=build_root) as single:
        outcome["single_build_wall"] = time.perf_counter() - start
        cpu, start = _cpu(), time.perf_counter()
        singles = [single.run(seed=1, inputs={"input": raster}) for raster in rasters]
        outcome["single_wall"], outcome["single_cpu"] = time.perf_counter() - start, _cpu() - cpu
    start = time.perf_counter()
    with BatchedSimulator([spec] * copies, duration * second, backend=backend, seed=1, recording=recording,
                          build_root=build_root) as batch:
        outcome["batched_build_wall"] = time.perf_counter() - start
        cpu, start = _cpu(), time.perf_counter()
        batched = batch.run([1] * copies, inputs=[{"input": raster} for raster in rasters])
        outcome["batched_wall"], outcome["batched_cpu"] = time.perf_counter() - start, _cpu() - cpu
    outcome["equal"] = all(np.array_equal(a.spikes[name].node_ids, b.spikes[name].node_ids)
                           and np.array_equal(a.spikes[name].timestamps, b.spikes[name].timestamps)
                           for a, b in zip(singles, batched) for name in ("exc", "inh"))
    outcome["spikes"] = int(sum(result.spikes["exc"].node_ids.size for result in singles))
    return outcome


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-neurons", type=int, default=500)
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--duration", type=float, default=0.1, help="simulated seconds per sample")
    parser.add_argument("--backend", default="cpp_standalone")
    arguments = parser.parse_args(argv)
    print(f"machine: {platform.node()} ({os.cpu_count()} CPUs), load {' '.join(f'{v:.1f}' for v in os.getloadavg())}; "
          f"N = {arguments.n_neurons}, {arguments.duration} s per sample, backend {arguments.backend}")
    print("K | one at a time: samples/s wall, CPU s/sample | batched: samples/s wall, CPU s/sample | "
          "speed-up wall, CPU | builds wall (s) single, batched | spikes equal")
    for copies in arguments.copies:
        o = measure(arguments.n_neurons, copies, arguments.duration, arguments.backend)
        print(f"{copies} | {copies / o['single_wall']:.2f}, {o['single_cpu'] / copies:.3f} | "
              f"{copies / o['batched_wall']:.2f}, {o['batched_cpu'] / copies:.3f} | "
              f"{o['single_wall'] / o['batched_wall']:.2f}x, {o['single_cpu'] / o['batched_cpu']:.2f}x | "
              f"{o['single_build_wall']:.1f}, {o['batched_build_wall']:.1f} | {o['equal']} ({o['spikes']} exc spikes)",
              flush=True)


if __name__ == "__main__":
    main()
