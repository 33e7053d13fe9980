"""NIR graphs (Neuromorphic Intermediate Representation): export of trained SRNNs, import of LIF networks.

Export (:func:`srnn_to_nir`): a trained :class:`~hetero_brian.training.parameters.SRNNParameters`
becomes ``Input -> Affine(W_in, bias) -> LIF <-> Linear(W_rec)``, ``LIF -> Affine(W_out, b_out) ->
LI -> Output``, with ``tau = tau_m``, ``r = 1``, ``v_leak = 0``, ``v_threshold = b0``, ``v_reset = 0``
(the discrete map is the exact step solution of NIR's LIF equation for an input held over a step).
Two things NIR 1.0 cannot say are written into the hidden node's metadata (``hetero_brian``): the
adaptive threshold (``tau_adp``, ``beta``; NIR has no adaptive LIF) and the reset *by subtraction*
of the threshold (NIR's LIF resets *to* ``v_reset``). Another NIR consumer reads a plain LIF that
resets to 0: with ``beta = 0`` and a membrane that never overshoots its threshold much, close, but
not the same network. :func:`srnn_parameters_from_nir` reads such an exported graph back exactly.

Import (:func:`nir_network_spec`): a graph of ``Input``, ``Affine``, ``Linear``, ``LIF``,
``CubaLIF``, ``LI`` and ``Output`` nodes becomes a Brian2 :class:`~hetero_brian.network.spec.NetworkSpec`
that integrates exactly what NIR says, resets included (to ``v_reset``), with the input convention
of :mod:`hetero_brian.models.nir_neurons` (a spike is a pulse of height 1 over one step ``dt``); with
``discretisation="euler"`` it runs the forward-Euler step map that the discrete-time frameworks
writing NIR (snnTorch, Norse) mean by the same graph (:mod:`hetero_brian.models.nir_discrete`;
nested subgraphs: :func:`flatten_nir_graph`).
The ``nir`` package is part of the ``train`` extra; PyTorch is not needed.
"""
import re

import numpy as np
from brian2 import Quantity, second

from ..models.discrete import AnalogSynapse, FixedValues, SignedSynapse
from ..models.nir_discrete import CUBA_CONVENTIONS, NIREulerCubaLIF, NIREulerLI, NIREulerLIF
from ..models.nir_neurons import NIRLIF, NIRCubaLIF, NIRLeakyIntegrator, PulseSynapse
from ..network.spec import AnalogInput, NetworkSpec, Population, Projection
from . import EXTRA_HINT, MissingExtraError
from .parameters import SRNNParameters

__all__ = ["srnn_to_nir", "srnn_parameters_from_nir", "nir_network_spec", "nir_layer_depths", "flatten_nir_graph",
           "nir_population_name", "METADATA_KEY",
           "DISCRETISATIONS"]

#: How an imported graph is integrated: NIR's equations exactly, or the Euler step map of the
#: discrete-time frameworks that write NIR (snnTorch, Norse; :mod:`hetero_brian.models.nir_discrete`).
DISCRETISATIONS = ("exact", "euler")

#: Metadata key of what NIR cannot express (adaptive threshold, reset by subtraction, step).
METADATA_KEY = "hetero_brian"


def _nir():
    try:
        import nir
    except ImportError:
        raise MissingExtraError(f"NIR export and import need the 'nir' package, which is not installed: {EXTRA_HINT}") from None
    return nir


