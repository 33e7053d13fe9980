"""Memory capacity: closed-form limits of linear and memoryless reservoirs, and the objective E."""
import numpy as np
import pytest

from hetero_brian.analysis import capacity

N_UNITS = 20


def test_linear_orthogonal_reservoir_approaches_n():
    rng = np.random.default_rng(11)
    inputs = capacity.uniform_input(5000, rng)
    states = capacity.echo_state_states(inputs, N_UNITS, rng, spectral_radius=0.95)
    result = capacity.memory_capacity(inputs, states, max_delay=3 * N_UNITS, washout=200)
    assert result.capacity > 0.8 * N_UNITS
    assert result.capacity <= N_UNITS + 0.5  # Jaeger's bound, up to finite-sample bias
    np.testing.assert_array_equal(result.delays, np.arange(1, 3 * N_UNITS + 1))
    # the memory of a generic linear reservoir is spread over delays, fading with the delay
    assert np.all((result.r_squared >= 0) & (result.r_squared <= 1))
    assert result.r_squared[:5].mean() > 0.5 > result.r_squared[-5:].mean()
    assert result.capacity == pytest.approx(result.r_squared.sum())


def test_memoryless_map_has_no_capacity():
    rng = np.random.default_rng(12)
    inputs = capacity.uniform_input(4000, rng)
    states = capacity.echo_state_states(inputs, N_UNITS, rng, spectral_radius=0.0, activation="tanh")
    assert capacity.memory_capacity(inputs, states, max_delay=3 * N_UNITS).capacity < 1.5


def test_shift_register_recalls_exactly_its_delays():
    # states = the last 5 inputs (delays 0..4): delays 1..4 are perfectly recoverable, 5.. are not
    rng = np.random.default_rng(13)
    inputs = capacity.uniform_input(3000, rng)
    states = np.stack([np.roll(inputs, k) for k in range(5)], axis=1)
    result = capacity.memory_capacity(inputs, states, max_delay=10, washout=5, ridge=0.0)
    np.testing.assert_allclose(result.r_squared[:4], 1.0, atol=1e-10)
    assert np.all(result.r_squared[4:] < 0.02)


def test_activity_over_capacity():
    assert capacity.activity_over_capacity(3.0, 12.0) == pytest.approx(0.25)
    np.testing.assert_allclose(capacity.activity_over_capacity([1.0, 2.0], [4.0, 4.0]), [0.25, 0.5])
    with pytest.raises(ValueError, match="memory_capacity must be finite and > 0"):
        capacity.activity_over_capacity(1.0, 0.0)
    with pytest.raises(ValueError, match="spikes_per_neuron"):
        capacity.activity_over_capacity(-1.0, 2.0)


def test_bad_capacity_inputs():
    inputs = np.zeros(100)
    with pytest.raises(ValueError, match="states must have shape"):
        capacity.memory_capacity(inputs, np.zeros((99, 3)), 5)
    with pytest.raises(ValueError, match="too few time steps"):
        capacity.memory_capacity(inputs, np.zeros((100, 3)), 95)
    with pytest.raises(ValueError, match="train_fraction"):
        capacity.memory_capacity(inputs, np.zeros((100, 3)), 5, train_fraction=1.0)
    with pytest.raises(ValueError, match="activation"):
        capacity.echo_state_states(inputs, 3, 0, activation="relu")


def test_delay_line_has_its_known_capacity_and_shuffled_input_none():
    from hetero_brian.analysis.capacity import capacity_above_control, delay_line_states

    rng = np.random.default_rng(11)
    u = rng.uniform(-0.5, 0.5, 4000)
    states = delay_line_states(u, 11)  # holds u(t) .. u(t - 10): delays 1..10
    result = capacity_above_control(u, states, 20, rng, n_controls=5, ridge=0.0, washout=20)
    assert result.capacity == pytest.approx(10.0, abs=0.05)
    np.testing.assert_allclose(result.r_squared[:10], 1.0, atol=1e-9)
    assert result.control < 0.2 and result.net == pytest.approx(result.capacity - result.control)
    assert result.ratio > 50
    shuffled = capacity_above_control(rng.permutation(u), states, 20, rng, ridge=0.0, washout=20)
    assert abs(shuffled.capacity) < 0.2 and abs(shuffled.net) < 0.2
    with pytest.raises(ValueError, match="n_controls"):
        capacity_above_control(u, states, 20, rng, n_controls=0)
