"""STDP-correlation pruning and weight quantisation of a trained or training Diehl & Cook network.

Rathi, Panda & Roy's scheme on :class:`~hetero_brian.protocols.diehl_cook.DiehlCookNetwork`: every
``prune_interval`` training images each input synapse is scored (its STDP weight, ``proxy="weight"``,
or the Pearson correlation of its pre- and postsynaptic spike counts over the interval,
``proxy="correlation"``), the lowest-scoring synapses onto each neuron are masked out so that the
target sparsity is reached at the last step, and the kept weights are quantised. Variants are
evaluated by labelling the neurons (plasticity off) and testing by their votes, with a logistic
readout of the spike counts for comparison; energy counts one accumulate per synaptic event.

References
----------
N. Rathi, P. Panda, K. Roy, "STDP-based pruning of connections and weight quantization in spiking
neural networks for energy-efficient recognition", IEEE TCAD 38:668 (2019), arXiv:1710.04734.
P. U. Diehl, M. Cook, Front. Comput. Neurosci. 9:99 (2015).
M. Horowitz, "Computing's energy problem", IEEE ISSCC (2014).
"""
import time

import numpy as np

from ..analysis.assignment import accuracy, assign_labels, classify
from ..analysis.energy import snn_energy
from ..analysis.energy import synaptic_operations as count_operations
from ..analysis.pruning import PruningSchedule, keep_mask, quantise_weights, spike_correlation
from ..readouts import LogisticReadout


def training_sequence(train, n_epochs, rng):
    """The training images in presentation order: the split's order, then one reshuffle per further epoch."""
    return np.concatenate([train] + [rng.permutation(train) for _ in range(n_epochs - 1)])


def train_in_chunks(network, images, sequence, rng, label, chunk=1000):
    """Present ``images[sequence]`` with learning on, printing progress every ``chunk`` images."""
    started = time.perf_counter()
    for first in range(0, sequence.size, chunk):
        network.present(images[sequence[first:first + chunk]], learn=True, rng=rng)
        done = min(first + chunk, sequence.size)
        print(f"{label}: {done}/{sequence.size} training images, {time.perf_counter() - started:.0f} s", flush=True)


def synaptic_operations(network, presentation, mask):
    """Synaptic events of a presentation: input spikes x kept fan-out + exc -> inh + inh -> exc."""
    n = network.parameters.n_excitatory
    inputs = presentation.input_spikes
    total = count_operations(inputs, network.i[mask]) if inputs.node_ids.size else 0
    total += presentation.excitatory_spikes.node_ids.size * 1 + presentation.inhibitory_spikes.node_ids.size * (n - 1)
    return int(total)


def evaluate(network, images, labels, label_range, test_range, rng, name, n_classes=10):
    """Label the neurons on ``label_range``, test on ``test_range``; the metrics of variant ``name``.

    Returns ``<name>_accuracy`` (votes), ``_readout_accuracy`` (logistic readout fitted on the labelling
    counts; NaN with one class), ``_synapses_kept``, ``_sparsity``, ``_distinct_weights``,
    ``_synaptic_operations_per_image``, ``_energy_per_image`` (J), ``_neurons_assigned`` and
    ``_test_spikes_per_image``.
    """
    labelling = network.present(images[label_range], learn=False, rng=rng)
    assignments = assign_labels(labelling.counts, labels[label_range], n_classes)
    test = network.present(images[test_range], learn=False, rng=rng)
    predictions = classify(test.counts, assignments, n_classes)
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


def prune_step(network, presentation, keep_fraction, n_levels, method, proxy, bin_size):
    """One Rathi-style step: score, mask per postsynaptic neuron, quantise, load into the network.

    ``bin_size`` in seconds (correlation proxy); ties, e.g. onto a silent neuron, are broken by the weight.
    """
    n = network.parameters.n_excitatory
    weights = network.weights
    tie_break = 1e-6 * weights / network.w_max
    if proxy == "correlation":
        scores = spike_correlation(network.i, network.j, presentation.input_spikes, presentation.excitatory_spikes,
                                   bin_size, t_start=presentation.t_start, t_stop=presentation.t_stop) + tie_break
    else:
        scores = weights.copy()
    mask = keep_mask(scores, network.j, n, keep_fraction=keep_fraction, mask=network.mask)
    if n_levels is not None:
        weights, _ = quantise_weights(weights, n_levels, 0.0, network.w_max, method, mask)
    network.set_synapses(weights, mask)


def one_shot_variants(network, dense_weights, target_sparsity, levels, method, evaluate_variant):
    """The trained dense network pruned once by weight to ``target_sparsity`` and quantised to each of
    ``levels``, without further training; ``evaluate_variant(name)`` is called for each
    (``one_shot_q<levels>``). The thresholds are restored before each."""
    dense_theta = network.theta.copy()
    one_shot_mask = keep_mask(dense_weights, network.j, network.parameters.n_excitatory,
                              keep_fraction=PruningSchedule.per_step_fractions(1.0 - target_sparsity, 1,
                                                                               network.n_inputs)[0])
    network.set_synapses(dense_weights, one_shot_mask)
    network.normalise()  # the kept weights carry each neuron's total weight again
    kept = network.weights.copy()
    for n_levels in levels:
        quantised, _ = quantise_weights(kept, n_levels, 0.0, network.w_max, method, one_shot_mask)
        network.set_synapses(quantised, one_shot_mask)
        network.theta = dense_theta.copy()
        evaluate_variant(f"one_shot_q{n_levels}")


def train_with_pruning(network, images, sequence, rng, target_sparsity, prune_interval, prune_until, n_levels,
                       method, proxy, bin_size):
    """Train with a pruning step every ``prune_interval`` images over the first ``prune_until`` of
    ``sequence`` (the last step reaches ``target_sparsity``), then the kept synapses with the mask fixed."""
    n_steps = int(prune_until * sequence.size + 1e-9) // prune_interval
    keeps = (PruningSchedule.per_step_fractions(1.0 - target_sparsity, n_steps, network.n_inputs)
             if target_sparsity > 0 else [1.0] * n_steps)
    for step, keep in enumerate(keeps):
        chunk = sequence[step * prune_interval:(step + 1) * prune_interval]
        presentation = network.present(images[chunk], learn=True, rng=rng)
        prune_step(network, presentation, keep, n_levels, method, proxy, bin_size)
        network.normalise()
    rest = sequence[n_steps * prune_interval:]
    if rest.size:
        train_in_chunks(network, images, rest, rng, "pruned, mask fixed")


__all__ = ["training_sequence", "train_in_chunks", "synaptic_operations", "evaluate", "prune_step",
           "one_shot_variants", "train_with_pruning"]
