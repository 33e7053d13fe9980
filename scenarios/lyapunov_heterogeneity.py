"""Lyapunov exponents of spiking networks against the heterogeneity of membrane time constants.

For E/I reservoirs (Poisson input) and purely inhibitory networks (constant suprathreshold drive), tau_m is drawn from
a gamma distribution of fixed mean and coefficient of variation ``cv``. For each cv and seed, a reference and K
perturbed replicas run in one simulation (:class:`hetero_brian.protocols.replicas.ReplicaSimulator`); the perturbation
sizes range from 1e-9 to 1e-2 of the threshold distance, several random directions each. Reported, never averaged
together: the infinitesimal exponent (Benettin renormalisation at the smallest epsilon), the finite-size separation
rates, the probability that spike trains diverge at each size, and the regime ("stable", "chaotic", "stable chaos",
"undetermined"). On the clock-driven grid the infinitesimal exponent is at most -1/tau_max by construction (see the
analysis module's note), so its dependence on cv mostly tracks the largest sampled tau_m; the finite-size divergence
is the informative measure.

References
----------
S. Jahnke, R.-M. Memmesheimer, M. Timme, Phys. Rev. Lett. 100:048102 (2008).
M. Monteforte, F. Wolf, Phys. Rev. X 2:041007 (2012).
B. Chakraborty, S. Mukhopadhyay, Front. Neurosci. 17:994517 (2023).
"""
from dataclasses import replace

import numpy as np
from pydantic import Field
from brian2 import Hz, mV, ms

from hetero_brian.analysis.figures_hrsnn import plot_lyapunov_sweep
from hetero_brian.analysis.lyapunov_table import lyapunov_row, summarise_lyapunov_rows
from hetero_brian.config import QuantityField, StrictModel
from hetero_brian.experiment.checks import count_bound, figure_bytes, results_file_bytes, spike_bound, synapse_bound
from hetero_brian.distributions import Constant, Gamma
from hetero_brian.models.neurons import LIF
from hetero_brian.models.synapses import StaticSynapse
from hetero_brian.network.spec import PoissonInput
from hetero_brian.protocols.replicas import ReplicaSimulator
from hetero_brian.random import SeedStreams
from hetero_brian.network.reservoir import ReservoirSynapses, inhibitory_spec, reservoir_spec
from hetero_brian.results import save
from hetero_brian.results.atomic import write_json_atomically

NETWORKS = ("reservoir", "inhibitory")


class Config(StrictModel):
    networks: list[str] = Field(list(NETWORKS), description="network families compared")
    n_neurons: int = Field(100, description="neurons per network")
    cvs: list[float] = Field([0.0, 0.3, 0.6], description="coefficients of variation of tau_m compared")
    n_seeds: int = Field(2, description="networks drawn per family and cv")
    epsilons: list[float] = Field([1e-9, 1e-6, 1e-4, 1e-3, 1e-2], description="sizes of the initial perturbations (V)")
    n_directions: int = Field(2, description="random perturbation directions per epsilon")
    tau_m_mean: QuantityField(ms) = Field("20 ms", description="mean membrane time constant")
    duration: QuantityField(ms) = Field("500 ms", description="simulated time of each divergence run")
    renormalisation_interval: QuantityField(ms) = Field("20 ms", description="time between renormalisations (Benettin method)")
    n_segments: int = Field(20, description="renormalisation segments (Benettin method)")
    renormalisation_epsilon: float = Field(1e-9, description="perturbation size kept by the renormalisations (V)")
    dt: QuantityField(ms) = Field("0.1 ms", description="integration time step")
    input_rate: QuantityField(Hz) = Field("100 Hz", description="rate of the Poisson drive")
    reservoir_weight_scale: float = Field(4.0, description="scale of the recurrent weights")
    inhibitory_weight: QuantityField(mV) = Field("3 mV", description="inhibitory recurrent weight")
    inhibitory_drive: QuantityField(mV) = Field("25 mV", description="drive of the inhibitory population")
    p_connection: float = Field(0.2, description="connection probability")


def _tau(config, cv):
    return Constant(config.tau_m_mean) if cv == 0 else Gamma(config.tau_m_mean, cv)


