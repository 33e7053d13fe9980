"""HRSNN spec builder (2x2 switches, run-time variants, adaptive variant) and tiny scenario runs."""
import numpy as np
import pytest
from brian2 import mV, ms, second

from hetero_brian.analysis.figures_hrsnn import plot_2x2
from hetero_brian.distributions import Constant, Gamma, LogNormal
from hetero_brian.errors import ConfigError
from hetero_brian.inputs import regular_rate_encode, row_frames, stimulus_sequence, stratified_split
from hetero_brian.models.neurons import AdaptiveLIF
from hetero_brian.network.spec import SpikeInput
from hetero_brian.network.hrsnn import HRSNNParameters, hrsnn_spec, variant_name, variant_parameters
from hetero_brian.protocols import hrsnn_2x2

from brian_helpers import use_numpy_target


def _input(n_channels=6, duration=0.05, rate=200.0, seed=0):
    rng = np.random.default_rng(seed)
    n = int(rate * duration * n_channels)
    times = np.round(np.sort(rng.uniform(0, duration, n)) / 1e-3) * 1e-3
    indices = rng.integers(0, n_channels, n)
    keys = np.unique(np.round(times / 1e-3).astype(int) * n_channels + indices, return_index=True)[1]
    return SpikeInput("stim", n_channels, indices[keys], times[keys] * second)


def test_switches_set_distributions():
    source = _input()
    for neurons in (True, False):
        for stdp in (True, False):
            parameters = HRSNNParameters(n_neurons=20, heterogeneous_neurons=neurons, heterogeneous_stdp=stdp)
            spec = hrsnn_spec(parameters, source, seed=1)
            exc = spec.population("exc").model
            ee = next(p for p in spec.projections if p.name == "ee").synapse
            assert isinstance(exc.tau_m, Gamma if neurons else Constant)
            assert float(exc.tau_m.mean) == pytest.approx(0.02)
            for name in ("tau_pre", "tau_post", "eta_plus", "eta_minus"):
                assert isinstance(getattr(ee, name), LogNormal if stdp else Constant)
            assert ee.plastic_rule == "additive"
            assert parameters.variant == variant_name(neurons, stdp)


def test_fixed_in_degree_and_same_counts_across_seeds():
    parameters = HRSNNParameters(n_neurons=50, p_recurrent=0.2, p_input=0.5)
    counts = []
    for seed in (1, 2):
        spec = hrsnn_spec(parameters, _input(), seed=seed)
        projections = {p.name: p for p in spec.projections}
        # every exc neuron receives round(0.2 * 40) = 8 exc inputs, never from itself
        np.testing.assert_array_equal(np.bincount(projections["ee"].j, minlength=40), np.full(40, 8))
        assert not np.any(projections["ee"].i == projections["ee"].j)
        np.testing.assert_array_equal(np.bincount(projections["input_inh"].j, minlength=10), np.full(10, 3))
        counts.append([p.n_synapses for p in spec.projections])
    assert counts[0] == counts[1]


def test_variant_parameters_are_the_means():
    parameters = HRSNNParameters(n_neurons=20, neuron_model="adaptive_lif", input_plastic=True)
    spec = hrsnn_spec(parameters, _input(), seed=3)
    assert isinstance(spec.population("exc").model, AdaptiveLIF)
    assert variant_parameters(spec, True, True) == {}
    neurons = variant_parameters(spec, False, True)
    assert set(neurons) == {"exc.tau_m", "inh.tau_m", "exc.tau_adapt", "inh.tau_adapt"}
    assert float(neurons["exc.tau_m"]) == pytest.approx(0.02)
    assert float(neurons["exc.tau_adapt"]) == pytest.approx(0.15)
    stdp = variant_parameters(spec, True, False)
    assert set(stdp) == {f"{p}.{n}" for p in ("ee", "input_exc") for n in ("tau_pre", "tau_post", "eta_plus", "eta_minus")}
    assert float(stdp["ee.eta_minus"]) == pytest.approx(0.0105)
    with pytest.raises(ValueError, match="heterogeneous_stdp"):
        variant_parameters(spec, True, "no")


