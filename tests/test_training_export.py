"""Export of a trained SRNN to Brian2: the same spikes as the PyTorch forward pass (float64)."""
import os
from dataclasses import replace

import numpy as np
import pytest
from brian2 import ms

from hetero_brian.backends.runtime import RuntimeBackend
from hetero_brian.models.discrete import FixedValues, decay_factor
from hetero_brian.network.spec import AnalogInput
from hetero_brian.training.export import (LAG_STEPS, analog_input_values, run_in_brian, signed_input_raster,
                                          srnn_network_spec)
from hetero_brian.training.parameters import initial_parameters


def _active_parameters(n_hidden=12, seed=3, n_inputs=4):
    """Initial parameters scaled up so that the hidden layer spikes often and recurrence matters."""
    parameters = initial_parameters(n_inputs, n_hidden, 6, seed=seed)
    rng = np.random.default_rng(seed)
    return replace(parameters, input_weights=parameters.input_weights * 3, recurrent_weights=parameters.recurrent_weights * 0.3,
                   hidden_bias=rng.uniform(-0.01, 0.03, n_hidden), output_bias=rng.uniform(-0.1, 0.1, 6))


@pytest.fixture(scope="module")
def qtdb_sequences(shared_data):
    from hetero_brian.training.data import load_qtdb

    folder = shared_data / "qtdb"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    return load_qtdb(folder)["test_inputs"][:2, :300]


def _forward(parameters, sequences):
    torch = pytest.importorskip("torch")
    from hetero_brian.training.srnn import AdaptiveSRNN

    model = AdaptiveSRNN(parameters, dtype=torch.float64)
    with torch.no_grad():
        out = model(torch.from_numpy(np.asarray(sequences, dtype=np.float64)))
    return out.spikes.numpy().astype(bool), out.readout.numpy()


def _check_identical(runs, spikes, readout):
    for run, expected_spikes, expected_readout in zip(runs, spikes, readout):
        assert expected_spikes.sum() > 50
        np.testing.assert_array_equal(run.spikes, expected_spikes)
        np.testing.assert_allclose(run.readout, expected_readout, rtol=0, atol=1e-12)


def test_brian2_runtime_gives_the_forward_pass_spikes(qtdb_sequences):
    parameters = _active_parameters()
    spikes, readout = _forward(parameters, qtdb_sequences)
    runs = run_in_brian(parameters, qtdb_sequences, backend=RuntimeBackend(target="numpy"))
    _check_identical(runs, spikes, readout)
    # the result carries what energy counting needs: input and hidden spikes, synapse tables
    result = runs[0].result
    assert set(result.spikes) == {"input", "hidden"}
    assert result.synapses["recurrent"].i.size == np.count_nonzero(parameters.recurrent_weights)


@pytest.mark.standalone
def test_brian2_cpp_standalone_gives_the_forward_pass_spikes(qtdb_sequences, tmp_path):
    parameters = _active_parameters()
    spikes, readout = _forward(parameters, qtdb_sequences)
    build_root = os.environ.get("HETERO_BRIAN_BUILD_ROOT", str(tmp_path))
    runs = run_in_brian(parameters, qtdb_sequences, backend="cpp_standalone", build_root=build_root)
    _check_identical(runs, spikes, readout)


def _analog_sequences(seed=5):
    """Real-valued sequences (as log-mel frames or pixel rows would be): 2 x 150 steps x 5 channels."""
    return np.random.default_rng(seed).normal(0.3, 1.0, size=(2, 150, 5))


def test_brian2_runtime_gives_the_forward_pass_spikes_for_analog_inputs():
    parameters = _active_parameters(n_inputs=5)
    sequences = _analog_sequences()
    spikes, readout = _forward(parameters, sequences)
    runs = run_in_brian(parameters, sequences, backend=RuntimeBackend(target="numpy"))  # analog chosen by value
    _check_identical(runs, spikes, readout)
    assert runs[0].result.synapses["input_hidden"].i.size == parameters.input_weights.size
    with pytest.raises(ValueError, match="NaN or Inf"):
        run_in_brian(parameters, np.full((1, 10, 5), np.nan))


@pytest.mark.standalone
def test_brian2_cpp_standalone_gives_the_forward_pass_spikes_for_analog_inputs(tmp_path):
    parameters = _active_parameters(n_inputs=5)
    sequences = _analog_sequences()
    spikes, readout = _forward(parameters, sequences)
    build_root = os.environ.get("HETERO_BRIAN_BUILD_ROOT", str(tmp_path))
    runs = run_in_brian(parameters, sequences, backend="cpp_standalone", build_root=build_root, analog=True)
    _check_identical(runs, spikes, readout)


