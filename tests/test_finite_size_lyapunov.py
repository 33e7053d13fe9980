"""Finite-size Lyapunov exponents against closed forms."""
import math

import numpy as np
import pytest

from hetero_brian.analysis.finite_size_lyapunov import finite_size_exponents


def test_exponential_separation_gives_its_rate_at_every_scale():
    t = np.linspace(0.0, 2.0, 20001)
    rates = np.array([3.0, 3.0, 3.0])
    distances = np.array([1e-7, 3e-7, 2e-6])[None, :] * np.exp(rates[None, :] * t[:, None])
    result = finite_size_exponents(t, distances, ratio=2.0)
    assert result.scales[0] == pytest.approx(2e-7) and result.scales.size == 10  # up to half the largest distance
    np.testing.assert_allclose(result.exponents, 3.0, rtol=2e-3)
    assert np.all(result.resolution_limited == 0)
    # only pairs that start below a scale count there (starts 1e-7, 3e-7, 2e-6; scales 2e-7 * 2^n)
    np.testing.assert_array_equal(result.n_eligible[:5], [1, 2, 2, 2, 3])


def test_saturating_separation_slows_down_near_saturation():
    rate, start, ceiling = 4.0, 1e-6, 1.0
    t = np.linspace(0.0, 6.0, 60001)
    growth = np.exp(rate * t)
    distance = start * growth / (1 + start * (growth - 1) / ceiling)  # logistic growth to the ceiling
    result = finite_size_exponents(t, distance, ratio=2.0, scales=[1e-5, 1e-3, 0.1, 0.25, 0.4])
    # exact first passages of the logistic curve: T(d) = ln(d (c - s) / (s (c - d))) / rate
    passage = lambda d: math.log(d * (ceiling - start) / (start * (ceiling - d))) / rate  # noqa: E731
    expected = [math.log(2) / (passage(2 * d) - passage(d)) for d in (1e-5, 1e-3, 0.1, 0.25, 0.4)]
    np.testing.assert_allclose(result.exponents, expected, rtol=1e-3)
    assert result.exponents[0] == pytest.approx(rate, rel=1e-3) and result.exponents[-1] < 0.5 * rate


def test_a_jump_within_one_sample_is_a_flagged_lower_bound():
    t = np.arange(0.0, 0.1, 1e-3)
    distance = np.where(t < 0.05, 1e-6, 0.5)  # one spike moved: the distance jumps
    result = finite_size_exponents(t, distance, ratio=10.0, scales=[1e-5, 1e-4])
    np.testing.assert_allclose(result.exponents, math.log(10.0) / 1e-3)
    np.testing.assert_array_equal(result.resolution_limited, [1.0, 1.0])
    assert "lower bound" in result.summary()


def test_pairs_that_never_grow_give_nan_and_are_counted():
    t = np.linspace(0.0, 1.0, 101)
    shrinking = 1e-3 * np.exp(-5 * t)
    result = finite_size_exponents(t, np.stack([shrinking, 2 * shrinking], axis=1), scales=[1e-2])
    assert math.isnan(result.exponents[0]) and result.n_pairs[0] == 0 and result.n_eligible[0] == 2


@pytest.mark.parametrize("arguments, message", [
    (dict(t=np.arange(5.0), distances=np.ones((4, 2))), "n_times = len"),
    (dict(t=np.array([0.0, 1.0, 3.0]), distances=np.ones(3)), "evenly spaced"),
    (dict(t=np.arange(3.0), distances=-np.ones(3)), ">= 0"),
    (dict(t=np.arange(3.0), distances=np.ones(3), ratio=1.0), "ratio must be a number > 1"),
    (dict(t=np.arange(3.0), distances=np.zeros(3)), "no pair starts at a positive distance"),
    (dict(t=np.arange(3.0), distances=np.ones(3), scales=[1.0, 0.5]), "positive and increasing"),
    (dict(t=np.arange(1.0), distances=np.ones(1)), "at least 2 samples"),
])
def test_bad_inputs_are_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        finite_size_exponents(**arguments)