def test_run_time_variant_equals_built_variant():
    """The homogeneous cell built from the switch and the heterogeneous build with the run-time means spike alike."""
    from hetero_brian.network.recording import Recording
    from hetero_brian.simulate import Simulator

    use_numpy_target()
    source = _input(duration=0.06, rate=400.0)
    base = dict(n_neurons=20, weight_input=6 * mV, p_input=0.5, tau_m=Gamma(20 * ms, 0.3))
    heterogeneous = HRSNNParameters(**base)
    homogeneous = HRSNNParameters(**base, heterogeneous_neurons=False, heterogeneous_stdp=False)
    spikes = []
    for parameters, override in ((homogeneous, False), (heterogeneous, True)):
        spec = hrsnn_spec(parameters, source, seed=7)
        with Simulator(spec, 60 * ms, backend="runtime", seed=5, recording=Recording(spikes=("exc",))) as simulator:
            result = simulator.run(parameters=variant_parameters(spec, False, False) if override else None)
        trains = result.spikes["exc"]
        spikes.append((trains.node_ids.tolist(), np.round(trains.timestamps / 1e-3).astype(int).tolist()))
    assert len(spikes[0][0]) > 0
    assert spikes[0] == spikes[1]


@pytest.mark.parametrize("changes, error, message", [
    (dict(n_neurons=3), ValueError, "n_neurons"),
    (dict(excitatory_fraction=1.0), ValueError, "excitatory_fraction"),
    (dict(neuron_model="izhikevich"), ValueError, "neuron_model"),
    (dict(tau_m=-5 * ms), ValueError, "tau_m"),
    (dict(tau_m=5 * mV), ValueError, "tau_m"),
    (dict(weight_ee=3 * mV, w_max_ee=2 * mV), ValueError, "weight_ee"),
    (dict(p_input=0.0), ValueError, "p_input"),
    (dict(heterogeneous_stdp=1), ValueError, "heterogeneous_stdp"),
    (dict(tau_m={"distribution": "gamma", "mean": "20 ms", "cv": -0.1}), ValueError, "tau_m"),
    (dict(eta_plus=1.5), ValueError, "eta_plus"),
])
def test_bad_parameters(changes, error, message):
    with pytest.raises(error, match=message):
        HRSNNParameters(**changes)


def test_regular_rate_encoder_counts():
    frames = np.array([[0.5, 0.5], [1.0, 0.0], [0.0, 0.25]])
    phase = np.array([0.3, 0.0, 0.9])
    spikes = regular_rate_encode(frames, 400.0, 0.01, 0.001, phase)
    counts = np.bincount(spikes.indices, minlength=3)
    # count over [0, T) = floor(phase + rate * sum(z) * frame_duration) - floor(phase)
    expected = np.floor(phase + 400.0 * frames.sum(1) * 0.01)
    np.testing.assert_array_equal(counts, expected)
    assert spikes.duration == pytest.approx(0.02)
    assert np.all(spikes.times[spikes.indices == 1] < 0.01)  # silent in its zero frame
    with pytest.raises(ValueError, match="max_rate"):
        regular_rate_encode(frames, 2000.0, 0.01, 0.001, phase)
    with pytest.raises(ValueError, match="frames"):
        regular_rate_encode(frames + 1.0, 400.0, 0.01, 0.001, phase)
    with pytest.raises(ValueError, match="longer than t_present"):
        stimulus_sequence([spikes], 0.015, 0.01, dt=0.001)  # a sample longer than the presentation


def _toy_frames(n_per_class, rng):
    """Two classes: channels 0-2 on in the first half (class 0) or channels 3-5 in the second (class 1)."""
    frames = np.zeros((2 * n_per_class, 6, 4))
    frames[:n_per_class, :3, :2] = 1.0
    frames[n_per_class:, 3:, 2:] = 1.0
    frames = np.clip(frames + 0.1 * rng.random(frames.shape), 0, 1)
    labels = np.repeat([0, 1], n_per_class)
    return frames, labels


def _tiny_config(module, **changes):
    values = dict(n_seeds=1, variants=["HeNHeS"], n_neurons=20, n_stdp_samples=2, frame_duration="4 ms",
                  t_rest="8 ms", n_bins=2, n_saved_samples=2, weight_input="6 mV", p_input=0.5)
    values.update(changes)
    return module.Config(**values)


