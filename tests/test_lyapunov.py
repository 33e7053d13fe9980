"""Lyapunov estimators against classic systems, closed forms and independent computations."""
import math

import numpy as np
import pytest
from scipy.integrate import odeint, solve_ivp, trapezoid

from hetero_brian.analysis.lyapunov import spectrum_flow, spectrum_map
from hetero_brian.analysis.lyapunov_series import largest_from_series
from hetero_brian.analysis.trajectory_divergence import divergence_rate
from hetero_brian.errors import SimulationError

SIGMA, RHO, BETA = 10.0, 28.0, 8.0 / 3.0


def lorenz(x):
    return np.array([SIGMA * (x[1] - x[0]), x[0] * (RHO - x[2]) - x[1], x[0] * x[1] - BETA * x[2]])


def lorenz_jacobian(x):
    return np.array([[-SIGMA, SIGMA, 0.0], [RHO - x[2], -1.0, -x[0]], [x[1], x[0], -BETA]])


def logistic_series(n, x0=0.3):
    x = np.empty(n)
    x[0] = x0
    for i in range(1, n):
        x[i] = 4.0 * x[i - 1] * (1.0 - x[i - 1])
    return x


def henon_series(n, a=1.4, b=0.3):
    x = np.empty((n, 2))
    x[0] = 0.1, 0.1
    for i in range(1, n):
        x[i] = 1.0 - a * x[i - 1, 0] ** 2 + x[i - 1, 1], b * x[i - 1, 0]
    return x[100:]


# ------------------------------------------------------------------------------- maps

def test_logistic_map_is_ln2():
    result = spectrum_map(lambda x: 4.0 * x * (1.0 - x), lambda x: 4.0 - 8.0 * x, 0.3, 20000, 1,
                          n_transient=100)
    assert abs(result.exponents[0] - math.log(2.0)) < 0.01
    assert result.dt == 1.0 and result.n_steps == 20000 and result.transient == 100
    assert 0 < result.standard_error[0] < 0.01
    assert "20000 steps" in result.summary() and "standard error" in result.summary()


def test_henon_map_spectrum_and_sum_rule():
    a, b = 1.4, 0.3
    result = spectrum_map(lambda x: np.array([1.0 - a * x[0] ** 2 + x[1], b * x[0]]),
                          lambda x: np.array([[-2.0 * a * x[0], 1.0], [b, 0.0]]),
                          [0.1, 0.1], 10000, 2, n_transient=100)
    # literature: 0.419, -1.623; the sum is ln|det J| = ln 0.3 at every point
    assert abs(result.exponents[0] - 0.419) < 0.01
    assert abs(result.exponents[1] - (math.log(b) - 0.419)) < 0.01
    assert abs(np.sum(result.exponents) - math.log(b)) < 1e-9
    assert result.exponents[0] > result.exponents[1]


def test_map_exponents_are_sorted_for_a_linear_map():
    matrix = np.diag([0.5, 2.0, 1.0])
    result = spectrum_map(lambda x: matrix @ x, lambda x: matrix, np.ones(3), 50, 3,
                          n_transient=60)
    np.testing.assert_allclose(result.exponents, np.log([2.0, 1.0, 0.5]), atol=1e-12)


# ------------------------------------------------------------------------------- flows

@pytest.fixture(scope="module")
def lorenz_spectrum():
    return spectrum_flow(lorenz, lorenz_jacobian, [1.0, 1.0, 1.0], 0.01, 160.0, 3,
                         t_transient=10.0, qr_interval=0.1)


def test_lorenz_spectrum(lorenz_spectrum):
    exponents = lorenz_spectrum.exponents
    # literature: 0.906, 0, -14.572; tolerances about 3 standard errors for 150 time units
    assert abs(exponents[0] - 0.906) < 0.08
    assert abs(exponents[1]) < 0.05
    assert abs(exponents[2] + 14.572) < 0.08
    assert np.all(lorenz_spectrum.standard_error < 0.05)
    assert lorenz_spectrum.duration == pytest.approx(150.0)
    assert lorenz_spectrum.renormalisation_interval == pytest.approx(0.1)
    assert lorenz_spectrum.transient == pytest.approx(10.0)


