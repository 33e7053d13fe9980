"""STDP-correlation pruning and weight quantisation of the Diehl & Cook network on MNIST.

A Diehl & Cook (2015) network (784 Poisson inputs -> ``n_excitatory`` conductance-based neurons with
adaptive thresholds -> one-to-one inhibition -> lateral inhibition) learns MNIST digits with
power-law STDP. It is trained twice from the same initial state on the same images, in ONE compiled
binary: (1) dense; (2) with STDP-correlation pruning (Rathi, Panda & Roy) every ``prune_interval``
images: each input synapse is scored by its STDP weight (``proxy="weight"``, the default: STDP
potentiates causally correlated synapses) or by the Pearson correlation of its pre- and postsynaptic
spike counts over the last interval (``proxy="correlation"``; 10 ms bins; ties, e.g. onto a silent
neuron, broken by the weight; a never-spiking input scores 0, above negatively correlated ones), the
lowest-scoring synapses onto each neuron are masked out so that exactly ``target_sparsity`` is
reached at the last step, and the kept weights are quantised to ``training_levels`` levels (``None``:
not during training); (1b, ``one_shot``) the trained dense network pruned once by weight to
``target_sparsity`` and quantised to each of ``test_levels`` levels, without further training.
``prune_during_training=False`` skips (2). Pruning steps cover the first ``prune_until`` of the training presentations (``n_epochs`` passes
over the ``n_train`` images, reshuffled after the first); the
rest train the kept synapses with the mask fixed. After training the
pruned network's kept weights are quantised to each of ``test_levels`` levels. Every variant is
then labelled (each neuron gets the class it responds to most, on ``n_label`` images, plasticity off)
and tested by the labelled neurons' votes on ``n_test`` other images (and, for comparison, by a
logistic readout of the spike counts fitted on the labelling images: ``*_readout_accuracy``).
``theta_plus`` (threshold increment per spike) and the winner-take-all weights are configurable
because the 100-neuron values do not carry over to larger ensembles trained on few images.

Data split: the 10,000 MNIST test images of ``../shared/data/mnist`` (the training files are not
there) are shuffled with the seed; the first ``n_train`` train, the next ``n_label`` label the
neurons, the next ``n_test`` test. Energy counts one accumulate per synaptic event (input spikes x
kept fan-out, excitatory -> inhibitory and inhibitory -> excitatory events) at 0.9 pJ (Horowitz 2014).

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
from brian2 import Hz, mV, ms

from hetero_brian.config import DistributionField, QuantityField, StrictModel
from hetero_brian.errors import ConfigError

N_CLASSES = 10


class Config(StrictModel):
    data_path: str = "../shared/data/mnist"
    n_excitatory: int = 100
    n_train: int = 800
    n_label: int = 200
    n_test: int = 200
    images_per_run: int = 10
    max_rate: QuantityField(Hz) = "63.75 Hz"
    t_present: QuantityField(ms) = "350 ms"
    t_rest: QuantityField(ms) = "150 ms"
    dt: QuantityField(ms) = "0.5 ms"
    normalisation: Literal["run", "spike"] = "run"
    input_mode: Literal["raster", "rate"] = "raster"
    total_weight: float = 78.0
    eta_plus: float = 0.02
    x_target: float = 0.1
    mu: float = 0.2
    tau_m: DistributionField(ms) = "100 ms"
    tau_theta: DistributionField(ms) = "1e7 ms"
    theta_plus: DistributionField(mV) = "0.05 mV"
    weight_excitatory_inhibitory: float = 10.4
    weight_inhibitory_excitatory: float = 17.0
    n_epochs: int = 1
    target_sparsity: float = 0.5
    prune_interval: int = 200
    prune_until: float = 1.0
    proxy: Literal["correlation", "weight"] = "weight"
    bin_width: QuantityField(ms) = "10 ms"
    training_levels: Optional[int] = 4
    test_levels: List[int] = [2, 4]
    quantisation: Literal["uniform", "kmeans"] = "kmeans"
    one_shot: bool = True
    prune_during_training: bool = True
    plots: bool = True


def _check(config):
    for name in ("n_excitatory", "n_train", "n_label", "n_test", "images_per_run", "prune_interval", "n_epochs"):
        if getattr(config, name) < 1:
            raise ConfigError(f"{name} must be >= 1; got {getattr(config, name)}")
    if config.n_train + config.n_label + config.n_test > 10000:
        raise ConfigError(f"n_train + n_label + n_test must be <= 10000 (the MNIST test images); got "
                          f"{config.n_train + config.n_label + config.n_test}")
    if not 0 <= config.target_sparsity < 1:
        raise ConfigError(f"target_sparsity must be in [0, 1); got {config.target_sparsity}")
    if not 0 < config.prune_until <= 1:
        raise ConfigError(f"prune_until must be in (0, 1] (a fraction of n_train x n_epochs); got {config.prune_until}")
    if config.prune_interval > config.prune_until * config.n_train * config.n_epochs:
        raise ConfigError(f"prune_interval ({config.prune_interval}) must be <= prune_until x n_train x n_epochs "
                          f"({config.prune_until * config.n_train * config.n_epochs:g})")
    for name in ("weight_excitatory_inhibitory", "weight_inhibitory_excitatory"):
        if not getattr(config, name) >= 0:
            raise ConfigError(f"{name} must be >= 0; got {getattr(config, name)}")
    for level in [config.training_levels or 2, *config.test_levels]:
        if level < 2:
            raise ConfigError(f"quantisation levels must be >= 2; got {level}")


def parameters_from(config):
    """The :class:`DiehlCookParameters` of a configuration."""
    from hetero_brian.models.neurons import DIEHL_COOK_EXCITATORY
    from hetero_brian.network.diehl_cook import DiehlCookParameters
    from dataclasses import replace

    excitatory = replace(DIEHL_COOK_EXCITATORY, tau_m=config.tau_m, tau_theta=config.tau_theta,
                         theta_plus=config.theta_plus)
    return DiehlCookParameters(
        n_excitatory=config.n_excitatory, max_rate=config.max_rate, t_present=config.t_present,
        t_rest=config.t_rest, dt=config.dt, images_per_run=config.images_per_run, total_weight=config.total_weight,
        normalisation=config.normalisation, excitatory=excitatory, input_mode=config.input_mode,
        weight_excitatory_inhibitory=config.weight_excitatory_inhibitory,
        weight_inhibitory_excitatory=config.weight_inhibitory_excitatory,
        synapse={"eta_plus": config.eta_plus, "x_target": config.x_target, "mu": config.mu})


def split(labels, config, rng):
    """Disjoint train / label / test indices into the 10,000 images (a seeded permutation)."""
    order = rng.permutation(labels.size)
    first, second = config.n_train, config.n_train + config.n_label
    return order[:first], order[first:second], order[second:second + config.n_test]


def training_sequence(train, n_epochs, rng):
    """The training images in presentation order: the split's order, then one reshuffle per further epoch."""
    return np.concatenate([train] + [rng.permutation(train) for _ in range(n_epochs - 1)])


