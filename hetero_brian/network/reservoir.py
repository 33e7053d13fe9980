"""Excitatory/inhibitory recurrent reservoirs (the HRSNN layer) as :class:`NetworkSpec` objects.

A reservoir has populations ``exc`` and ``inh`` (80/20 by default), random recurrent projections
``ee``, ``ei``, ``ie``, ``ii`` (Dale's law by construction: each projection's sign comes from its
source), and an input projected onto both populations (``input_exc``, ``input_inh``). The
heterogeneous and homogeneous twins come from the same call with different distributions.

References
----------
B. Chakraborty, S. Mukhopadhyay, "Heterogeneous recurrent spiking neural network for
spatio-temporal classification", Front. Neurosci. 17:994517 (2023).
"""
from dataclasses import dataclass, replace

from brian2 import mV, ms

from ..distributions import Constant, Distribution
from ..models.neurons import LIF
from ..models.synapses import STDP, StaticSynapse
from ..random import SeedStreams, as_generator
from .spec import NetworkSpec, Population, Projection
from ..resources import check_planned_network
from .connectivity import excitatory_inhibitory, fixed_in_degree, fixed_probability

RECURRENT = ("ee", "ei", "ie", "ii")
#: Connectivity rules of a reservoir: ``fixed_in_degree`` keeps the synapse counts of every seed (one
#: compiled binary serves every seed); ``fixed_probability`` (pairwise Bernoulli) draws the counts too.
CONNECTIVITY = ("fixed_in_degree", "fixed_probability")


@dataclass(frozen=True, eq=False)
class ReservoirSynapses:
    """Synapse specs of the four recurrent projections and the input projection.

    ``ee`` may be plastic (:class:`~hetero_brian.models.synapses.STDP`); inhibitory projections
    (``ie``, ``ii``) must have ``sign=-1`` for current-based neurons.
    """

    ee: object
    ei: object
    ie: object
    ii: object
    input: object

    def __post_init__(self):
        for name in ("ie", "ii"):
            synapse = getattr(self, name)
            if synapse.target == "I_syn" and synapse.sign != -1:
                raise ValueError(f"reservoir synapses {name!r} come from inhibitory neurons and need sign=-1; got {synapse.sign}")


def default_synapses(plastic=True, stdp=None, weight_scale=1.0):
    """Current-based defaults: excitatory 0.5 mV, inhibitory 2 mV, input 2 mV (times ``weight_scale``).

    ``ee`` is additive STDP (``stdp`` replaces it) when ``plastic``.
    """
    excitatory = StaticSynapse(weight=0.5 * mV * weight_scale)
    inhibitory = StaticSynapse(weight=2.0 * mV * weight_scale, sign=-1)
    ee = excitatory
    if plastic:
        ee = stdp if stdp is not None else STDP(weight=0.5 * mV * weight_scale, w_max=1.0 * mV * weight_scale)
    return ReservoirSynapses(ee=ee, ei=excitatory, ie=inhibitory, ii=inhibitory,
                             input=StaticSynapse(weight=2.0 * mV * weight_scale))