def srnn_to_nir(parameters):
    """A trained SRNN as a NIR graph (nodes ``input``, ``input_hidden``, ``hidden``, ``recurrent``,
    ``hidden_readout``, ``readout``, ``output``; times in seconds).

    Parameters
    ----------
    parameters : SRNNParameters

    Returns
    -------
    nir.NIRGraph
        Write it with ``nir.write(path, graph)``.
    """
    nir = _nir()
    if not isinstance(parameters, SRNNParameters):
        raise TypeError(f"parameters must be SRNNParameters; got {type(parameters).__name__}")
    if parameters.readout != "leaky":
        raise ValueError(f"srnn_to_nir exports a leaky readout (NIR LI); got readout={parameters.readout!r}")
    n_hidden, n_outputs = parameters.n_hidden, parameters.n_outputs
    extra = {"model": "yin_adaptive_lif_discrete_map", "reset": "subtract_threshold", "step_s": float(parameters.step),
             "b0": parameters.b0, "beta": parameters.beta, "tau_adp_s": np.asarray(parameters.tau_adp, dtype=np.float64)}
    nodes = {
        "input": nir.Input(input_type=np.array([parameters.n_inputs])),
        "input_hidden": nir.Affine(weight=parameters.input_weights.copy(), bias=parameters.hidden_bias.copy()),
        "hidden": nir.LIF(tau=np.asarray(parameters.tau_m, dtype=np.float64), r=np.ones(n_hidden), v_leak=np.zeros(n_hidden),
                          v_threshold=np.full(n_hidden, parameters.b0), v_reset=np.zeros(n_hidden),
                          metadata={METADATA_KEY: extra}),
        "recurrent": nir.Linear(weight=parameters.recurrent_weights.copy()),
        "hidden_readout": nir.Affine(weight=parameters.output_weights.copy(), bias=parameters.output_bias.copy()),
        "readout": nir.LI(tau=np.asarray(parameters.tau_output, dtype=np.float64), r=np.ones(n_outputs),
                          v_leak=np.zeros(n_outputs)),
        "output": nir.Output(output_type=np.array([n_outputs])),
    }
    edges = [("input", "input_hidden"), ("input_hidden", "hidden"), ("hidden", "recurrent"), ("recurrent", "hidden"),
             ("hidden", "hidden_readout"), ("hidden_readout", "readout"), ("readout", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"source": "hetero_brian", "step_s": float(parameters.step)})


def srnn_parameters_from_nir(graph):
    """Read back a graph written by :func:`srnn_to_nir` (exactly, metadata included).

    Raises
    ------
    ValueError
        When the graph does not have the layout of :func:`srnn_to_nir` or its hidden node lacks the
        ``hetero_brian`` metadata: a foreign LIF resets to ``v_reset``, which the discrete map of
        Yin et al. does not; import such graphs with :func:`nir_network_spec`.
    """
    nodes = graph.nodes
    expected = {"input", "input_hidden", "hidden", "recurrent", "hidden_readout", "readout", "output"}
    if set(nodes) != expected:
        raise ValueError(f"not a graph of srnn_to_nir: nodes {sorted(nodes)}, expected {sorted(expected)}; "
                         "import other NIR graphs with nir_network_spec")
    extra = dict(getattr(nodes["hidden"], "metadata", {}) or {}).get(METADATA_KEY)
    if not extra or extra.get("reset") != "subtract_threshold":
        raise ValueError("the hidden LIF node has no 'hetero_brian' metadata (reset by subtraction, adaptation): "
                         "a NIR LIF resets to v_reset, so this graph is not the discrete map; use nir_network_spec")
    hidden = nodes["hidden"]
    seconds = second.dim
    return SRNNParameters(
        input_weights=np.asarray(nodes["input_hidden"].weight, dtype=np.float64),
        recurrent_weights=np.asarray(nodes["recurrent"].weight, dtype=np.float64),
        hidden_bias=np.asarray(nodes["input_hidden"].bias, dtype=np.float64),
        tau_m=Quantity(np.asarray(hidden.tau, dtype=np.float64), dim=seconds),
        tau_adp=Quantity(np.asarray(extra["tau_adp_s"], dtype=np.float64), dim=seconds),
        output_weights=np.asarray(nodes["hidden_readout"].weight, dtype=np.float64),
        output_bias=np.asarray(nodes["hidden_readout"].bias, dtype=np.float64),
        tau_output=Quantity(np.asarray(nodes["readout"].tau, dtype=np.float64), dim=seconds),
        b0=float(extra["b0"]), beta=float(extra["beta"]), step=float(extra["step_s"]) * second)


def _values(array, n):
    """A NIR parameter (scalar or per neuron) as ``FixedValues`` of ``n`` values."""
    return FixedValues(np.broadcast_to(np.asarray(array, dtype=np.float64).ravel() if np.ndim(array) else array, (n,)))


def _euler_neuron(node, bias, dt, first_step, cuba_convention):
    """The Euler-map spec of a NIR neuron node (:mod:`hetero_brian.models.nir_discrete`)."""
    nir = _nir()
    n, seconds = bias.size, second.dim

    def times(value):
        return FixedValues(Quantity(np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)), dim=seconds))

    common = {"r": _values(node.r, n), "v_leak": _values(node.v_leak, n), "bias": FixedValues(bias), "step": dt,
              "first_step": first_step}
    if isinstance(node, nir.CubaLIF):
        return NIREulerCubaLIF(tau_syn=times(node.tau_syn), tau_mem=times(node.tau_mem), w_in=_values(node.w_in, n),
                               v_threshold=_values(node.v_threshold, n), v_reset=_values(node.v_reset, n),
                               convention=cuba_convention, **common)
    if isinstance(node, nir.LIF):
        return NIREulerLIF(tau=times(node.tau), v_threshold=_values(node.v_threshold, n), v_reset=_values(node.v_reset, n),
                           **common)
    return NIREulerLI(tau=times(node.tau), **common)


