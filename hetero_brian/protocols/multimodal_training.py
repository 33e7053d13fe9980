"""The multimodal experiment's steps on :class:`~hetero_brian.protocols.multimodal.MultimodalNetwork`.

Rathi & Roy's protocol: (1) both ensembles learn their input weights, links off; (2) cross-modal STDP
learns the links (input weights frozen), over ``n_passes`` reshuffled passes of the cross pairs;
(3) labelling with and without the links; (4) test conditions scored by labelled-neuron votes and a
logistic readout for each feature set. Trained ensembles can be saved and reused, guarded by the
settings that produced them.

References
----------
N. Rathi, K. Roy, "STDP-based unsupervised multimodal learning with cross-modal processing in spiking
neural network", IEEE Trans. Emerg. Topics Comput. Intell. (2018).
"""
import json
from pathlib import Path

import numpy as np

from ..analysis.assignment import accuracy, assign_labels, classify
from ..analysis.cross_modal import coactivity_weights, same_label_fraction, spike_label_purity
from ..analysis.pairing import pair_by_label, stratified_split
from ..errors import ConfigError
from ..inputs.spoken_intensities import add_noise_at_snr
from ..network.multimodal import CROSS, MODALITIES
from ..readouts import LogisticReadout
from ..results import save_arrays


def cross_sequence(n_pairs, n_passes, rng):
    """Order of the cross-modal learning presentations: the pairs in their order, then ``n_passes - 1``
    further passes, each in a new random order."""
    return np.concatenate([np.arange(n_pairs)] + [rng.permutation(n_pairs) for _ in range(n_passes - 1)])


def paired_digits(images, image_labels, audio, recordings, counts, rng):
    """Image-recording pairs of the same digit for training, cross learning, labelling and testing.

    Parameters
    ----------
    images : ndarray, shape (n_images, n_pixels)
        Image intensities in [0, 1]; ``image_labels`` their digits.
    audio : dict of str -> ndarray
        Recording intensities of the ``"train"`` and ``"test"`` recordings.
    recordings : dict of str -> Dataset
        The recordings (their ``labels``), same keys.
    counts : sequence of 4 int
        Pairs per class of the four parts; the images are stratified into four disjoint parts.
    rng : numpy.random.Generator

    Returns
    -------
    dict of str -> tuple
        ``"train"``, ``"cross"``, ``"label"``, ``"test"``: ``(image rows, audio rows, labels, recording
        indices)``. The first three use train recordings (reused when a class needs more), the test
        pairs test recordings.
    """
    parts = stratified_split(image_labels, list(counts), rng)
    pairs = {}
    for name, part, split, n in zip(("train", "cross", "label", "test"), parts, ("train",) * 3 + ("test",), counts):
        found = pair_by_label(image_labels[part], recordings[split].labels, n, rng, reuse_second=(split == "train"))
        pairs[name] = (images[part[found.first]], audio[split][found.second], found.labels, found.second)
    return pairs


def corrupted_conditions(image, audio, signals, image_noise, snr_db, features, rng):
    """Test conditions: clean, Gaussian pixel noise (each std of ``image_noise``, clipped to [0, 1]),
    white noise at each SNR (dB) of ``snr_db`` added to the recordings ``signals`` (turned into
    intensities by ``features(signal)``), and each modality missing (``None``)."""
    conditions = {"clean": (image, audio)}
    for level in image_noise:
        conditions[f"image_noise_{level:g}"] = (np.clip(image + rng.normal(0.0, level, image.shape), 0.0, 1.0), audio)
    for snr in snr_db:
        conditions[f"audio_snr_{snr:g}db"] = (image, np.stack([features(add_noise_at_snr(s, snr, rng)) for s in signals]))
    conditions.update(missing_image=(None, audio), missing_audio=(image, None))
    return conditions


def learn_ensembles(network, image, audio, rng, trained=None, save_to=None, settings=None, report=print):
    """Step (1): both ensembles learn their input weights with the links off, or take ``trained``
    (as :func:`read_trained_ensembles` returns it); a learned pair is saved to ``save_to``."""
    network.clear_cross_weights()
    if trained is None:
        report(f"built; training both ensembles on {len(image)} pairs")
        network.present(image, audio, learn_inputs=True, rng=rng,
                        progress=every(1000, lambda done, total: report(f"trained on {done}/{total} pairs")))
        if save_to is not None:
            save_trained_ensembles(save_to, network, settings)
        return
    report("built; input weights and thresholds from the trained ensembles")
    for m in MODALITIES:
        network.weights[f"{m}_exc"], network.theta[m] = trained[f"{m}_exc"], trained["theta"][m]


def learn_links(network, image, audio, order, rng, report=print):
    """Step (2): cross-modal STDP on the pairs in ``order`` (input weights frozen), the links starting
    from their sampled initial weights (normalised). Returns ``(initial, learned)`` cross weights."""
    initial = {name: np.asarray(network.simulator.built.sampled[name]["weight"], dtype=float) for name in CROSS}
    network.set_cross_weights(initial)
    network.normalise(cross=True)
    report(f"cross-modal STDP on {len(order)} presentations")
    network.present(image[order], audio[order], learn_cross=True, rng=rng)
    return initial, {name: network.weights[name].copy() for name in CROSS}


def save_trained_ensembles(path, network, training_settings):
    """Save both ensembles' input weights and thresholds after input STDP, with the settings (a
    JSON-able dict, e.g. seed and configuration) that produced them, for :func:`read_trained_ensembles`."""
    arrays = {}
    for m in MODALITIES:
        arrays[f"{m}_exc_weight"] = network.weights[f"{m}_exc"]
        arrays[f"{m}_theta_volt"] = network.theta[m]
    save_arrays(path, training_config=json.dumps(training_settings, sort_keys=True), **arrays)


