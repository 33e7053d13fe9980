"""Spiking activity and linear memory capacity against the heterogeneity of tau_m and of the STDP time constants.

An HRSNN reservoir (E/I, 80/20, pair-based STDP on E->E) is driven by a scalar i.i.d. input
``u_k ~ U(0, 1)`` held for one step of ``step_duration``: the input population fires Poisson
spikes at ``u_k * input_rate`` during step ``k``. After ``n_train_steps`` steps with plasticity on,
``n_steps`` steps are run with plasticity off; on these, the per-step spike counts of the
excitatory neurons are the reservoir state and the linear memory capacity (Jaeger 2001) is
``MC = sum_{d=1}^{max_delay} r^2(u_{k-d}, readout_d(X_k))`` on a held-out split
(:func:`hetero_brian.analysis.capacity.memory_capacity`; the driver is
:mod:`hetero_brian.protocols.heterogeneity_sweep`). Spiking activity is the mean number of spikes per
reservoir neuron per input step in the measured part, and ``E = activity / MC`` is the design
objective of Chakraborty & Mukhopadhyay (ICLR 2023).

Two sweeps share one compiled network per seed (the values are run-time arguments, no
recompilation): (a) the cv of ``tau_m ~ Gamma(mean, cv)`` with homogeneous STDP, and (b) the cv of
``tau_pre, tau_post ~ LogNormal(mean, cv)`` (per synapse) with homogeneous ``tau_m``; ``cv = 0`` is
the same homogeneous network in both. Each seed draws its own connectivity, input sequence and
parameter samples; within a seed every cv sees the same connectivity and the same input spikes.
A shuffled-input control (the readout fitted to a permutation of ``u``) gives the chance level of MC.

References
----------
H. Jaeger, "Short term memory in echo state networks", GMD Report 152 (2001).
B. Chakraborty, S. Mukhopadhyay, "Heterogeneous neuronal and synaptic dynamics for spike-efficient
unsupervised learning: theory and design principles", ICLR 2023, arXiv:2302.11618.
B. Chakraborty, S. Mukhopadhyay, Front. Neurosci. 17:994517 (2023).
"""
import math

from brian2 import Hz, mV, ms
from pydantic import Field

from hetero_brian.analysis.figures_hrsnn import plot_heterogeneity_sweeps
from hetero_brian.config import DistributionField, QuantityField
from hetero_brian.errors import ConfigError
from hetero_brian.experiment.checks import (count_bound, figure_bytes, results_file_bytes, spike_bound,
                                            synapse_bound)
from hetero_brian.network.hrsnn import HRSNNParameters
from hetero_brian.protocols.heterogeneity_sweep import run_seed, summarise
from hetero_brian.random import SeedStreams
from hetero_brian.results.atomic import write_json_atomically


class Config(HRSNNParameters):
    """The reservoir (every :class:`HRSNNParameters` field: ``tau_m.mean`` and ``tau_pre.mean`` /
    ``tau_post.mean`` are the means the sweeps spread around) plus the sweep options."""

    n_neurons: int = 200
    n_input: int = Field(50, description="Poisson input neurons, each firing at u_k * input_rate during step k")
    n_steps: int = Field(400, description="measured input steps (plasticity off): the memory-capacity samples")
    n_train_steps: int = Field(100, description="input steps with STDP on before the measured ones")
    step_duration: QuantityField(ms) = Field("20 ms", description="time each input value is held (time, multiple of dt)")
    input_rate: QuantityField(Hz) = Field("100 Hz", description="input rate at u = 1 (frequency)")
    cvs: list[float] = Field([0.0, 0.25, 0.5, 1.0], description="coefficients of variation swept (tau_m and STDP taus)")
    n_seeds: int = Field(3, description="networks (connectivity, input, samples) per condition")
    tau_m: DistributionField(ms) = {"distribution": "gamma", "mean": "20 ms", "cv": 0.5}
    tau_pre: DistributionField(ms) = {"distribution": "lognormal", "mean": "20 ms", "cv": 0.5}
    tau_post: DistributionField(ms) = {"distribution": "lognormal", "mean": "20 ms", "cv": 0.5}
    tau_min: QuantityField(ms) = Field("1 ms", description="floor of the sampled time constants (time)")
    weight_input: QuantityField(mV) = "6 mV"
    max_delay: int = Field(20, description="largest input delay read out for the memory capacity (steps)")
    ridge: float = Field(0.01, description="ridge regularisation of the memory-capacity readouts")
    dt: QuantityField(ms) = "0.5 ms"
    save_results: bool = Field(True, description="write each run's results file (<sweep>-cv<cv>-seed<k>.h5)")


