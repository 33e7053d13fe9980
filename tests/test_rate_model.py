"""Rate-model linearisation: Jacobian, spectrum, operating point, spectral radius."""
import numpy as np
import pytest

from hetero_brian.analysis.rate_model import (leading_eigenvalues, operating_point, rate_jacobian,
                                 rate_lyapunov_spectrum, rate_rhs, spectral_radius)


def random_network(n_neurons, coupling, seed, tau_mean=0.02):
    rng = np.random.default_rng(seed)
    weights = coupling * rng.standard_normal((n_neurons, n_neurons)) / np.sqrt(n_neurons)
    tau = rng.gamma(5.0, tau_mean / 5.0, n_neurons)
    return weights, tau, rng


def test_rhs_matches_the_equation_for_one_neuron():
    weights = np.array([[0.0, 2.0], [-1.0, 0.5]])          # W[post, pre]
    tau = np.array([0.01, 0.02])
    rates = np.array([0.3, -0.2])
    expected_0 = (-0.3 + np.tanh(2.0 * -0.2 + 0.1)) / 0.01  # neuron 0 receives 2.0 from neuron 1
    result = rate_rhs(rates, weights, tau, 0.1)
    assert result[0] == pytest.approx(expected_0)
    assert result[1] == pytest.approx((0.2 + np.tanh(-0.3 - 0.1 + 0.1)) / 0.02)


@pytest.mark.parametrize("gain_function", ["tanh", "softplus", "relu", "linear"])
def test_jacobian_against_finite_differences(gain_function):
    weights, tau, rng = random_network(12, 1.5, seed=1)
    rates = 0.3 * rng.standard_normal(12)
    external_input = 0.2 * rng.standard_normal(12)
    jacobian = rate_jacobian(rates, weights, tau, external_input, gain_function=gain_function)
    step = 1e-6
    numerical = np.empty((12, 12))
    for j in range(12):
        shift = np.zeros(12)
        shift[j] = step
        numerical[:, j] = (rate_rhs(rates + shift, weights, tau, external_input,
                                    gain_function=gain_function)
                           - rate_rhs(rates - shift, weights, tau, external_input,
                                      gain_function=gain_function)) / (2 * step)
    np.testing.assert_allclose(jacobian, numerical, rtol=1e-5, atol=1e-3)


def test_linear_network_spectrum_is_real_parts_of_eigenvalues():
    rng = np.random.default_rng(2)
    weights = np.diag([0.5, -0.3, 0.2, 0.0, -1.0, 0.4]) + 0.05 * rng.standard_normal((6, 6))
    tau = np.array([0.01, 0.02, 0.015, 0.03, 0.025, 0.012])
    result = rate_lyapunov_spectrum(weights, tau, gain_function="linear")
    expected = np.sort(np.linalg.eigvals((weights - np.eye(6)) / tau[:, None]).real)[::-1]
    np.testing.assert_allclose(result.exponents, expected, rtol=2e-3, atol=0.05)
    assert result.dt <= 0.1 * tau.min() + 1e-15


def test_stable_network_spectrum_matches_fixed_point_eigenvalues():
    weights, tau, _ = random_network(20, 0.6, seed=4)
    rates, is_fixed_point = operating_point(weights, tau, 0.3)
    assert is_fixed_point
    np.testing.assert_allclose(rates, np.tanh(weights @ rates + 0.3), atol=1e-9)
    eigenvalues = leading_eigenvalues(weights, tau, 0.3, rates=rates, n_eigenvalues=3)
    result = rate_lyapunov_spectrum(weights, tau, 0.3, n_exponents=3)
    np.testing.assert_allclose(result.exponents, eigenvalues.real, rtol=0.02)
    jacobian = rate_jacobian(rates, weights, tau, 0.3)
    assert spectral_radius(weights, tau, 0.3) == pytest.approx(
        np.max(np.abs(np.linalg.eigvals(jacobian))), rel=1e-6)