def reservoir_spec(n_neurons, input_population, seed, neuron=None, synapses=None, excitatory_fraction=0.8,
                   p_recurrent=0.1, p_input=0.2, dt=0.1 * ms, inhibitory_neuron=None,
                   connectivity="fixed_probability"):
    """Build the spec of an E/I recurrent reservoir driven by ``input_population``.

    Parameters
    ----------
    n_neurons : int
        Total number of reservoir neurons (>= 5).
    input_population : SpikeInput, RasterInput or PoissonInput
        The input (its name must differ from ``exc``/``inh``).
    seed : int or SeedStreams
        Master seed: the connectivity is drawn from its ``structure`` stream, and the seed is
        recorded as the spec's ``structure_seed``.
    neuron : neuron spec, optional
        Model of the excitatory neurons (default :class:`LIF` with its defaults); the inhibitory
        neurons use ``inhibitory_neuron`` or the same spec.
    synapses : ReservoirSynapses, optional
        Default :func:`default_synapses`.
    excitatory_fraction : float
        Fraction of excitatory neurons, in (0, 1).
    p_recurrent : float or dict
        Recurrent connection probability, or per projection (``ee``, ``ei``, ``ie``, ``ii``).
    p_input : float
        Probability that an input channel projects onto a reservoir neuron.
    dt : brian2.Quantity
        Time step.
    connectivity : {"fixed_probability", "fixed_in_degree"}
        ``fixed_probability``: every possible synapse exists independently with its probability, so
        the synapse counts change with the seed, and a C++ build compiles the counts in (a new
        seed recompiles). ``fixed_in_degree``: every target neuron gets exactly ``round(p * n_pre)``
        partners of each kind (at least one when ``p > 0``), so every seed has the same counts and
        reuses the compiled binary (:func:`in_degree_pairs`).

    Returns
    -------
    NetworkSpec
    """
    streams = seed if isinstance(seed, SeedStreams) else SeedStreams(seed)
    spec = reservoir_from_stream(n_neurons, input_population, streams.generator("structure"), neuron, synapses,
                                 excitatory_fraction, p_recurrent, p_input, dt, inhibitory_neuron, connectivity)
    return replace(spec, structure_seed=streams.master_seed)


def _check_planned_size(n_exc, n_inh, input_population, synapses, p_recurrent, p_input):
    """Refuse a reservoir too large for this machine from its sizes, before any connectivity is drawn."""
    sizes = {"e": n_exc, "i": n_inh}
    probabilities = p_recurrent if isinstance(p_recurrent, dict) else dict.fromkeys(RECURRENT, p_recurrent)
    expected = {name: sizes[name[0]] * sizes[name[1]] * float(probabilities.get(name, 0.0)) for name in RECURRENT}
    expected["input"] = input_population.n_neurons * (n_exc + n_inh) * float(p_input)
    variables = {name: len(getattr(synapses, name).parameter_infos()) + 3 for name in (*RECURRENT, "input")}
    check_planned_network({"exc": n_exc, "inh": n_inh, input_population.name: input_population.n_neurons},
                          expected, variables, what="the reservoir")


def reservoir_from_stream(n_neurons, input_population, rng, neuron=None, synapses=None, excitatory_fraction=0.8,
                          p_recurrent=0.1, p_input=0.2, dt=0.1 * ms, inhibitory_neuron=None,
                          connectivity="fixed_probability"):
    """The reservoir of :func:`reservoir_spec` drawn from a given generator (no ``structure_seed``).

    For family builders that go on drawing from the same structure stream (the fixed in-degree
    HRSNN); everyone else calls :func:`reservoir_spec` with a seed.

    Parameters
    ----------
    rng : numpy.random.Generator
        The structure stream (connectivity only).
    n_neurons, input_population, neuron, synapses, excitatory_fraction, p_recurrent, p_input, dt, inhibitory_neuron, connectivity
        As in :func:`reservoir_spec`.

    Returns
    -------
    NetworkSpec
    """
    if isinstance(n_neurons, bool) or not isinstance(n_neurons, int) or n_neurons < 5:
        raise ValueError(f"n_neurons must be an integer >= 5; got {n_neurons!r}")
    if not 0 < excitatory_fraction < 1:
        raise ValueError(f"excitatory_fraction must be in (0, 1); got {excitatory_fraction!r}")
    if connectivity not in CONNECTIVITY:
        raise ValueError(f"connectivity must be one of {CONNECTIVITY}; got {connectivity!r}")
    rng = as_generator(rng)
    neuron = neuron if neuron is not None else LIF()
    inhibitory_neuron = inhibitory_neuron if inhibitory_neuron is not None else neuron
    synapses = synapses if synapses is not None else default_synapses()
    n_exc = int(round(excitatory_fraction * n_neurons))
    n_inh = n_neurons - n_exc
    _check_planned_size(n_exc, n_inh, input_population, synapses, p_recurrent, p_input)
    sizes = {"e": n_exc, "i": n_inh}
    if connectivity == "fixed_probability":
        pairs = excitatory_inhibitory(n_exc, n_inh, p_recurrent, rng)
    else:
        probabilities = p_recurrent if isinstance(p_recurrent, dict) else dict.fromkeys(RECURRENT, p_recurrent)
        missing = set(RECURRENT) - set(probabilities)
        if missing:
            raise ValueError(f"p_recurrent must give the probabilities of ee, ei, ie and ii; missing {sorted(missing)}")
        pairs = {name: in_degree_pairs(sizes[name[0]], sizes[name[1]], probabilities[name], rng,
                                       recurrent=name[0] == name[1]) for name in RECURRENT}
    projections = [
        Projection(name, {"e": "exc", "i": "inh"}[name[0]], {"e": "exc", "i": "inh"}[name[1]],
                   getattr(synapses, name), *pairs[name])
        for name in RECURRENT
    ]
    for target, size in (("exc", n_exc), ("inh", n_inh)):
        if connectivity == "fixed_probability":
            i, j = fixed_probability(input_population.n_neurons, size, p_input, rng, allow_self=True)
        else:
            i, j = in_degree_pairs(input_population.n_neurons, size, p_input, rng, recurrent=False)
        projections.append(Projection(f"input_{target}", input_population.name, target, synapses.input, i, j))
    return NetworkSpec(
        populations=(Population("exc", n_exc, neuron), Population("inh", n_inh, inhibitory_neuron)),
        projections=tuple(projections),
        inputs=(input_population,),
        dt=dt,
    )


