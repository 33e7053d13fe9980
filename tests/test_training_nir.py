"""NIR graphs: exact round trip of exported SRNNs; imported LIF/CubaLIF graphs follow NIR's equations."""
import numpy as np
import pytest
from brian2 import ms

from hetero_brian.backends.runtime import RuntimeBackend
from hetero_brian.models.nir_neurons import NIRCubaLIF, NIRLIF, NIRLeakyIntegrator
from hetero_brian.network.spec import RasterInput, SpikeInput
from hetero_brian.network.recording import Recording, StateRecord
from hetero_brian.simulate import Simulator
from hetero_brian.training.nir_graphs import nir_network_spec, srnn_parameters_from_nir, srnn_to_nir
from hetero_brian.training.parameters import initial_parameters

nir = pytest.importorskip("nir")
DT = 0.1 * ms


def _lif_graph(bias, v_reset, tau=0.02):
    return nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([1])),
        "drive": nir.Affine(weight=np.array([[0.5]]), bias=np.array([bias])),
        "lif": nir.LIF(tau=np.array([tau]), r=np.array([1.0]), v_leak=np.array([0.0]), v_threshold=np.array([1.0]),
                       v_reset=np.array([v_reset])),
        "output": nir.Output(output_type=np.array([1]))},
        edges=[("input", "drive"), ("drive", "lif"), ("lif", "output")])


def test_exported_srnn_round_trips_through_a_nir_file_exactly(tmp_path):
    parameters = initial_parameters(3, 7, 2, seed=4)
    graph = srnn_to_nir(parameters)
    assert isinstance(graph.nodes["hidden"], nir.LIF) and np.all(graph.nodes["hidden"].v_reset == 0)
    nir.write(tmp_path / "srnn.nir", graph)
    back = srnn_parameters_from_nir(nir.read(tmp_path / "srnn.nir"))
    for name, value in parameters.to_arrays().items():
        np.testing.assert_array_equal(back.to_arrays()[name], value, err_msg=name)


def test_imported_lif_resets_to_v_reset_as_nir_says():
    # constant current r b = 2 from the Affine bias; threshold 1; reset to 0.2:
    # threshold crossings at tau ln(2 / (2 - 1)), then every tau ln((2 - 0.2) / (2 - 1)) after a reset
    tau, v_reset = 0.02, 0.2
    source = RasterInput("stimulus", np.zeros((1000, 1), dtype=np.uint8), DT)
    spec = nir_network_spec(_lif_graph(2.0, v_reset, tau), source, DT)
    assert isinstance(spec.population("lif").model, NIRLIF)
    with Simulator(spec, 100 * ms, backend=RuntimeBackend(target="numpy"), recording=Recording(spikes=("lif",))) as simulator:
        times = np.asarray(simulator.run().spikes["lif"].timestamps)
    first, period = tau * np.log(2.0), tau * np.log(1.8 / 1.0)
    # Brian2 stamps a spike with the start of the step whose update crosses the threshold, and the
    # reset discards the overshoot: the first spike is at ceil(first / dt) - 1 steps, then every
    # ceil(period / dt) steps
    steps = float(DT)
    assert len(times) == int((0.1 - first) // period) + 1
    np.testing.assert_allclose(times[0], (np.ceil(first / steps) - 1) * steps, atol=1e-9)
    np.testing.assert_allclose(np.diff(times), np.ceil(period / steps) * steps, atol=1e-9)


def test_imported_cuba_lif_follows_the_synaptic_current_equation():
    # one input spike of weight 3 at 10 ms: I jumps by w_in w dt / tau_syn, then
    # v(s) = r I0 tau_syn / (tau_syn - tau_mem) (exp(-s/tau_syn) - exp(-s/tau_mem)); compare the peak
    tau_syn, tau_mem, weight = 0.005, 0.02, 3.0
    graph = nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([1])), "weights": nir.Linear(weight=np.array([[weight]])),
        "cuba": nir.CubaLIF(tau_syn=np.array([tau_syn]), tau_mem=np.array([tau_mem]), r=np.array([1.0]),
                            v_leak=np.array([0.0]), v_threshold=np.array([10.0])),
        "output": nir.Output(output_type=np.array([1]))},
        edges=[("input", "weights"), ("weights", "cuba"), ("cuba", "output")])
    source = SpikeInput("spikes", 1, np.array([0]), np.array([0.01]) * 1e3 * ms)
    spec = nir_network_spec(graph, source, DT)
    assert isinstance(spec.population("cuba").model, NIRCubaLIF)
    recording = Recording(spikes=(), states=(StateRecord("cuba", ("v",), (0,)),))
    with Simulator(spec, 60 * ms, backend=RuntimeBackend(target="numpy"), recording=recording) as simulator:
        v = np.asarray(simulator.run().traces["cuba.v"].values).ravel()
    current = weight * float(DT) / tau_syn
    peak_time = np.log(tau_mem / tau_syn) * tau_syn * tau_mem / (tau_mem - tau_syn)
    peak = current * tau_syn / (tau_syn - tau_mem) * (np.exp(-peak_time / tau_syn) - np.exp(-peak_time / tau_mem))
    np.testing.assert_allclose(v.max(), peak, rtol=1e-4)


def test_exported_srnn_imports_as_nir_semantics():
    parameters = initial_parameters(3, 7, 2, seed=4)
    source = RasterInput("stimulus", np.zeros((20, 3), dtype=np.uint8), 1 * ms)
    spec = nir_network_spec(srnn_to_nir(parameters), source, 1 * ms)
    hidden, readout = spec.population("hidden").model, spec.population("readout").model
    assert isinstance(hidden, NIRLIF) and isinstance(readout, NIRLeakyIntegrator)
    np.testing.assert_array_equal(hidden.bias.values_si, parameters.hidden_bias)
    np.testing.assert_array_equal(hidden.v_threshold.values_si, np.full(7, parameters.b0))
    assert {p.name for p in spec.projections} == {"input_hidden", "recurrent", "hidden_readout"}


def test_bad_graphs_are_answered_by_name():
    source = RasterInput("stimulus", np.zeros((10, 1), dtype=np.uint8), DT)
    graph = _lif_graph(2.0, 0.0)
    graph.nodes["extra"] = nir.Threshold(threshold=np.array([1.0]))
    with pytest.raises(ValueError, match="'extra' is a Threshold"):
        nir_network_spec(graph, source, DT)
    with pytest.raises(ValueError, match="has 2 channels"):
        nir_network_spec(_lif_graph(2.0, 0.0), RasterInput("stimulus", np.zeros((10, 2), dtype=np.uint8), DT), DT)
    exported = srnn_to_nir(initial_parameters(3, 7, 2, seed=4))
    exported.nodes["hidden"].metadata.clear()
    with pytest.raises(ValueError, match="resets to v_reset"):
        srnn_parameters_from_nir(exported)