def test_lorenz_sum_rule(lorenz_spectrum):
    # trace J = -(sigma + 1 + beta) everywhere for Lorenz-63
    assert np.sum(lorenz_spectrum.exponents) == pytest.approx(-(SIGMA + 1.0 + BETA), abs=1e-3)


def test_sum_rule_with_varying_trace():
    """Sum of exponents = time average of tr J along the trajectory (computed independently)."""
    mu = 1.5

    def van_der_pol(x):
        return np.array([x[1], mu * (1.0 - x[0] ** 2) * x[1] - x[0]])

    def jacobian(x):
        return np.array([[0.0, 1.0], [-2.0 * mu * x[0] * x[1] - 1.0, mu * (1.0 - x[0] ** 2)]])

    result = spectrum_flow(van_der_pol, jacobian, [2.0, 0.0], 0.01, 60.0, 2, t_transient=20.0)
    times = np.linspace(20.0, 60.0, 40001)
    path = solve_ivp(lambda _, x: van_der_pol(x), (0.0, 60.0), [2.0, 0.0], method="DOP853",
                     t_eval=times, rtol=1e-10, atol=1e-10).y
    trace = mu * (1.0 - path[0] ** 2)
    mean_trace = trapezoid(trace, times) / (times[-1] - times[0])
    assert np.sum(result.exponents) == pytest.approx(mean_trace, abs=2e-3)
    assert abs(result.exponents[0]) < 0.02       # limit cycle: one zero exponent


def test_linear_flow_gives_real_parts_of_eigenvalues():
    rng = np.random.default_rng(3)
    basis = rng.standard_normal((4, 4))
    block = np.array([[-0.5, 2.0, 0.0, 0.0], [-2.0, -0.5, 0.0, 0.0],
                      [0.0, 0.0, -1.2, 0.0], [0.0, 0.0, 0.0, -2.0]])
    matrix = basis @ block @ np.linalg.inv(basis)
    real_parts = np.sort(np.linalg.eigvals(matrix).real)[::-1]
    result = spectrum_flow(lambda x: matrix @ x, lambda x: matrix, np.ones(4), 0.01, 120.0, 4,
                           t_transient=20.0)
    np.testing.assert_allclose(result.exponents, real_parts, atol=0.02)
    assert np.all(np.diff(result.exponents) <= 0)


def test_fewer_exponents_than_dimension_are_the_largest():
    matrix = np.diag([-3.0, 0.4, -1.0])
    result = spectrum_flow(lambda x: matrix @ x, lambda x: matrix, np.ones(3), 0.01, 20.0, 2,
                           t_transient=5.0)
    np.testing.assert_allclose(result.exponents, [0.4, -1.0], atol=1e-3)


def test_non_autonomous_flow():
    # dx/dt = -(1 + cos t) x: exponent is the time average of -(1 + cos t) -> -1
    result = spectrum_flow(lambda t, x: -(1.0 + np.cos(t)) * x,
                           lambda t, x: np.array([[-(1.0 + np.cos(t))]]),
                           [1.0], np.pi / 500, 20.0 * np.pi, 1, qr_interval=np.pi / 10,
                           autonomous=False)
    assert result.exponents[0] == pytest.approx(-1.0, abs=1e-3)


# ------------------------------------------------------------------------------- series

def test_series_logistic_map():
    result = largest_from_series(logistic_series(5000), 1.0)
    assert abs(result.exponent - math.log(2.0)) < 0.03
    assert result.delay == 1 and result.embedding_dimension == 1
    assert result.theiler_window >= 1 and result.n_pairs > 1000
    assert result.divergence.shape == result.times.shape
    start, stop = result.fit_window
    assert 0 <= start < stop <= result.times[-1]


