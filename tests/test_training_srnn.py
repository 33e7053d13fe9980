"""The adaptive SRNN in PyTorch: surrogates, the discrete map, training, checkpoints, bad input."""
import math

import numpy as np
import pytest
from brian2 import ms

torch = pytest.importorskip("torch")

from hetero_brian.distributions import Constant, Normal  # noqa: E402
from hetero_brian.errors import ConfigError  # noqa: E402
from hetero_brian.inputs import datasets  # noqa: E402
from hetero_brian.training.data import check_sequences, load_qtdb  # noqa: E402
from hetero_brian.training.parameters import SRNNParameters, initial_parameters  # noqa: E402
from hetero_brian.training.srnn import AdaptiveSRNN  # noqa: E402
from hetero_brian.training.surrogates import FastSigmoid, MultiGaussian, spike, surrogate_from_name  # noqa: E402
from hetero_brian.training.trainer import TrainingSettings, evaluate, train  # noqa: E402


@pytest.mark.parametrize("surrogate", [MultiGaussian(), FastSigmoid()], ids=repr)
def test_surrogate_gradient_matches_finite_differences_of_its_smooth_step(surrogate):
    x = torch.linspace(-3, 3, 600, dtype=torch.float64, requires_grad=True)  # no point at the kink x = 0
    spike(x, surrogate).sum().backward()
    h = 1e-6
    with torch.no_grad():
        numeric = (surrogate.smooth(x + h) - surrogate.smooth(x - h)) / (2 * h)
    np.testing.assert_allclose(x.grad.numpy(), numeric.numpy(), rtol=1e-6, atol=1e-9)
    assert torch.equal(spike(x.detach(), surrogate), (x.detach() > 0).double())


def test_multi_gaussian_has_yin_et_al_constants_and_negative_side_lobes():
    surrogate = surrogate_from_name("multi_gaussian")
    assert (surrogate.sigma, surrogate.height, surrogate.scale, surrogate.gamma) == (0.5, 0.15, 6.0, 0.5)
    peak = surrogate.derivative(torch.tensor(0.0, dtype=torch.float64))
    expected = 0.5 * (1.15 / (math.sqrt(2 * math.pi) * 0.5)
                      - 2 * 0.15 * math.exp(-0.5 / 36) / (math.sqrt(2 * math.pi) * 3.0))
    assert float(peak) == pytest.approx(expected, rel=1e-12)
    assert float(surrogate.derivative(torch.tensor(1.5, dtype=torch.float64))) < 0


def test_unknown_surrogate_is_named():
    with pytest.raises(ValueError, match="unknown surrogate 'tanh'.*fast_sigmoid.*multi_gaussian"):
        surrogate_from_name("tanh")


def _single_neuron(tau_m, tau_adp, beta, b0=0.01, weight=1.0):
    return SRNNParameters(
        input_weights=np.array([[weight]]), recurrent_weights=np.zeros((1, 1)), hidden_bias=np.zeros(1),
        tau_m=np.array([tau_m]) * ms, tau_adp=np.array([tau_adp]) * ms, output_weights=np.ones((1, 1)),
        output_bias=np.zeros(1), tau_output=np.array([10.0]) * ms, b0=b0, beta=beta)