def test_jacobian_at_the_silent_state_is_leak_plus_weights():
    # at r = 0 with I = 0, phi'(0) = 1 for tanh: J = D (W - Id), unstable when W's radius is > 1
    weights, tau, _ = random_network(30, 3.0, seed=5)
    expected = np.linalg.eigvals((weights - np.eye(30)) / tau[:, None])
    found = leading_eigenvalues(weights, tau, rates=np.zeros(30), n_eigenvalues=30)
    np.testing.assert_allclose(np.sort_complex(found), np.sort_complex(expected), rtol=1e-9)
    assert found[0].real == pytest.approx(np.max(expected.real))
    assert np.all(np.diff(found.real) <= 0) and found[0].real > 0
    assert spectral_radius(weights, tau, rates=np.zeros(30)) == pytest.approx(
        np.max(np.abs(expected)))


def test_sum_rule_for_the_rate_network():
    weights, tau, _ = random_network(8, 3.0, seed=6, tau_mean=1.0)
    result = rate_lyapunov_spectrum(weights, tau, dt=0.02, t_total=120.0, t_transient=20.0,
                                    n_exponents=8)
    # mean trace along an independently integrated trajectory (same seed gives same start)
    from scipy.integrate import solve_ivp
    start = 0.1 * np.random.default_rng(0).standard_normal(8)
    times = np.linspace(20.0, 120.0, 20001)
    path = solve_ivp(lambda _, r: rate_rhs(r, weights, tau), (0.0, 120.0), start,
                     method="DOP853", t_eval=times, rtol=1e-10, atol=1e-12).y
    slope = 1.0 - np.tanh(weights @ path) ** 2
    trace = np.sum((slope * np.diag(weights)[:, None] - 1.0) / tau[:, None], axis=0)
    assert np.sum(result.exponents) == pytest.approx(np.mean(trace), abs=0.01)


def test_bad_inputs_are_named():
    weights = np.eye(3)
    with pytest.raises(ValueError, match="weights must be a square"):
        rate_rhs(np.zeros(3), np.ones((3, 2)), 0.01)
    with pytest.raises(ValueError, match="tau must be finite and > 0"):
        rate_rhs(np.zeros(3), weights, [0.01, 0.0, 0.01])
    with pytest.raises(ValueError, match=r"tau must be a scalar or have shape \(3,\)"):
        rate_rhs(np.zeros(3), weights, [0.01, 0.01])
    with pytest.raises(ValueError, match=r"rates must have shape \(3,\)"):
        rate_jacobian(np.zeros(4), weights, 0.01)
    with pytest.raises(ValueError, match="gain_function must be one of"):
        rate_rhs(np.zeros(3), weights, 0.01, gain_function="sigmoidal")
    with pytest.raises(ValueError, match="external_input"):
        rate_rhs(np.zeros(3), weights, 0.01, np.ones(2))
    with pytest.raises(ValueError, match="n_exponents must not exceed the dimension 3"):
        rate_lyapunov_spectrum(weights, 0.01, n_exponents=4)


def test_quantity_like_tau_is_checked():
    class FakeQuantity(float):
        class dim:  # noqa: N801 - mimics brian2's Dimension object
            _dims = (0, 0, 0, 0, 0, 0, 0)   # dimensionless: wrong for tau

    with pytest.raises(ValueError, match="tau must be in units of second"):
        rate_rhs(np.zeros(2), np.eye(2), FakeQuantity(0.01))


def test_float32_tangents_agree_with_float64_within_the_standard_error():
    weights, tau, _ = random_network(60, 3.0, seed=1, tau_mean=1.0)
    options = dict(dt=0.05, t_total=120.0, t_transient=20.0, qr_interval=0.5)
    double = rate_lyapunov_spectrum(weights, tau, **options)
    single = rate_lyapunov_spectrum(weights, tau, tangent_dtype="float32", **options)
    assert double.exponents[0] > 0.01  # chaotic: a positive leading exponent to get right
    assert "float32" in single.method and "float32" not in double.method
    difference = np.abs(single.exponents - double.exponents)
    # measured: max 2.4e-6 absolute, 1e-4 of the standard error
    assert np.all(difference < 1e-2 * double.standard_error)  # far inside the statistical error
    assert np.all(difference < 1e-4)
    assert np.sum(single.exponents) == pytest.approx(np.sum(double.exponents), abs=1e-4)
    with pytest.raises(ValueError, match="tangent_dtype must be 'float64' or 'float32'; got 'half'"):
        rate_lyapunov_spectrum(weights, tau, tangent_dtype="half", **options)