def test_series_henon_with_time_scaling():
    dt = 0.25                                     # exponent per time = 0.419 / dt
    result = largest_from_series(henon_series(5000)[:, 0], dt)
    assert result.embedding_dimension == 2
    assert abs(result.exponent * dt - 0.419) < 0.03
    assert result.exponents[0] == result.exponent


def test_series_lorenz_x():
    times = np.arange(0.0, 170.0, 0.01)
    path = odeint(lambda x, _: lorenz(x), [1.0, 1.0, 1.0], times, rtol=1e-9, atol=1e-9)
    result = largest_from_series(path[2000:, 0], 0.01, max_reference_points=3000)
    assert result.embedding_dimension == 3
    assert abs(result.exponent - 0.906) < 0.12   # Rosenstein's estimate is typically within 10 %
    assert result.r_squared > 0.98


def test_series_too_short_gives_minimum_length():
    with pytest.raises(ValueError, match=r"at least \d+"):
        largest_from_series(logistic_series(50), 1.0)
    with pytest.raises(ValueError, match=r"too short: 150 samples; at least \d+"):
        largest_from_series(logistic_series(150), 1.0, embedding_dimension=3, delay=1,
                            theiler_window=5, max_steps=40)


def test_series_bad_input():
    with pytest.raises(ValueError, match="dt"):
        largest_from_series(logistic_series(1000), 0.0)
    with pytest.raises(ValueError, match="constant"):
        largest_from_series(np.ones(1000), 1.0)
    series = logistic_series(1000)
    series[10] = np.nan
    with pytest.raises(ValueError, match="finite"):
        largest_from_series(series, 1.0)


# ------------------------------------------------------------------------------- divergence

@pytest.mark.parametrize("rate", [0.7, -1.3])
def test_divergence_rate_exponential(rate):
    t = np.linspace(0.0, 10.0, 201)
    reference = np.stack([np.sin(3 * t), np.cos(3 * t), t / 10], axis=1)
    perturbed = reference + 1e-7 * np.exp(rate * t)[:, None] * np.array([0.6, 0.0, 0.8])
    result = divergence_rate(t, reference, perturbed)
    assert result.rate == pytest.approx(rate, rel=1e-6)
    assert result.regime == ("diverging" if rate > 0 else "contracting")
    assert result.epsilon == pytest.approx(1e-7)
    assert not result.identical and result.fit_window[0] == 0.0


def test_divergence_rate_stops_before_saturation():
    t = np.linspace(0.0, 20.0, 401)
    reference = np.stack([np.sin(t), np.cos(t)], axis=1)       # attractor size 1
    growth = 1e-9 * np.exp(1.5 * t)
    separation = growth / (1.0 + growth)                       # saturates at 1
    result = divergence_rate(t, reference, reference + separation[:, None] * [1.0, 0.0])
    assert result.rate == pytest.approx(1.5, rel=0.02)
    saturation_time = math.log(1e9) / 1.5
    assert result.fit_window[1] < saturation_time


def test_divergence_rate_contracting_to_float_floor():
    t = np.linspace(0.0, 20.0, 401)
    reference = np.stack([1.0 + 0.0 * t, np.cos(t)], axis=1)
    perturbed = reference + 1e-3 * np.exp(-4.0 * t)[:, None]  # hits rounding near t ~ 6
    result = divergence_rate(t, reference, perturbed)
    assert result.rate == pytest.approx(-4.0, rel=1e-3)
    assert result.fit_window[1] < 7.0


def test_divergence_rate_identical_trajectories():
    t = np.linspace(0.0, 1.0, 11)
    states = np.random.default_rng(0).standard_normal((11, 3))
    result = divergence_rate(t, states, states.copy())
    assert result.identical and result.rate == -math.inf and result.regime == "identical"
    assert "identical" in result.message and result.fit_window is None