def read_trained_ensembles(path, training_settings):
    """Read what :func:`save_trained_ensembles` wrote, when it was trained with ``training_settings``.

    Returns ``{"image_exc": weights, "audio_exc": weights, "theta": {modality: volts}}``.

    Raises
    ------
    ConfigError
        No such file, or other settings (each differing key named with both values): the seed and
        sizes fix the data split, so any other run could test on images the ensembles were trained on.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"trained_ensembles: no such file {str(path)!r}")
    with np.load(path) as saved:
        stored = json.loads(str(saved["training_config"]))
        wanted = json.loads(json.dumps(training_settings))
        differ = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
        if differ:
            details = ", ".join(f"{k}: file {stored.get(k)!r}, this run {wanted.get(k)!r}" for k in differ)
            raise ConfigError(f"trained_ensembles {str(path)!r} was trained with other settings ({details})")
        trained = {f"{m}_exc": np.asarray(saved[f"{m}_exc_weight"], dtype=float).copy() for m in MODALITIES}
        trained["theta"] = {m: np.asarray(saved[f"{m}_theta_volt"], dtype=float).copy() for m in MODALITIES}
    return trained


def readout_scores(label_counts, label_labels, test_counts, test_labels, n_classes=10):
    """Vote accuracy and logistic-readout accuracy of one feature set (spike counts)."""
    assignments = assign_labels(label_counts, label_labels, n_classes)
    votes = accuracy(classify(test_counts, assignments, n_classes), test_labels)
    readout = LogisticReadout(C=1.0).fit(label_counts.astype(float), label_labels)
    linear = float(np.mean(readout.predict(test_counts.astype(float)) == test_labels))
    return votes, linear


def responses(network, image, audio, links, learned, rng):
    """Spike counts of both ensembles for the pairs, with the ``learned`` links or without links."""
    if links:
        network.set_cross_weights(learned)
    else:
        network.clear_cross_weights()
    return network.present(image, audio, rng=rng).counts


def score_conditions(network, conditions, labelling, label_labels, test_labels, learned, rng, report=print):
    """Score every test condition without and with the links.

    Parameters
    ----------
    conditions : dict of str -> (image, audio)
        Test pairs per condition (``None``: a missing modality).
    labelling : dict of bool -> dict of str -> ndarray
        Labelling counts without (``False``) and with (``True``) the links, per modality.

    Returns
    -------
    dict
        ``<condition>_{no_links,links}_<modality>_spikes`` (mean per pair) and
        ``<condition>_<variant>_{votes,readout}`` for ``image_only``, ``audio_only``, ``multimodal``
        (no links) and ``image_links``, ``audio_links``, ``multimodal_links`` (one ensemble's own
        neurons while the other drives it through the links).
    """
    metrics = {}
    for condition, (image, audio) in conditions.items():
        report(f"testing: {condition}")
        for links in (False, True):
            counts = responses(network, image, audio, links, learned, rng)
            label = labelling[links]
            sets = {"multimodal": (np.hstack([label["image"], label["audio"]]),
                                   np.hstack([counts["image"], counts["audio"]]))}
            suffix = "links" if links else "only"
            sets.update({f"{m}_{suffix}": (label[m], counts[m]) for m in MODALITIES})
            for m in MODALITIES:
                metrics[f"{condition}_{'links' if links else 'no_links'}_{m}_spikes"] = float(counts[m].sum(axis=1).mean())
            for name, (train_features, test_features) in sets.items():
                variant = f"{name}_links" if links and name == "multimodal" else name
                votes, linear = readout_scores(train_features, label_labels, test_features, test_labels)
                metrics[f"{condition}_{variant}_votes"] = votes
                metrics[f"{condition}_{variant}_readout"] = linear
    return metrics


def link_metrics(connectivity, learned, initial, counts, label_labels, n_classes=10):
    """How the links follow the labels: spike label purity per ensemble, and per link direction the
    same-label link mass (learned, at chance, of Hebbian co-activity weights, initial).

    ``counts``: labelling spike counts without links, per modality.
    """
    assignments = {m: assign_labels(counts[m], label_labels, n_classes) for m in MODALITIES}
    metrics = {f"{m}_spike_label_purity": spike_label_purity(counts[m], label_labels, assignments[m]) for m in MODALITIES}
    for name, (source, target) in CROSS.items():
        i, j = connectivity[name]
        fraction, chance = same_label_fraction(i, j, learned[name], assignments[source], assignments[target])
        metrics[f"{name}_same_label_fraction"] = fraction
        metrics[f"{name}_same_label_chance"] = chance
        hebbian = coactivity_weights(i, j, counts[source], counts[target])
        metrics[f"{name}_same_label_coactivity"], _ = same_label_fraction(i, j, hebbian, assignments[source],
                                                                          assignments[target])
        metrics[f"{name}_same_label_fraction_initial"], _ = same_label_fraction(
            i, j, np.asarray(initial[name], dtype=float), assignments[source], assignments[target])
    return metrics


def every(step, report):
    """A ``progress(done, total)`` callback that calls ``report`` each time ``done`` passes a multiple of ``step``."""
    last = [0]

    def callback(done, total):
        if done // step > last[0] // step or (done == total and last[0] != total):
            report(done, total)
        last[0] = done

    return callback


__all__ = ["paired_digits", "corrupted_conditions", "learn_ensembles", "learn_links", "cross_sequence", "save_trained_ensembles", "read_trained_ensembles", "readout_scores", "responses",
           "score_conditions", "link_metrics", "every"]
