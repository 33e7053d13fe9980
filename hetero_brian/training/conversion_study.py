"""The conversion study on MNIST or FSDD: ANN, converted SNN, hybrid STDB and DIET-SNN in one table.

Used by the ``conversion_mnist`` scenario. Every SNN number comes from the float64 reference
simulation (:func:`~.conversion.simulate_converted`); the Brian2 check runs the converted network on
the first test images and compares spikes with the exact-order reference. Synaptic operations:
spikes x fan-out (input spikes too for Poisson input; the direct input's first layer is dense:
``n_inputs x n_layer_1`` MACs once per image, counted as MACs). Energy constants of Horowitz (ISSCC
2014) via :mod:`hetero_brian.analysis.energy`.
"""
import time

import numpy as np

from ..analysis.energy import ENERGY_PER_AC, ENERGY_PER_MAC
from ..backends.base import compiler_available
from ..inputs.datasets import read_mnist
from ..random import SeedStreams
from .ann import ann_accuracy, ann_macs, relu_mlp, small_cnn, to_converted_network, train_ann
from .conversion import accuracy_curve, simulate_converted
from .converted_export import run_converted_in_brian
from .spiking_feedforward import diet_snn, hybrid_stdb
from .threshold_balancing import balance_thresholds

__all__ = ["mnist_split", "fsdd_split", "study_data", "snn_summary", "conversion_study"]


def mnist_split(path, n_train, n_test, seed):
    """Images in [0, 1] and labels of the package's MNIST split (t10k permuted by the ``structure`` stream)."""
    data = read_mnist(path, split="test")
    order = SeedStreams(seed).generator("structure").permutation(data.labels.size)
    if n_train + n_test > order.size:
        raise ValueError(f"n_train + n_test must be <= {order.size}; got {n_train + n_test}")
    train, test = order[:n_train], order[n_train:n_train + n_test]
    images = data.samples.astype(np.float64) / 255.0
    return images[train], data.labels[train], images[test], data.labels[test]


def fsdd_split(path, n_mels, n_frames, n_train, n_test, seed):
    """FSDD on its standard split (takes 0-4 of every speaker and digit test) as fixed-size log-mel images.

    Each recording becomes one ``(n_mels, n_frames)`` image: its log-mel spectrogram resampled to
    ``n_frames`` frames over the whole recording (linear interpolation) and scaled to [0, 1] by the
    training set's 5th/99.5th percentiles, the front end of the other FSDD scenarios
    (:func:`~.data.fsdd_frame_sequences`). Both sets are permuted by the seed's ``structure`` stream
    and cut to ``n_train`` / ``n_test`` (the defaults keep all: 2,700 / 300).
    """
    from .data import fsdd_frame_sequences

    data = fsdd_frame_sequences(path, n_mels, n_frames)
    generator = SeedStreams(seed).generator("structure")
    sets = []
    for name, size in (("train", n_train), ("test", n_test)):
        order = generator.permutation(data[f"{name}_classes"].size)[:size]
        images = np.transpose(data[f"{name}_inputs"], (0, 2, 1)).astype(np.float64)  # (n, mels, frames)
        sets += [np.ascontiguousarray(images[order]), data[f"{name}_classes"][order]]
    return tuple(sets)


def study_data(config, seed):
    """``(train_x, train_y, test_x, test_y, image_shape)`` of ``config.dataset`` (``"mnist"`` or ``"fsdd"``)."""
    if getattr(config, "dataset", "mnist") == "fsdd":
        return fsdd_split(config.data_path, config.n_mels, config.n_frames, config.n_train, config.n_test, seed) + (
            (config.n_mels, config.n_frames),)
    return mnist_split(config.data_path, config.n_train, config.n_test, seed) + ((28, 28),)


def snn_summary(network, run, labels, n_steps, encoding, macs):
    """Accuracy, spikes per layer and image, synaptic operations and energy of one SNN at ``n_steps``."""
    spikes = [float(counts.sum(axis=1).mean()) for counts in run.spike_counts]
    operations = sum(float((counts @ np.count_nonzero(w, axis=0)).mean())
                     for counts, w in zip(run.spike_counts, network.weights[1:]))
    first_macs = 0.0
    if encoding == "poisson":
        operations += float((run.input_spike_counts @ np.count_nonzero(network.weights[0], axis=0)).mean())
    else:
        first_macs = float(np.count_nonzero(network.weights[0]))
    energy = operations * ENERGY_PER_AC + first_macs * ENERGY_PER_MAC
    return {"n_steps": n_steps, "encoding": encoding, "accuracy": float(accuracy_curve(run, labels)[n_steps - 1]),
            "spikes_per_layer": spikes, "spikes_per_image": float(sum(spikes)), "synaptic_operations": operations,
            "energy_joule": energy, "energy_ratio_ann_over_snn": macs * ENERGY_PER_MAC / energy,
            "thresholds": list(network.thresholds), "leaks": list(network.leaks)}


def _brian_runs(network, images, n_steps, encoding, generator, backend, build_root):
    """Brian2 inference; ``"auto"``: C++ standalone where a compiler works, else (or if its build fails) the runtime.

    Returns the runs and a sentence saying which backend ran and why.
    """
    if backend != "auto":
        return run_converted_in_brian(network, images, n_steps, encoding, generator, backend=backend,
                                      build_root=build_root), f"{backend} (requested)"
    if not compiler_available():
        note = "runtime (fallback: no C++ compiler on the PATH)"
    else:
        state = generator.bit_generator.state
        try:
            return run_converted_in_brian(network, images, n_steps, encoding, generator, backend="cpp_standalone",
                                          build_root=build_root), "cpp_standalone (auto: a C++ compiler was found)"
        except Exception as error:  # a broken toolchain: say so and run the same rasters in the runtime
            generator.bit_generator.state = state
            note = f"runtime (fallback: cpp_standalone failed: {type(error).__name__}: {str(error)[:200]})"
    return run_converted_in_brian(network, images, n_steps, encoding, generator, backend="runtime",
                                  build_root=build_root), note


