"""Memory capacity of the HRSNN with power: Jaeger's linear MC far above its shuffled-input control.

An HRSNN reservoir (E/I 80/20, STDP on E->E) is driven by a scalar i.i.d. input ``u_k ~ U(0, 1)``
held for ``step_duration`` per step (``n_input`` Poisson channels at ``u_k * input_rate``). After
``n_train_steps`` steps with STDP, ``n_steps`` steps with plasticity off give the states (spike
counts of every neuron per step). ``MC = sum_{d=1}^{max_delay} r^2(u_{k-d}, readout_d(X_k))`` on a
held-out half; the control is the mean MC of ``n_controls`` shuffled copies of the input, and
``mc_net = MC - control`` (:mod:`hetero_brian.protocols.memory_capacity`). Compared with the
``heterogeneity_activity`` sweep, the sequence is long (the readout's chance fit shrinks as the
held-out half grows) and the step is shorter than tau_m (a step's state carries several past
inputs). Metrics: per cell, mean and standard deviation over seeds of MC, control, net MC, rate and
``activity_over_memory_capacity`` (E: spikes per neuron per step over net MC; the objective of a
``hetero-brian tune`` study, scenarios/sweeps/).

``stdp_training="converged"`` replaces the ``n_train_steps`` of STDP by chunks of ``n_steps`` steps
until the Kolmogorov-Smirnov distance between successive ee weight distributions stays below
``convergence_threshold`` (None: the two-sample KS test's 5 % critical value for the number of ee
synapses) for ``convergence_patience`` chunks (at most ``max_chunks``;
:mod:`hetero_brian.protocols.stdp_convergence`); the rows record the reached state.

References
----------
H. Jaeger, "Short term memory in echo state networks", GMD Report 152 (2001).
B. Chakraborty, S. Mukhopadhyay, ICLR 2023, arXiv:2302.11618.
"""
from typing import Literal

import numpy as np
from brian2 import Hz, mV, ms
from pydantic import Field

from hetero_brian.config import DistributionField, QuantityField
from hetero_brian.errors import ConfigError
from hetero_brian.network.hrsnn import HRSNNParameters
from hetero_brian.protocols import stdp_convergence
from hetero_brian.protocols.memory_capacity import run_seed
from hetero_brian.random import SeedStreams, fresh_seed
from hetero_brian.results.atomic import write_json_atomically

SUMMARY = ("memory_capacity", "mc_shuffled", "mc_net", "mc_ratio", "rate_hz", "activity_over_memory_capacity")


class Config(HRSNNParameters, stdp_convergence.ConvergenceOptions):
    """The reservoir (every :class:`HRSNNParameters` field), the input, measurement and cell options and the
    convergence keys (:class:`~hetero_brian.protocols.stdp_convergence.ConvergenceOptions`; a chunk: ``n_steps``)."""

    n_neurons: int = 200
    n_input: int = Field(50, description="Poisson input channels, each firing at u_k * input_rate during step k")
    n_steps: int = Field(4000, description="measured input steps (plasticity off): the readout samples")
    n_train_steps: int = Field(500, description="input steps with STDP on before the measured ones")
    step_duration: QuantityField(ms) = Field("5 ms", description="time each input value is held (time)")
    input_rate: QuantityField(Hz) = Field("400 Hz", description="input rate at u = 1 (frequency)")
    weight_input: QuantityField(mV) = "2 mV"
    tau_m: DistributionField(ms) = {"distribution": "gamma", "mean": "20 ms", "cv": 0.5}
    dt: QuantityField(ms) = "0.5 ms"
    max_delay: int = Field(20, description="largest input delay read out (steps)")
    ridge: float = Field(0.01, description="ridge regularisation of the readouts")
    washout: int = Field(10, description="first measured steps left out of the readouts (steps)")
    n_controls: int = Field(5, description="shuffled copies of the input averaged for the chance-level control")
    n_seeds: int = Field(5, description="networks per cell (mean and std over them)")
    variants: list[Literal["HoNHoS", "HeNHoS", "HoNHeS", "HeNHeS"]] = Field(
        ["HoNHoS", "HeNHoS", "HoNHeS", "HeNHeS"], description="cells measured: homogeneous/heterogeneous neurons x STDP")


def disk_bytes(config):
    """Most bytes written: ``memory_capacity_runs.json``, one row per cell and seed (rewritten atomically:
    the old table and the new one at once)."""
    row = 4096 + 32 * (config.max_delay + config.n_controls)
    if config.stdp_training == "converged":
        row += 4 * 32 * (config.max_chunks + 1) + 256  # the convergence history of each row
    return 2 * row * config.n_seeds * len(config.variants)


def check_config(config):
    """Raise :class:`ConfigError` naming the first bad option."""
    for name, low in (("n_input", 1), ("n_steps", 10), ("n_train_steps", 0), ("n_seeds", 1), ("max_delay", 1),
                      ("washout", 0), ("n_controls", 1)):
        if getattr(config, name) < low:
            raise ConfigError(f"{name} must be >= {low}; got {getattr(config, name)!r}")
    if (config.n_steps - config.max_delay - config.washout) // 2 < config.n_neurons + 3:
        raise ConfigError(f"n_steps must leave a readout training half larger than the {config.n_neurons} features; "
                          f"got n_steps={config.n_steps}")
    if not (config.heterogeneous_neurons and config.heterogeneous_stdp) or not config.variants:
        raise ConfigError("heterogeneous_neurons and heterogeneous_stdp must stay true; choose cells with 'variants'")
    stdp_convergence.check_convergence_options(config)
    if float(config.input_rate) * float(config.dt) > 1:
        raise ConfigError(f"input_rate * dt must be <= 1; got {config.input_rate!r}, {config.dt!r}")


def run(config, output, backend="auto", seed=None, build_root=None):
    """Measure MC and its control for every cell and seed; write ``memory_capacity_runs.json``; return metrics."""
    check_config(config)
    seed = fresh_seed() if seed is None else seed
    streams = SeedStreams(seed)
    rows = []
    measure = stdp_convergence.run_seed if config.stdp_training == "converged" else run_seed
    for number in range(config.n_seeds):
        rows.extend(measure(config, streams.integer_seed(f"mc-seed-{number}"), backend, build_root))
        write_json_atomically(output / "memory_capacity_runs.json", rows, if_exists="replace")
    metrics = {}
    for variant in config.variants:
        for key in SUMMARY:
            values = np.array([_value(row, key) for row in rows if row["variant"] == variant])
            metrics[f"{key}_{variant}_mean"] = float(values.mean())
            metrics[f"{key}_{variant}_std"] = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return metrics


def _value(row, key):
    """``row[key]``; E (spikes per neuron per step over net MC, inf when net MC <= 0) from the row."""
    if key != "activity_over_memory_capacity":
        return row[key]
    return row["spikes_per_neuron_per_step"] / row["mc_net"] if row["mc_net"] > 0 else float("inf")


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
