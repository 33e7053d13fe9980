"""Synaptic operations, energy and MAC counts against hand computations and formulas."""
from dataclasses import dataclass, field

import numpy as np
import pytest

from hetero_brian.analysis import energy
from hetero_brian.errors import ResultsError
from hetero_brian.results import SpikeTrains

# A 3-neuron network: 0 -> 1, 0 -> 2, 1 -> 2, 2 -> 0, 2 -> 1, 2 -> 2 (fan-out 2, 1, 3)
PRE = np.array([0, 0, 1, 2, 2, 2])
POST = np.array([1, 2, 2, 0, 1, 2])
# spikes: neuron 0 twice, neuron 1 once, neuron 2 three times
NODE_IDS = np.array([0, 2, 1, 2, 0, 2])
TIMESTAMPS = np.array([0.01, 0.02, 0.03, 0.12, 0.15, 0.19])
SPIKES = SpikeTrains(NODE_IDS, TIMESTAMPS, 3)


def test_hand_computed_sops_and_energy():
    np.testing.assert_array_equal(energy.fan_out(PRE, 3), [2, 1, 3])
    expected = 2 * 2 + 1 * 1 + 3 * 3  # 14
    assert energy.synaptic_operations(SPIKES, PRE) == expected
    assert energy.snn_energy(expected) == pytest.approx(expected * 0.9e-12)
    assert energy.snn_energy(expected, energy_per_ac=2e-12) == pytest.approx(28e-12)
    # optional neuron updates: 3 neurons x 100 steps at one MAC each
    assert energy.snn_energy(expected, neuron_updates=300) == pytest.approx(
        expected * 0.9e-12 + 300 * 4.6e-12)


def test_sops_per_sample_and_mask():
    # sample 0 = [0, 0.1): spikes 0, 2, 1 -> 2 + 3 + 1 = 6; sample 1 = [0.1, 0.2): 2, 0, 2 -> 8
    per_sample = energy.synaptic_operations_per_sample(SPIKES, PRE, [0.0, 0.1, 0.2])
    np.testing.assert_array_equal(per_sample, [6, 8])
    mask = np.array([True, False, True, True, True, False])  # drop 0 -> 2 and 2 -> 2
    assert energy.synaptic_operations(SPIKES, PRE, mask=mask) == 2 * 1 + 1 * 1 + 3 * 2


def test_rnn_lstm_gru_mac_counts():
    n_in, n_hidden, n_out, steps = 40, 128, 10, 250
    assert energy.rnn_macs(n_in, n_hidden, steps) == steps * (n_in * n_hidden + n_hidden ** 2)
    assert energy.lstm_macs(n_in, n_hidden, steps) == steps * 4 * (n_in * n_hidden + n_hidden ** 2)
    assert energy.gru_macs(n_in, n_hidden, steps) == steps * 3 * (n_in * n_hidden + n_hidden ** 2)
    # with a readout and bias / elementwise operations
    readout = n_out * n_hidden + n_out
    assert energy.rnn_macs(n_in, n_hidden, steps, n_out, True) == steps * (
        n_in * n_hidden + n_hidden ** 2 + n_hidden + readout)
    assert energy.lstm_macs(n_in, n_hidden, steps, n_out, True) == steps * (
        4 * (n_in * n_hidden + n_hidden ** 2) + 4 * n_hidden + 3 * n_hidden + readout)
    assert energy.gru_macs(n_in, n_hidden, steps, n_out, True) == steps * (
        3 * (n_in * n_hidden + n_hidden ** 2) + 3 * n_hidden + 3 * n_hidden + readout)
    # two stacked layers 40 -> 64 -> 32
    assert energy.lstm_macs(40, [64, 32], 10) == 10 * 4 * (64 * (40 + 64) + 32 * (64 + 32))


def test_energy_comparison_uses_the_constants():
    result = energy.energy_comparison(1000, 2, 4, 5)
    assert result["SNN"] == pytest.approx(1000 * 0.9e-12)
    assert result["RNN"] == pytest.approx(5 * (2 * 4 + 16) * 4.6e-12)
    assert result["LSTM"] == pytest.approx(4 * result["RNN"])
    assert result["GRU"] == pytest.approx(3 * result["RNN"])
    assert energy.mac_energy(10, energy_per_mac=1e-12) == pytest.approx(1e-11)


