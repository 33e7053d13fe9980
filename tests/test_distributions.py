import math

import numpy as np
import pytest
from brian2 import mV, ms, second

from hetero_brian.distributions import (Constant, DistributionDescriptionError, Gamma, LogNormal, Normal,
                                        Uniform, as_distribution, check_positive_samples,
                                        distribution_from_dict, parse_distribution)
from hetero_brian.errors import UnitError
from hetero_brian.random import SeedStreams, as_generator, check_seed

N_SAMPLES = 40_000


def _expected_moments(distribution):
    """Moments written independently of the implementation (closed forms / scipy)."""
    from scipy import stats

    if isinstance(distribution, Uniform):
        low, high = distribution.low_si, distribution.high_si
        return (low + high) / 2, (high - low) / math.sqrt(12)
    if isinstance(distribution, Normal):
        a = (distribution.low_si - distribution.loc_si) / distribution.scale_si
        b = (distribution.high_si - distribution.loc_si) / distribution.scale_si
        law = stats.truncnorm(a, b, loc=distribution.loc_si, scale=distribution.scale_si)
        return law.mean(), law.std()
    if isinstance(distribution, (LogNormal, Gamma)):
        return distribution.mean_si, distribution.mean_si * distribution.cv_value
    raise AssertionError(distribution)


@pytest.mark.parametrize("distribution", [
    Uniform(10 * ms, 30 * ms),
    Normal(20 * ms, 5 * ms, low=5 * ms),
    Normal(-65 * mV, 3 * mV),
    Normal(20 * ms, 10 * ms, low=1 * ms, high=30 * ms),
    LogNormal(20 * ms, 0.5),
    Gamma(20 * ms, 0.5),
    Gamma(20 * ms, 1.0),
    Gamma.from_shape_scale(4.0, 5 * ms),
])
def test_sample_moments_within_five_standard_errors(distribution):
    samples = np.asarray(distribution.sample(N_SAMPLES, np.random.default_rng(7)))
    mean, std = _expected_moments(distribution)
    assert abs(samples.mean() - mean) < 5 * std / math.sqrt(N_SAMPLES)
    # standard error of the sample std: sigma / sqrt(2 n) for a normal; use the kurtosis-aware form
    fourth = np.mean((samples - samples.mean()) ** 4)
    se_std = math.sqrt(max(fourth - std**4, 0) / N_SAMPLES) / (2 * std)
    assert abs(samples.std() - std) < 5 * se_std
    assert float(distribution.mean) == pytest.approx(mean, rel=1e-9)
    assert float(distribution.std) == pytest.approx(std, rel=1e-9)


def test_samples_carry_units_and_respect_support():
    samples = Normal(20 * ms, 10 * ms, low=1 * ms, high=30 * ms).sample(5000, np.random.default_rng(1))
    assert samples.has_same_dimensions(second)
    assert float(samples.min()) >= 1e-3 and float(samples.max()) <= 30e-3
    assert np.all(np.asarray(Constant(5 * ms).sample(10, np.random.default_rng(0))) == 5e-3)


def test_gamma_shape_scale_and_mean_cv_agree():
    direct = Gamma.from_shape_scale(4.0, 5 * ms)
    assert direct == Gamma(20 * ms, 0.5)
    assert direct.shape == pytest.approx(4.0) and float(direct.scale) == pytest.approx(5e-3)


