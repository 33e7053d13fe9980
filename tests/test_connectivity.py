import numpy as np
import pytest

from hetero_brian.network.connectivity import (all_to_all, excitatory_inhibitory, fixed_in_degree,
                                               fixed_probability, one_to_one)


def test_fixed_probability_density_no_self_and_unique():
    i, j = fixed_probability(400, 400, 0.1, rng=1)
    n_possible = 400 * 399
    expected, se = 0.1 * n_possible, np.sqrt(n_possible * 0.1 * 0.9)
    assert abs(i.size - expected) < 5 * se
    assert np.all(i != j)
    assert len(set(zip(i.tolist(), j.tolist()))) == i.size
    assert np.all(np.diff(j) >= 0)  # ordered for the post pathway


def test_fixed_probability_is_reproducible_from_the_seed():
    first = fixed_probability(50, 60, 0.2, rng=np.random.default_rng(5), allow_self=True)
    second = fixed_probability(50, 60, 0.2, rng=np.random.default_rng(5), allow_self=True)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))


def test_fixed_in_degree_gives_exact_degrees():
    i, j = fixed_in_degree(30, 20, 7, rng=2, order="pre")
    assert np.array_equal(np.bincount(j, minlength=20), np.full(20, 7))
    assert np.all(np.diff(i) >= 0)
    i, j = fixed_in_degree(10, 10, 9, rng=2)
    assert np.all(i != j) and i.size == 90


def test_one_to_one_and_all_to_all():
    i, j = one_to_one(4)
    assert np.array_equal(i, j)
    i, j = all_to_all(3, 3, allow_self=False)
    assert i.size == 6 and np.all(i != j)


def test_excitatory_inhibitory_projections_have_the_right_shapes():
    projections = excitatory_inhibitory(80, 20, {"ee": 0.1, "ei": 0.2, "ie": 0.3, "ii": 0.0}, rng=3)
    assert projections["ii"][0].size == 0
    i, j = projections["ie"]
    assert i.max() < 20 and j.max() < 80


@pytest.mark.parametrize("call, message", [
    (lambda: fixed_probability(0, 5, 0.1, rng=1), "n_pre must be a positive integer"),
    (lambda: fixed_probability(5, 5, 1.5, rng=1), "probability p must be in"),
    (lambda: fixed_in_degree(5, 5, 5, rng=1), r"in_degree must be an integer in \[0, 4\]"),
    (lambda: fixed_probability(5, 5, 0.1, rng=None), "rng must be"),
    (lambda: excitatory_inhibitory(4, 1, {"ee": 0.1}, rng=1), "missing"),
])
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()
