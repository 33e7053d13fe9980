"""Spoken-digit front end and HRSNN protocol: level normalisation, speaker folds, shuffled order, feature cache."""
import json

import numpy as np
import pytest

from hetero_brian.errors import ConfigError
from hetero_brian.inputs import leave_one_group_out, log_mel_frames, normalise_level, read_wav
from hetero_brian.protocols import hrsnn_2x2, hrsnn_features

from brian_helpers import use_numpy_target


def _recording(rng, sample_rate=8000):
    """Half a second: silence, a vowel-like harmonic burst, silence, with faint noise."""
    time = np.arange(int(0.5 * sample_rate)) / sample_rate
    envelope = np.exp(-((time - 0.25) / 0.08) ** 2)
    voice = sum(np.sin(2 * np.pi * 150 * harmonic * time) / harmonic for harmonic in range(1, 8))
    return 0.3 * envelope * voice + 1e-3 * rng.standard_normal(time.size)


def test_quieter_copy_gives_the_same_frames(shared_data):
    rng = np.random.default_rng(0)
    signals = [_recording(rng), read_wav(shared_data / "fsdd" / "recordings" / "3_theo_7.wav")[0]]
    for signal in signals:
        quiet = signal * 10 ** (-20 / 20)  # 20 dB quieter
        loud, soft = (log_mel_frames([normalise_level(x, 8000.0)], 8000.0, 20, 20) for x in (signal, quiet))
        np.testing.assert_allclose(soft, loud, rtol=0, atol=1e-9)
        # the global scale keeps the level: 20 dB is ln(100) in log-mel power where the signal is loud
        raw_loud, raw_soft = (log_mel_frames([x], 8000.0, 20, 20) for x in (signal, quiet))
        assert np.max(raw_loud - raw_soft) == pytest.approx(np.log(100.0), rel=1e-3)
    assert np.array_equal(normalise_level(np.zeros(10), 8000.0), np.zeros(10))
    assert np.max(np.abs(normalise_level(signals[0], 8000.0))) > 1.0  # loudest 25 ms frame at RMS 1


def test_leave_one_speaker_out_folds():
    speakers = np.array(["b", "a", "c", "a", "b", "c", "c"])
    folds = leave_one_group_out(speakers)
    assert [fold.name for fold in folds] == ["a", "b", "c"]
    for fold in folds:
        assert set(speakers[fold.test]) == {fold.name} and fold.name not in set(speakers[fold.train])
        assert np.array_equal(np.sort(np.concatenate([fold.train, fold.test])), np.arange(speakers.size))
    assert [fold.name for fold in leave_one_group_out(speakers, ["c"])] == ["c"]
    with pytest.raises(ValueError, match="do not occur"):
        leave_one_group_out(speakers, ["z"])
    with pytest.raises(ValueError, match="two groups"):
        leave_one_group_out(["a", "a"])


def test_speaker_fold_never_lets_the_test_speaker_into_training():
    from hetero_brian.scenarios import hrsnn_fsdd

    rng = np.random.default_rng(1)
    speakers = np.repeat(["ann", "bob", "cy"], 20)
    labels = np.tile(np.arange(10), 6)
    log_mels = rng.normal(size=(60, 4, 5))
    config = hrsnn_fsdd.Config(split="speaker", n_stdp_samples=10)
    data = type("Data", (), {"metadata": {"speaker": speakers}})()
    folds = hrsnn_fsdd.folds_of(data, config)
    assert [fold.name for fold in folds] == ["ann", "bob", "cy"]
    for fold in folds:
        train_frames, train_labels, test_frames, _, train, test = hrsnn_fsdd.fold_frames(
            log_mels, labels, fold, config, rng)
        assert set(speakers[train]) == set(speakers) - {fold.name} and set(speakers[test]) == {fold.name}
        # the scaling statistics come from the training side only: a wild test speaker changes nothing
        wild = log_mels.copy()
        wild[test] = 1e3 * wild[test] + 50.0
        again = hrsnn_fsdd.fold_frames(wild, labels, fold, config, rng)
        np.testing.assert_array_equal(again[0], train_frames)
        # STDP presentations index the training side (rows < n_train of concatenate([train, test]))
        order = hrsnn_2x2.presentation_order(len(train), len(test), config.n_stdp_samples, rng)
        assert np.all(order[:config.n_stdp_samples] < len(train))
        assert np.array_equal(np.sort(order[config.n_stdp_samples:]), np.arange(len(train) + len(test)))
    with pytest.raises(ConfigError, match="folds"):
        hrsnn_fsdd.folds_of(data, hrsnn_fsdd.Config(split="speaker", folds=["zed"]))


