"""Multimodal digits: MNIST images and FSDD spoken digits joined by cross-modal STDP.

Two Diehl & Cook winner-take-all ensembles (power-law STDP) learn, unsupervised, MNIST images and FSDD recordings
(log-mel spectrogram in ``n_time_bins`` time bins), both as Poisson rates; an image and a recording of the same digit
are presented together. In ONE compiled binary: (1) both ensembles learn their input weights, links off; (2) cross-
modal STDP learns the links both ways (input weights frozen, ``n_cross_passes`` passes); (3) the neurons are labelled
with and without the links; (4) test pairs are classified by labelled-neuron votes and a logistic readout from each
ensemble and both, without and with the links (``*_image_links``: the image ensemble driven by the audio one through
the links, Rathi & Roy's cross-modal rescue), clean and with one modality corrupted (pixel noise, white noise at
several SNRs, a missing modality). Step (1) is saved (``trained_ensembles.npz``); ``--set
trained_ensembles=RUN/trained_ensembles.npz`` (same seed and settings but ``cross_*`` and the test conditions) skips
it. Labelling counts go to ``labelling_counts.npz``. Split: FSDD's standard split; MNIST's 10,000 images of
``../shared/data/mnist`` stratified into train / cross / label / test with the seed (FSDD train recordings, reused
when needed, for all but the test pairs).

References
----------
N. Rathi, K. Roy, "STDP-based unsupervised multimodal learning with cross-modal processing in spiking
neural network", IEEE Trans. Emerg. Topics Comput. Intell. (2018).
P. U. Diehl, M. Cook, Front. Comput. Neurosci. 9:99 (2015).
Z. Jackson et al., Free Spoken Digit Dataset (2018).
"""
import json
import time
from pathlib import Path
from typing import List, Optional

import numpy as np
from brian2 import ms
from pydantic import Field, model_validator

from hetero_brian.analysis.figures_diehl_cook import plot_multimodal_accuracy
from hetero_brian.config import QuantityField
from hetero_brian.experiment.checks import array_file_bytes, figure_bytes, results_file_bytes
from hetero_brian.inputs import read_fsdd, read_mnist
from hetero_brian.inputs.spoken_intensities import audio_intensities
from hetero_brian.network.multimodal import CROSS, MODALITIES, MultimodalParameters
from hetero_brian.protocols.multimodal import MultimodalNetwork
from hetero_brian.protocols.multimodal_training import (corrupted_conditions, cross_sequence, learn_ensembles, learn_links,
                                                        link_metrics, paired_digits, read_trained_ensembles, responses, score_conditions)
from hetero_brian.random import SeedStreams
from hetero_brian.results import SimulationResult, SynapseTable, save, save_arrays

REUSABLE_FIELDS = {"trained_ensembles", "image_noise", "snr_db", "plots", "cross_w_max", "cross_eta_plus",
                   "cross_x_target", "cross_total_weight", "cross_tau_pre", "n_cross_passes"}


class Config(MultimodalParameters):
    """The two ensembles and their links (:class:`MultimodalParameters`) and the experiment."""

    mnist_path: Optional[str] = Field(None, description="MNIST folder; None: $HETERO_BRIAN_DATA/mnist, then ../shared/data/mnist")
    fsdd_path: Optional[str] = Field(None, description="FSDD folder; None: $HETERO_BRIAN_DATA/fsdd, then ../shared/data/fsdd")
    n_train_per_class: int = Field(700, description="image-recording pairs per digit with which both ensembles learn")
    n_cross_per_class: int = Field(100, description="pairs per digit with which the cross-modal links learn")
    n_label_per_class: int = Field(50, description="pairs per digit that label the neurons and fit the readouts")
    n_test_per_class: int = Field(30, description="test pairs per digit (FSDD test recordings; at most 30)")
    n_mels: int = Field(20, description="mel bands of each recording's intensities")
    n_time_bins: int = Field(10, description="time bins of each recording (audio inputs: n_mels x n_time_bins)")
    dynamic_range_db: float = Field(40.0, description="bins this far below the loudest one, or quieter, get intensity 0 (dB)")
    audio_mean_intensity: Optional[float] = Field(0.25, description="scale each recording's intensities to this mean; None: not")
    input_mode: str = "rate"; audio_total_weight: float = 50.0  # inherited keys, defaults changed
    eta_plus: float = 0.02; x_target: float = 0.1
    cross_eta_plus: float = 0.2; cross_x_target: float = 0.1
    cross_total_weight: float = 5.0; cross_tau_pre: QuantityField(ms) = "100 ms"
    n_cross_passes: int = Field(3, description="passes over the cross pairs while the links learn")
    trained_ensembles: Optional[str] = Field(None, description="trained_ensembles.npz of an earlier run (same seed) to skip step 1")
    image_noise: List[float] = Field([0.5], description="std of the Gaussian pixel noise of each noisy-image test (intensity)")
    snr_db: List[float] = Field([10.0, 0.0, -10.0], description="signal-to-noise ratios of the noisy-audio tests (dB)")
    plots: bool = Field(True, description="write the accuracy figure")

    @model_validator(mode="after")
    def _check_experiment(self):
        problems = [f"{name} must be >= 1; got {getattr(self, name)}" for name in ("n_train_per_class", "n_cross_per_class",
                    "n_label_per_class", "n_test_per_class", "n_mels", "n_time_bins", "n_cross_passes") if getattr(self, name) < 1]
        problems += [problem for bad, problem in (
                (self.n_test_per_class > 30, f"n_test_per_class must be <= 30 (FSDD test recordings per digit); got {self.n_test_per_class}"),
                (not self.dynamic_range_db > 0, f"dynamic_range_db must be > 0; got {self.dynamic_range_db}"),
                (self.audio_mean_intensity is not None and not 0 < self.audio_mean_intensity <= 1,
                 f"audio_mean_intensity must be in (0, 1] or null; got {self.audio_mean_intensity}"),
                (any(level < 0 for level in self.image_noise), f"image_noise levels must be >= 0; got {self.image_noise}")) if bad]
        if problems:
            raise ValueError(problems[0])
        return self

    def training_settings(self, seed):
        """What fixes the trained ensembles: the seed and every setting but :data:`REUSABLE_FIELDS`."""
        return {"seed": seed, **{k: v for k, v in json.loads(self.model_dump_json()).items() if k not in REUSABLE_FIELDS}}


