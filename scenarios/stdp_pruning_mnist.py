"""STDP-correlation pruning and weight quantisation of the Diehl & Cook network on MNIST.

A Diehl & Cook (2015) network (784 Poisson inputs -> ``n_excitatory`` conductance-based neurons with adaptive
thresholds -> one-to-one inhibition -> lateral inhibition) learns MNIST digits with power-law STDP, in ONE
compiled binary: (1) dense; (1b, ``one_shot``) the trained dense network pruned once by weight to
``target_sparsity`` and quantised to each of ``test_levels`` levels; (2, ``prune_during_training``) from the
same initial state, pruned every ``prune_interval`` images (Rathi, Panda & Roy; ``proxy``: STDP weight or
spike-count correlation in ``bin_size`` bins) over the first ``prune_until`` of ``n_epochs`` passes, quantised
to ``training_levels`` levels while training and to each of ``test_levels`` after. Every variant is labelled
(plasticity off, ``n_label`` images) and tested on ``n_test`` images by the labelled neurons' votes and by a
logistic readout of the spike counts. Energy: one accumulate per synaptic event at 0.9 pJ (Horowitz 2014).
Data: the 10,000 MNIST test images (``../shared/data/mnist``) shuffled with the seed: the first ``n_train``
train, the next ``n_label`` label the neurons, the next ``n_test`` test.

References
----------
P. U. Diehl, M. Cook, Front. Comput. Neurosci. 9:99 (2015).
N. Rathi, P. Panda, K. Roy, "STDP-based pruning of connections and weight quantization in spiking
neural networks for energy-efficient recognition", IEEE TCAD 38:668 (2019), arXiv:1710.04734.
M. Horowitz, "Computing's energy problem", IEEE ISSCC (2014).
"""
import json
import time
from pathlib import Path
from typing import List, Literal, Optional

import numpy as np
from brian2 import ms
from pydantic import Field, model_validator

from hetero_brian.analysis.figures_diehl_cook import plot_pruning_summary, plot_receptive_fields
from hetero_brian.analysis.pruning import quantise_weights
from hetero_brian.config import QuantityField
from hetero_brian.experiment.checks import figure_bytes, results_file_bytes
from hetero_brian.inputs import read_mnist
from hetero_brian.network.diehl_cook import DiehlCookParameters
from hetero_brian.protocols.diehl_cook import DiehlCookNetwork
from hetero_brian.protocols.diehl_cook_pruning import (evaluate, one_shot_variants, train_in_chunks,
                                                       train_with_pruning, training_sequence)
from hetero_brian.random import SeedStreams
from hetero_brian.results import SimulationResult, SynapseTable, save


class Config(DiehlCookParameters):
    """The network and protocol (:class:`DiehlCookParameters`) and the experiment."""

    data_path: Optional[str] = Field(None, description="MNIST folder; None: $HETERO_BRIAN_DATA/mnist, then ../shared/data/mnist")
    n_train: int = Field(800, description="training images (the first of the seed's shuffle of the 10,000 test images)")
    n_label: int = Field(200, description="images that label the neurons (plasticity off), after the training ones")
    n_test: int = Field(200, description="test images, after the labelling ones")
    eta_plus: float = 0.02  # DiehlCookParameters: 0.01
    x_target: float = 0.1  # DiehlCookParameters: 0.4
    n_epochs: int = Field(1, description="passes over the training images")
    target_sparsity: float = Field(0.5, description="fraction of input synapses pruned, in [0, 1)")
    prune_interval: int = Field(200, description="training images between two pruning steps")
    prune_until: float = Field(1.0, description="fraction of n_train x n_epochs over which pruning steps happen, in (0, 1]")
    proxy: Literal["correlation", "weight"] = Field("weight", description="what ranks synapses: STDP weight or spike correlation")
    bin_size: QuantityField(ms) = Field("10 ms", description="time bin of the spike-count correlation proxy (time)")
    training_levels: Optional[int] = Field(4, description="weight levels quantised to while training; None: not quantised")
    test_levels: List[int] = Field([2, 4], description="weight levels of the quantised variants tested after training")
    quantisation: Literal["uniform", "kmeans"] = Field("kmeans", description="placement of the quantisation levels")
    one_shot: bool = Field(True, description="also prune the trained dense network once by weight and test it")
    prune_during_training: bool = Field(True, description="run variant (2): pruned while training from the same start")
    plots: bool = Field(True, description="write the accuracy and receptive-field figures")

    @model_validator(mode="after")
    def _check_experiment(self):
        total, budget = self.n_train + self.n_label + self.n_test, self.prune_until * self.n_train * self.n_epochs
        problems = [f"{name} must be >= 1; got {getattr(self, name)}"
                    for name in ("n_train", "n_label", "n_test", "prune_interval", "n_epochs") if getattr(self, name) < 1]
        problems += [problem for bad, problem in (
            (total > 10000, f"n_train + n_label + n_test must be <= 10000 (the MNIST test images); got {total}"),
            (not 0 <= self.target_sparsity < 1, f"target_sparsity must be in [0, 1); got {self.target_sparsity}"),
            (not 0 < self.prune_until <= 1, f"prune_until must be in (0, 1] (a fraction of n_train x n_epochs); got {self.prune_until}"),
            (self.prune_interval > budget, f"prune_interval ({self.prune_interval}) must be <= prune_until x n_train x n_epochs ({budget:g})"),
            *((level < 2, f"quantisation levels must be >= 2; got {level}") for level in [self.training_levels or 2, *self.test_levels])) if bad]
        if problems:
            raise ValueError(problems[0])
        return self