def train_with_progress(network, images, sequence, rng, label, chunk=1000):
    """Present ``images[sequence]`` with learning on, printing progress every ``chunk`` images."""
    started = time.perf_counter()
    for first in range(0, sequence.size, chunk):
        network.present(images[sequence[first:first + chunk]], learn=True, rng=rng)
        done = min(first + chunk, sequence.size)
        print(f"{label}: {done}/{sequence.size} training images, {time.perf_counter() - started:.0f} s", flush=True)


def synaptic_operations(network, presentation, mask):
    """Synaptic events of a presentation: input spikes x kept fan-out + exc -> inh + inh -> exc."""
    from hetero_brian.analysis.energy import synaptic_operations as count
    from hetero_brian.results import SpikeTrains

    n = network.parameters.n_excitatory
    input_ids = presentation.input_spikes[0]
    total = count(SpikeTrains(*presentation.input_spikes, network.n_inputs), network.i[mask]) if input_ids.size else 0
    total += presentation.excitatory_spikes[0].size * 1 + presentation.inhibitory_spikes[0].size * (n - 1)
    return int(total)


def evaluate(network, images, labels, label_range, test_range, rng, name):
    """Label the neurons, test, and return the metrics of one variant."""
    from hetero_brian.analysis.assignment import accuracy, assign_labels, classify
    from hetero_brian.analysis.energy import snn_energy

    from hetero_brian.readouts import LogisticReadout

    labelling = network.present(images[label_range], learn=False, rng=rng)
    assignments = assign_labels(labelling.counts, labels[label_range], N_CLASSES)
    test = network.present(images[test_range], learn=False, rng=rng)
    predictions = classify(test.counts, assignments, N_CLASSES)
    sops = synaptic_operations(network, test, network.mask) / len(test_range)
    if np.unique(labels[label_range]).size > 1:
        readout = LogisticReadout(C=1.0).fit(labelling.counts.astype(float), labels[label_range])
        readout_accuracy = accuracy(readout.predict(test.counts.astype(float)), labels[test_range])
    else:  # a readout needs two classes among the labelling images
        readout_accuracy = float("nan")
    metrics = {
        f"{name}_accuracy": accuracy(predictions, labels[test_range]),
        f"{name}_readout_accuracy": readout_accuracy,
        f"{name}_synapses_kept": int(network.mask.sum()),
        f"{name}_sparsity": 1.0 - float(network.mask.mean()),
        f"{name}_distinct_weights": int(np.unique(network.weights[network.mask]).size),
        f"{name}_synaptic_operations_per_image": float(sops),
        f"{name}_energy_per_image": float(snn_energy(sops)),
        f"{name}_neurons_assigned": int(np.sum(assignments >= 0)),
        f"{name}_test_spikes_per_image": float(test.counts.sum(axis=1).mean()),
    }
    print(f"{name}: votes {metrics[f'{name}_accuracy']:.3f}, readout {metrics[f'{name}_readout_accuracy']:.3f}, "
          f"{metrics[f'{name}_test_spikes_per_image']:.1f} spikes / test image", flush=True)
    return metrics


