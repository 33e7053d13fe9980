"""HRSNN 2x2 with STDP trained to convergence: training side only, the stopping criterion, key errors."""
import json

import numpy as np
import pytest

from hetero_brian.errors import ConfigError
from hetero_brian.protocols import hrsnn_2x2, hrsnn_convergence
from hetero_brian.protocols.stdp_convergence import convergence_chunk

from brian_helpers import use_numpy_target

TINY = dict(n_seeds=1, variants=["HoNHoS", "HeNHeS"], n_neurons=20, n_stdp_samples=3, frame_duration="10 ms",
            t_rest="8 ms", n_bins=2, n_saved_samples=0, weight_input="8 mV", p_input=0.5, save_features=False,
            stdp_training="converged")


def _data():
    """12 distinct samples (6 channels x 4 frames), labels 0/1; the last 4 are the test side."""
    rng = np.random.default_rng(0)
    frames = np.clip(np.repeat(np.eye(6)[:, :, None], 4, axis=2)[np.tile([0, 3], 6)] + 0.1 * rng.random((12, 6, 4)), 0, 1)
    labels = np.tile([0, 1], 6)
    return frames[:8], labels[:8], frames[8:], labels[8:]


def test_chunk_order_draws_the_training_side_only_epoch_by_epoch():
    order = hrsnn_convergence.training_chunk_order(7, 3, 5, np.random.default_rng(1))
    assert order.shape == (5, 3) and order.min() >= 0 and order.max() < 7
    flat = order.ravel()
    assert np.array_equal(np.sort(flat[:7]), np.arange(7)) and np.array_equal(np.sort(flat[7:14]), np.arange(7))
    assert np.array_equal(order, hrsnn_convergence.training_chunk_order(7, 3, 5, np.random.default_rng(1)))
    with pytest.raises(ValueError, match="chunk_size"):
        hrsnn_convergence.training_chunk_order(7, 0, 5, np.random.default_rng(1))


def test_bad_convergence_keys_fail_with_one_line_naming_them():
    from hetero_brian.scenarios import hrsnn_digits, hrsnn_fsdd

    with pytest.raises(ConfigError) as error:
        hrsnn_fsdd.Config.from_dict({"stdp_training": "forever"})
    assert "stdp_training" in str(error.value) and "\n" not in str(error.value)
    for values, key in (({"max_chunks": 0}, "max_chunks"), ({"convergence_threshold": 1.5}, "convergence_threshold"),
                        ({"convergence_patience": 0}, "convergence_patience"), ({"n_stdp_samples": 0}, "n_stdp_samples"),
                        ({"input_plastic": True}, "input_plastic")):
        config = hrsnn_digits.Config(stdp_training="converged", **values)
        with pytest.raises(ConfigError, match=key) as error:
            hrsnn_2x2.check_run_config(config)
        assert "\n" not in str(error.value)
    hrsnn_2x2.check_run_config(hrsnn_digits.Config(n_stdp_samples=0))  # fixed training without STDP stays valid


@pytest.mark.slow
def test_converged_path_never_presents_a_test_sample_during_stdp(tmp_path, monkeypatch):
    use_numpy_target()
    train_frames, train_labels, test_frames, test_labels = _data()
    encoded, orders = [], []
    original_encode, original_order = hrsnn_2x2.encode_frames, hrsnn_convergence.training_chunk_order
    monkeypatch.setattr(hrsnn_2x2, "encode_frames",
                        lambda frames, *rest: encoded.append(np.array(frames)) or original_encode(frames, *rest))
    monkeypatch.setattr(hrsnn_convergence, "training_chunk_order",
                        lambda *args: orders.append(original_order(*args)) or orders[-1])
    config = hrsnn_2x2.HRSNNRunConfig(**TINY, max_chunks=3, convergence_threshold=1e-9)
    summary, per_seed = hrsnn_2x2.run_2x2(config, train_frames, train_labels, test_frames, test_labels, tmp_path,
                                          "runtime", 5, "toy")
    features_call = [frames for frames in encoded if len(frames) == 12]
    stdp_calls = [frames for frames in encoded if len(frames) != 12]
    assert len(features_call) == 1 and len(stdp_calls) == 3  # one encoding per chunk, then the feature pass
    assert len(orders) == 1 and orders[0].shape == (3, 3) and orders[0].max() < len(train_frames)
    for chunk, frames in zip(orders[0], stdp_calls):
        np.testing.assert_array_equal(frames, train_frames[chunk])  # exactly the planned training samples
        for sample in frames:
            assert not any(np.array_equal(sample, test) for test in test_frames)
    # a threshold no KS distance can pass: never converged, every chunk run and recorded
    for variant in ("HoNHoS", "HeNHeS"):
        row = per_seed[variant][0]
        assert row["chunks"] == 3 and row["converged"] == 0.0 and row["training_presentations"] == 9
        assert row["final_ks"] == row["convergence"]["ks"][-1] and len(row["convergence"]["ks"]) == 3
        assert 0 <= row["accuracy"] <= 1
    assert summary["chunks_HeNHeS_mean"] == 3 and summary["converged_HoNHoS_mean"] == 0.0
    assert json.loads((tmp_path / "toy_runs.json").read_text())["status"] == "complete"


@pytest.mark.slow
def test_converged_path_stops_by_the_criterion(tmp_path):
    use_numpy_target()
    config = hrsnn_2x2.HRSNNRunConfig(**{**TINY, "variants": ["HoNHeS"]}, max_chunks=6, convergence_threshold=0.999,
                                      convergence_patience=2)
    _, per_seed = hrsnn_2x2.run_2x2(config, *_data(), tmp_path, "runtime", 5, "toy")
    row = per_seed["HoNHeS"][0]
    state = row["convergence"]
    # the run stopped exactly where the criterion first held, before max_chunks
    assert row["converged"] == 1.0 and state["converged_at"] == convergence_chunk(state["ks"], 0.999, 2)
    assert row["chunks"] == state["converged_at"] < 6 and len(state["ks"]) == row["chunks"]
    assert all(distance < 0.999 for distance in state["ks"][-2:])
    assert row["training_presentations"] == 3 * row["chunks"] and state["threshold"] == 0.999
