"""The two objectives of a Bayesian optimisation of the HRSNN: E = activity / memory capacity and validation accuracy.

One set of heterogeneity parameters (tau_m and STDP distributions of one cell, ``variants``) is measured
per seed on one reservoir by two protocols: (1) memory capacity
(:func:`hetero_brian.protocols.memory_capacity.run_seed`, as in the ``memory_capacity`` scenario) gives
``activity_over_memory_capacity`` (E: spikes per neuron per step over net MC); (2) the digits
classification of ``hrsnn_digits`` (:func:`hetero_brian.protocols.hrsnn_2x2.simulate_seed`) gives
``validation_accuracy``: :func:`tuning_split` holds out the test images, then splits the training side
into fit and validation; STDP sees fit images only and the logistic readout is fitted on fit and scored on
validation. The test images are presented last (plasticity off: they cannot change a validation feature)
and give ``test_accuracy``, reported, never an objective. Both networks are built with default distributions
and run the configured samples (``shared_build``): the trials of a study share two compiled networks.

References
----------
B. Chakraborty, S. Mukhopadhyay, ICLR 2023, arXiv:2302.11618 (E and its Bayesian optimisation).
B. Chakraborty, S. Mukhopadhyay, Front. Neurosci. 17:994517 (2023) (the HRSNN classifier).
"""
import time
from typing import Literal

import numpy as np
from brian2 import Hz, mV, ms
from pydantic import Field

from hetero_brian.config import QuantityField
from hetero_brian.errors import ConfigError
from hetero_brian.inputs import load_sklearn_digits, row_frames, stratified_split, stratified_subset
from hetero_brian.protocols.hrsnn_2x2 import HRSNNRunConfig, check_run_config, seed_list, simulate_seed
from hetero_brian.protocols.hrsnn_features import readout_accuracies
from hetero_brian.protocols.memory_capacity import run_seed as memory_capacity_seed
from hetero_brian.random import SeedStreams, fresh_seed
from hetero_brian.results.atomic import write_json_atomically

METRICS = ("activity_over_memory_capacity", "mc_net", "memory_capacity", "mc_shuffled", "rate_hz",
           "validation_accuracy", "test_accuracy", "spikes_per_sample")


class Config(HRSNNRunConfig):
    """One cell of the reservoir (``variants``), the digits presentation and the memory-capacity input."""

    n_neurons: int = Field(200, description="reservoir neurons, excitatory plus inhibitory")
    n_seeds: int = Field(1, description="networks measured; every metric is the mean over them")
    variants: list[Literal["HoNHoS", "HeNHoS", "HoNHeS", "HeNHeS"]] = Field(
        ["HeNHeS"], description="the one cell measured (HoN/HeN: homo/heterogeneous neurons; HoS/HeS: STDP)")
    dt: QuantityField(ms) = Field("0.5 ms", description="simulation time step of both protocols (time)")
    weight_ee: QuantityField(mV) = Field("1 mV", description="initial excitatory-to-excitatory weight (voltage)")
    w_max_ee: QuantityField(mV) = Field("2 mV", description="upper bound of the plastic ee weights (voltage)")
    frame_duration: QuantityField(ms) = Field("10 ms", description="presentation time of one image row (time)")
    p_input: float = Field(0.5, description="digits input connection probability, in (0, 1]")
    n_bins: int = Field(4, description="time bins per image of the spike-count features")
    n_samples: int = Field(600, description="digits images used, stratified by digit (100 to 1740)")
    test_fraction: float = Field(0.3, description="fraction of the images held out as the test split")
    validation_fraction: float = Field(0.3, description="fraction of the training side held out for validation")
    evaluate_test: bool = Field(True, description="also present the test images and report test_accuracy")
    n_input: int = Field(50, description="memory capacity: Poisson channels, each at u_k * input_rate in step k")
    n_steps: int = Field(4000, description="memory capacity: measured input steps (plasticity off)")
    n_train_steps: int = Field(500, description="memory capacity: input steps with STDP on before the measured ones")
    step_duration: QuantityField(ms) = Field("5 ms", description="memory capacity: time each input value is held")
    input_rate: QuantityField(Hz) = Field("400 Hz", description="memory capacity: input rate at u = 1 (frequency)")
    mc_weight_input: QuantityField(mV) = Field("2 mV", description="memory capacity: input weight (voltage)")
    mc_p_input: float = Field(0.2, description="memory capacity: input connection probability, in (0, 1]")
    max_delay: int = Field(20, description="memory capacity: largest input delay read out (steps)")
    ridge: float = Field(0.01, description="memory capacity: ridge regularisation of the delay readouts")
    washout: int = Field(10, description="memory capacity: first measured steps left out of the readouts")
    n_controls: int = Field(5, description="memory capacity: shuffled copies of the input for the control")


def disk_bytes(config):
    """Most bytes written: ``hrsnn_tuning_runs.json`` (one row per seed, rewritten atomically)."""
    return 2 * (4096 + 32 * (config.max_delay + config.n_controls)) * config.n_seeds


