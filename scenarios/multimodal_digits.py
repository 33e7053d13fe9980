"""Multimodal digits: MNIST images and FSDD spoken digits joined by cross-modal STDP.

Two Diehl & Cook winner-take-all ensembles (power-law STDP) learn, unsupervised, MNIST images
(Poisson rates proportional to pixel intensity) and FSDD recordings (log-mel spectrogram, averaged
into ``n_time_bins`` time bins, as Poisson rates); an image and a recording of the same digit are
presented together (``hetero_brian.analysis.pairing``). Protocol, in ONE compiled binary: (1) both ensembles learn
their input weights, cross-modal links off; (2) cross-modal STDP learns the links in both directions
(input weights frozen); (3) the neurons are labelled (plasticity off) with and without the links;
(4) test pairs are classified by labelled-neuron votes and by a logistic readout (fitted on the
labelling pairs' spike counts) from the image ensemble, the audio ensemble, and both, without and
with the links (``*_image_links`` / ``*_audio_links``: one ensemble's own neurons while the other
ensemble drives it through the links, Rathi & Roy's cross-modal rescue), clean and with one modality corrupted (Gaussian pixel noise, white noise at several
SNRs, a missing modality).

Step (1) is saved as ``trained_ensembles.npz`` in the run folder; ``--set
trained_ensembles=RUN/trained_ensembles.npz`` (same seed and settings but for ``cross_*`` and the
test conditions) skips it, so a variant of the cross-modal rule costs a quarter of a full run.
Labelling spike counts (``labelling_counts.npz``) are saved for offline analysis
(``hetero_brian.analysis.cross_modal``: same-label link mass, its Hebbian co-activity ceiling, label purity).

Split: FSDD standard split (takes 0-4 of each speaker and digit test, the rest train); MNIST: the
10,000 images of ``../shared/data/mnist`` (the only file there), stratified into disjoint
train / cross / label / test images with the seed. Training, cross and labelling pairs use FSDD
train recordings (reused when a class needs more); test pairs use FSDD test recordings.

References
----------
N. Rathi, K. Roy, "STDP-based unsupervised multimodal learning with cross-modal processing in spiking
neural network", IEEE Trans. Emerg. Topics Comput. Intell. (2018).
P. U. Diehl, M. Cook, Front. Comput. Neurosci. 9:99 (2015).
Z. Jackson et al., Free Spoken Digit Dataset (2018).
"""
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import List, Literal, Optional

import numpy as np
from brian2 import Hz, ms

from hetero_brian.config import DistributionField, QuantityField, StrictModel
from hetero_brian.errors import ConfigError

N_CLASSES = 10
LOG_TEN = np.log(10.0)


class Config(StrictModel):
    mnist_path: str = "../shared/data/mnist"
    fsdd_path: str = "../shared/data/fsdd"
    n_excitatory: int = 100
    n_train_per_class: int = 700
    n_cross_per_class: int = 100
    n_label_per_class: int = 50
    n_test_per_class: int = 30
    images_per_run: int = 10
    max_rate: QuantityField(Hz) = "63.75 Hz"
    t_present: QuantityField(ms) = "350 ms"
    t_rest: QuantityField(ms) = "150 ms"
    dt: QuantityField(ms) = "0.5 ms"
    input_mode: Literal["raster", "rate"] = "rate"
    n_mels: int = 20
    n_time_bins: int = 10
    dynamic_range_db: float = 40.0
    audio_mean_intensity: Optional[float] = 0.25
    image_total_weight: float = 78.0
    audio_total_weight: float = 50.0
    eta_plus: float = 0.02
    x_target: float = 0.1
    tau_m: DistributionField(ms) = "100 ms"
    tau_theta: DistributionField(ms) = "1e7 ms"
    cross_w_max: float = 0.5
    cross_eta_plus: float = 0.2
    cross_x_target: float = 0.1
    cross_total_weight: float = 5.0
    cross_tau_pre: QuantityField(ms) = "100 ms"
    n_cross_passes: int = 3
    trained_ensembles: Optional[str] = None
    image_noise: List[float] = [0.5]
    snr_db: List[float] = [10.0, 0.0, -10.0]
    plots: bool = True


