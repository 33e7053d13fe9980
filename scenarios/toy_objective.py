"""Toy objective: memory capacity and activity of a leaky echo-state network with a tau spread.

A cheap, deterministic stand-in for the HRSNN design objective, used by the sweep and tuning tests
and the sweep benchmark. ``n_units`` leaky rate units with per-unit leak time constants ``tau_m``
drawn from a distribution (the heterogeneity being tuned) are driven by an i.i.d. uniform scalar
input. The linear memory capacity of their states (Jaeger 2001) measures how much of the input's
past they hold; the expected spike count of a rectified-rate read-out of the same states measures
their activity; ``activity / memory capacity`` is the design objective of Chakraborty &
Mukhopadhyay (2023), lower being better. Pure numpy: no Brian2 network, no compilation.

References
----------
Jaeger (2001), "Short term memory in echo state networks", GMD Report 152.
Jaeger, Lukosevicius, Popovici & Siewert (2007), "Optimization and applications of echo state
networks with leaky-integrator neurons", Neural Networks 20(3).
Chakraborty & Mukhopadhyay (2023), "Heterogeneous neuronal and synaptic dynamics for spike-efficient
unsupervised learning: theory and design principles", ICLR 2023, arXiv:2302.11618.
"""
import time

import numpy as np
from brian2 import Hz, ms
from pydantic import Field

from hetero_brian.analysis.capacity import activity_over_capacity, memory_capacity
from hetero_brian.analysis.leaky_reservoir import leaky_reservoir_states, random_recurrent_matrix
from hetero_brian.config import DistributionField, QuantityField, StrictModel
from hetero_brian.errors import ConfigError
from hetero_brian.experiment.checks import results_file_bytes
from hetero_brian.random import SeedStreams
from hetero_brian.results import PopulationRecord, SimulationResult, save

__all__ = ["Config", "run", "main"]


class Config(StrictModel):
    """Options of the toy objective; the defaults run in well under a second."""

    n_units: int = Field(50, ge=1, description="number of leaky rate units")
    n_steps: int = Field(3000, ge=10, description="input time steps (washout included)")
    dt: QuantityField(ms) = Field("1 ms", description="time step of the rate units")
    tau_m: DistributionField(ms) = Field({"distribution": "gamma", "mean": "20 ms", "cv": 0.5}, description="time constant of each unit (a distribution)")
    tau_min: QuantityField(ms) = Field("1 ms", description="smallest time constant allowed (samples below are refused)")
    spectral_radius: float = Field(0.9, ge=0.0, description="spectral radius of the recurrent matrix")
    input_scaling: float = Field(0.5, gt=0.0, description="std of the input weights")
    max_delay: int = Field(100, ge=1, description="largest delay of the memory-capacity read-outs (steps)")
    washout: int = Field(100, ge=0, description="initial steps discarded (steps)")
    sample_steps: int = Field(100, ge=1, description="steps per 'sample' when counting spikes per sample")
    max_rate: QuantityField(Hz) = Field("100 Hz", description="firing rate of a fully driven unit")


def disk_bytes(config):
    """Most bytes the run writes: ``toy_objective.h5`` with one sampled tau_m per unit."""
    return results_file_bytes(n_values=config.n_units, n_datasets=8)


def run(config, output, backend="auto", seed=None):
    """Run the toy objective; writes ``toy_objective.h5`` (the sampled tau_m) under ``output``.

    Parameters
    ----------
    config : Config
    output : pathlib.Path
    backend : str
        Ignored (numpy only); accepted for the scenario contract.
    seed : int
        Master seed: the ``structure`` stream draws the weights, ``parameters`` the time constants,
        ``input`` the input sequence.

    Returns
    -------
    dict
        ``memory_capacity`` (sum of r^2 over delays), ``spikes_per_sample`` (expected spikes per
        unit per sample of ``sample_steps`` steps), ``firing_rate`` (Hz),
        ``activity_over_memory_capacity``, ``tau_m_mean`` and ``tau_m_cv`` (sampled, s and 1).

    Notes
    -----
    Each unit's read-out rate is ``max_rate * max(x_i(t), 0)``; its expected spike count per
    sample is the sum of ``rate * dt`` over the sample's steps.
    """
    start = time.perf_counter()
    if config.washout + config.max_delay >= config.n_steps:
        raise ConfigError(f"n_steps={config.n_steps} must exceed washout + max_delay "
                          f"({config.washout} + {config.max_delay})")
    streams = SeedStreams(seed)
    dt = float(config.dt)
    tau = np.asarray(config.tau_m.sample(config.n_units, streams.generator("parameters")), dtype=float)
    tau = np.maximum(tau, float(config.tau_min))
    structure = streams.generator("structure")
    recurrent = random_recurrent_matrix(config.n_units, config.spectral_radius, structure)
    input_weights = config.input_scaling * structure.standard_normal(config.n_units)
    inputs = streams.generator("input").uniform(-0.5, 0.5, config.n_steps)
    states = leaky_reservoir_states(inputs, tau, dt, recurrent, input_weights)
    capacity = memory_capacity(inputs, states, config.max_delay, washout=config.washout).capacity
    rates = float(config.max_rate) * np.maximum(states[config.washout:], 0.0)
    firing_rate = float(rates.mean())
    spikes_per_sample = firing_rate * dt * config.sample_steps
    metrics = {
        "memory_capacity": capacity,
        "spikes_per_sample": spikes_per_sample,
        "firing_rate": firing_rate,
        "activity_over_memory_capacity": activity_over_capacity(spikes_per_sample, max(capacity, 1e-12)),
        "tau_m_mean": float(tau.mean()),
        "tau_m_cv": float(tau.std() / tau.mean()),
    }
    result = SimulationResult(
        populations={"reservoir": PopulationRecord(config.n_units, {"tau_m": tau}, {"tau_m": "s"})},
        provenance={"master_seed": streams.master_seed, "backend": "numpy", "dt": dt,
                    "t_start": 0.0, "t_stop": dt * config.n_steps, "scenario": "toy_objective",
                    "wall_time": time.perf_counter() - start, "status": "complete",
                    "spec": {"populations": [{"name": "reservoir",
                                              "model": {"tau_m": config.tau_m.to_dict()}}]}},
        metrics=metrics,
    )
    save(result, output / "toy_objective.h5")
    return metrics


def main(argv=None):
    """``python -m hetero_brian.scenarios.toy_objective [--set key=value ...]``."""
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
