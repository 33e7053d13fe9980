"""Multimodal STDP network: label pairing, excitatory bounded cross links, a toy run, a missing modality."""
import numpy as np
import pytest
from brian2 import Hz, ms

from hetero_brian.analysis.assignment import accuracy, assign_labels, classify
from hetero_brian.analysis.pairing import pair_by_label, stratified_split
from hetero_brian.backends.runtime import RuntimeBackend
from hetero_brian.errors import ConfigError
from hetero_brian.network.spec import RateInput
from hetero_brian.network.multimodal import CROSS, MultimodalParameters, multimodal_spec
from hetero_brian.protocols.multimodal import MultimodalNetwork
from hetero_brian.protocols.multimodal_training import read_trained_ensembles

N_IMAGE, N_AUDIO = 8, 6


# -- pairing ------------------------------------------------------------------------------------------
def test_pairing_never_mixes_labels_and_is_reproducible():
    rng = np.random.default_rng(5)
    images = rng.integers(0, 10, 400)
    audio = rng.integers(0, 10, 60)
    pairs = pair_by_label(images, audio, 12, np.random.default_rng(7))
    assert len(pairs) == 120
    np.testing.assert_array_equal(images[pairs.first], pairs.labels)
    np.testing.assert_array_equal(audio[pairs.second], pairs.labels)
    np.testing.assert_array_equal(np.bincount(pairs.labels, minlength=10), np.full(10, 12))
    assert np.unique(pairs.first).size == pairs.first.size  # images never reused
    again = pair_by_label(images, audio, 12, np.random.default_rng(7))
    np.testing.assert_array_equal(pairs.first, again.first)
    np.testing.assert_array_equal(pairs.second, again.second)
    other = pair_by_label(images, audio, 12, np.random.default_rng(8))
    assert not np.array_equal(pairs.first, other.first)
    # recordings are reused evenly: floor or ceil of 12 / n_recordings per class
    for label in range(10):
        members = np.flatnonzero(audio == label)
        uses = np.array([np.sum(pairs.second == k) for k in members])
        assert uses.min() >= 12 // members.size and uses.max() <= -(-12 // members.size)


def test_pairing_rejects_too_few_samples():
    with pytest.raises(ValueError, match="n_per_class"):
        pair_by_label(np.array([0, 0, 1]), np.array([0, 1]), 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="reuse_second"):
        pair_by_label(np.array([0, 0, 1, 1]), np.array([0, 1]), 2, np.random.default_rng(0), reuse_second=False)
    with pytest.raises(ValueError, match="rng"):
        pair_by_label(np.array([0, 1]), np.array([0, 1]), 1, 3)


def test_stratified_split_is_disjoint_and_balanced():
    labels = np.repeat(np.arange(3), 10)
    parts = stratified_split(labels, [4, 3, 2], np.random.default_rng(1))
    joined = np.concatenate(parts)
    assert np.unique(joined).size == joined.size == 27
    for part, count in zip(parts, [4, 3, 2]):
        np.testing.assert_array_equal(np.bincount(labels[part], minlength=3), [count] * 3)


# -- structure ----------------------------------------------------------------------------------------
def toy_parameters(n_excitatory=4, input_mode="raster"):
    return MultimodalParameters(n_excitatory=n_excitatory, max_rate=400 * Hz, t_present=100 * ms, t_rest=10 * ms,
                                dt=1 * ms, images_per_run=10, eta_plus=0.05, x_target=0.4, input_mode=input_mode,
                                image_total_weight=4.0, audio_total_weight=3.0,
                                cross_w_max=0.5, cross_eta_plus=0.05, cross_total_weight=0.6, cross_initial_max=0.05)


