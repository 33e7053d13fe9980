"""NIR graphs as snnTorch and Norse write them, imported and run in Brian2 with the update each library means.

Neither library is installed here; the graphs are built exactly as their export code builds them,
and the references are numpy transcriptions of their discrete updates. Models are float64 (the
export takes ``.detach().numpy()``, so a float32 model's graph carries float32-rounded time
constants, ~1e-7 relative, which the frameworks' own imports read back the same way):

- snnTorch, github.com/jeshraghian/snntorch at commit 634fc22385ec5581998e62787bbe39b53662140f:
  ``snntorch/export_nir.py`` (``Leaky`` -> ``nir.LIF(tau = dt/(1 - beta), r = tau/dt, v_leak = 0,
  v_reset = 0)``, ``Synaptic`` -> ``nir.CubaLIF(tau_syn = dt/(1 - alpha), tau_mem = dt/(1 - beta),
  r = tau_mem/dt, w_in = tau_syn/dt)``, ``RLeaky`` -> a subgraph ``input -> lif <-> w_rec -> output``,
  ``dt = 1e-4`` hard-coded, ``Linear`` -> ``Affine``) and ``snntorch/import_nir.py`` (a LIF is read back
  as ``Leaky(beta = 1 - dt/tau, reset_mechanism="zero", reset_delay=False)``), whose updates are
  ``snntorch/_neurons/leaky.py``, ``synaptic.py``, ``rleaky.py`` (``_base_zero``, ``forward``);
- Norse, github.com/norse/norse at commit 065a3b45cf13bc8156d18987380f6d26c09f08a2:
  ``norse/torch/utils/export_nir.py`` (``LIFBoxCell`` -> ``nir.LIF(tau = 1/tau_mem_inv, r = 1)``,
  ``LIBoxCell`` -> ``nir.LI``, ``LIFCell`` -> ``nir.CubaLIF(r = 1, w_in = 1)``, with
  ``time_scaling_factor = 1``) and ``norse/torch/functional/lif_box.py``
  (``lif_box_feed_forward_step``), ``leaky_integrator_box.py`` (``li_box_feed_forward_step``),
  ``lif.py`` (``lif_feed_forward_step``: the current jumps by the input, unscaled), ``heaviside.py``
  (``x > 0``).
"""
import numpy as np
import pytest
from brian2 import ms

from hetero_brian.backends.runtime import RuntimeBackend
from hetero_brian.network.recording import Recording, StateRecord
from hetero_brian.network.spec import AnalogInput
from hetero_brian.simulate import Simulator
from hetero_brian.training.nir_graphs import flatten_nir_graph, nir_layer_depths, nir_network_spec, nir_population_name

nir = pytest.importorskip("nir")
SNNTORCH_DT = 1e-4  # seconds, hard-coded in snntorch/export_nir.py
NORSE_DT = 1e-3  # Norse's default dt (time_scaling_factor = 1 writes tau in seconds for it)


def _run(graph, inputs, dt, cuba_convention="euler"):
    """Spikes (bool, per framework step) and ``v`` (per framework step, after reset) of each neuron node."""
    depths = nir_layer_depths(graph)
    extra = max(depths.values()) + 1
    values = np.zeros((len(inputs) + extra, inputs.shape[1]))
    values[:len(inputs)] = inputs
    source = AnalogInput("stimulus", values, dt * 1000 * ms)
    spec = nir_network_spec(graph, source, dt * 1000 * ms, discretisation="euler", cuba_convention=cuba_convention)
    spiking = tuple(nir_population_name(name) for name, node in graph.nodes.items() if isinstance(node, (nir.LIF, nir.CubaLIF)))
    states = tuple(StateRecord(p.name, ("v",), tuple(range(p.n_neurons))) for p in spec.populations)
    with Simulator(spec, len(values) * dt * 1000 * ms, backend=RuntimeBackend(target="numpy"),
                   recording=Recording(spikes=spiking, states=states)) as simulator:
        result = simulator.run()
    out = {}
    for name, depth in depths.items():
        population = nir_population_name(name)
        n = spec.population(population).n_neurons
        v = np.asarray(result.traces[f"{population}.v"].values)[depth + 1:depth + 1 + len(inputs)]
        spikes = np.zeros((len(inputs), n), dtype=bool)
        if population in spiking:
            trains = result.spikes[population]
            steps = np.rint(np.asarray(trains.timestamps) / dt).astype(int) - depth
            inside = (steps >= 0) & (steps < len(inputs))
            spikes[steps[inside], np.asarray(trains.node_ids)[inside]] = True
        out[name] = (spikes, v)
    return out