@pytest.mark.slow
def test_tiny_run_separates_toy_classes(tmp_path):
    from hetero_brian.scenarios import hrsnn_fsdd

    use_numpy_target()
    rng = np.random.default_rng(0)
    train, train_labels = _toy_frames(4, rng)
    test, test_labels = _toy_frames(3, rng)
    config = _tiny_config(hrsnn_fsdd, frame_duration="10 ms", weight_input="8 mV")
    metrics, per_seed = hrsnn_2x2.run_2x2(config, train, train_labels, test, test_labels, tmp_path,
                                          backend="runtime", seed=3, name="toy")
    plot_2x2(per_seed, metrics["baseline_accuracy"], tmp_path / "toy.png", title="toy")
    assert metrics["accuracy_HeNHeS_mean"] > 0.5 + 0.2  # chance is 0.5
    assert metrics["baseline_accuracy"] == 1.0
    assert metrics["spikes_per_sample_HeNHeS_mean"] > 0
    assert (tmp_path / "toy.png").exists() and (tmp_path / "toy_runs.json").exists()
    assert len(list(tmp_path.glob("toy_HeNHeS_seed*.h5"))) == 1


def test_run_2x2_bad_inputs(tmp_path):
    from hetero_brian.scenarios import hrsnn_fsdd

    rng = np.random.default_rng(1)
    train, train_labels = _toy_frames(3, rng)
    config = _tiny_config(hrsnn_fsdd)
    with pytest.raises(ConfigError, match="never occur"):
        hrsnn_2x2.run_2x2(config, train, np.zeros(6, dtype=int), train, train_labels, tmp_path, "runtime", 1)
    with pytest.raises(ValueError, match="labels must be >= 0"):
        hrsnn_2x2.run_2x2(config, train, train_labels - 1, train, train_labels, tmp_path, "runtime", 1)
    with pytest.raises(ValueError, match="integers"):
        hrsnn_2x2.run_2x2(config, train, train_labels + 0.5, train, train_labels, tmp_path, "runtime", 1)
    with pytest.raises(ConfigError, match="n_stdp_samples"):
        hrsnn_2x2.run_2x2(_tiny_config(hrsnn_fsdd, n_stdp_samples=50), train, train_labels, train, train_labels,
                           tmp_path, "runtime", 1)
    with pytest.raises(ConfigError, match="variants"):
        hrsnn_2x2.check_run_config(_tiny_config(hrsnn_fsdd, variants=["HeNHeS", "HeNHeS"]))


def test_digits_split_and_frames():
    labels = np.repeat(np.arange(3), 10)
    train, test = stratified_split(labels, 0.3, np.random.default_rng(0))
    assert np.intersect1d(train, test).size == 0 and train.size + test.size == 30
    np.testing.assert_array_equal(np.bincount(labels[test]), [3, 3, 3])
    images = np.arange(2 * 2 * 3, dtype=float).reshape(2, 2, 3)
    frames = row_frames(images)
    assert frames.shape == (2, 3, 2) and frames[0, 2, 1] == images[0, 1, 2] / 16
    with pytest.raises(ConfigError, match="test_fraction"):
        stratified_split(labels, 1.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="images"):
        row_frames(images + 20)


@pytest.mark.slow
def test_tiny_fsdd_run(tmp_path, shared_data):
    from hetero_brian.scenarios import hrsnn_fsdd

    use_numpy_target()
    config = _tiny_config(hrsnn_fsdd, data_path=str(shared_data / "fsdd"), n_train=20, n_test=10, n_mels=8,
                          n_frames=4, frame_duration="10 ms", weight_input="8 mV")
    metrics = hrsnn_fsdd.run(config, tmp_path, backend="runtime", seed=2)
    assert metrics["n_train"] == 20 and metrics["n_test"] == 10
    assert 0.0 <= metrics["accuracy_HeNHeS_mean"] <= 1.0
    assert metrics["spikes_per_sample_HeNHeS_mean"] > 0


def test_run_config_is_the_parameters_and_keeps_the_switches_on():
    from hetero_brian.scenarios import hrsnn_fsdd

    config = _tiny_config(hrsnn_fsdd, tau_m={"distribution": "gamma", "mean": "30 ms", "cv": 0.2})
    assert isinstance(config, HRSNNParameters)
    spec = hrsnn_spec(config, _input(), seed=4)
    assert spec.structure_seed == 4
    assert spec.population("exc").model.tau_m == Gamma(30 * ms, 0.2)
    with pytest.raises(ConfigError, match="variants"):
        hrsnn_2x2.check_run_config(_tiny_config(hrsnn_fsdd, heterogeneous_neurons=False))