def check_config(config):
    """Raise :class:`ConfigError` naming the first bad option of ``config``."""
    for name, low in (("n_input", 1), ("n_steps", 10), ("n_train_steps", 0), ("n_seeds", 1), ("max_delay", 1)):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"{name} must be an integer >= {low}; got {value!r}")
    if not config.cvs or any(not (isinstance(cv, (int, float)) and 0 <= cv <= 5) for cv in config.cvs):
        raise ConfigError(f"cvs must be a non-empty list of numbers in [0, 5]; got {config.cvs!r}")
    if len(set(config.cvs)) != len(config.cvs):
        raise ConfigError(f"cvs must not repeat values; got {config.cvs!r}")
    for name in ("tau_m", "tau_pre", "tau_post"):
        if not float(getattr(config, name).std) > 0:
            raise ConfigError(f"{name} must be spread (cv > 0): the sweeps set its values per neuron or synapse "
                              f"at run time; got {getattr(config, name)!r}")
    for name in ("step_duration", "input_rate"):
        if not float(getattr(config, name)) > 0:
            raise ConfigError(f"{name} must be > 0; got {getattr(config, name)!r}")
    ratio = float(config.step_duration) / float(config.dt)
    if abs(ratio - round(ratio)) > 1e-6:
        raise ConfigError(f"step_duration must be a multiple of dt; got step_duration={config.step_duration!r}, "
                          f"dt={config.dt!r}")
    means = [float(getattr(config, name).mean) for name in ("tau_m", "tau_pre", "tau_post")]
    if not 0 < float(config.tau_min) < min(means):
        raise ConfigError(f"tau_min must be > 0 and below the means; got tau_min={config.tau_min!r}")
    if float(config.input_rate) * float(config.dt) > 1:
        raise ConfigError(f"input_rate * dt must be <= 1; got input_rate={config.input_rate!r}, dt={config.dt!r}")
    if config.max_delay >= config.n_steps // 2:
        raise ConfigError(f"max_delay must be < n_steps / 2; got max_delay={config.max_delay}, n_steps={config.n_steps}")
    if (config.n_steps - config.max_delay) // 2 < config.n_excitatory + 3:
        raise ConfigError(f"n_steps must leave a readout training split larger than the {config.n_excitatory} "
                          f"excitatory features: need n_steps >= {2 * (config.n_excitatory + 3) + config.max_delay}; "
                          f"got n_steps={config.n_steps}")
    if not config.ridge >= 0:
        raise ConfigError(f"ridge must be >= 0; got {config.ridge!r}")


def disk_bytes(config):
    """Most bytes written: with ``save_results`` one results file per seed and condition (reservoir spikes
    at one per refractory period, input spikes, every synapse and neuron parameter), the rows, the table
    and the figure."""
    duration = (config.n_train_steps + config.n_steps) * float(config.step_duration)
    spikes = (spike_bound(config.n_neurons, duration, float(config.t_ref), float(config.dt))
              + count_bound(config.n_input * float(config.input_rate) * duration))
    synapses = (synapse_bound(config.n_neurons, config.n_neurons, config.p_recurrent)
                + synapse_bound(config.n_input, config.n_neurons, config.p_input))
    runs = config.n_seeds * (len(config.cvs) + sum(cv != 0 for cv in config.cvs))
    per_run = 8192 + 32 * config.max_delay + config.save_results * results_file_bytes(
        spikes, 12 * synapses + 16 * config.n_neurons, n_datasets=64)
    return runs * per_run + figure_bytes(13, 3.8)


def run(config, output, backend="auto", seed=None, build_root=None):
    """Run both sweeps over ``n_seeds`` seeds; write rows, a summary table and the figure; return metrics."""
    check_config(config)
    master = SeedStreams(seed).master_seed  # a fresh seed when none is given
    rows = []
    for index in range(config.n_seeds):
        rows.extend(run_seed(config, index, master, output, backend, build_root=build_root))
    table = summarise(rows, config.cvs)
    write_json_atomically(output / "activity_table.json",
                          [{"sweep": s, "cv": cv, **{k: {"mean": m, "std": sd} for k, (m, sd) in q.items()}}
                           for (s, cv), q in table.items()])
    metrics = {}
    for (sweep, cv), quantities in table.items():
        for key in ("spikes_per_neuron_per_step", "memory_capacity", "mc_shuffled", "objective"):
            metrics[f"{sweep}_cv{cv:g}_{key}"] = quantities[key][0]
            metrics[f"{sweep}_cv{cv:g}_{key}_std"] = quantities[key][1]
    metrics = {k: (v if math.isfinite(v) else None) for k, v in metrics.items()}
    title = (f"HRSNN N={config.n_neurons}, {config.n_steps} steps of {float(config.step_duration) * 1e3:g} ms, "
             f"{config.n_seeds} seeds (mean +- std)")
    plot_heterogeneity_sweeps(table, config.cvs, output / "heterogeneity_activity.png", title)
    return metrics


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