def _neuron(node, bias):
    """The Brian2 spec of a NIR neuron node (``bias``: summed Affine biases feeding it)."""
    nir = _nir()
    n = bias.size
    seconds = second.dim
    if isinstance(node, nir.CubaLIF):
        tau_syn = np.broadcast_to(np.asarray(node.tau_syn, dtype=np.float64), (n,))
        tau_mem = np.broadcast_to(np.asarray(node.tau_mem, dtype=np.float64), (n,))
        method = "rk4" if np.any(np.isclose(tau_syn, tau_mem, rtol=1e-9, atol=0)) else "exact"
        return NIRCubaLIF(tau_syn=FixedValues(Quantity(tau_syn, dim=seconds)), tau_mem=FixedValues(Quantity(tau_mem, dim=seconds)),
                          r=_values(node.r, n), v_leak=_values(node.v_leak, n), v_threshold=_values(node.v_threshold, n),
                          v_reset=_values(node.v_reset, n), w_in=_values(node.w_in, n), bias=FixedValues(bias),
                          integration=method), "I"
    tau = FixedValues(Quantity(np.broadcast_to(np.asarray(node.tau, dtype=np.float64), (n,)), dim=seconds))
    if isinstance(node, nir.LIF):
        return NIRLIF(tau=tau, r=_values(node.r, n), v_leak=_values(node.v_leak, n), v_threshold=_values(node.v_threshold, n),
                      v_reset=_values(node.v_reset, n), bias=FixedValues(bias)), "v"
    return NIRLeakyIntegrator(tau=tau, r=_values(node.r, n), v_leak=_values(node.v_leak, n), bias=FixedValues(bias)), "v"


def _size(node):
    for name in ("tau", "tau_mem"):
        if hasattr(node, name):
            return int(np.size(getattr(node, name)))
    raise ValueError(f"cannot size node {node!r}")


def nir_population_name(name):
    """The Brian2 name of a NIR node: lower case, other characters than ``[a-z0-9_]`` as ``_``, and
    ``node_`` before a leading digit (nirtorch names a ``Sequential``'s layers ``0``, ``1``, ...)."""
    cleaned = re.sub(r"[^a-z0-9_]", "_", str(name).lower())
    return f"node_{cleaned}" if not cleaned or cleaned[0].isdigit() else cleaned


def flatten_nir_graph(graph):
    """Replace nested ``NIRGraph`` nodes by their nodes, named ``<outer>.<inner>``.

    snnTorch writes a recurrent layer (``RLeaky``, ``RSynaptic``) as a subgraph ``input -> lif <->
    w_rec -> output``; its ``Input``/``Output`` nodes pass values through, so edges into the subgraph
    go to what its ``Input`` feeds and edges out of it leave from what feeds its ``Output``.

    Returns
    -------
    nir.NIRGraph
        The same graph when nothing is nested.
    """
    nir = _nir()
    nodes, edges = dict(graph.nodes), list(graph.edges)
    while any(isinstance(node, nir.NIRGraph) for node in nodes.values()):
        outer, inner = next((name, node) for name, node in nodes.items() if isinstance(node, nir.NIRGraph))
        del nodes[outer]
        ends = {name for name, node in inner.nodes.items() if isinstance(node, (nir.Input, nir.Output))}
        nodes.update({f"{outer}.{name}": node for name, node in inner.nodes.items() if name not in ends})
        entries = [f"{outer}.{target}" for source, target in inner.edges
                   if isinstance(inner.nodes[source], nir.Input) and target not in ends]
        exits = [f"{outer}.{source}" for source, target in inner.edges
                 if isinstance(inner.nodes[target], nir.Output) and source not in ends]
        rewired = [(a, b) for source, target in edges for a in (exits if source == outer else [source])
                   for b in (entries if target == outer else [target])]
        edges = rewired + [(f"{outer}.{source}", f"{outer}.{target}") for source, target in inner.edges
                           if source not in ends and target not in ends]
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=dict(getattr(graph, "metadata", {}) or {}), type_check=False)