def test_rate_mode_uses_device_drawn_inputs_and_one_protocol():
    spec = multimodal_spec(toy_parameters(input_mode="rate"), N_IMAGE, N_AUDIO)
    inputs = {source.name: source for source in spec.inputs}
    assert all(isinstance(inputs[m], RateInput) for m in ("image", "audio"))
    # 10 samples of 110 ms in rows of 10 ms
    assert inputs["image"].rates.shape == (110, N_IMAGE) and inputs["audio"].rates.shape == (110, N_AUDIO)
    # one presentation protocol: both ensembles share it (only the total input weight differs)
    parameters = toy_parameters(input_mode="rate")
    image, audio = parameters.ensemble("image"), parameters.ensemble("audio")
    assert image.input_mode == audio.input_mode == "rate" and image.t_present == audio.t_present
    assert (image.total_weight, audio.total_weight) == (4.0, 3.0)
    with pytest.raises(ValueError, match="input_mode"):
        MultimodalParameters(input_mode="spikes")


def test_cross_links_are_excitatory_between_excitatory_neurons_only():
    spec = multimodal_spec(toy_parameters(), N_IMAGE, N_AUDIO)
    projections = {p.name: p for p in spec.projections}
    for name, (source, target) in CROSS.items():
        cross = projections[name]
        assert (cross.source, cross.target) == (f"exc_{source}", f"exc_{target}")
        assert cross.synapse.target == "g_e" and cross.synapse.sign > 0
        assert cross.n_synapses == 16
    # the winner-take-all inhibition stays within an ensemble
    for projection in spec.projections:
        if projection.source.startswith("inh_"):
            assert projection.target == "exc_" + projection.source[4:]
    with pytest.raises(ValueError, match="t_present"):
        MultimodalParameters(t_present=100.2 * ms)
    # the cross-modal presynaptic trace time constant is a parameter (a positive time)
    synapse = MultimodalParameters(cross_tau_pre=60 * ms).cross_synapse()
    assert float(synapse.tau_pre.mean / ms) == pytest.approx(60.0)
    for bad in (0 * ms, 50.0, 5 * Hz):
        with pytest.raises(ValueError, match="cross_tau_pre"):
            MultimodalParameters(cross_tau_pre=bad)


def test_each_ensemble_boosts_its_own_rate_only(tmp_path):
    """Diehl & Cook's re-presentation rule per ensemble: a silent audio ensemble raises the audio
    rate only; the image ensemble, above min_spikes, keeps its rate (no coupling through the rule)."""
    seen = []

    def fake_run(data, boosts, learn_inputs, learn_cross, rng):
        seen.append({m: np.asarray(b, dtype=float).copy() for m, b in boosts.items()})
        n = len(boosts["image"])
        return {"image": np.full((n, 4), 3), "audio": np.zeros((n, 4), dtype=np.int64)}  # 4 neurons each

    rng = np.random.default_rng(0)
    image, audio, _ = toy_data(4, rng)
    with MultimodalNetwork(toy_parameters(), N_IMAGE, N_AUDIO, backend=RuntimeBackend(target="numpy"), seed=1,
                           build_root=tmp_path) as network:
        network._run_batch = fake_run
        reports = []
        shown = network.present(image, audio, rng=2, progress=lambda done, total: reports.append((done, total))).n_presentations
        assert reports == [(0, 4), (0, 4), (4, 4)]  # samples finished after each of the three runs
        with pytest.raises(ValueError, match="progress must be None or a callable.*got 10"):
            network.present(image, audio, rng=2, progress=10)
        assert np.all(shown == 3)  # the audio ensemble never reaches 5 spikes: shown max_presentations times
        increment = float(network.parameters.rate_increment)
        assert [list(b["audio"]) for b in seen] == [[0.0] * 4, [increment] * 4, [2 * increment] * 4]
        assert all(np.all(b["image"] == 0) for b in seen)
        seen.clear()
        network.present(image, None, rng=3)  # a missing modality does not call for re-presentations
        assert len(seen) == 1