def _check(simulated, reference):
    for name, (spikes, v) in reference.items():
        assert spikes.sum() > 0 or not np.any(simulated[name][0]), name
        np.testing.assert_array_equal(simulated[name][0], spikes, err_msg=f"spikes of {name}")
        np.testing.assert_allclose(simulated[name][1], v, atol=1e-9, rtol=1e-9, err_msg=f"v of {name}")


def _snntorch_leaky(currents, beta, threshold):
    """snnTorch Leaky(reset_mechanism="zero", reset_delay=False): ``_base_zero`` then the same-step reset."""
    mem = np.zeros(currents.shape[1])
    spikes, membranes = [], []
    for current in currents:
        reset = (mem - threshold > 0).astype(float)  # mem_reset(self.mem)
        mem = (1 - reset) * mem  # _base_zero
        mem = np.clip(beta, 0, 1) * mem + current  # _base_state_function
        spike = (mem - threshold > 0).astype(float)  # fire
        mem = mem - (spike - reset) * mem  # reset_delay=False, zero
        spikes.append(spike > 0)
        membranes.append(mem)
    return np.array(spikes), np.array(membranes)


def _affine(weight, bias):
    return nir.Affine(weight=np.asarray(weight, dtype=np.float64), bias=np.asarray(bias, dtype=np.float64))


def _snntorch_lif(beta, threshold):
    """export_nir.py's Leaky branch, literally (beta, threshold as the module holds them)."""
    beta, vthr = np.asarray(beta, dtype=np.float64), np.asarray(threshold, dtype=np.float64)
    tau_mem = SNNTORCH_DT / (1 - beta)
    return nir.LIF(tau=tau_mem, v_threshold=vthr, v_leak=np.zeros_like(beta), r=tau_mem / SNNTORCH_DT,
                   v_reset=np.zeros_like(vthr))


def test_snntorch_sequential_leaky_runs_as_snntorch_means_it():
    rng = np.random.default_rng(5)
    w1, b1, w2, b2 = rng.normal(0, 0.6, (6, 3)), rng.normal(0.05, 0.05, 6), rng.normal(0, 0.8, (4, 6)), np.full(4, 0.02)
    beta1 = rng.uniform(0.8, 0.97, 6)
    # nirtorch names a Sequential's layers 0, 1, 2, 3; a scalar beta (0-d) in the second Leaky, whose
    # shapeless parameters nir 1.0.8's type inference refuses (so the graph is built unchecked)
    graph = nir.NIRGraph(type_check=False, nodes={
        "input": nir.Input(input_type=np.array([3])), "0": _affine(w1, b1), "1": _snntorch_lif(beta1, np.ones(6)),
        "2": _affine(w2, b2), "3": _snntorch_lif(0.9, 0.5),
        "output": nir.Output(output_type=np.array([4]))},
        edges=[("input", "0"), ("0", "1"), ("1", "2"), ("2", "3"), ("3", "output")])
    inputs = rng.uniform(0, 1, (150, 3))
    simulated = _run(graph, inputs, SNNTORCH_DT)
    spikes1, v1 = _snntorch_leaky(inputs @ w1.T + b1, beta1, 1.0)
    spikes2, v2 = _snntorch_leaky(spikes1 @ w2.T + b2, 0.9, 0.5)
    # Euler factors from the exported tau: 1 - dt/tau and r dt/tau equal beta and 1 up to rounding
    _check(simulated, {"1": (spikes1, v1), "3": (spikes2, v2)})
    assert spikes1.sum() > 20 and spikes2.sum() > 5


def test_snntorch_synaptic_runs_as_snntorch_means_it():
    rng = np.random.default_rng(6)
    alpha, beta, threshold = 0.8, np.full(5, 0.9), 1.0
    tau_syn, tau_mem = SNNTORCH_DT / (1 - alpha), SNNTORCH_DT / (1 - beta)  # export_nir.py's Synaptic branch
    cuba = nir.CubaLIF(tau_syn=np.full(5, tau_syn), tau_mem=tau_mem, v_threshold=np.full(5, threshold), v_leak=np.zeros(5),
                       r=tau_mem / SNNTORCH_DT, w_in=np.full(5, tau_syn / SNNTORCH_DT), v_reset=np.zeros(5))
    weight, bias = rng.normal(0, 0.3, (5, 2)), np.zeros(5)
    graph = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([2])), "fc": _affine(weight, bias), "lif": cuba,
                                "output": nir.Output(output_type=np.array([5]))},
                         edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")])
    inputs = rng.uniform(0, 1, (120, 2))
    currents = inputs @ weight.T
    syn, mem, spikes, membranes = np.zeros(5), np.zeros(5), [], []
    for current in currents:  # Synaptic(reset_mechanism="zero", reset_delay=False), as import_nir.py builds it
        reset = (mem - threshold > 0).astype(float)
        base_syn = alpha * syn + current
        base_mem = beta * mem + base_syn
        syn, mem = base_syn, base_mem - base_mem * reset  # _base_zero
        spike = (mem - threshold > 0).astype(float)
        mem = mem - (spike - reset) * mem
        spikes.append(spike > 0)
        membranes.append(mem)
    _check(_run(graph, inputs, SNNTORCH_DT), {"lif": (np.array(spikes), np.array(membranes))})
    assert np.sum(spikes) > 10


