"""Seeds: a default (63-bit) master seed works everywhere; 32-bit libraries get a derived seed."""
import numpy as np
import pytest
from sklearn.utils import check_random_state

from hetero_brian.protocols.hrsnn_2x2 import baseline_accuracy, seed_list
from hetero_brian.random import SeedStreams, check_seed, fresh_seed
from hetero_brian.readouts import LogisticReadout, RidgeReadout

LARGE_SEEDS = [2**32, 2**32 + 7, 2**63 - 1]


@pytest.mark.parametrize("master", [0, 12345, *LARGE_SEEDS])
def test_seed32_fits_32_bit_libraries_and_is_repeatable(master):
    seed = SeedStreams(master).seed32("readout")
    assert 0 <= seed < 2**32 and seed == SeedStreams(master).seed32("readout")
    assert seed != SeedStreams(master).seed32("other")
    check_random_state(seed)  # scikit-learn refuses seeds >= 2**32
    np.random.RandomState(seed)


def test_fresh_seeds_are_63_bit_and_valid():
    assert all(0 <= check_seed(fresh_seed()) < 2**63 for _ in range(20))


@pytest.mark.parametrize("master", LARGE_SEEDS)
def test_replicate_seeds_of_a_large_master_stay_valid(master):
    """Scenarios derive per-repetition seeds from streams (master * 1000 + index overflowed 2**63)."""
    seeds = [SeedStreams(master).integer_seed(f"replicate-{index}") for index in range(3)]
    assert all(0 <= seed + 2 < 2**31 for seed in seeds) and len(set(seeds)) == 3
    assert all(0 <= seed < 2**31 for seed in seed_list(master, 4))


def test_readouts_take_no_random_state():
    """Both fits are deterministic: a random_state would be accepted and ignored, so there is none."""
    for readout in (LogisticReadout(), RidgeReadout()):
        assert "random_state" not in readout.get_params()
    with pytest.raises(TypeError):
        RidgeReadout(random_state=1)


def test_hrsnn_baseline_with_a_default_size_seed():
    """The 2x2 baseline crashed with a fresh (63-bit) seed: scikit-learn got it as random_state."""
    rng = np.random.default_rng(SeedStreams(2**40 + 3).seed32("data"))
    labels = np.repeat([0, 1], 10)
    frames = rng.normal(size=(20, 3, 2)) + labels[:, None, None]
    accuracy = baseline_accuracy(frames[::2], labels[::2], frames[1::2], labels[1::2], 1.0)
    assert 0.5 <= accuracy <= 1.0


@pytest.mark.slow
def test_hrsnn_digits_runs_with_a_seed_above_2_to_the_32(tmp_path):
    from brian_helpers import use_numpy_target
    from hetero_brian.scenarios import hrsnn_digits

    use_numpy_target()
    config = hrsnn_digits.Config(n_seeds=1, variants=["HeNHeS"], n_neurons=20, n_stdp_samples=2,
                                 frame_duration="4 ms", t_rest="8 ms", n_bins=2, n_saved_samples=0,
                                 weight_input="6 mV", p_input=0.5, n_samples=30)
    metrics = hrsnn_digits.run(config, tmp_path, backend="runtime", seed=2**40 + 11)
    assert 0.0 <= metrics["accuracy_HeNHeS_mean"] <= 1.0 and 0.0 <= metrics["baseline_accuracy"] <= 1.0
