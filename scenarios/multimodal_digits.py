"""Multimodal digits: MNIST images and FSDD spoken digits joined by cross-modal STDP.

Two Diehl & Cook winner-take-all ensembles (power-law STDP) learn, unsupervised, MNIST images and
FSDD recordings (log-mel spectrogram in ``n_time_bins`` time bins), both as Poisson rates; an image
and a recording of the same digit are presented together. In ONE compiled binary: (1) both ensembles
learn their input weights, links off; (2) cross-modal STDP learns the links both ways (input weights
frozen, ``n_cross_passes`` passes); (3) the neurons are labelled with and without the links; (4) test
pairs are classified by labelled-neuron votes and a logistic readout from each ensemble and both,
without and with the links (``*_image_links``: the image ensemble driven by the audio one through
the links, Rathi & Roy's cross-modal rescue), clean and with one modality corrupted (pixel noise,
white noise at several SNRs, a missing modality). Step (1) is saved (``trained_ensembles.npz``);
``--set trained_ensembles=RUN/trained_ensembles.npz`` (same seed and settings but ``cross_*`` and the
test conditions) skips it. Labelling counts go to ``labelling_counts.npz``. Split: FSDD's standard
split; MNIST's 10,000 images of ``../shared/data/mnist`` stratified into train / cross / label / test
with the seed (FSDD train recordings, reused when needed, for all but the test pairs).

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
from pydantic import model_validator

from hetero_brian.analysis.figures_diehl_cook import plot_multimodal_accuracy
from hetero_brian.config import QuantityField
from hetero_brian.inputs import read_fsdd, read_mnist
from hetero_brian.inputs.spoken_intensities import audio_intensities
from hetero_brian.network.multimodal import CROSS, MODALITIES, MultimodalParameters
from hetero_brian.protocols.multimodal import MultimodalNetwork
from hetero_brian.protocols.multimodal_training import (corrupted_conditions, cross_sequence, learn_ensembles,
                                                        learn_links, link_metrics, paired_digits, read_trained_ensembles,
                                                        responses, score_conditions)
from hetero_brian.random import SeedStreams
from hetero_brian.results import SimulationResult, SynapseTable, save, save_arrays

REUSABLE_FIELDS = {"trained_ensembles", "image_noise", "snr_db", "plots", "cross_w_max", "cross_eta_plus",
                   "cross_x_target", "cross_total_weight", "cross_tau_pre", "n_cross_passes"}


class Config(MultimodalParameters):
    """The two ensembles and their links (:class:`MultimodalParameters`) and the experiment."""

    mnist_path: Optional[str] = None  # None: the lookup of hetero_brian.inputs.datasets
    fsdd_path: Optional[str] = None  # None: the lookup of hetero_brian.inputs.datasets
    n_train_per_class: int = 700
    n_cross_per_class: int = 100
    n_label_per_class: int = 50
    n_test_per_class: int = 30
    input_mode: str = "rate"
    n_mels: int = 20
    n_time_bins: int = 10
    dynamic_range_db: float = 40.0
    audio_mean_intensity: Optional[float] = 0.25
    audio_total_weight: float = 50.0
    eta_plus: float = 0.02
    x_target: float = 0.1
    cross_eta_plus: float = 0.2
    cross_x_target: float = 0.1
    cross_total_weight: float = 5.0
    cross_tau_pre: QuantityField(ms) = "100 ms"
    n_cross_passes: int = 3
    trained_ensembles: Optional[str] = None
    image_noise: List[float] = [0.5]
    snr_db: List[float] = [10.0, 0.0, -10.0]
    plots: bool = True

    @model_validator(mode="after")
    def _check_experiment(self):
        for name in ("n_train_per_class", "n_cross_per_class", "n_label_per_class", "n_test_per_class", "n_mels",
                     "n_time_bins", "n_cross_passes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1; got {getattr(self, name)}")
        if self.n_test_per_class > 30:
            raise ValueError(f"n_test_per_class must be <= 30 (FSDD test recordings per digit); got {self.n_test_per_class}")
        for bad, problem in ((not self.dynamic_range_db > 0, f"dynamic_range_db must be > 0; got {self.dynamic_range_db}"),
                             (self.audio_mean_intensity is not None and not 0 < self.audio_mean_intensity <= 1,
                              f"audio_mean_intensity must be in (0, 1] or null; got {self.audio_mean_intensity}"),
                             (any(level < 0 for level in self.image_noise), f"image_noise levels must be >= 0; got {self.image_noise}")):
            if bad:
                raise ValueError(problem)
        return self

    def training_settings(self, seed):
        """What fixes the trained ensembles: the seed and every setting but :data:`REUSABLE_FIELDS`."""
        return {"seed": seed, **{k: v for k, v in json.loads(self.model_dump_json()).items() if k not in REUSABLE_FIELDS}}


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