def test_readouts_fit_on_training_rows_only(monkeypatch):
    from hetero_brian.scenarios import hrsnn_fsdd

    seen = []
    for readout in (hrsnn_features.LogisticReadout, hrsnn_features.RidgeReadout):
        original = readout.fit
        monkeypatch.setattr(readout, "fit", lambda self, x, y, original=original: seen.append(x.copy()) or original(self, x, y))
    rng = np.random.default_rng(2)
    counts = rng.poisson(2.0, size=(30, 8))
    train_labels, test_labels = np.tile([0, 1, 2], 6), np.tile([0, 1, 2], 4)
    hrsnn_features.readout_accuracies(counts, train_labels, test_labels, hrsnn_fsdd.Config())
    assert len(seen) == 2 and all(np.array_equal(x, np.log1p(counts[:18])) for x in seen)


def test_presentation_order_is_seeded_and_shuffled():
    order = hrsnn_2x2.presentation_order(50, 20, 10, np.random.default_rng(3))
    assert np.array_equal(order, hrsnn_2x2.presentation_order(50, 20, 10, np.random.default_rng(3)))
    assert not np.array_equal(order[10:60], np.arange(50)) and np.all(order[60:] >= 50)
    unshuffled = hrsnn_2x2.presentation_order(50, 20, 10, np.random.default_rng(3), shuffle=False)
    assert np.array_equal(unshuffled[10:], np.arange(70))


def test_feature_cache_round_trip(tmp_path):
    rng = np.random.default_rng(4)
    counts = {"HeNHeS": rng.poisson(3.0, size=(12, 6)), "HoNHoS": rng.poisson(300.0, size=(12, 6))}
    activity = {variant: {"spikes_per_sample": 1.5, "sops_per_sample": 20.0, "mean_rate": 3.0} for variant in counts}
    train, test = np.arange(8) % 2, np.arange(4) % 2
    path = hrsnn_features.features_path(tmp_path, "toy", 7)
    hrsnn_features.save_features(path, counts, activity, train, test)
    loaded, loaded_activity = hrsnn_features.load_features(path, ["HeNHeS", "HoNHoS"], train, test)
    for variant in counts:
        np.testing.assert_array_equal(loaded[variant], counts[variant])
    assert loaded_activity == activity
    with pytest.raises(ConfigError, match="other samples"):
        hrsnn_features.load_features(path, ["HeNHeS"], train[::-1], test)
    with pytest.raises(ConfigError, match="lacks"):
        hrsnn_features.load_features(path, ["HeNHoS"], train, test)
    with pytest.raises(ConfigError, match="no feature cache"):
        hrsnn_features.load_features(tmp_path / "missing.npz", ["HeNHeS"], train, test)