def check_config(config):
    """Raise :class:`ConfigError` naming the first bad option."""
    check_run_config(config)
    if len(config.variants) != 1 or config.stdp_training != "fixed":  # the MC side trains a fixed number of steps
        raise ConfigError(f"variants must name one cell, stdp_training must be 'fixed'; got {config.variants!r}, {config.stdp_training!r}")
    if not 100 <= config.n_samples <= 1740:  # 174 images of the rarest digit
        raise ConfigError(f"n_samples must be between 100 and 1740; got {config.n_samples}")
    for name in (name for name in ("test_fraction", "validation_fraction") if not 0 < getattr(config, name) < 1):
        raise ConfigError(f"{name} must be in (0, 1); got {getattr(config, name)!r}")
    for name, low in (("n_input", 1), ("n_train_steps", 0), ("max_delay", 1), ("washout", 0), ("n_controls", 1),
                      ("n_steps", 2 * (config.n_neurons + 3) + config.max_delay + config.washout)):
        if getattr(config, name) < low:  # n_steps: a readout training half larger than the features
            raise ConfigError(f"{name} must be >= {low}; got {getattr(config, name)!r}")


def tuning_split(labels, n_samples, test_fraction, validation_fraction, rng):
    """Indices ``(fit, validation, test)`` of ``n_samples`` images (stratified): the test split first, then the
    training side split into fit and validation; the three are disjoint and each is in a random order."""
    chosen = stratified_subset(labels, int(np.ceil(n_samples / len(np.unique(labels)))), rng)
    train, test = stratified_split(labels[chosen], test_fraction, rng)
    fit, validation = stratified_split(labels[chosen][train], validation_fraction, rng)
    return tuple(rng.permutation(chosen[part]) for part in (train[fit], train[validation], test))


def measure_seed(config, run_seed, output, backend):
    """E and its parts from the memory-capacity protocol, then the validation (and test) accuracy: one row."""
    cell = config.variants[0]
    mc_config = config.model_copy(update={"weight_input": config.mc_weight_input, "p_input": config.mc_p_input})
    mc = memory_capacity_seed(mc_config, run_seed, backend, config.build_root)[0]
    row = {key: mc[key] for key in ("seed", "memory_capacity", "mc_shuffled", "mc_net", "rate_hz")}
    row["activity_over_memory_capacity"] = mc["spikes_per_neuron_per_step"] / mc["mc_net"] if mc["mc_net"] > 0 \
        else np.inf  # E, as in the memory_capacity scenario
    data = load_sklearn_digits()
    frames, labels = row_frames(data.samples), data.labels
    fit, validation, test = tuning_split(labels, config.n_samples, config.test_fraction,
                                         config.validation_fraction, SeedStreams(run_seed).generator("data"))
    held = np.concatenate([validation, test]) if config.evaluate_test else validation
    timings = dict.fromkeys(("encode", "stdp_chunks", "build", "runs"), 0.0)
    counts, activity, _ = simulate_seed(config.model_copy(update={"shuffle": False}), frames[fit], frames[held], output,
                                        backend, run_seed, "hrsnn_tuning", [cell], timings, False,
                                        f"hrsnn_tuning seed {run_seed}", shared_build=True)
    counts, n_fit, n_validation = counts[cell], len(fit), len(validation)
    row["validation_accuracy"] = readout_accuracies(counts[:n_fit + n_validation], labels[fit], labels[validation],
                                                    config)["accuracy"]
    if config.evaluate_test:
        kept = np.r_[0:n_fit, n_fit + n_validation:len(counts)]
        row["test_accuracy"] = readout_accuracies(counts[kept], labels[fit], labels[test], config)["accuracy"]
    row.update(spikes_per_sample=activity[cell]["spikes_per_sample"], simulation_s=timings["runs"])
    return row


def run(config, output, backend="auto", seed=None):
    """Measure every seed; write the rows to ``hrsnn_tuning_runs.json``; return the means (and std) of METRICS."""
    check_config(config)
    seed = fresh_seed() if seed is None else seed
    rows = []
    for run_seed in seed_list(seed, config.n_seeds):
        start = time.perf_counter()
        rows.append(measure_seed(config, run_seed, output, backend))
        print(f"hrsnn_tuning seed {run_seed}: E {rows[-1]['activity_over_memory_capacity']:.3f}, validation accuracy "
              f"{rows[-1]['validation_accuracy']:.3f}, {time.perf_counter() - start:.0f} s", flush=True)
        write_json_atomically(output / "hrsnn_tuning_runs.json", rows, if_exists="replace")
    metrics = {}
    for key in (key for key in METRICS if key in rows[0]):
        values = np.array([row[key] for row in rows], dtype=float)
        metrics.update({key: float(values.mean()), f"{key}_std": float(values.std(ddof=1)) if len(rows) > 1 else 0.0})
    return metrics


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
