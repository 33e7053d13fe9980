"""Demo: a heterogeneous E/I reservoir shaped by STDP under Poisson input.

An 80/20 excitatory/inhibitory reservoir of current-based LIF neurons whose membrane time constants
are drawn from a gamma distribution, with additive STDP on the recurrent excitatory synapses whose
pre- and postsynaptic time constants are drawn per synapse, is driven by independent Poisson input
for one second. The run is compiled once with Brian2's C++ standalone device when a compiler is
found (the Python runtime otherwise). It writes the results file, a figure (raster, firing-rate
histogram, sampled time constants against their specified densities, recurrent weights before and
after STDP) and the activity metrics.

References
----------
B. Chakraborty, S. Mukhopadhyay, Front. Neurosci. 17:994517 (2023) (heterogeneous recurrent SNNs).
S. Song, K. D. Miller, L. F. Abbott, Nat. Neurosci. 3, 919 (2000) (additive STDP).
"""
from typing import Literal

from brian2 import Hz, mV, second

import numpy as np
from pydantic import Field

from hetero_brian.analysis import activity, energy, spike_intervals
from hetero_brian.analysis.figures_hrsnn import plot_reservoir_overview
from hetero_brian.config import DistributionField, QuantityField, StrictModel
from hetero_brian.models.neurons import LIF
from hetero_brian.models.synapses import STDP, StaticSynapse
from hetero_brian.network.spec import PoissonInput
from hetero_brian.network.reservoir import ReservoirSynapses, reservoir_spec
from hetero_brian.random import SeedStreams
from hetero_brian.results import save
from hetero_brian.network.recording import Recording
from hetero_brian.simulate import Simulator


class Config(StrictModel):
    """Options of the demo (defaults finish in about a minute on 2 cores, compilation included)."""

    n_neurons: int = Field(500, description="reservoir neurons (80% excitatory, 20% inhibitory; at least 5)")
    duration: QuantityField(second) = Field("1 s", description="simulated time")
    dt: QuantityField(second) = Field("0.1 ms", description="integration time step (the duration must be a multiple)")
    n_inputs: int = Field(200, description="independent Poisson input neurons")
    input_rate: QuantityField(Hz) = Field("13 Hz", description="rate of each Poisson input")
    p_input: float = Field(0.4, description="probability of an input-to-reservoir synapse")
    p_recurrent: float = Field(0.1, description="probability of a recurrent synapse")
    connectivity: Literal["fixed_in_degree", "fixed_probability"] = Field(
        "fixed_in_degree", description="'fixed_in_degree': each neuron gets round(p * n_pre) partners of each kind, so a new "
        "seed reuses the C++ build; 'fixed_probability' (pairwise Bernoulli) recompiles for every new seed (the synapse count is compiled in)")
    tau_m: DistributionField(second) = Field({"distribution": "gamma", "mean": "20 ms", "cv": 0.5}, description="membrane time constant of each neuron (a distribution)")
    tau_pre: DistributionField(second) = Field({"distribution": "gamma", "mean": "20 ms", "cv": 0.5}, description="presynaptic STDP trace time constant per synapse")
    tau_post: DistributionField(second) = Field({"distribution": "gamma", "mean": "20 ms", "cv": 0.5}, description="postsynaptic STDP trace time constant per synapse")
    input_weight: QuantityField(mV) = Field("2.75 mV", description="jump of the synaptic current per input spike")
    excitatory_weight: QuantityField(mV) = Field("0.6 mV", description="initial excitatory recurrent weight")
    inhibitory_weight: QuantityField(mV) = Field("3 mV", description="inhibitory recurrent weight (applied with a negative sign)")
    w_max: QuantityField(mV) = Field("1.2 mV", description="upper bound of the STDP weights")
    eta_plus: float = Field(0.02, description="STDP potentiation step (fraction of w_max)")
    eta_minus: float = Field(0.021, description="STDP depression step (fraction of w_max)")


def network(config, seed):
    """The demo's network spec, duration and recording (also used by ``hetero-brian export-cpp``)."""
    neuron = LIF(tau_m=config.tau_m)
    stdp = STDP(weight=config.excitatory_weight, w_max=config.w_max, tau_pre=config.tau_pre,
                tau_post=config.tau_post, eta_plus=config.eta_plus, eta_minus=config.eta_minus)
    synapses = ReservoirSynapses(
        ee=stdp, ei=StaticSynapse(weight=config.excitatory_weight),
        ie=StaticSynapse(weight=config.inhibitory_weight, sign=-1),
        ii=StaticSynapse(weight=config.inhibitory_weight, sign=-1),
        input=StaticSynapse(weight=config.input_weight),
    )
    spec = reservoir_spec(config.n_neurons, PoissonInput("input", config.n_inputs, config.input_rate),
                          SeedStreams(seed), neuron=neuron, synapses=synapses,
                          p_recurrent=config.p_recurrent, p_input=config.p_input, dt=config.dt,
                          connectivity=config.connectivity)
    return spec, config.duration, Recording(spikes=("exc", "inh"))


def run(config, output, backend="auto", seed=None):
    """Run the demo; write ``demo.h5`` and ``demo.png`` into ``output``; return the metrics."""
    spec, duration, recording = network(config, seed)
    with Simulator(spec, duration, backend=backend, seed=seed, recording=recording) as simulator:
        result = simulator.run()
        backend_name = simulator.backend.name
    t_stop = float(duration)
    metrics = {"backend": backend_name, "wall_time": result.provenance["wall_time"],
               "compile_time": result.provenance["compile_time"]}
    for name in ("exc", "inh"):
        trains = result.spikes[name]
        window = {"t_start": 0.0, "t_stop": t_stop}
        metrics[f"rate_{name}_hz"] = float(activity.mean_firing_rate(trains, **window))
        metrics[f"fraction_silent_{name}"] = float(activity.fraction_silent(trains, **window))
        metrics[f"mean_cv_{name}"] = float(np.nanmean(spike_intervals.cv_isi(trains, **window)))
        if name == "exc":
            metrics["activity_status"] = activity.rate_sanity(trains, **window).status
    operations = energy.synaptic_operations_from_result(result, synapse_names=["ee", "ei", "ie", "ii"])
    metrics["synaptic_operations"] = float(operations.total)
    metrics["energy_joule"] = float(energy.snn_energy(operations.total))
    ee = result.synapses["ee"]
    metrics["mean_weight_change_mv"] = float(np.mean(ee.w - ee.extra["w_initial"]) * 1e3)
    result.metrics.update({k: v for k, v in metrics.items() if isinstance(v, float)})
    save(result, output / "demo.h5")
    plot_reservoir_overview(result, t_stop, config.tau_m.pdf_si, output / "demo.png")
    return metrics


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