def network(config, kind, cv, seed):
    """(spec, extra run parameters) of one network; connectivity from the seed's structure stream.

    Parameters stay one per neuron (``shared_constants=False``): every cv's tau_m values are passed
    to the same build, the homogeneous cv = 0 included.
    """
    neuron = LIF(tau_m=_tau(config, cv), tau_syn=2 * ms)
    if kind == "reservoir":
        scale = config.reservoir_weight_scale
        synapses = ReservoirSynapses(ee=StaticSynapse(weight=0.5 * mV * scale), ei=StaticSynapse(weight=0.5 * mV * scale),
                                     ie=StaticSynapse(weight=2 * mV * scale, sign=-1),
                                     ii=StaticSynapse(weight=2 * mV * scale, sign=-1),
                                     input=StaticSynapse(weight=2 * mV * scale))
        spec = reservoir_spec(config.n_neurons, PoissonInput("stimulus", 50, config.input_rate), seed, neuron=neuron,
                              synapses=synapses, p_recurrent=config.p_connection, dt=config.dt)
        return replace(spec, shared_constants=False), {}
    if kind == "inhibitory":
        spec = inhibitory_spec(config.n_neurons, neuron, config.inhibitory_weight, config.p_connection, seed,
                               dt=config.dt, shared_constants=False)
        return spec, {"inh.I_ext": config.inhibitory_drive}
    raise ValueError(f"networks: unknown network {kind!r}; choose from {NETWORKS}")


def disk_bytes(config):
    """Most bytes written: per network, seed and cv the results of reference and replicas (spikes at one per 2 ms
    refractory period, input spikes, voltages every 1 ms, synapses, neuron parameters), the table, the figure."""
    copies, duration, n = 1 + len(config.epsilons) * config.n_directions, float(config.duration), config.n_neurons
    spikes = spike_bound(copies * n, duration, 2e-3, float(config.dt)) + count_bound(50 * copies * float(config.input_rate) * duration)
    values = 12 * copies * (synapse_bound(n, n, config.p_connection) + 50 * n) + copies * n * (16 + 4 * (int(duration / 1e-3) + 1))
    return (len(config.networks) * config.n_seeds * len(config.cvs) * (results_file_bytes(spikes, values, n_datasets=64) + 16384 + 512 * len(config.epsilons))
            + figure_bytes(13, 3.6 * len(config.networks)))


def run(config, output, backend="auto", seed=None):
    """Sweep cv x seeds x networks; write results, a table (JSON) and the figure; return metrics."""
    for kind in config.networks:
        if kind not in NETWORKS:
            raise ValueError(f"networks: unknown network {kind!r}; choose from {NETWORKS}")
    # One build per network and seed (and one for the renormalised segments): every cv's tau_m
    # values are passed to the same compiled network as run arguments (ReplicaSimulator.use_models).
    master = SeedStreams(seed).master_seed  # a fresh seed when none is given
    epsilons = np.repeat(np.asarray(config.epsilons, dtype=float), config.n_directions)
    rows = []
    for kind in config.networks:
        for index in range(config.n_seeds):
            net_seed = SeedStreams(master).integer_seed(f"replicate-{index}")  # < 2**31: + 1, + 2 stay valid
            spec, extra = network(config, kind, config.cvs[0], net_seed)
            models = {cv: {p.name: LIF(tau_m=_tau(config, cv), tau_syn=2 * ms) for p in spec.populations}
                      for cv in config.cvs}
            results, renormalised_runs = {}, {}
            # a standalone device is global: the two builds are used one after the other
            with ReplicaSimulator(spec, epsilons, config.duration, backend=backend, seed=net_seed) as replicas:
                for cv in config.cvs:
                    replicas.use_models(models[cv])
                    results[cv] = replicas.run(seed=net_seed + 1, parameters=extra)
            with ReplicaSimulator(spec, [config.renormalisation_epsilon] * 2, config.renormalisation_interval,
                                  backend=backend, seed=net_seed) as segments:
                for cv in config.cvs:
                    segments.use_models(models[cv])
                    renormalised_runs[cv] = segments.run_renormalised(config.n_segments, seed=net_seed + 2,
                                                                      parameters=extra)
            for cv in config.cvs:
                save(results[cv], output / f"{kind}-cv{cv:g}-seed{index}.h5")
                row, analysis = lyapunov_row(kind, cv, net_seed, results[cv], renormalised_runs[cv],
                                             sum(p.n_neurons for p in spec.populations), epsilons.size,
                                             float(config.duration), config.renormalisation_epsilon)
                rows.append(row)
                print(f"{kind} cv={cv:g} seed={net_seed}: {analysis.regime.regime}; "
                      f"lambda_inf={analysis.infinitesimal_exponent:.3g}+/-{analysis.infinitesimal_standard_error:.2g} 1/s; "
                      f"P(div)={np.round(analysis.probability.probability, 2).tolist()}; rate={row['rate_hz']:.1f} Hz",
                      flush=True)
    write_json_atomically(output / "lyapunov_table.json", rows)
    plot_lyapunov_sweep(rows, config.networks, config.cvs, config.renormalisation_epsilon,
                        output / "lyapunov_heterogeneity.png")
    return summarise_lyapunov_rows(rows, config.networks, config.cvs)


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