@pytest.mark.slow
def test_readout_only_rerun_reproduces_the_accuracy(tmp_path, capsys):
    from hetero_brian.scenarios import hrsnn_fsdd

    use_numpy_target()
    rng = np.random.default_rng(0)
    frames = np.clip(np.repeat(np.eye(6)[:, :, None], 4, axis=2)[np.tile([0, 3], 6)] + 0.1 * rng.random((12, 6, 4)), 0, 1)
    labels = np.tile([0, 1], 6)
    values = dict(n_seeds=1, variants=["HoNHoS", "HeNHeS"], n_neurons=20, n_stdp_samples=2, frame_duration="10 ms",
                  t_rest="8 ms", n_bins=2, n_saved_samples=0, weight_input="8 mV", p_input=0.5)
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    simulated, _ = hrsnn_2x2.run_2x2(hrsnn_fsdd.Config(**values), frames[:8], labels[:8], frames[8:], labels[8:],
                                     first, "runtime", 5, "toy")
    assert "network built" in capsys.readouterr().out
    assert len(list(first.glob("toy_features_seed*.npz"))) == 1
    rerun, _ = hrsnn_2x2.run_2x2(hrsnn_fsdd.Config(**values, features_from=str(first)), frames[:8], labels[:8],
                                 frames[8:], labels[8:], second, "runtime", 5, "toy")
    assert "features read" in capsys.readouterr().out
    for key in ("accuracy_HeNHeS_mean", "ridge_accuracy_HoNHoS_mean", "spikes_per_sample_HeNHeS_mean"):
        assert rerun[key] == simulated[key]
    assert json.loads((second / "toy_runs.json").read_text())["status"] == "complete"


def test_validation_fold_never_uses_the_test_side():
    from hetero_brian.scenarios import hrsnn_fsdd

    labels = np.tile(np.arange(10), 30)
    takes = np.repeat(np.arange(30), 10)
    speakers = np.tile(np.repeat(["ann", "bob", "cy"], 10), 10)
    data = type("Data", (), {"labels": labels, "metadata": {"take": takes, "speaker": speakers}})()
    plain = hrsnn_fsdd.folds_of(data, hrsnn_fsdd.Config())[0]
    for split in ("standard", "speaker"):
        config = hrsnn_fsdd.Config(split=split, validation_fraction=0.2)
        folds, outer = hrsnn_fsdd.folds_of(data, config, seed=3), hrsnn_fsdd.folds_of(data, config.model_copy(
            update={"validation_fraction": 0.0}))
        assert len(folds) == len(outer)
        for fold, full in zip(folds, outer):
            # both sides inside the outer training side, disjoint, together all of it; the test side unused
            assert np.intersect1d(fold.test, full.test).size == 0 and np.intersect1d(fold.train, full.test).size == 0
            assert np.intersect1d(fold.train, fold.test).size == 0
            assert np.array_equal(np.union1d(fold.train, fold.test), full.train)
            # stratified: 20 % of every digit of the training side
            np.testing.assert_array_equal(np.bincount(labels[fold.test]),
                                          np.round(0.2 * np.bincount(labels[full.train])).astype(int))
        again = hrsnn_fsdd.folds_of(data, config, seed=3)
        assert all(np.array_equal(a.test, b.test) for a, b in zip(folds, again))
        assert not np.array_equal(hrsnn_fsdd.folds_of(data, config, seed=4)[0].test, folds[0].test)
    assert np.array_equal(plain.test, np.flatnonzero(takes < 5))
    for bad in (-0.1, 1.0):
        with pytest.raises(ValueError, match="validation_fraction"):
            hrsnn_fsdd.Config(validation_fraction=bad)


def test_large_configuration_file_is_valid_and_scores_the_test_side():
    from pathlib import Path

    from hetero_brian.config import load_config_file
    from hetero_brian.scenarios import hrsnn_fsdd

    values = load_config_file(Path(__file__).parents[1] / "scenarios" / "configs" / "hrsnn_fsdd_large.yaml")
    config = hrsnn_fsdd.Config(**values)
    assert (config.n_neurons, config.n_bins, config.n_seeds) == (2000, 2, 3)
    assert config.validation_fraction == 0.0 and config.split == "standard"
    assert config.variants == ["HoNHoS", "HeNHeS"]
    assert set(values) <= set(hrsnn_fsdd.Config.model_fields)