def toy_data(n_samples, rng):
    """Class 0 lights the first half of each modality's channels, class 1 the second half."""
    labels = np.arange(n_samples) % 2
    image = np.zeros((n_samples, N_IMAGE))
    audio = np.zeros((n_samples, N_AUDIO))
    for k, label in enumerate(labels):
        image[k, label * N_IMAGE // 2:(label + 1) * N_IMAGE // 2] = 1.0
        audio[k, label * N_AUDIO // 2:(label + 1) * N_AUDIO // 2] = 1.0
    return (np.clip(image + rng.uniform(0, 0.05, image.shape), 0, 1),
            np.clip(audio + rng.uniform(0, 0.05, audio.shape), 0, 1), labels)


@pytest.mark.slow
@pytest.mark.parametrize("input_mode", ["raster", "rate"])
def test_toy_modalities_learn_and_survive_a_missing_modality(tmp_path, input_mode):
    rng = np.random.default_rng(0)
    train_image, train_audio, _ = toy_data(40, rng)
    label_image, label_audio, label_labels = toy_data(10, rng)
    test_image, test_audio, test_labels = toy_data(10, rng)
    parameters = toy_parameters(input_mode=input_mode)
    with MultimodalNetwork(parameters, N_IMAGE, N_AUDIO, backend=RuntimeBackend(target="numpy"), seed=3,
                           build_root=tmp_path) as network:
        network.present(train_image, train_audio, learn_inputs=True, rng=1)
        before = {name: network.weights[name].copy() for name in CROSS}
        network.present(train_image[:20], train_audio[:20], learn_cross=True, rng=2)
        for name in CROSS:
            weights = network.weights[name]
            assert np.all(weights >= 0) and np.all(weights <= parameters.cross_w_max)
            assert not np.allclose(weights, before[name])  # cross STDP did something
        labelling = network.present(label_image, label_audio, rng=3)
        test = network.present(test_image, test_audio, rng=4)
        both = lambda p: np.hstack([p.counts["image"], p.counts["audio"]])
        assignments = assign_labels(both(labelling), label_labels, 2)
        assert accuracy(classify(both(test), assignments, 2), test_labels) >= 0.8  # chance 0.5
        # missing image at test time: the audio ensemble alone still classifies
        audio_only = network.present(None, test_audio, rng=5)
        assert audio_only.counts["audio"].sum() > 0
        audio_assignments = assign_labels(labelling.counts["audio"], label_labels, 2)
        assert accuracy(classify(audio_only.counts["audio"], audio_assignments, 2), test_labels) >= 0.8
        with pytest.raises(ValueError, match="at least one modality"):
            network.present(None, None)
        with pytest.raises(ValueError, match="same number of samples"):
            network.present(test_image, test_audio[:5])


@pytest.mark.slow
def test_multimodal_digits_tiny_end_to_end(tmp_path, shared_data):
    from hetero_brian.scenarios import multimodal_digits

    config = multimodal_digits.Config.from_dict({
        "mnist_path": str(shared_data / "mnist"), "fsdd_path": str(shared_data / "fsdd"), "n_excitatory": 2,
        "n_train_per_class": 1, "n_cross_per_class": 1, "n_label_per_class": 1, "n_test_per_class": 1,
        "t_present": "40 ms", "t_rest": "10 ms", "dt": "1 ms", "image_noise": [0.5], "snr_db": [0.0],
        "plots": False})
    assert config.input_mode == "rate"
    metrics = multimodal_digits.run(config, tmp_path, backend=RuntimeBackend(target="numpy"), seed=3)
    assert metrics["n_train_pairs"] == 10 and metrics["n_test_pairs"] == 10
    for condition in ("clean", "image_noise_0.5", "audio_snr_0db", "missing_image", "missing_audio"):
        for variant in ("image_only", "audio_only", "image_links", "audio_links", "multimodal", "multimodal_links"):
            assert 0 <= metrics[f"{condition}_{variant}_votes"] <= 1
    # a missing modality makes no spikes in its own ensemble without the links
    assert metrics["missing_image_no_links_image_spikes"] == 0 and metrics["missing_audio_no_links_audio_spikes"] == 0
    assert metrics["clean_no_links_image_spikes"] > 0
    for name in CROSS:
        assert 0 <= metrics[f"{name}_same_label_chance"] <= 1 or np.isnan(metrics[f"{name}_same_label_chance"])
        assert 0 <= metrics[f"{name}_same_label_coactivity"] <= 1 or np.isnan(metrics[f"{name}_same_label_coactivity"])
    assert (tmp_path / "multimodal_digits.h5").exists()
    saved = np.load(tmp_path / "labelling_counts.npz")
    assert saved["labels"].shape == (10,) and saved["image_no_links"].shape == (10, 2)
    assert saved["audio_links"].shape == (10, 2)
    # the trained ensembles are reused by a run that only changes the cross-modal rule ...
    trained = np.load(tmp_path / "trained_ensembles.npz")
    reuse = config.model_copy(update={"trained_ensembles": str(tmp_path / "trained_ensembles.npz"),
                                      "cross_x_target": 0.0, "image_noise": [], "snr_db": []})
    loaded = read_trained_ensembles(reuse.trained_ensembles, reuse.training_settings(3))
    assert np.array_equal(loaded["image_exc"], trained["image_exc_weight"])
    (tmp_path / "reuse").mkdir()
    again = multimodal_digits.run(reuse, tmp_path / "reuse", backend=RuntimeBackend(target="numpy"), seed=3)
    assert again["clean_no_links_image_spikes"] > 0 and not (tmp_path / "reuse" / "trained_ensembles.npz").exists()
    # ... and refused by one with another seed or split, which could test on training images
    with pytest.raises(ConfigError, match="seed: file 3, this run 4"):
        multimodal_digits.run(reuse, tmp_path / "other", backend=RuntimeBackend(target="numpy"), seed=4)
    with pytest.raises(ConfigError, match="n_test_per_class"):
        read_trained_ensembles(reuse.trained_ensembles, reuse.model_copy(update={"n_test_per_class": 2}).training_settings(3))
    with pytest.raises(ConfigError, match="no such file"):
        read_trained_ensembles(str(tmp_path / "missing.npz"), reuse.training_settings(3))


# -- audio front end of the scenario -------------------------------------------------------------------
def test_audio_intensities_peak_and_mean_normalisation():
    from hetero_brian.inputs.spoken_intensities import add_noise_at_snr, audio_intensities

    rng = np.random.default_rng(2)
    rate = 8000.0
    t = np.arange(int(0.5 * rate)) / rate
    tone = np.sin(2 * np.pi * 440.0 * t) * np.where(t < 0.25, 1.0, 0.05) + 1e-3 * rng.normal(size=t.size)
    peak = audio_intensities(tone, rate, 20, 10, 40.0)
    assert peak.shape == (200,) and peak.max() == pytest.approx(1.0) and peak.min() >= 0
    scaled = audio_intensities(tone, rate, 20, 10, 40.0, mean_intensity=0.25)
    assert scaled.mean() <= 0.25 + 1e-12 and scaled.max() <= 1.0
    unclipped = scaled < 1.0
    # below the clip the mean scaling is one factor: the spectral shape is kept
    ratio = scaled[unclipped & (peak > 0)] / peak[unclipped & (peak > 0)]
    assert np.allclose(ratio, ratio[0])
    # a louder recording (the same tone x 10) and a noisy one deliver the same mean intensity
    louder = audio_intensities(10 * tone, rate, 20, 10, 40.0, mean_intensity=0.25)
    assert np.allclose(louder, scaled)
    noisy = audio_intensities(add_noise_at_snr(tone, -10.0, rng), rate, 20, 10, 40.0, mean_intensity=0.25)
    assert noisy.mean() == pytest.approx(0.25, abs=0.02)
    assert np.all(audio_intensities(np.zeros(4000), rate, 20, 10, 40.0, mean_intensity=0.25) >= 0)


def test_cross_passes_repeat_every_pair_and_bad_counts_are_named():
    from hetero_brian.protocols.multimodal_training import cross_sequence
    from hetero_brian.scenarios.multimodal_digits import Config

    order = cross_sequence(20, 3, np.random.default_rng(0))
    assert order.size == 60 and np.array_equal(order[:20], np.arange(20))
    assert all(np.array_equal(np.sort(order[k:k + 20]), np.arange(20)) for k in (20, 40))
    assert not np.array_equal(order[20:40], np.arange(20))
    assert np.array_equal(order, cross_sequence(20, 3, np.random.default_rng(0)))
    assert np.array_equal(cross_sequence(5, 1, np.random.default_rng(1)), np.arange(5))
    with pytest.raises(ConfigError, match="n_cross_passes must be >= 1; got 0"):
        Config.from_dict({"n_cross_passes": 0})