def test_divergence_rate_bad_input():
    t = np.linspace(0.0, 1.0, 11)
    states = np.zeros((11, 2))
    with pytest.raises(ValueError, match="same shape"):
        divergence_rate(t, states, np.zeros((11, 3)))
    with pytest.raises(ValueError, match="len\\(t\\)"):
        divergence_rate(t[:5], states, states)
    with pytest.raises(ValueError, match="strictly increasing"):
        divergence_rate(t[::-1], states, states)
    bad = states.copy()
    bad[3, 1] = np.inf
    with pytest.raises(ValueError, match="states_pert must be finite"):
        divergence_rate(t, states, bad)


# ------------------------------------------------------------------------------- validation

def _linear(x):
    return -x


def _linear_jacobian(x):
    return -np.eye(x.size)


@pytest.mark.parametrize("arguments, keywords, message", [
    ((np.ones(2), 0.0, 1.0, 1), {}, "dt must be a finite number > 0; got dt=0"),
    ((np.ones(2), -0.1, 1.0, 1), {}, "dt=-0.1"),
    ((np.ones(2), 0.1, 1.0, 3), {}, "n_exponents must not exceed the dimension 2"),
    ((np.ones(2), 0.1, 1.0, 1), {"t_transient": 1.0}, "t_total must be longer than t_transient"),
    ((np.ones(2), 0.1, 1.0, 1), {"qr_interval": 2.0}, "qr_interval must not exceed"),
    ((np.ones(2), 0.1, 1.05, 1), {}, "t_total must be a whole multiple of dt"),
    ((np.array([1.0, np.nan]), 0.1, 1.0, 1), {}, "x0 must be finite"),
    ((np.ones(2), 0.1, 1.0, 1), {"qr_interval": 0.6}, "at least 2 renormalisation intervals"),
])
def test_flow_rejects_ill_posed_requests(arguments, keywords, message):
    with pytest.raises(ValueError, match=message.replace("(", "\\(")):
        spectrum_flow(_linear, _linear_jacobian, *arguments, **keywords)


def test_flow_rejects_wrong_shapes_and_long_renormalisation():
    with pytest.raises(ValueError, match="rhs must return"):
        spectrum_flow(lambda x: np.ones(3), _linear_jacobian, np.ones(2), 0.1, 1.0, 1)
    with pytest.raises(ValueError, match="jacobian must return"):
        spectrum_flow(_linear, lambda x: np.eye(3), np.ones(2), 0.1, 1.0, 1)
    matrix = np.diag([1.0, -20.0])
    with pytest.raises(ValueError, match="renormalisation interval too long"):
        spectrum_flow(lambda x: matrix @ x, lambda x: matrix, np.ones(2), 0.01, 10.0, 2,
                      qr_interval=5.0)


def test_flow_blow_up_is_reported():
    with pytest.raises(SimulationError, match="non-finite"), np.errstate(all="ignore"):
        spectrum_flow(lambda x: x ** 2, lambda x: np.diag(2 * x), np.ones(1) * 10, 0.1, 10.0, 1)


def test_map_rejects_ill_posed_requests():
    with pytest.raises(ValueError, match="n_exponents must not exceed the dimension 1"):
        spectrum_map(lambda x: x, lambda x: 1.0, 0.2, 10, 2)
    with pytest.raises(ValueError, match="n_steps must be an integer >= 1; got n_steps=0"):
        spectrum_map(lambda x: x, lambda x: 1.0, 0.2, 0, 1)
    with pytest.raises(ValueError, match="qr_interval must not exceed n_steps"):
        spectrum_map(lambda x: x, lambda x: 1.0, 0.2, 10, 1, qr_interval=20)


def test_divergence_rate_refuses_a_perturbation_lost_in_rounding():
    t = np.linspace(0.0, 1.0, 11)
    reference = np.ones((11, 2))
    perturbed = reference.copy()
    perturbed[:, 0] += 1e-18 * np.exp(t)          # below the resolution of 1.0
    perturbed[5:, 0] = 1.0 + 1e-15                # appears only through rounding later
    with pytest.raises(ValueError, match="below the floating-point resolution"):
        divergence_rate(t, reference, perturbed)