def test_decays_and_reset_follow_a_hand_computed_sequence():
    tau_m, tau_adp, beta, b0, drive = 5.0, 40.0, 1.8, 0.01, 0.05
    model = AdaptiveSRNN(_single_neuron(tau_m, tau_adp, beta, b0), dtype=torch.float64)
    steps = 60
    x = torch.full((1, steps, 1), drive, dtype=torch.float64)
    with torch.no_grad():
        out = model(x, record_states=True)
    alpha, rho = math.exp(-1e-3 / (tau_m * 1e-3)), math.exp(-1e-3 / (tau_adp * 1e-3))
    alpha_output = math.exp(-1e-3 / 10e-3)
    u = b = s = o = 0.0
    expected = []
    for _ in range(steps):
        b = rho * b + (1 - rho) * s
        theta = b0 + beta * b
        u = alpha * u + (1 - alpha) * drive - theta * s
        s = 1.0 if u - theta > 0 else 0.0
        o = alpha_output * o + (1 - alpha_output) * s
        expected.append((u, theta, s, o))
    expected = np.array(expected)
    np.testing.assert_allclose(out.membrane[0, :, 0].numpy(), expected[:, 0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(out.threshold[0, :, 0].numpy(), expected[:, 1], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(out.spikes[0, :, 0].numpy(), expected[:, 2])
    np.testing.assert_allclose(out.readout[0, :, 0].numpy(), expected[:, 3], rtol=0, atol=1e-15)
    # closed form before the first spike: u_k = drive (1 - alpha^(k+1)) crosses b0 first at
    first = math.ceil(math.log(1 - b0 / drive) / math.log(alpha)) - 1
    assert int(np.flatnonzero(expected[:, 2])[0]) == first
    spikes = np.flatnonzero(expected[:, 2])
    assert len(spikes) >= 3 and np.all(np.diff(spikes) > 1)  # adaptation spaces the spikes out


def test_beta_zero_is_a_plain_lif_with_constant_threshold():
    model = AdaptiveSRNN(_single_neuron(20.0, 100.0, beta=0.0), dtype=torch.float64)
    with torch.no_grad():
        out = model(torch.full((1, 200, 1), 0.05, dtype=torch.float64), record_states=True)
    assert out.spikes.sum() > 5
    np.testing.assert_array_equal(out.threshold.numpy(), 0.01)
    intervals = np.diff(np.flatnonzero(out.spikes[0, :, 0].numpy()))
    assert np.ptp(intervals[1:]) <= 1  # regular firing without adaptation


def test_decay_gradient_is_analytic():
    """d exp(-step/tau) / d tau = exp(-step/tau) step / tau^2, checked against finite differences."""
    from hetero_brian.training.srnn import _Decay

    tau = torch.tensor([0.002, 0.02, 0.15], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: _Decay.apply(t, 1e-3), (tau,), eps=1e-9, atol=1e-7)
    np.testing.assert_array_equal(_Decay.apply(tau, 1e-3).detach().numpy(), np.exp(-1e-3 / tau.detach().numpy()))


def test_initialisation_is_seeded_and_homogeneous_is_a_parameter():
    a, b = initial_parameters(3, 10, 2, seed=4), initial_parameters(3, 10, 2, seed=4)
    np.testing.assert_array_equal(a.recurrent_weights, b.recurrent_weights)
    np.testing.assert_array_equal(np.asarray(a.tau_m), np.asarray(b.tau_m))
    np.testing.assert_allclose(a.recurrent_weights @ a.recurrent_weights.T, np.eye(10), atol=1e-12)
    assert np.std(np.asarray(a.tau_m)) > 0
    homogeneous = initial_parameters(3, 10, 2, seed=4, tau_m=20 * ms, tau_adp=Constant(150 * ms))
    np.testing.assert_array_equal(np.asarray(homogeneous.tau_m), 0.02)
    with pytest.raises(ValueError, match="tau_m"):
        initial_parameters(3, 10, 2, seed=4, tau_m=Normal(2 * ms, 5 * ms, low=0.1 * ms))


def test_bad_input_is_named():
    model = AdaptiveSRNN(initial_parameters(3, 4, 2, seed=1))
    with pytest.raises(ValueError, match=r"shape \(batch, steps, n_inputs=3\)"):
        model(torch.zeros(2, 5, 4))
    with pytest.raises(ValueError, match="NaN"):
        model(torch.full((1, 5, 3), float("nan")))
    with pytest.raises(TypeError, match="torch.Tensor"):
        model(np.zeros((1, 5, 3)))
    with pytest.raises(ValueError, match="labels must have shape"):
        check_sequences(np.zeros((2, 5, 3)), np.zeros((2, 4), dtype=int), 3, 2)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        check_sequences(np.zeros((2, 5, 3)), np.full((2, 5), 2), 3, 2)
    with pytest.raises(ValueError, match="NaN"):
        check_sequences(np.full((2, 5, 3), np.nan), np.zeros((2, 5), dtype=int), 3, 2)
    with pytest.raises(ValueError, match="input_weights must have shape|recurrent_weights must have shape"):
        SRNNParameters(np.zeros((4, 3)), np.zeros((3, 3)), np.zeros(4), np.ones(4) * 20 * ms, np.ones(4) * 20 * ms,
                       np.zeros((2, 4)), np.zeros(2), np.ones(2) * 20 * ms)
    with pytest.raises(ConfigError, match="batch_size"):
        TrainingSettings(batch_size=0)


def test_missing_data_is_named(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="QTDB_train.mat"):
        load_qtdb(tmp_path)
    monkeypatch.delenv("HETERO_BRIAN_QTDB", raising=False)
    monkeypatch.delenv("HETERO_BRIAN_DATA", raising=False)
    monkeypatch.setattr(datasets, "repository_data_root", lambda: tmp_path / "no-shared" / "data")
    with pytest.raises(FileNotFoundError, match="HETERO_BRIAN_QTDB"):
        load_qtdb()


def _toy_task(n_sequences, seed, steps=30):
    """Two classes: events on channel 0 (class 0) or channel 1 (class 1), label on every step."""
    rng = np.random.default_rng(seed)
    classes = rng.integers(0, 2, n_sequences)
    inputs = np.zeros((n_sequences, steps, 2), dtype=np.float32)
    events = rng.random((n_sequences, steps)) < 0.3
    inputs[np.arange(n_sequences)[:, None], np.arange(steps)[None, :], classes[:, None]] = events
    return inputs, np.repeat(classes[:, None], steps, axis=1)


SMALL = dict(batch_size=16, learning_rate=3e-2, loss_start_step=5, progress=False)


def test_tiny_training_run_learns_a_two_class_toy_sequence():
    inputs, labels = _toy_task(64, seed=1)
    test_inputs, test_labels = _toy_task(64, seed=2)
    model = AdaptiveSRNN(initial_parameters(2, 8, 2, seed=3))
    before = evaluate(model, test_inputs, test_labels, loss_start_step=5)["accuracy"]
    history = train(model, inputs, labels, TrainingSettings(epochs=8, **SMALL), seed=3)
    after = evaluate(model, test_inputs, test_labels, loss_start_step=5)["accuracy"]
    assert history.loss[-1] < history.loss[0]
    assert after > 0.8 and after > before


def test_checkpoint_resume_gives_the_same_final_weights(tmp_path):
    inputs, labels = _toy_task(40, seed=5)
    settings = TrainingSettings(epochs=3, **SMALL)
    uninterrupted = AdaptiveSRNN(initial_parameters(2, 6, 2, seed=7))
    train(uninterrupted, inputs, labels, settings, seed=7, checkpoint_path=tmp_path / "full.pt")

    class Killed(Exception):
        pass

    def kill_after_two(epoch, history):
        if epoch == 2:
            raise Killed

    interrupted = AdaptiveSRNN(initial_parameters(2, 6, 2, seed=7))
    with pytest.raises(Killed):
        train(interrupted, inputs, labels, settings, seed=7, checkpoint_path=tmp_path / "run.pt", callback=kill_after_two)
    resumed = AdaptiveSRNN(initial_parameters(2, 6, 2, seed=7))  # a fresh process would start from scratch
    history = train(resumed, inputs, labels, settings, seed=7, checkpoint_path=tmp_path / "run.pt")
    assert history.resumed_from_epoch == 2 and len(history.loss) == 3
    for name, value in uninterrupted.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[name]), name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full.pt", "run.pt"]  # no temporary files left
    with pytest.raises(ConfigError, match="belongs to another run"):
        train(AdaptiveSRNN(initial_parameters(2, 6, 2, seed=7)), inputs, labels, settings, seed=8,
              checkpoint_path=tmp_path / "run.pt")


def test_fixed_time_constants_stay_fixed():
    inputs, labels = _toy_task(32, seed=1)
    model = AdaptiveSRNN(initial_parameters(2, 6, 2, seed=3), train_time_constants=False)
    tau = model.tau_m.detach().clone()
    train(model, inputs, labels, TrainingSettings(epochs=1, **SMALL), seed=3)
    assert torch.equal(model.tau_m.detach(), tau)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_baselines_are_sized_to_a_budget_and_learn_the_toy_task(cell):
    from hetero_brian.training.baselines import RecurrentBaseline, hidden_size_for_parameters, parameter_count

    size = hidden_size_for_parameters(cell, 2, 2, 300)
    model = RecurrentBaseline(cell, 2, size, 2, seed=1)
    assert model.n_parameters() == parameter_count(cell, 2, size, 2)
    assert abs(parameter_count(cell, 2, size, 2) - 300) <= abs(parameter_count(cell, 2, size + 1, 2) - 300)
    again = RecurrentBaseline(cell, 2, size, 2, seed=1)
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), again.parameters()))
    inputs, labels = _toy_task(64, seed=1)
    test_inputs, test_labels = _toy_task(64, seed=2)
    train(model, inputs, labels, TrainingSettings(epochs=8, **SMALL), seed=3)
    result = evaluate(model, test_inputs, test_labels, loss_start_step=5)
    assert result["accuracy"] > 0.8 and result["spikes_per_neuron_per_step"] is None
    with pytest.raises(ValueError, match="unknown cell 'elman'"):
        RecurrentBaseline("elman", 2, 4, 2, seed=1)