def conversion_study(config, seed=0, backend="auto", build_root=None):
    """Run the whole study; ``config`` has the scenario's fields. Returns ``(metrics, curves)``."""
    streams = SeedStreams(seed)
    train_x, train_y, test_x, test_y, shape = study_data(config, seed)
    if config.architecture == "cnn":
        shape = (1,) + shape
        train_x, test_x = train_x[:, None], test_x[:, None]
        model = small_cnn(seed=seed, input_shape=shape)
    else:
        model = relu_mlp(int(np.prod(shape)), tuple(config.hidden), 10, seed=seed)
    start = time.perf_counter()
    train_ann(model, train_x, train_y, config.ann_epochs, learning_rate=config.ann_learning_rate, seed=seed)
    metrics = {"ann_accuracy": ann_accuracy(model, test_x, test_y), "ann_seconds": time.perf_counter() - start}
    network = to_converted_network(model, shape)
    macs = ann_macs(network)
    metrics["ann_macs"] = macs
    norm = train_x[:config.n_normalisation]
    curves, converted = {}, {}
    for method in config.balancing:
        balanced = balance_thresholds(network, norm, method, config.percentile, config.spike_norm_steps,
                                      streams.generator("spike_norm"))
        converted[method] = balanced
        for encoding in config.encodings:
            run = simulate_converted(balanced, test_x, config.max_steps, encoding, streams.generator(f"test_{encoding}"))
            curve = accuracy_curve(run, test_y)
            curves[f"converted_{method}_{encoding}"] = curve
            metrics[f"converted_{method}_{encoding}"] = snn_summary(balanced, run, test_y, config.max_steps, encoding, macs)
            cumulative = np.cumsum(run.spikes_per_step.sum(axis=1))
            metrics[f"converted_{method}_{encoding}"]["accuracy_at"] = {
                str(t): float(curve[t - 1]) for t in config.report_steps if t <= config.max_steps}
            metrics[f"converted_{method}_{encoding}"]["spikes_per_image_at"] = {
                str(t): float(cumulative[t - 1]) for t in config.report_steps if t <= config.max_steps}
            curves[f"spikes_converted_{method}_{encoding}"] = cumulative
    base = converted[config.balancing[0]]
    if config.stdb_epochs:
        start = time.perf_counter()
        trained = hybrid_stdb(base, train_x, train_y, config.stdb_steps, config.stdb_epochs, learning_rate=config.stdb_learning_rate, seed=seed)
        run = simulate_converted(trained, test_x, config.stdb_steps, "poisson", streams.generator("test_stdb"))
        metrics["hybrid_stdb"] = snn_summary(trained, run, test_y, config.stdb_steps, "poisson", macs)
        metrics["hybrid_stdb"]["seconds"] = time.perf_counter() - start
        curves["hybrid_stdb"] = accuracy_curve(run, test_y)
    if config.diet_epochs:
        start = time.perf_counter()
        trained = diet_snn(base, train_x, train_y, config.diet_steps, config.diet_epochs, learning_rate=config.diet_learning_rate, seed=seed)
        run = simulate_converted(trained, test_x, config.diet_steps, "direct")
        metrics["diet_snn"] = snn_summary(trained, run, test_y, config.diet_steps, "direct", macs)
        metrics["diet_snn"]["seconds"] = time.perf_counter() - start
        curves["diet_snn"] = accuracy_curve(run, test_y)
        reference = f"converted_{config.balancing[0]}_direct"
        if reference in curves:  # the converted network's spikes at its first step count matching DIET's accuracy
            matched = np.flatnonzero(curves[reference] >= metrics["diet_snn"]["accuracy"])
            if matched.size:
                metrics["diet_snn"]["converted_matched_steps"] = int(matched[0] + 1)
                metrics["diet_snn"]["converted_matched_spikes_per_image"] = float(curves[f"spikes_{reference}"][matched[0]])
    if config.brian_images:
        encoding = config.encodings[0]
        images = test_x[:config.brian_images]
        reference = simulate_converted(base, images, config.brian_steps, encoding, streams.generator("brian"),
                                       exact=True, record_spikes=True)
        start = time.perf_counter()
        runs, note = _brian_runs(base, images, config.brian_steps, encoding, streams.generator("brian"), backend, build_root)
        same = all(np.array_equal(run.spikes[layer], reference.spikes[layer][:, index])
                   for index, run in enumerate(runs) for layer in range(len(run.spikes)))
        metrics["brian"] = {"images": len(runs), "n_steps": config.brian_steps, "encoding": encoding,
                            "backend_requested": backend, "backend_note": note,
                            "backend": runs[0].result.provenance["backend"]["backend"],
                            "spikes_identical_float64": bool(same),
                            "outputs_identical_float64": bool(all(np.array_equal(run.output, reference.output[-1, index])
                                                                   for index, run in enumerate(runs))),
                            "accuracy": float(np.mean([run.prediction == label for run, label in zip(runs, test_y)])),
                            "synaptic_operations_per_image": float(np.mean([sum(run.synaptic_operations.values()) for run in runs])),
                            "seconds": time.perf_counter() - start}
    return metrics, curves