def nir_layer_depths(graph):
    """Layers between the graph's ``Input`` and each neuron node (the Euler import's Brian2 lag).

    A neuron node's depth is one more than that of the Input or neuron nodes feeding it through
    ``Affine``/``Linear`` nodes (its own recurrent loop aside).

    Raises
    ------
    ValueError
        When the nodes feeding a neuron node lie at different depths (a skip connection) or neuron
        nodes feed each other in a loop: a one-step-per-layer Brian2 run cannot give both the
        framework's same-step timing.
    """
    nir = _nir()
    feeders = {}
    for source, target in graph.edges:
        feeders.setdefault(target, []).append(source)
    neurons = [name for name, node in graph.nodes.items() if isinstance(node, (nir.LIF, nir.CubaLIF, nir.LI))]
    depths = {name: 0 for name, node in graph.nodes.items() if isinstance(node, nir.Input)}
    for _ in range(len(neurons)):
        for name in neurons:
            sources = {source for weight in feeders.get(name, []) for source in feeders.get(weight, [])} - {name}
            if name in depths or not sources <= set(depths):
                continue
            levels = {depths[source] for source in sources}
            if len(levels) != 1:
                raise ValueError(f"neuron node {name!r} is fed by nodes at different depths "
                                 f"{ {source: depths[source] for source in sources} }: the Euler import needs every "
                                 "path into a node to cross the same number of layers (no skip connections)")
            depths[name] = levels.pop() + 1
    missing = [name for name in neurons if name not in depths]
    if missing:
        raise ValueError(f"neuron nodes {missing} are not reached from the Input, or lie on a loop through other "
                         "neuron nodes (only a node's loop onto itself is supported by the Euler import)")
    return {name: depths[name] for name in neurons}