def test_adaptive_spiking_readout_follows_a_hand_computed_sequence():
    """Yin et al.'s QTDB readout: an adaptive LIF whose membrane (after the reset) is the logit."""
    from dataclasses import replace

    hidden = _single_neuron(5.0, 40.0, beta=0.0)
    parameters = replace(hidden, readout="adaptive_spiking", tau_output_adp=np.array([30.0]) * ms,
                         output_weights=np.array([[0.6]]), output_bias=np.array([0.02]), output_b0=0.01, output_beta=1.8)
    model = AdaptiveSRNN(parameters, dtype=torch.float64)
    steps = 80
    with torch.no_grad():
        out = model(torch.full((1, steps, 1), 0.05, dtype=torch.float64))
    hidden_spikes = out.spikes[0, :, 0].numpy()
    alpha, rho = math.exp(-1 / 10.0), math.exp(-1 / 30.0)
    o = c = z = 0.0
    expected, output_spikes = [], 0
    for s in hidden_spikes:
        drive = 0.6 * s + 0.02
        c = rho * c + (1 - rho) * z
        phi = 0.01 + 1.8 * c
        o = alpha * o + (1 - alpha) * drive - phi * z
        z = 1.0 if o - phi > 0 else 0.0
        output_spikes += z
        expected.append(o)
    np.testing.assert_allclose(out.readout[0, :, 0].numpy(), expected, rtol=0, atol=1e-15)
    assert hidden_spikes.sum() >= 3 and output_spikes >= 3  # both layers spike, so resets shape the logit
    leaky = AdaptiveSRNN(replace(parameters, readout="leaky", tau_output_adp=None), dtype=torch.float64)
    with torch.no_grad():
        assert not np.allclose(leaky(torch.full((1, steps, 1), 0.05, dtype=torch.float64)).readout.numpy(),
                               out.readout.numpy())