def prune_step(network, presentation, keep_fraction, n_levels, method, proxy, bin_width):
    """One Rathi-style step: score, mask per postsynaptic neuron, quantise, load into the network."""
    from hetero_brian.analysis.pruning import keep_mask, spike_correlation
    from hetero_brian.analysis.quantisation import quantise_weights
    from hetero_brian.results import SpikeTrains

    n = network.parameters.n_excitatory
    weights = network.weights
    tie_break = 1e-6 * weights / network.w_max
    if proxy == "correlation":
        scores = spike_correlation(network.i, network.j, SpikeTrains(*presentation.input_spikes, network.n_inputs),
                                   SpikeTrains(*presentation.excitatory_spikes, n), bin_width,
                                   t_start=presentation.t_start, t_stop=presentation.t_stop) + tie_break
    else:
        scores = weights.copy()
    mask = keep_mask(scores, network.j, n, keep_fraction=keep_fraction, mask=network.mask)
    if n_levels is not None:
        weights, _ = quantise_weights(weights, n_levels, 0.0, network.w_max, method, mask)
    network.set_synapses(weights, mask)


def run(config, output, backend="auto", seed=None):
    from hetero_brian.analysis.pruning import PruningSchedule, keep_mask
    from hetero_brian.analysis.quantisation import quantise_weights
    from hetero_brian.inputs import read_mnist
    from hetero_brian.network.diehl_cook import DiehlCookNetwork
    from hetero_brian.random import SeedStreams

    _check(config)
    output = Path(output)
    streams = SeedStreams(seed)
    data = read_mnist(config.data_path, split="test")
    images = np.asarray(data.samples, dtype=float).reshape(len(data), -1)
    train, label, test = split(data.labels, config, streams.generator("structure"))
    input_rng = streams.generator("input")
    sequence = training_sequence(train, config.n_epochs, streams.generator("epochs"))
    metrics = {"n_train": config.n_train, "n_epochs": config.n_epochs, "n_label": config.n_label, "n_test": config.n_test}
    start = time.perf_counter()
    with DiehlCookNetwork(parameters_from(config), images.shape[1], backend=backend, seed=streams.master_seed) as network:
        metrics["build_time"] = time.perf_counter() - start
        initial = (network.weights.copy(), network.theta.copy())

        # (1) dense training
        started = time.perf_counter()
        train_with_progress(network, images, sequence, input_rng, "dense")
        metrics["train_time_per_image"] = (time.perf_counter() - started) / sequence.size
        dense_weights = network.weights.copy()
        metrics.update(evaluate(network, images, data.labels, label, test, input_rng, "dense"))
        if config.one_shot and config.target_sparsity > 0:
            # (1b) the trained dense network pruned once, by weight, and quantised: no training after
            dense_theta = network.theta.copy()
            one_shot_mask = keep_mask(dense_weights, network.j, config.n_excitatory,
                                      keep_fraction=PruningSchedule.per_step_fractions(
                                          1.0 - config.target_sparsity, 1, images.shape[1])[0])
            network.set_synapses(dense_weights, one_shot_mask)
            network.normalise()  # the kept weights carry each neuron's total weight again
            kept = network.weights.copy()
            for levels in config.test_levels:
                quantised, _ = quantise_weights(kept, levels, 0.0, network.w_max, config.quantisation, one_shot_mask)
                network.set_synapses(quantised, one_shot_mask)
                network.theta = dense_theta.copy()
                metrics.update(evaluate(network, images, data.labels, label, test, input_rng, f"one_shot_q{levels}"))

        if not config.prune_during_training:
            return _finish(config, output, metrics, network, dense_weights, None, start, streams.master_seed)
        # (2) training with pruning + quantisation at regular intervals
        network.weights, network.theta = initial[0].copy(), initial[1].copy()
        network.mask = np.ones_like(network.mask)
        n_steps = int(config.prune_until * sequence.size + 1e-9) // config.prune_interval
        keeps = (PruningSchedule.per_step_fractions(1.0 - config.target_sparsity, n_steps, images.shape[1])
                 if config.target_sparsity > 0 else [1.0] * n_steps)
        for step, keep in enumerate(keeps):
            chunk = sequence[step * config.prune_interval:(step + 1) * config.prune_interval]
            presentation = network.present(images[chunk], learn=True, rng=input_rng)
            prune_step(network, presentation, keep, config.training_levels, config.quantisation, config.proxy,
                       float(config.bin_width))
            network.normalise()
        # after the last pruning step the remaining images train the kept synapses (mask fixed)
        rest = sequence[n_steps * config.prune_interval:]
        if rest.size:
            train_with_progress(network, images, rest, input_rng, "pruned, mask fixed")
        trained = network.weights.copy()
        metrics.update(evaluate(network, images, data.labels, label, test, input_rng, "pruned"))
        for levels in config.test_levels:
            quantised, _ = quantise_weights(trained, levels, 0.0, network.w_max, config.quantisation, network.mask)
            network.set_synapses(quantised, network.mask)
            metrics.update(evaluate(network, images, data.labels, label, test, input_rng, f"pruned_q{levels}"))
        return _finish(config, output, metrics, network, dense_weights, trained, start, streams.master_seed)


