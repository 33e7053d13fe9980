"""Reference + K = 8 perturbed replicas in one run against nine single networks run one by one.

Usage::

    python benchmarks/replicas.py                 # N = 400 E/I reservoir, 1 s, cpp_standalone
    python benchmarks/replicas.py --n-neurons 1000 --duration 2

Target (issue 6): one compilation, and the replicas' simulation time at most 1.5x the summed
simulation time of nine single networks (the same network, one run each, after its own build).
Both sides use the C++ standalone backend; "simulation time" is the wall time of ``run`` (the
binary's execution plus loading results), compilation excluded and printed separately.
"""
import argparse
import tempfile
import time

import numpy as np
from brian2 import Hz, ms, second

from hetero_brian.distributions import Gamma
from hetero_brian.models.neurons import LIF
from hetero_brian.network.spec import PoissonInput
from hetero_brian.protocols.replicas import ReplicaSimulator
from hetero_brian.network.reservoir import default_synapses, reservoir_spec
from hetero_brian.network.recording import Recording, StateRecord
from hetero_brian.simulate import Simulator

TARGET_RATIO = 1.5


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-neurons", type=int, default=400)
    parser.add_argument("--duration", type=float, default=1.0, help="seconds")
    parser.add_argument("--backend", default="cpp_standalone")
    args = parser.parse_args(argv)
    spec = reservoir_spec(args.n_neurons, PoissonInput("stimulus", 100, 20 * Hz), seed=1,
                          neuron=LIF(tau_m=Gamma(20 * ms, 0.5)), synapses=default_synapses(plastic=False, weight_scale=2.0))
    duration = args.duration * second
    epsilons = np.logspace(-9, -2, 8)
    build_root = tempfile.mkdtemp(prefix="replica-benchmark-")
    start = time.perf_counter()
    with ReplicaSimulator(spec, epsilons, duration, backend=args.backend, seed=3, build_root=build_root) as replicas:
        build_replicas = time.perf_counter() - start
        result = replicas.run(seed=5)
        run_replicas = result.provenance["wall_time"]
        compilations = replicas.n_compilations
    n_spikes = sum(t.timestamps.size for t in result.spikes.values())
    # nine single networks, same recording per neuron (spikes + v, I_syn every 1 ms), one after another
    states = tuple(StateRecord(p.name, ("v", "I_syn"), tuple(range(p.n_neurons)), 1 * ms) for p in spec.populations)
    start = time.perf_counter()
    with Simulator(spec, duration, backend=args.backend, seed=3, build_root=build_root,
                   recording=Recording(spikes="all", states=states)) as single:
        build_single = time.perf_counter() - start
        single_times = [single.run(seed=5 + k).provenance["wall_time"] for k in range(9)]
        single_compilations = single.backend.n_compilations
    total_single = float(np.sum(single_times))
    ratio = run_replicas / total_single
    print(f"E/I reservoir N={args.n_neurons}, {args.duration:g} s at dt=0.1 ms, backend {args.backend}; "
          f"replica run: {n_spikes} spikes in {9 * args.n_neurons} neurons")
    print(f"{'configuration':44s} {'compilations':>12s} {'build (s)':>10s} {'simulation (s)':>15s}")
    print(f"{'reference + 8 replicas, one run':44s} {compilations:12d} {build_replicas:10.2f} {run_replicas:15.3f}")
    print(f"{'9 single networks, one after another':44s} {single_compilations:12d} {build_single:10.2f} {total_single:15.3f}")
    print(f"ratio replicas / nine singles: {ratio:.3f} (target <= {TARGET_RATIO}): "
          f"{'PASS' if ratio <= TARGET_RATIO and compilations <= 1 else 'FAIL'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