def _check(config):
    for name in ("n_excitatory", "n_train_per_class", "n_cross_per_class", "n_label_per_class", "n_test_per_class",
                 "images_per_run", "n_mels", "n_time_bins", "n_cross_passes"):
        if getattr(config, name) < 1:
            raise ConfigError(f"{name} must be >= 1; got {getattr(config, name)}")
    if config.n_test_per_class > 30:
        raise ConfigError(f"n_test_per_class must be <= 30 (FSDD test recordings per digit); got {config.n_test_per_class}")
    if not config.dynamic_range_db > 0:
        raise ConfigError(f"dynamic_range_db must be > 0; got {config.dynamic_range_db}")
    if config.audio_mean_intensity is not None and not 0 < config.audio_mean_intensity <= 1:
        raise ConfigError(f"audio_mean_intensity must be in (0, 1] or null; got {config.audio_mean_intensity}")
    if any(level < 0 for level in config.image_noise):
        raise ConfigError(f"image_noise levels must be >= 0; got {config.image_noise}")


def audio_intensities(signal, sample_rate, n_mels, n_time_bins, dynamic_range_db, mean_intensity=None):
    """Intensities in [0, 1] of one recording, shape ``(n_mels * n_time_bins,)``.

    Notes
    -----
    ``S = ln(mel power)`` (:func:`hetero_brian.inputs.log_mel_spectrogram`, 25 ms frames every 10 ms)
    is averaged over ``n_time_bins`` equal groups of frames, then mapped linearly so that the loudest
    bin is 1 and bins ``dynamic_range_db`` below it (or quieter) are 0:
    ``I = clip(1 - (max S - S) / (R ln(10) / 10), 0, 1)``. With ``mean_intensity`` the intensities
    are then scaled to that mean (and clipped at 1), so every recording delivers about the same
    total input rate whatever its loudness profile (otherwise recordings with more loud bins drive
    the ensemble harder and win more neurons); an all-zero recording stays zero.
    """
    from hetero_brian.inputs import log_mel_spectrogram

    spectrum = log_mel_spectrogram(signal, sample_rate, n_mels=n_mels)
    if spectrum.shape[1] < n_time_bins:
        spectrum = np.pad(spectrum, ((0, 0), (0, n_time_bins - spectrum.shape[1])), mode="edge")
    binned = np.stack([chunk.mean(axis=1) for chunk in np.array_split(spectrum, n_time_bins, axis=1)], axis=1)
    span = dynamic_range_db * LOG_TEN / 10.0
    intensities = np.clip(1.0 - (binned.max() - binned) / span, 0.0, 1.0).reshape(-1)
    if mean_intensity is not None and intensities.mean() > 0:
        intensities = np.clip(intensities * (mean_intensity / intensities.mean()), 0.0, 1.0)
    return intensities


def add_noise_at_snr(signal, snr_db, rng):
    """``signal`` plus white Gaussian noise of power ``mean(signal^2) / 10^(snr_db / 10)``."""
    power = float(np.mean(np.square(signal)))
    return signal + rng.normal(0.0, np.sqrt(power / 10 ** (snr_db / 10.0)), size=signal.shape)


def parameters_from(config, n_audio_inputs):
    from hetero_brian.models.neurons import DIEHL_COOK_EXCITATORY
    from hetero_brian.network.diehl_cook import DiehlCookParameters
    from hetero_brian.network.multimodal import MultimodalParameters

    excitatory = replace(DIEHL_COOK_EXCITATORY, tau_m=config.tau_m, tau_theta=config.tau_theta)
    common = dict(n_excitatory=config.n_excitatory, max_rate=config.max_rate, t_present=config.t_present,
                  t_rest=config.t_rest, dt=config.dt, images_per_run=config.images_per_run, excitatory=excitatory,
                  input_mode=config.input_mode, synapse={"eta_plus": config.eta_plus, "x_target": config.x_target})
    return MultimodalParameters(image=DiehlCookParameters(total_weight=config.image_total_weight, **common),
                                audio=DiehlCookParameters(total_weight=config.audio_total_weight, **common),
                                cross_w_max=config.cross_w_max, cross_eta_plus=config.cross_eta_plus,
                                cross_x_target=config.cross_x_target, cross_total_weight=config.cross_total_weight,
                                cross_tau_pre=config.cross_tau_pre)


# fields that may differ between a run and the run whose trained ensembles it reuses
REUSABLE_FIELDS = {"trained_ensembles", "image_noise", "snr_db", "plots", "cross_w_max", "cross_eta_plus",
                   "cross_x_target", "cross_total_weight", "cross_tau_pre", "n_cross_passes"}