def test_snntorch_rleaky_subgraph_flattens_and_runs_with_its_recurrence():
    rng = np.random.default_rng(7)
    n = 5
    w_in, b_in = rng.normal(0, 0.5, (n, 2)), np.zeros(n)
    w_rec, b_rec = rng.normal(0, 0.4, (n, n)), rng.normal(0, 0.02, n)  # RLeaky's all-to-all nn.Linear (bias)
    beta, threshold = np.full(n, 0.85), np.ones(n)
    tau_mem = SNNTORCH_DT / (1 - beta)
    subgraph = nir.NIRGraph(nodes={  # export_nir.py's RLeaky branch
        "input": nir.Input(input_type=[n]),
        "lif": nir.LIF(v_threshold=threshold, tau=tau_mem, r=tau_mem / SNNTORCH_DT, v_leak=np.zeros_like(beta),
                       v_reset=np.zeros_like(threshold)),
        "w_rec": _affine(w_rec, b_rec), "output": nir.Output(output_type=[n])},
        edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")])
    graph = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([2])), "fc1": _affine(w_in, b_in), "lif1": subgraph,
                                "output": nir.Output(output_type=np.array([n]))},
                         edges=[("input", "fc1"), ("fc1", "lif1"), ("lif1", "output")])
    with pytest.raises(ValueError, match="nested NIRGraph.*flatten_nir_graph"):
        nir_network_spec(graph, AnalogInput("stimulus", np.zeros((3, 2)), 0.1 * ms), 0.1 * ms, discretisation="euler")
    flat = flatten_nir_graph(graph)
    assert set(flat.nodes) == {"input", "fc1", "lif1.lif", "lif1.w_rec", "output"}
    assert set(flat.edges) == {("input", "fc1"), ("fc1", "lif1.lif"), ("lif1.lif", "lif1.w_rec"), ("lif1.w_rec", "lif1.lif"),
                               ("lif1.lif", "output")}
    inputs = rng.uniform(0, 1, (150, 2))
    mem, spike, spikes, membranes = np.zeros(n), np.zeros(n), [], []
    for x in inputs:  # RLeaky(reset_mechanism="zero", reset_delay=False): beta mem + input + recurrent(spk)
        reset = (mem - 1.0 > 0).astype(float)
        base = beta * mem + x @ w_in.T + spike @ w_rec.T + b_rec
        mem = base - reset * base
        spike = (mem - 1.0 > 0).astype(float)
        mem = mem - (spike - reset) * mem
        spikes.append(spike > 0)
        membranes.append(mem)
    _check(_run(flat, inputs, SNNTORCH_DT), {"lif1.lif": (np.array(spikes), np.array(membranes))})
    assert np.sum(spikes) > 10


def _norse_graph(neuron, readout_tau_inv):
    rng = np.random.default_rng(8)
    w1, b1, w2 = rng.uniform(0.5, 3.0, (4, 2)), rng.normal(0.2, 0.2, 4), rng.normal(0, 1.0, (3, 4))
    graph = nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([2])), "linear1": _affine(w1, b1), "lif": neuron,
        "linear2": nir.Linear(weight=w2),
        "li": nir.LI(tau=1 / readout_tau_inv, v_leak=np.zeros(3), r=np.ones(3)),  # export_nir.py's _map_li_box
        "output": nir.Output(output_type=np.array([3]))},
        edges=[("input", "linear1"), ("linear1", "lif"), ("lif", "linear2"), ("linear2", "li"), ("li", "output")])
    return graph, (w1, b1, w2)


def _norse_li(currents, tau_mem_inv):
    v, out = np.zeros(currents.shape[1]), []
    for current in currents:  # li_box_feed_forward_step
        v = v + NORSE_DT * tau_mem_inv * ((0.0 - v) + current)
        out.append(v)
    return np.array(out)