def test_analog_spec_and_values():
    parameters = _active_parameters(n_inputs=5)
    spec = srnn_network_spec(parameters, 20, analog=True)
    source = spec.population("input")
    assert isinstance(source, AnalogInput) and source.values.shape == (20 + LAG_STEPS, 5)
    values = analog_input_values(np.ones((20, 5)))
    assert values.shape == (23, 5) and values[:20].sum() == 100 and not values[20:].any()
    with pytest.raises(ValueError, match="finite"):
        AnalogInput("x", np.array([[np.nan]]), 1 * ms)
    with pytest.raises(ValueError, match=r"shape \(n_steps, n_channels\)"):
        AnalogInput("x", np.zeros(3), 1 * ms)


def test_spec_holds_the_trained_values():
    parameters = _active_parameters()
    spec = srnn_network_spec(parameters, 20)
    hidden = spec.population("hidden").model
    np.testing.assert_array_equal(np.asarray(hidden.tau_m.sample(12, None)), np.asarray(parameters.tau_m))
    assert spec.dt == 1 * ms and spec.population("input").n_neurons == 8
    assert spec.population("input").raster.shape == (20 + LAG_STEPS, 8)
    signed = {p.name: p for p in spec.projections}["input_hidden"]
    np.testing.assert_array_equal(np.asarray(signed.synapse.weight.sample(signed.n_synapses, None)),
                                  np.concatenate([parameters.input_weights, -parameters.input_weights], axis=1)[signed.j, signed.i])
    np.testing.assert_array_equal(decay_factor(np.array([0.02]), 1e-3), np.exp(-0.05))


def test_bad_export_input_is_named():
    with pytest.raises(ValueError, match=r"analog inputs take the analog path \(analog=True\)"):
        signed_input_raster(np.full((5, 4), 0.5))
    with pytest.raises(ValueError, match=r"shape \(n_steps, n_inputs\)"):
        signed_input_raster(np.zeros(5))
    with pytest.raises(ValueError, match="holds 3 values but 4 were requested"):
        FixedValues(np.ones(3)).sample(4, None)
    with pytest.raises(ValueError, match=r"n_inputs=4"):
        run_in_brian(_active_parameters(), np.zeros((1, 10, 3)))


def test_yin_state_dict_import_maps_layers_and_milliseconds():
    from hetero_brian.training.interchange import parameters_from_yin_state_dict

    rng = np.random.default_rng(1)
    state = {"i2h.weight": rng.normal(size=(5, 4)), "i2h.bias": rng.normal(size=5), "h2h.weight": rng.normal(size=(5, 5)),
             "h2h.bias": rng.normal(size=5), "h2o.weight": rng.normal(size=(6, 5)), "h2o.bias": rng.normal(size=6),
             "tau_m_h": np.full(5, 20.0), "tau_adp_h": np.full(5, 7.0), "tau_m_o": np.full(6, 20.0),
             "tau_adp_o": np.full(6, 100.0)}
    parameters = parameters_from_yin_state_dict({"model": state}, beta=0.0)
    np.testing.assert_allclose(parameters.hidden_bias, state["i2h.bias"] + state["h2h.bias"])
    np.testing.assert_allclose(np.asarray(parameters.tau_adp), 0.007)
    assert parameters.beta == 0.0 and parameters.n_outputs == 6
    del state["tau_m_o"]
    with pytest.raises(KeyError, match="tau_m_o"):
        parameters_from_yin_state_dict(state)


def test_brian2_runtime_gives_the_forward_pass_for_a_spiking_readout(qtdb_sequences):
    """Yin et al.'s QTDB readout (adaptive spiking output neurons, membrane read out) in Brian2."""
    parameters = replace(_active_parameters(), readout="adaptive_spiking",
                         tau_output_adp=FixedValues(np.linspace(60, 140, 6) * ms).sample(6, None))
    spikes, readout = _forward(parameters, qtdb_sequences)
    runs = run_in_brian(parameters, qtdb_sequences, backend=RuntimeBackend(target="numpy"))
    _check_identical(runs, spikes, readout)
    assert set(runs[0].result.spikes) >= {"input", "hidden"}
    leaky_readout = _forward(replace(parameters, readout="leaky", tau_output_adp=None), qtdb_sequences)[1]
    assert np.abs(readout - leaky_readout).max() > 0.1  # the output neurons spiked and reset


@pytest.mark.standalone
def test_brian2_cpp_standalone_gives_the_forward_pass_for_a_spiking_readout(qtdb_sequences, tmp_path):
    parameters = replace(_active_parameters(), readout="adaptive_spiking",
                         tau_output_adp=FixedValues(np.linspace(60, 140, 6) * ms).sample(6, None))
    spikes, readout = _forward(parameters, qtdb_sequences)
    build_root = os.environ.get("HETERO_BRIAN_BUILD_ROOT", str(tmp_path))
    runs = run_in_brian(parameters, qtdb_sequences, backend="cpp_standalone", build_root=build_root)
    _check_identical(runs, spikes, readout)