def in_degree_pairs(n_pre, n_post, p, rng, recurrent):
    """Fixed in-degree ``(i, j)`` for connection probability ``p``: every target gets ``round(p * n_pre)``
    distinct partners (at least one when ``p > 0``, at most ``n_pre``, or ``n_pre - 1`` without
    self-connections in a ``recurrent`` projection)."""
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"connection probability p must be in [0, 1]; got {p!r}")
    available = n_pre - 1 if recurrent else n_pre
    in_degree = min(max(int(round(p * n_pre)), 1 if p > 0 else 0), available)
    return fixed_in_degree(n_pre, n_post, in_degree, rng, allow_self=not recurrent)


def homogeneous_twin(spec_model):
    """The same model spec with every distribution replaced by a constant at its mean.

    Works for neuron and synapse specs alike: the homogeneous baseline of HRSNN has the same means.
    """
    changes = {}
    for name in spec_model.parameter_infos():
        distribution = getattr(spec_model, name)
        if isinstance(distribution, Distribution) and not isinstance(distribution, Constant):
            changes[name] = Constant(distribution.mean)
    return replace(spec_model, **changes)


def inhibitory_spec(n_neurons, neuron, weight, p_connection, seed, dt=0.1 * ms, shared_constants=True):
    """A purely inhibitory recurrent network: one population ``inh``, projection ``ii`` (no input).

    Parameters
    ----------
    n_neurons : int
    neuron : neuron spec
        Drive it with a constant external current (e.g. run-time ``inh.I_ext``).
    weight : brian2.Quantity
        Magnitude of every inhibitory weight (the synapses have ``sign=-1``).
    p_connection : float
        Connection probability, no self-connections.
    seed : int or SeedStreams
        Master seed; the connectivity is drawn from its ``structure`` stream.
    dt : brian2.Quantity
    shared_constants : bool
        See :class:`~hetero_brian.network.builder.NetworkSpec`.

    Returns
    -------
    NetworkSpec
    """
    streams = seed if isinstance(seed, SeedStreams) else SeedStreams(seed)
    i, j = fixed_probability(n_neurons, n_neurons, p_connection, streams.generator("structure"), allow_self=False)
    return NetworkSpec(populations=(Population("inh", n_neurons, neuron),),
                       projections=(Projection("ii", "inh", "inh", StaticSynapse(weight=weight, sign=-1), i, j),),
                       dt=dt, shared_constants=shared_constants, structure_seed=streams.master_seed)