def test_norse_lif_box_and_li_box_run_as_norse_means_them():
    tau_mem_inv, v_th, v_leak, v_reset = np.array([100.0, 80.0, 120.0, 50.0]), 1.0, 0.1, -0.2
    neuron = nir.LIF(tau=1 / tau_mem_inv, v_threshold=np.full(4, v_th), v_leak=np.full(4, v_leak), r=np.ones(4),
                     v_reset=np.full(4, v_reset))  # export_nir.py's _map_lif_box, time_scaling_factor = 1
    readout_tau_inv = np.array([50.0, 60.0, 70.0])
    graph, (w1, b1, w2) = _norse_graph(neuron, readout_tau_inv)
    inputs = np.random.default_rng(9).uniform(0, 1, (200, 2))
    v, spikes, membranes = np.zeros(4), [], []
    for x in inputs:  # lif_box_feed_forward_step with reset_value
        v_decayed = v + NORSE_DT * tau_mem_inv * (x @ w1.T + b1 + v_leak - v)
        z = (v_decayed - v_th > 0).astype(float)
        v = (1 - z) * v_decayed + z * v_reset
        spikes.append(z > 0)
        membranes.append(v)
    spikes = np.array(spikes)
    _check(_run(graph, inputs, NORSE_DT), {"lif": (spikes, np.array(membranes)),
                                          "li": (np.zeros((200, 3), bool), _norse_li(spikes @ w2.T, readout_tau_inv))})
    assert spikes.sum() > 20


def _norse_lif_cell(inputs, w1, b1, tau_mem_inv, tau_syn_inv, v_th):
    v, i, spikes, membranes = np.zeros(4), np.zeros(4), [], []
    for x in inputs:  # lif_feed_forward_step (v_leak = v_reset = 0)
        i_new = i + (x @ w1.T + b1)
        v_decayed = v + NORSE_DT * tau_mem_inv * ((0.0 - v) + i_new)
        i = i_new + (-NORSE_DT * tau_syn_inv * i_new)
        z = (v_decayed - v_th > 0).astype(float)
        v = (1 - z) * v_decayed
        spikes.append(z > 0)
        membranes.append(v)
    return np.array(spikes), np.array(membranes)


def test_norse_lif_cell_needs_the_current_jump_convention():
    tau_mem_inv, tau_syn_inv = np.full(4, 100.0), np.full(4, 200.0)
    neuron = nir.CubaLIF(tau_mem=1 / tau_mem_inv, tau_syn=1 / tau_syn_inv, v_reset=np.zeros(4), v_threshold=np.ones(4),
                         v_leak=np.zeros(4), r=np.ones(4), w_in=np.ones(4))  # export_nir.py's _map_cuba_lif
    readout_tau_inv = np.full(3, 50.0)
    graph, (w1, b1, w2) = _norse_graph(neuron, readout_tau_inv)
    inputs = np.random.default_rng(10).uniform(0, 1, (200, 2))
    spikes, membranes = _norse_lif_cell(inputs, w1, b1, tau_mem_inv, tau_syn_inv, 1.0)
    _check(_run(graph, inputs, NORSE_DT, cuba_convention="jump"),
           {"lif": (spikes, membranes), "li": (np.zeros((200, 3), bool), _norse_li(spikes @ w2.T, readout_tau_inv))})
    assert spikes.sum() > 20
    # read as NIR's equation (snnTorch's convention, Norse's own import) the input is scaled by
    # dt / tau_syn = 0.2: a different network
    euler = _run(graph, inputs, NORSE_DT, cuba_convention="euler")
    assert euler["lif"][0].sum() < 0.5 * spikes.sum()


def test_euler_import_refuses_what_it_cannot_time():
    graph = nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([1])), "a": _affine([[1.0]], [0.0]), "lif1": _snntorch_lif([0.9], [1.0]),
        "b": nir.Linear(weight=np.array([[1.0]])), "skip": nir.Linear(weight=np.array([[1.0]])),
        "lif2": _snntorch_lif([0.9], [1.0]), "output": nir.Output(output_type=np.array([1]))},
        edges=[("input", "a"), ("a", "lif1"), ("lif1", "b"), ("b", "lif2"), ("input", "skip"), ("skip", "lif2"),
               ("lif2", "output")])
    source = AnalogInput("stimulus", np.zeros((3, 1)), 0.1 * ms)
    with pytest.raises(ValueError, match="different depths"):
        nir_network_spec(graph, source, 0.1 * ms, discretisation="euler")
    with pytest.raises(ValueError, match="discretisation must be one of"):
        nir_network_spec(graph, source, 0.1 * ms, discretisation="rk4")
    with pytest.raises(ValueError, match="cuba_convention must be one of"):
        nir_network_spec(graph, source, 0.1 * ms, discretisation="euler", cuba_convention="norse")
    assert nir_population_name("lif1.w_rec") == "lif1_w_rec" and nir_population_name("0") == "node_0"