def test_bad_energy_inputs():
    with pytest.raises(ValueError, match="cell"):
        energy.recurrent_macs("transformer", 2, 4, 5)
    with pytest.raises(ValueError, match="n_steps"):
        energy.rnn_macs(2, 4, 0)
    with pytest.raises(ValueError, match="energy_per_ac"):
        energy.snn_energy(10, energy_per_ac=-1.0)
    with pytest.raises(ValueError, match="presynaptic_indices must lie"):
        energy.fan_out([0, 5], 3)
    with pytest.raises(ValueError, match="node_ids must lie"):
        energy.synaptic_operations(SpikeTrains([4], [0.1], 3), PRE)


# --- a stand-in for hetero_brian.results.SimulationResult (attributes only) -----------------
@dataclass
class StandInSpikes:
    node_ids: np.ndarray
    timestamps: np.ndarray
    n_neurons: int


@dataclass
class StandInSynapses:
    source: str
    target: str
    i: np.ndarray
    j: np.ndarray
    w: np.ndarray
    extra: dict = field(default_factory=dict)


@dataclass
class StandInResult:
    spikes: dict
    synapses: dict


def stand_in_result():
    inputs = StandInSpikes(np.array([0, 1, 1]), np.array([0.05, 0.06, 0.15]), 2)
    return StandInResult(
        spikes={"exc": StandInSpikes(NODE_IDS, TIMESTAMPS, 3), "input": inputs},
        synapses={
            "recurrent": StandInSynapses("exc", "exc", PRE, POST, np.ones(6)),
            # input 0 -> 3 targets, input 1 -> 1 target
            "feedforward": StandInSynapses("input", "exc", np.array([0, 0, 0, 1]),
                                           np.array([0, 1, 2, 0]), np.ones(4)),
            "unrecorded": StandInSynapses("noise", "exc", np.array([0]), np.array([0]), np.ones(1)),
        })


def test_sops_from_result_per_table_population_and_sample():
    result = stand_in_result()
    report = energy.synaptic_operations_from_result(result)
    assert report.by_synapses == {"recurrent": 14, "feedforward": 3 + 1 + 1}
    assert report.by_population == {"exc": 14, "input": 5}
    assert report.total == 19
    per_sample = energy.synaptic_operations_from_result(result, ["recurrent", "feedforward"],
                                                        sample_boundaries=[0.0, 0.1, 0.2])
    np.testing.assert_array_equal(per_sample.total, [6 + 4, 8 + 1])
    # a pruning mask stored with the table is honoured
    result.synapses["recurrent"].extra["mask"] = np.array([1, 0, 1, 1, 1, 0], dtype=bool)
    assert energy.synaptic_operations_from_result(result, ["recurrent"]).total == 2 + 1 + 6
    assert energy.synaptic_operations_from_result(result, ["recurrent"], use_mask=False).total == 14


def test_result_without_connectivity_gives_clear_errors():
    result = stand_in_result()
    with pytest.raises(ResultsError, match="no synapse tables"):
        energy.synaptic_operations_from_result(StandInResult(spikes=result.spikes, synapses={}))
    with pytest.raises(ResultsError, match="'missing' is not in the result"):
        energy.synaptic_operations_from_result(result, ["missing"])
    with pytest.raises(ResultsError, match="'noise'.*not recorded"):
        energy.synaptic_operations_from_result(result, ["unrecorded"])


def test_sops_from_a_real_simulation_result():
    results = pytest.importorskip("hetero_brian.results")
    result = results.SimulationResult(
        spikes={"exc": results.SpikeTrains(NODE_IDS, TIMESTAMPS, 3)},
        synapses={"recurrent": results.SynapseTable("exc", "exc", PRE, POST, np.ones(6))})
    assert energy.synaptic_operations_from_result(result).total == 14
    with pytest.raises(ResultsError, match="no synapse tables"):
        energy.synaptic_operations_from_result(results.SimulationResult(spikes=result.spikes))