def _finish(config, output, metrics, network, dense_weights, trained, start, seed):
    """Record the run's totals, save the results file and (``plots``) the figures."""
    metrics["n_runs"] = network.n_runs
    metrics["simulated_time"] = network.simulated_time
    i, j = network.i, network.j
    pruned_mask = network.mask.copy() if trained is not None else None
    metrics["wall_time"] = time.perf_counter() - start
    _save(output, config, metrics, i, j, dense_weights, trained, pruned_mask, seed)
    if config.plots:
        _plot(output, config, metrics, i, j, dense_weights, trained)
    return metrics


def _save(output, config, metrics, i, j, dense, pruned, mask, seed):
    from hetero_brian.results import SimulationResult, SynapseTable, save

    synapses = {"dense_input_exc": SynapseTable("image", "exc", i, j, dense, {})}
    if pruned is not None:
        synapses["pruned_input_exc"] = SynapseTable("image", "exc", i, j, pruned, {"mask": mask.astype(float)})
    result = SimulationResult(synapses=synapses, metrics={k: float(v) for k, v in metrics.items()},
                              provenance={"scenario": "stdp_pruning_mnist", "master_seed": seed,
                                          "config": json.loads(config.model_dump_json())})
    save(result, output / "stdp_pruning_mnist.h5")


def _plot(output, config, metrics, i, j, dense, pruned):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hetero_brian.analysis.plots import save_figure

    names = ["dense"] + [f"one_shot_q{levels}" for levels in config.test_levels if f"one_shot_q{levels}_accuracy" in metrics]
    if pruned is not None:
        names += ["pruned"] + [f"pruned_q{levels}" for levels in config.test_levels]
    figure, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    axes[0].bar(names, [100 * metrics[f"{n}_accuracy"] for n in names], color="tab:blue")
    axes[0].set_ylabel("test accuracy (%)")
    axes[1].bar(names, [metrics[f"{n}_energy_per_image"] * 1e9 for n in names], color="tab:orange")
    axes[1].set_ylabel("energy per image (nJ)")
    for ax in axes:
        ax.tick_params(axis="x", rotation=30)
    figure.tight_layout()
    save_figure(figure, output / "pruning_mnist_accuracy.png", overwrite=True)
    plt.close(figure)
    n = config.n_excitatory
    side = int(np.ceil(np.sqrt(n)))
    panels = [(dense, "dense")] + ([(pruned, "pruned + quantised")] if pruned is not None else [])
    figure, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 4.5), squeeze=False)
    for ax, (weights, title) in zip(axes[0], panels):
        fields = np.zeros((int(i.max()) + 1, n))
        fields[i, j] = weights
        tiles = np.zeros((side * 28, side * 28))
        for k in range(n):
            row, column = divmod(k, side)
            tiles[row * 28:(row + 1) * 28, column * 28:(column + 1) * 28] = fields[:, k].reshape(28, 28)
        ax.imshow(tiles, cmap="hot_r")
        ax.set_title(f"input weights, {title}")
        ax.axis("off")
    figure.tight_layout()
    save_figure(figure, output / "pruning_mnist_weights.png", overwrite=True)
    plt.close(figure)


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