def test_same_seed_same_samples_and_different_seed_differs():
    distribution = Gamma(20 * ms, 0.5)
    first = distribution.sample(100, np.random.default_rng(3))
    again = distribution.sample(100, np.random.default_rng(3))
    other = distribution.sample(100, np.random.default_rng(4))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("make, message", [
    (lambda: Uniform(30 * ms, 10 * ms), "low < high"),
    (lambda: Normal(20 * ms, -1 * ms), "std >= 0"),
    (lambda: LogNormal(-20 * ms, 0.5), "mean > 0"),
    (lambda: Gamma(20 * ms, -0.1), "cv must be >= 0"),
    (lambda: Gamma.from_shape_scale(0.0, 5 * ms), "shape must be > 0"),
    (lambda: Gamma.from_shape_scale(2.0, -5 * ms), "scale > 0"),
    (lambda: Uniform(10 * ms, 30 * mV), "same unit"),
    (lambda: Gamma(float("nan") * ms, 0.5), "finite"),
])
def test_bad_parameters_name_the_parameter(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_bad_sample_count(n):
    with pytest.raises(ValueError, match="n .*positive integer"):
        Gamma(20 * ms, 0.5).sample(n, np.random.default_rng(0))


def test_sample_needs_a_generator_not_a_seed_or_the_global_state():
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        Gamma(20 * ms, 0.5).sample(3, None)


def test_as_distribution_coerces_quantities_and_rejects_bare_numbers_and_wrong_units():
    assert as_distribution(5 * ms, "tau_m", ms) == Constant(5 * ms)
    with pytest.raises(UnitError, match="tau_m must be a quantity in units of s"):
        as_distribution(5, "tau_m", ms)
    with pytest.raises(UnitError, match="tau_m"):
        as_distribution(Gamma(5 * mV, 0.1), "tau_m", ms)


def test_positive_sample_check_reports_count_distribution_and_seed():
    distribution = Normal(2 * ms, 2 * ms)
    samples = distribution.sample(1000, np.random.default_rng(0))
    n_bad = int(np.sum(np.asarray(samples) <= 0))
    with pytest.raises(ValueError, match=rf"tau_m: {n_bad} of 1000 .*Normal.*seed 42"):
        check_positive_samples(samples, "tau_m", distribution, seed_note="seed 42")


def test_to_dict_is_json_serialisable():
    import json

    for distribution in (Constant(1 * ms), Uniform(1 * ms, 2 * ms), Normal(1 * ms, 1 * ms, low=0.1 * ms),
                         LogNormal(1 * ms, 0.3), Gamma(1 * ms, 0.3)):
        json.dumps(distribution.to_dict(), allow_nan=False)


def test_descriptions_are_quantity_text_and_read_back_bit_for_bit():
    rng = np.random.default_rng(5)
    for _ in range(20):
        mean = float(rng.uniform(1e-4, 1.0)) * second
        for distribution in (Constant(mean), Uniform(mean, 2.5 * mean), Normal(mean, mean / 3, low=mean / 7),
                             LogNormal(mean, float(rng.uniform(0, 2))), Gamma(mean, float(rng.uniform(0, 2)))):
            description = distribution.to_dict()
            assert all(isinstance(value, (str, float)) for value in description.values())
            assert distribution_from_dict(description, ms) == distribution
    assert Gamma(20 * ms, 0.5).to_dict() == {"distribution": "gamma", "mean": "20.0 ms", "cv": 0.5}
    assert Uniform(0, 1).to_dict() == {"distribution": "uniform", "low": 0.0, "high": 1.0}


def test_descriptions_of_earlier_versions_are_read():
    legacy = {"distribution": "normal", "unit": "V", "mean": -0.07, "std": 0.002, "low": None, "high": -0.05}
    assert distribution_from_dict(legacy) == Normal(-70 * mV, 2 * mV, high=-50 * mV)
    assert distribution_from_dict({"distribution": "gamma", "unit": "s", "mean": 0.02, "cv": 0.5}) == Gamma(20 * ms, 0.5)


def test_description_errors_name_the_key_and_the_value():
    def error(value):
        with pytest.raises(DistributionDescriptionError) as caught:
            parse_distribution(value, ms)
        return caught.value.key, caught.value.reason

    assert error({"distribution": "gamma", "mean": "20 ms", "cvv": 0.5}) == (
        "cvv", "unknown key (value 0.5); did you mean 'cv'?")
    assert error({"distribution": "normal", "mean": "20 ms"}) == ("std", "missing required key")
    assert error({"distribution": "gamma", "mean": "20 mV", "cv": 0.5})[0] == "mean"
    assert "did you mean 'gamma'" in error({"distribution": "gama"})[1]
    assert "bare number" in error(5)[1]
    assert parse_distribution("20 ms", ms) == Constant(20 * ms)


def test_at_mean_is_the_homogeneous_constant():
    assert Gamma(20 * ms, 0.5).at_mean() == Constant(20 * ms)
    truncated = Normal(0 * ms, 1 * ms, low=0 * ms)
    assert truncated.at_mean() == Constant(truncated.mean)
    assert float(truncated.mean) == pytest.approx(1e-3 * math.sqrt(2 / math.pi))


def test_seed_streams_are_reproducible_named_and_independent():
    streams = SeedStreams(1234)
    a = streams.generator("structure").random(5)
    assert np.array_equal(a, SeedStreams(1234).generator("structure").random(5))
    assert not np.array_equal(a, streams.generator("heterogeneity").random(5))
    assert not np.array_equal(a, SeedStreams(1235).generator("structure").random(5))
    assert 0 <= streams.brian_seed < 2**31


def test_missing_seed_is_generated_and_recorded():
    streams = SeedStreams()
    assert isinstance(streams.master_seed, int)
    again = SeedStreams(streams.master_seed)
    assert np.array_equal(streams.generator("input").random(3), again.generator("input").random(3))


@pytest.mark.parametrize("seed", [-1, 1.5, "12", True, 2**63])
def test_bad_seeds_are_refused(seed):
    with pytest.raises(ValueError, match="seed"):
        check_seed(seed)


def test_as_generator_refuses_none():
    with pytest.raises(ValueError, match="rng must be"):
        as_generator(None)