def disk_bytes(config):
    """Most bytes written: trained ensembles (npz), labelling counts (npz), the links (h5) and the figure."""
    n, ensembles = config.n_excitatory, array_file_bytes(config.n_excitatory * (786 + config.n_mels * config.n_time_bins) + 10000)
    return (ensembles * (config.trained_ensembles is None) + array_file_bytes(10 * config.n_label_per_class * (4 * n + 1))
            + results_file_bytes(n_values=6 * n * n) + config.plots * figure_bytes(14, 4.2))


def run(config, output, backend="auto", seed=None):
    output, streams = Path(output), SeedStreams(seed)
    progress = lambda message: print(f"[{time.perf_counter() - start:6.0f} s] {message}", flush=True)
    structure, input_rng, noise_rng = (streams.generator(name) for name in ("structure", "input", "noise"))
    mnist = read_mnist(config.mnist_path, split="test")
    images = np.asarray(mnist.samples, dtype=float).reshape(len(mnist), -1) / 255.0
    fsdd = {split: read_fsdd(config.fsdd_path, split=split) for split in ("train", "test")}
    features = lambda signal, rate: audio_intensities(signal, rate, config.n_mels, config.n_time_bins,
                                                      config.dynamic_range_db, config.audio_mean_intensity)
    audio = {split: np.stack([features(s, data.sample_rate) for s in data.samples]) for split, data in fsdd.items()}
    counts = [config.n_train_per_class, config.n_cross_per_class, config.n_label_per_class, config.n_test_per_class]
    pairs = paired_digits(images, mnist.labels, audio, fsdd, counts, structure)
    metrics = {"n_train_pairs": len(pairs["train"][2]), "n_test_pairs": len(pairs["test"][2])}
    settings = config.training_settings(streams.master_seed)
    trained = None if config.trained_ensembles is None else read_trained_ensembles(config.trained_ensembles, settings)
    start = time.perf_counter()
    with MultimodalNetwork(config, images.shape[1], audio["train"].shape[1], backend=backend,
                           seed=streams.master_seed) as network:
        metrics["build_time"] = time.perf_counter() - start
        learn_ensembles(network, *pairs["train"][:2], input_rng, trained, output / "trained_ensembles.npz", settings,
                        progress)  # (1) both ensembles learn their inputs, links off
        metrics["train_time"] = time.perf_counter() - start - metrics["build_time"]
        order = cross_sequence(len(pairs["cross"][2]), config.n_cross_passes, streams.generator("cross_passes"))
        initial, learned = learn_links(network, *pairs["cross"][:2], order, input_rng, progress)  # (2) the links
        labelling = {links: responses(network, *pairs["label"][:2], links, learned, input_rng) for links in (False, True)}
        test_image, test_audio, test_labels, test_recordings = pairs["test"]
        conditions = corrupted_conditions(test_image, test_audio, [fsdd["test"].samples[k] for k in test_recordings],
                                          config.image_noise, config.snr_db,
                                          lambda signal: features(signal, fsdd["test"].sample_rate), noise_rng)
        metrics.update(score_conditions(network, conditions, labelling, pairs["label"][2], test_labels, learned,
                                        input_rng, progress))
        metrics.update(link_metrics(network.connectivity, learned, initial, labelling[False], pairs["label"][2]))
        metrics["n_runs"], connectivity = network.simulator._run_counter, dict(network.connectivity)
    metrics["wall_time"] = time.perf_counter() - start
    synapses = {name: SynapseTable(f"exc_{s}", f"exc_{t}", *connectivity[name], learned[name], {})
                for name, (s, t) in CROSS.items()}
    save(SimulationResult(synapses=synapses, metrics={k: float(v) for k, v in metrics.items()},
                          provenance={"scenario": "multimodal_digits", "master_seed": streams.master_seed,
                                      "config": json.loads(config.model_dump_json())}), output / "multimodal_digits.h5")
    save_arrays(output / "labelling_counts.npz", labels=pairs["label"][2],
                **{f"{m}_{'links' if links else 'no_links'}": labelling[links][m] for links in (False, True) for m in MODALITIES})
    if config.plots:
        plot_multimodal_accuracy(metrics, list(conditions), output / "multimodal_accuracy.png")
    return metrics


def main(argv=None):
    from hetero_brian.cli import scenario_main  # the command line sits above the scenarios

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