def disk_bytes(config):
    """Most bytes written: the 784 x n_excitatory input synapses of both variants (i, j, w; mask) and two figures."""
    return results_file_bytes(n_values=7 * 784 * config.n_excitatory) + config.plots * (figure_bytes(11, 3.8) + figure_bytes(9, 4.5))


def run(config, output, backend="auto", seed=None):
    output, streams = Path(output), SeedStreams(seed)
    data = read_mnist(config.data_path, split="test")
    images = np.asarray(data.samples, dtype=float).reshape(len(data), -1)
    order = streams.generator("structure").permutation(data.labels.size)  # train / label / test split
    train, label, test = np.split(order[:config.n_train + config.n_label + config.n_test],
                                  [config.n_train, config.n_train + config.n_label])
    input_rng = streams.generator("input")
    sequence = training_sequence(train, config.n_epochs, streams.generator("epochs"))
    metrics = {"n_train": config.n_train, "n_epochs": config.n_epochs, "n_label": config.n_label, "n_test": config.n_test}
    start = time.perf_counter()
    with DiehlCookNetwork(config, images.shape[1], backend=backend, seed=streams.master_seed) as network:
        def evaluate_variant(name):
            metrics.update(evaluate(network, images, data.labels, label, test, input_rng, name))

        metrics["build_time"] = time.perf_counter() - start
        initial = (network.weights.copy(), network.theta.copy())
        started = time.perf_counter()
        train_in_chunks(network, images, sequence, input_rng, "dense")  # (1) dense
        metrics["train_time_per_image"] = (time.perf_counter() - started) / sequence.size
        dense_weights, trained = network.weights.copy(), None
        evaluate_variant("dense")
        if config.one_shot and config.target_sparsity > 0:  # (1b) pruned once, no training after
            one_shot_variants(network, dense_weights, config.target_sparsity, config.test_levels, config.quantisation,
                              evaluate_variant)
        if config.prune_during_training:  # (2) from the same initial state, pruned while training
            network.weights, network.theta = initial[0].copy(), initial[1].copy()
            network.mask = np.ones_like(network.mask)
            train_with_pruning(network, images, sequence, input_rng, config.target_sparsity, config.prune_interval,
                               config.prune_until, config.training_levels, config.quantisation, config.proxy,
                               float(config.bin_size))
            trained = network.weights.copy()
            evaluate_variant("pruned")
            for levels in config.test_levels:
                quantised, _ = quantise_weights(trained, levels, 0.0, network.w_max, config.quantisation, network.mask)
                network.set_synapses(quantised, network.mask)
                evaluate_variant(f"pruned_q{levels}")
        metrics.update(n_runs=network.n_runs, simulated_time=network.simulated_time)
        i, j, mask = network.i, network.j, network.mask.copy()
    metrics["wall_time"] = time.perf_counter() - start
    synapses = {"dense_input_exc": SynapseTable("image", "exc", i, j, dense_weights, {})}
    if trained is not None:
        synapses["pruned_input_exc"] = SynapseTable("image", "exc", i, j, trained, {"mask": mask.astype(float)})
    save(SimulationResult(synapses=synapses, metrics={k: float(v) for k, v in metrics.items()},
                          provenance={"scenario": "stdp_pruning_mnist", "master_seed": streams.master_seed,
                                      "config": json.loads(config.model_dump_json())}),
         output / "stdp_pruning_mnist.h5")
    if config.plots:
        names = ["dense"] + [f"one_shot_q{n}" for n in config.test_levels if f"one_shot_q{n}_accuracy" in metrics]
        names += ["pruned"] + [f"pruned_q{n}" for n in config.test_levels] if trained is not None else []
        plot_pruning_summary(metrics, names, output / "pruning_mnist_accuracy.png")
        panels = [(dense_weights, "dense")] + ([(trained, "pruned + quantised")] if trained is not None else [])
        plot_receptive_fields(i, j, panels, config.n_excitatory, output / "pruning_mnist_weights.png")
    return metrics


def main(argv=None):
    from hetero_brian.cli import scenario_main  # the command line sits above the scenarios

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