def _training_config(config, seed):
    fields = json.loads(config.model_dump_json())
    return {"seed": seed, **{k: v for k, v in fields.items() if k not in REUSABLE_FIELDS}}


def save_trained_ensembles(path, network, config, seed):
    """Save both ensembles' input weights and thresholds after input STDP (``trained_ensembles.npz``),
    with the configuration and seed that produced them, for :func:`read_trained_ensembles`."""
    from hetero_brian.results import save_arrays

    arrays = {}
    for m in ("image", "audio"):
        arrays[f"{m}_exc_weight"] = network.weights[f"{m}_exc"]
        arrays[f"{m}_theta_volt"] = network.theta[m]
    save_arrays(path, training_config=json.dumps(_training_config(config, seed), sort_keys=True), **arrays)


def read_trained_ensembles(path, config, seed):
    """Read what :func:`save_trained_ensembles` wrote, for a run that studies the cross-modal links
    (``cross_*``) or the test conditions without training the ensembles again.

    Returns ``{"image_exc": weights, "audio_exc": weights, "theta": {modality: volts}}``. The file's
    run must have had the same seed and every setting except ``cross_*``, ``n_cross_passes``, ``image_noise``,
    ``snr_db`` and ``plots``: the seed and sizes fix the train / cross / label / test split, so any
    other run could test on images the ensembles were trained on (ConfigError naming the settings).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"trained_ensembles: no such file {str(path)!r}")
    with np.load(path) as saved:
        stored = json.loads(str(saved["training_config"]))
        wanted = _training_config(config, seed)
        differ = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
        if differ:
            details = ", ".join(f"{k}: file {stored.get(k)!r}, this run {wanted.get(k)!r}" for k in differ)
            raise ConfigError(f"trained_ensembles {str(path)!r} was trained with other settings ({details})")
        trained = {f"{m}_exc": np.asarray(saved[f"{m}_exc_weight"], dtype=float).copy() for m in ("image", "audio")}
        trained["theta"] = {m: np.asarray(saved[f"{m}_theta_volt"], dtype=float).copy() for m in ("image", "audio")}
    return trained


def cross_sequence(n_pairs, n_passes, rng):
    """Order of the cross-modal learning presentations: the pairs in their order, then ``n_passes - 1``
    further passes, each in a new random order."""
    return np.concatenate([np.arange(n_pairs)] + [rng.permutation(n_pairs) for _ in range(n_passes - 1)])


def _scores(label_counts, label_labels, test_counts, test_labels):
    """Vote accuracy and logistic-readout accuracy for one feature set."""
    from hetero_brian.analysis.assignment import accuracy, assign_labels, classify
    from hetero_brian.readouts import LogisticReadout

    assignments = assign_labels(label_counts, label_labels, N_CLASSES)
    votes = accuracy(classify(test_counts, assignments, N_CLASSES), test_labels)
    readout = LogisticReadout(C=1.0).fit(label_counts.astype(float), label_labels)
    linear = float(np.mean(readout.predict(test_counts.astype(float)) == test_labels))
    return votes, linear


def run(config, output, backend="auto", seed=None):
    from hetero_brian.analysis.pairing import pair_by_label, stratified_split
    from hetero_brian.inputs import read_fsdd, read_mnist
    from hetero_brian.network.multimodal import CROSS, MultimodalNetwork
    from hetero_brian.random import SeedStreams
    from hetero_brian.results import save_arrays

    _check(config)
    output = Path(output)
    streams = SeedStreams(seed)
    structure, input_rng, noise_rng = (streams.generator(name) for name in ("structure", "input", "noise"))
    mnist = read_mnist(config.mnist_path, split="test")
    images = np.asarray(mnist.samples, dtype=float).reshape(len(mnist), -1) / 255.0
    parts = stratified_split(mnist.labels, [config.n_train_per_class, config.n_cross_per_class,
                                            config.n_label_per_class, config.n_test_per_class], structure)
    fsdd = {split: read_fsdd(config.fsdd_path, split=split) for split in ("train", "test")}
    features = lambda signal, rate: audio_intensities(signal, rate, config.n_mels, config.n_time_bins,
                                                      config.dynamic_range_db, config.audio_mean_intensity)
    audio = {split: np.stack([features(s, data.sample_rate) for s in data.samples]) for split, data in fsdd.items()}
    pairs = {}
    for name, part, split, n in (("train", parts[0], "train", config.n_train_per_class),
                                 ("cross", parts[1], "train", config.n_cross_per_class),
                                 ("label", parts[2], "train", config.n_label_per_class),
                                 ("test", parts[3], "test", config.n_test_per_class)):
        found = pair_by_label(mnist.labels[part], fsdd[split].labels, n, structure, reuse_second=(split == "train"))
        pairs[name] = (images[part[found.first]], audio[split][found.second], found.labels, found.second)
    metrics = {"n_train_pairs": len(pairs["train"][2]), "n_test_pairs": len(pairs["test"][2])}
    trained = None if config.trained_ensembles is None else read_trained_ensembles(
        config.trained_ensembles, config, streams.master_seed)
    start = time.perf_counter()
    parameters = parameters_from(config, audio["train"].shape[1])
    with MultimodalNetwork(parameters, images.shape[1], audio["train"].shape[1], backend=backend,
                           seed=streams.master_seed) as network:
        metrics["build_time"] = time.perf_counter() - start
        network.clear_cross_weights()
        if trained is None:
            _progress(start, f"built; training both ensembles on {len(pairs['train'][2])} pairs")
            network.present(*pairs["train"][:2], learn_inputs=True, rng=input_rng,
                            progress=_every(1000, lambda done, total: _progress(start, f"trained on {done}/{total} pairs")))
            save_trained_ensembles(output / "trained_ensembles.npz", network, config, streams.master_seed)
        else:
            _progress(start, f"built; input weights and thresholds from {config.trained_ensembles}")
            for m in ("image", "audio"):
                network.weights[f"{m}_exc"], network.theta[m] = trained[f"{m}_exc"], trained["theta"][m]
        metrics["train_time"] = time.perf_counter() - start - metrics["build_time"]
        # the cross links start from their sampled initial weights (they were 0 during step 1)
        initial_cross = {name: network.simulator.built.sampled[name]["weight"] for name in CROSS}
        network.set_cross_weights({name: np.asarray(w, dtype=float) for name, w in initial_cross.items()})
        network.normalise(cross=True)
        cross_order = cross_sequence(len(pairs["cross"][2]), config.n_cross_passes, streams.generator("cross_passes"))
        _progress(start, f"input STDP done; cross-modal STDP on {len(pairs['cross'][2])} pairs x {config.n_cross_passes} passes")
        network.present(pairs["cross"][0][cross_order], pairs["cross"][1][cross_order], learn_cross=True, rng=input_rng)
        learned = {name: network.weights[name].copy() for name in CROSS}

        def responses(image, audio_part, links):
            if links:
                network.set_cross_weights(learned)
            else:
                network.clear_cross_weights()
            counts = network.present(image, audio_part, rng=input_rng).counts
            return counts

        labelling = {links: responses(*pairs["label"][:2], links) for links in (False, True)}
        test_image, test_audio, test_labels, test_recordings = pairs["test"]
        conditions = {"clean": (test_image, test_audio)}
        for level in config.image_noise:
            noisy = np.clip(test_image + noise_rng.normal(0.0, level, test_image.shape), 0.0, 1.0)
            conditions[f"image_noise_{level:g}"] = (noisy, test_audio)
        for snr in config.snr_db:
            signals = fsdd["test"].samples
            noisy = np.stack([features(add_noise_at_snr(signals[k], snr, noise_rng), fsdd["test"].sample_rate)
                              for k in test_recordings])
            conditions[f"audio_snr_{snr:g}db"] = (test_image, noisy)
        conditions["missing_image"] = (None, test_audio)
        conditions["missing_audio"] = (test_image, None)
        label_labels = pairs["label"][2]
        for condition, (image, audio_part) in conditions.items():
            _progress(start, f"testing: {condition}")
            for links in (False, True):
                counts = responses(image, audio_part, links)
                label = labelling[links]
                sets = {"multimodal": (np.hstack([label["image"], label["audio"]]),
                                       np.hstack([counts["image"], counts["audio"]]))}
                if not links:
                    sets.update(image_only=(label["image"], counts["image"]), audio_only=(label["audio"], counts["audio"]))
                else:  # each ensemble alone, while the other one drives it through the links
                    sets.update(image_links=(label["image"], counts["image"]), audio_links=(label["audio"], counts["audio"]))
                for modality in ("image", "audio"):
                    metrics[f"{condition}_{'links' if links else 'no_links'}_{modality}_spikes"] = float(
                        counts[modality].sum(axis=1).mean())
                for name, (train_features, test_features) in sets.items():
                    variant = f"{name}_links" if links and name == "multimodal" else name
                    votes, linear = _scores(train_features, label_labels, test_features, test_labels)
                    metrics[f"{condition}_{variant}_votes"] = votes
                    metrics[f"{condition}_{variant}_readout"] = linear
        from hetero_brian.analysis.assignment import assign_labels
        from hetero_brian.analysis.cross_modal import coactivity_weights, same_label_fraction, spike_label_purity

        assignments = {m: assign_labels(labelling[False][m], label_labels, N_CLASSES) for m in ("image", "audio")}
        for m in ("image", "audio"):
            metrics[f"{m}_spike_label_purity"] = spike_label_purity(labelling[False][m], label_labels, assignments[m])
        for name, (source, target) in CROSS.items():
            i, j = network.connectivity[name]
            fraction, chance = same_label_fraction(i, j, learned[name], assignments[source], assignments[target])
            metrics[f"{name}_same_label_fraction"] = fraction
            metrics[f"{name}_same_label_chance"] = chance
            hebbian = coactivity_weights(i, j, labelling[False][source], labelling[False][target])
            metrics[f"{name}_same_label_coactivity"], _ = same_label_fraction(
                i, j, hebbian, assignments[source], assignments[target])
            initial, _ = same_label_fraction(i, j, np.asarray(initial_cross[name], dtype=float),
                                             assignments[source], assignments[target])
            metrics[f"{name}_same_label_fraction_initial"] = initial
        metrics["n_runs"] = network.simulator._run_counter
        connectivity = dict(network.connectivity)
    metrics["wall_time"] = time.perf_counter() - start
    _save(output, config, metrics, connectivity, learned, streams.master_seed)
    save_arrays(output / "labelling_counts.npz", labels=label_labels,
                **{f"{m}_{'links' if links else 'no_links'}": labelling[links][m]
                   for links in (False, True) for m in ("image", "audio")})
    if config.plots:
        _plot(output, metrics, list(conditions))
    return metrics


def _every(step, report):
    """A ``progress(done, total)`` callback that calls ``report`` each time ``done`` passes a multiple of ``step``."""
    last = [0]

    def callback(done, total):
        if done // step > last[0] // step or (done == total and last[0] != total):
            report(done, total)
        last[0] = done

    return callback


def _progress(start, message):
    print(f"[{time.perf_counter() - start:6.0f} s] {message}", flush=True)


def _save(output, config, metrics, connectivity, learned, seed):
    from hetero_brian.network.multimodal import CROSS
    from hetero_brian.results import SimulationResult, SynapseTable, save

    synapses = {name: SynapseTable(f"exc_{s}", f"exc_{t}", connectivity[name][0], connectivity[name][1],
                                   learned[name], {}) for name, (s, t) in CROSS.items()}
    result = SimulationResult(synapses=synapses, metrics={k: float(v) for k, v in metrics.items()},
                              provenance={"scenario": "multimodal_digits", "master_seed": seed,
                                          "config": json.loads(config.model_dump_json())})
    save(result, output / "multimodal_digits.h5")


def _plot(output, metrics, conditions):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hetero_brian.analysis.plots import save_figure

    variants = ("image_only", "image_links", "audio_only", "audio_links", "multimodal", "multimodal_links")
    width = 0.8 / len(variants)
    figure, axes = plt.subplots(1, 2, figsize=(14, 4.2), sharey=True)
    positions = np.arange(len(conditions))
    for ax, kind in zip(axes, ("votes", "readout")):
        for k, variant in enumerate(variants):
            values = [100 * metrics[f"{c}_{variant}_{kind}"] for c in conditions]
            ax.bar(positions + (k - (len(variants) - 1) / 2) * width, values, width=width,
                   label=variant.replace("_", " "))
        ax.axhline(10, color="grey", lw=0.8, ls="--")
        ax.set_xticks(positions, [c.replace("_", " ") for c in conditions], rotation=35, ha="right")
        ax.set_title(f"test accuracy, {'labelled-neuron votes' if kind == 'votes' else 'logistic readout'}")
    axes[0].set_ylabel("accuracy (%)")
    handles, names = axes[0].get_legend_handles_labels()
    figure.legend(handles, names, loc="upper center", ncol=len(variants), fontsize=8, frameon=False)
    figure.tight_layout(rect=(0, 0, 1, 0.93))
    save_figure(figure, output / "multimodal_accuracy.png", overwrite=True)
    plt.close(figure)


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