def test_spiking_readout_time_constants_train_and_round_trip():
    parameters = initial_parameters(2, 6, 2, seed=3, readout="adaptive_spiking", tau_output_adp=100 * ms)
    leaky = initial_parameters(2, 6, 2, seed=3)
    np.testing.assert_array_equal(parameters.recurrent_weights, leaky.recurrent_weights)  # own stream
    np.testing.assert_array_equal(np.asarray(parameters.tau_output_adp), 0.1)
    model = AdaptiveSRNN(parameters)
    assert len(model.time_constant_parameters()) == 4
    inputs, labels = _toy_task(16, seed=1)
    before = model.tau_output_adp.detach().clone()
    train(model, inputs, labels, TrainingSettings(epochs=1, **SMALL), seed=3)
    assert not torch.equal(model.tau_output_adp.detach(), before)
    trained = model.to_parameters()
    back = SRNNParameters.from_arrays(trained.to_arrays())
    assert back.readout == "adaptive_spiking"
    for name, value in trained.to_arrays().items():
        np.testing.assert_array_equal(back.to_arrays()[name], value, err_msg=name)
    assert SRNNParameters.from_arrays(leaky.to_arrays()).readout == "leaky"
    with pytest.raises(ValueError, match="readout must be one of"):
        initial_parameters(2, 6, 2, seed=3, readout="spiking")
    with pytest.raises(ValueError, match="tau_output_adp is required"):
        from dataclasses import replace
        replace(leaky, readout="adaptive_spiking")
