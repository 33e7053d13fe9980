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
of :mod:`hetero_brian.models.nir_neurons` (a spike is a pulse of height 1 over one step ``dt``).
The ``nir`` package is part of the ``train`` extra; PyTorch is not needed.
"""
import numpy as np
from brian2 import Quantity, second

from ..models.discrete import FixedValues
from ..models.nir_neurons import NIRLIF, NIRCubaLIF, NIRLeakyIntegrator, PulseSynapse
from ..network.spec import NetworkSpec, Population, Projection
from . import EXTRA_HINT, MissingExtraError
from .parameters import SRNNParameters

__all__ = ["srnn_to_nir", "srnn_parameters_from_nir", "nir_network_spec", "METADATA_KEY"]

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


def nir_network_spec(graph, input_source, dt):
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
        Simulation step, also the length of an input pulse (see :mod:`hetero_brian.models.nir_neurons`).

    Returns
    -------
    NetworkSpec
        Projections are named after the Affine/Linear node and its target (``<node>`` when it feeds one
        population, ``<node>_<target>`` otherwise).

    Raises
    ------
    ValueError
        Naming an unsupported node type or an edge the import cannot map.
    """
    nir = _nir()
    neuron_types = (nir.LIF, nir.CubaLIF, nir.LI)
    supported = (nir.Input, nir.Output, nir.Affine, nir.Linear, *neuron_types)
    for name, node in graph.nodes.items():
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
    for name, node in neurons.items():
        model, targets[name] = _neuron(node, biases[name])
        populations.append(Population(name, sizes[name], model))
    return NetworkSpec(
        populations=tuple(populations),
        projections=tuple(Projection(name, source, target, PulseSynapse(weight=FixedValues(w), target=targets[target]), i, j)
                          for name, source, target, w, i, j in projections),
        inputs=(input_source,), dt=dt, shared_constants=True)