def nir_network_spec(graph, input_source, dt, discretisation="exact", cuba_convention="euler"):
    """A NIR graph as a Brian2 network spec that integrates NIR's equations (reset to ``v_reset``).

    Parameters
    ----------
    graph : nir.NIRGraph
        Nodes ``Input`` (exactly one), ``Affine``, ``Linear``, ``LIF``, ``CubaLIF``, ``LI``, ``Output``;
        every edge into a neuron node comes from an ``Affine``/``Linear`` node fed by the input or by a
        neuron node. Population names are the node names.
    input_source : SpikeInput, RasterInput, AnalogInput or PoissonInput
        The spikes of the graph's ``Input`` node (its ``n_neurons`` must match); any name not
        used by a node.
    dt : brian2.Quantity
        Simulation step, also the length of an input pulse (see :mod:`hetero_brian.models.nir_neurons`);
        with ``discretisation="euler"`` the framework's step (snnTorch writes its graphs for
        ``dt = 1e-4`` s; Norse for its ``dt``, 1 ms by default, when ``time_scaling_factor = 1``).
    discretisation : {"exact", "euler"}
        ``"exact"``: NIR's equations solved exactly between steps, a spike a pulse over one step.
        ``"euler"``: the forward-Euler step map, input of step ``k`` in the update of step ``k``, the
        update snnTorch's ``Leaky``/``Synaptic`` and Norse's ``LIFBoxCell``/``LIBoxCell`` run
        (:mod:`hetero_brian.models.nir_discrete`); a node ``d`` layers deep computes the framework's step
        ``k`` in Brian2 step ``k + d`` (:func:`nir_layer_depths`). An :class:`AnalogInput` source then
        delivers ``w x`` per step (real-valued inputs).
    cuba_convention : {"euler", "jump"}
        Discrete update of ``CubaLIF`` nodes under ``"euler"``: NIR's equation (snnTorch's ``Synaptic``)
        or Norse's ``LIFCell``, whose export writes ``w_in = 1`` for a current that *jumps* by the
        input (read with ``"euler"``, its input would be scaled by ``dt / tau_syn``).

    Returns
    -------
    NetworkSpec
        Populations are named after the neuron nodes (:func:`nir_population_name`), projections after
        the Affine/Linear node and its target (``<node>`` when it feeds one population,
        ``<node>_<target>`` otherwise).

    Raises
    ------
    ValueError
        Naming an unsupported node type or an edge the import cannot map.
    """
    nir = _nir()
    if discretisation not in DISCRETISATIONS:
        raise ValueError(f"discretisation must be one of {DISCRETISATIONS}; got {discretisation!r}")
    if cuba_convention not in CUBA_CONVENTIONS:
        raise ValueError(f"cuba_convention must be one of {CUBA_CONVENTIONS}; got {cuba_convention!r}")
    neuron_types = (nir.LIF, nir.CubaLIF, nir.LI)
    supported = (nir.Input, nir.Output, nir.Affine, nir.Linear, *neuron_types)
    for name, node in graph.nodes.items():
        if isinstance(node, nir.NIRGraph):
            raise ValueError(f"NIR node {name!r} is a nested NIRGraph (e.g. snnTorch's RLeaky/RSynaptic subgraph); "
                             "flatten it first (hetero_brian.training.nir_graphs.flatten_nir_graph)")
        if not isinstance(node, supported):
            raise ValueError(f"NIR node {name!r} is a {type(node).__name__}; the import supports Input, Output, Affine, "
                             "Linear, LIF, CubaLIF and LI")
    inputs = [name for name, node in graph.nodes.items() if isinstance(node, nir.Input)]
    if len(inputs) != 1:
        raise ValueError(f"the graph must have exactly one Input node; got {inputs}")
    n_input = int(np.prod(graph.nodes[inputs[0]].input_type["input"]))
    if input_source.n_neurons != n_input:
        raise ValueError(f"input_source has {input_source.n_neurons} channels; the graph's Input has {n_input}")
    sources = {inputs[0]: input_source.name}
    neurons = {name: node for name, node in graph.nodes.items() if isinstance(node, neuron_types)}
    sizes = {name: _size(node) for name, node in neurons.items()}
    for source, target in graph.edges:  # scalar parameters (e.g. snnTorch's Leaky(beta=0.9)): sized by the weights
        if target in neurons and sizes[target] == 1 and isinstance(graph.nodes[source], (nir.Affine, nir.Linear)):
            sizes[target] = int(np.shape(graph.nodes[source].weight)[0])
    sizes[input_source.name] = n_input
    sources.update({name: name for name in neurons})
    biases = {name: np.zeros(size) for name, size in sizes.items() if name in neurons}
    projections, targets_of = [], {}
    for source, target in graph.edges:
        targets_of.setdefault(source, []).append(target)
    for name, node in graph.nodes.items():
        if not isinstance(node, (nir.Affine, nir.Linear)):
            continue
        feeders = [source for source, target in graph.edges if target == name]
        if len(feeders) != 1 or feeders[0] not in sources:
            raise ValueError(f"weight node {name!r} must be fed by exactly one Input or neuron node; got {feeders}")
        weights = np.asarray(node.weight, dtype=np.float64)
        for target in targets_of.get(name, []):
            if target not in neurons:
                raise ValueError(f"weight node {name!r} feeds {target!r}, which is not a LIF, CubaLIF or LI node")
            if weights.shape != (sizes[target], sizes[sources[feeders[0]]]):
                raise ValueError(f"weight node {name!r}: weight shape {weights.shape} does not match "
                                 f"({sizes[target]}, {sizes[sources[feeders[0]]]})")
            if isinstance(node, nir.Affine):
                biases[target] = biases[target] + np.asarray(node.bias, dtype=np.float64)
            post, pre = np.nonzero(weights)
            projection_name = name if len(targets_of[name]) == 1 else f"{name}_{target}"
            projections.append((projection_name, sources[feeders[0]], target, weights[post, pre], pre, post))
    for source, target in graph.edges:
        if target in neurons and not isinstance(graph.nodes[source], (nir.Affine, nir.Linear)):
            raise ValueError(f"edge {source!r} -> {target!r}: a neuron node must be fed through an Affine or Linear node")
    populations, targets = [], {}
    depths = nir_layer_depths(graph) if discretisation == "euler" else {}
    for name, node in neurons.items():
        if discretisation == "euler":
            model, targets[name] = _euler_neuron(node, biases[name], dt, depths[name], cuba_convention), "I"
        else:
            model, targets[name] = _neuron(node, biases[name])
        populations.append(Population(nir_population_name(name), sizes[name], model))

    def population(name):
        return name if name == input_source.name else nir_population_name(name)

    def synapse(source, target, weights):
        if discretisation == "exact":
            return PulseSynapse(weight=FixedValues(weights), target=targets[target])
        kind = AnalogSynapse if isinstance(input_source, AnalogInput) and source == input_source.name else SignedSynapse
        return kind(weight=FixedValues(weights), target="I")

    return NetworkSpec(
        populations=tuple(populations),
        projections=tuple(Projection(nir_population_name(name), population(source), population(target),
                                     synapse(source, target, w), i, j) for name, source, target, w, i, j in projections),
        inputs=(input_source,), dt=dt, shared_constants=True)
