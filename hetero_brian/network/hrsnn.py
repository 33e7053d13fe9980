"""HRSNN: a heterogeneous recurrent spiking reservoir whose E->E synapses learn with heterogeneous STDP.

:func:`hrsnn_spec` builds the :class:`~hetero_brian.network.spec.NetworkSpec` of the paper's
recurrent layer on top of :func:`~hetero_brian.network.reservoir.reservoir_from_stream`: an E/I reservoir
(80/20 by default) with per-neuron membrane time constants drawn from a distribution (Gamma by
default) and pair-based STDP on the recurrent excitatory synapses (optionally also on the input
synapses onto excitatory neurons) whose time constants and learning rates are drawn per synapse.

:class:`HRSNNParameters` is the one form of these parameters: a validated configuration model
(:class:`~hetero_brian.config.StrictModel`) that holds the distributions themselves. Scenario
configurations inherit from it, so a command-line key such as ``n_neurons`` or ``tau_m.cv`` is
checked once, where it is read.

The paper's 2x2 comparison (homogeneous or heterogeneous neurons x homogeneous or heterogeneous
STDP) is the same spec with two switches, ``heterogeneous_neurons`` and ``heterogeneous_stdp``: a
switch that is off replaces each distribution by a constant at its mean. Because every
heterogeneous quantity is a per-neuron or per-synapse *variable*, all four variants share the
same generated code, so one compiled binary can run them all: :func:`variant_parameters` gives
the run-time assignments that turn the fully heterogeneous network into any other variant
(``Simulator.run(parameters=...)``).

References
----------
B. Chakraborty, S. Mukhopadhyay, "Heterogeneous recurrent spiking neural network for
spatio-temporal classification", Front. Neurosci. 17:994517 (2023), arXiv:2211.04297.
B. Chakraborty, S. Mukhopadhyay, "Heterogeneous neuronal and synaptic dynamics for spike-efficient
unsupervised learning: theory and design principles", ICLR 2023, arXiv:2302.11618.
S. Song, K. D. Miller, L. F. Abbott, "Competitive Hebbian learning through spike-timing-dependent
synaptic plasticity", Nat. Neurosci. 3, 919 (2000).
"""
from dataclasses import replace
from typing import Literal

from brian2 import mV, ms, second, volt
from pydantic import ConfigDict, Field, StrictBool, model_validator

from ..config import DistributionField, QuantityField, StrictModel
from ..distributions import Constant, Distribution, Gamma, LogNormal
from ..models.neurons import LIF, AdaptiveLIF
from ..models.synapses import STDP, StaticSynapse
from ..random import SeedStreams
from .reservoir import CONNECTIVITY, ReservoirSynapses, in_degree_pairs, reservoir_from_stream

NEURON_MODELS = ("lif", "adaptive_lif")
TIME_CONSTANTS = ("tau_m", "tau_adapt", "tau_pre", "tau_post")
LEARNING_RATES = ("eta_plus", "eta_minus")
MAX_CV = 5.0


def _check_fraction(value, name, low=0.0, high=1.0, closed_low=False):
    ok = (low <= value if closed_low else low < value) and value <= high
    if not ok:
        raise ValueError(f"HRSNNParameters.{name} must be in {'[' if closed_low else '('}{low}, {high}]; got {value!r}")


def _check_spread(distribution, name, positive):
    """Mean (> 0 or in [0, 1]), lower bound of the support (>= 0) and cv (<= MAX_CV) of a distribution."""
    mean = float(distribution.mean)
    if positive and not mean > 0:
        raise ValueError(f"HRSNNParameters.{name} must be > 0; got mean {distribution.mean!r}")
    if not positive:
        _check_fraction(mean, name, 0.0, 1.0, closed_low=True)
    if distribution.support_si()[0] < 0:
        raise ValueError(f"HRSNNParameters.{name} must not take negative values; got {distribution!r}")
    if float(distribution.mean) != 0 and not float(distribution.cv) <= MAX_CV:
        raise ValueError(f"HRSNNParameters.{name} must have a cv in [0, {MAX_CV}]; got {distribution!r}")


class HRSNNParameters(StrictModel):
    """All parameters of an HRSNN reservoir: distributions, fixed values and the two switches.

    A validated configuration model: give quantities as text (``"20 ms"``) or Brian2 quantities,
    and heterogeneous parameters as distributions (a mapping such as ``{"distribution": "gamma",
    "mean": "20 ms", "cv": 0.5}``, a :mod:`hetero_brian.distributions` object, or a plain quantity
    for a constant). Invalid values raise ``pydantic.ValidationError`` (a ``ValueError``) naming
    the field.

    Parameters
    ----------
    n_neurons : int
        Reservoir size (excitatory plus inhibitory), >= 5.
    excitatory_fraction : float
        Fraction of excitatory neurons, in (0, 1).
    neuron_model : {"lif", "adaptive_lif"}
        Plain LIF or the adaptive-threshold LIF of Yin et al. (2020).
    tau_m : distribution of time
        Membrane time constant per neuron (default Gamma, mean 20 ms, cv 0.5).
    tau_adapt : distribution of time
        Adaptive LIF only: adaptation time constant per neuron (default Gamma, 150 ms, cv 0.3).
    beta : brian2.Quantity
        Adaptive LIF only: threshold increase per unit of adaptation (voltage).
    tau_syn, t_ref : brian2.Quantity
        Synaptic current decay and refractory period (time), the same in every variant.
    v_rest, v_th, v_reset : brian2.Quantity
        Resting, threshold and reset potentials (voltage).
    weight_ee, w_max_ee, weight_ei, weight_ie, weight_ii, weight_input : brian2.Quantity
        Initial weight magnitudes (voltage jumps of ``I_syn``) and the STDP bound of ``ee``.
    tau_pre, tau_post : distribution of time
        STDP trace time constants per synapse (default LogNormal, mean 20 ms, cv 0.5).
    eta_plus, eta_minus : distribution (dimensionless)
        Potentiation and depression rates per synapse, fractions of ``w_max`` per pairing, means
        in [0, 1] (default LogNormal, means 0.01 and 0.0105, cv 0.5).
    stdp_rule : {"additive", "multiplicative"}
        STDP rule (see :class:`~hetero_brian.models.synapses.STDP`).
    input_plastic : bool
        Also make ``input_exc`` plastic (same STDP family; bound ``w_max_input``).
    w_max_input : brian2.Quantity
        Upper bound of plastic input weights.
    synapse_precision : {"float64", "float32"}
        Storage of the per-synapse state of every projection: weights, STDP traces and per-synapse
        STDP parameters (``precision`` of :class:`~hetero_brian.models.synapses.StaticSynapse` and
        :class:`~hetero_brian.models.synapses.STDP`); float32 halves their memory, the arithmetic
        stays in double precision.
    connectivity : {"fixed_in_degree", "fixed_probability"}
        ``fixed_in_degree`` gives every neuron exactly ``round(p * n_pre)`` partners of each kind,
        so two seeds have the same synapse counts (and share one compiled C++ project).
    p_recurrent, p_input : float
        Recurrent and input connection probabilities, in (0, 1].
    heterogeneous_neurons, heterogeneous_stdp : bool
        The two switches of the 2x2 comparison: off, each distribution of the neurons
        (``tau_m``, ``tau_adapt``) or of the STDP (``tau_pre``, ``tau_post``, ``eta_plus``,
        ``eta_minus``) becomes a constant at its mean.
    dt : brian2.Quantity
        Simulation time step.

    Notes
    -----
    Heterogeneous neurons: ``tau_m ~ Gamma(mean, cv)`` (shape ``1/cv^2``, scale ``mean cv^2``)
    per neuron by default; homogeneous: the mean for every neuron. Heterogeneous STDP: per
    synapse ``tau_pre, tau_post, eta_plus, eta_minus ~ LogNormal(mean, cv)`` by default; the
    log-normal keeps every time constant positive with a thin lower tail, so ``dt`` stays below
    the smallest one. The published papers do not give the shapes of these distributions; the
    choice is ours and is a parameter. Every time-constant distribution must have a positive mean,
    no negative values and a cv of at most 5.
    """

    model_config = ConfigDict(frozen=True)

    n_neurons: int = Field(500, description="reservoir neurons, excitatory plus inhibitory (>= 5)")
    excitatory_fraction: float = Field(0.8, description="fraction of excitatory neurons, in (0, 1)")
    neuron_model: Literal["lif", "adaptive_lif"] = Field(
        "lif", description="'lif' or 'adaptive_lif' (adaptive threshold, Yin et al. 2020)")
    tau_m: DistributionField(second) = Field(
        Gamma(20 * ms, 0.5), description="membrane time constant per neuron (a distribution of time)")
    tau_adapt: DistributionField(second) = Field(
        Gamma(150 * ms, 0.3), description="adaptive LIF only: adaptation time constant per neuron (time)")
    beta: QuantityField(volt) = Field(
        1.0 * mV, description="adaptive LIF only: threshold increase per unit of adaptation (voltage)")
    tau_syn: QuantityField(second) = Field(5 * ms, description="synaptic current decay time constant (time)")
    t_ref: QuantityField(second) = Field(2 * ms, description="refractory period (time)")
    v_rest: QuantityField(volt) = Field(-65 * mV, description="resting potential (voltage)")
    v_th: QuantityField(volt) = Field(-50 * mV, description="firing threshold (voltage, above v_rest)")
    v_reset: QuantityField(volt) = Field(-65 * mV, description="reset potential after a spike (voltage)")
    weight_ee: QuantityField(volt) = Field(
        1.0 * mV, description="initial excitatory-to-excitatory weight (voltage jump of I_syn)")
    w_max_ee: QuantityField(volt) = Field(2.0 * mV, description="upper bound of the plastic ee weights (voltage)")
    weight_ei: QuantityField(volt) = Field(
        1.0 * mV, description="excitatory-to-inhibitory weight (voltage jump of I_syn)")
    weight_ie: QuantityField(volt) = Field(
        3.0 * mV, description="inhibitory-to-excitatory weight magnitude (voltage jump of I_syn)")
    weight_ii: QuantityField(volt) = Field(
        3.0 * mV, description="inhibitory-to-inhibitory weight magnitude (voltage jump of I_syn)")
    weight_input: QuantityField(volt) = Field(
        2.0 * mV, description="input-to-excitatory weight (voltage jump of I_syn)")
    tau_pre: DistributionField(second) = Field(
        LogNormal(20 * ms, 0.5), description="presynaptic STDP trace time constant per synapse (time)")
    tau_post: DistributionField(second) = Field(
        LogNormal(20 * ms, 0.5), description="postsynaptic STDP trace time constant per synapse (time)")
    eta_plus: DistributionField(1) = Field(
        LogNormal(0.01, 0.5), description="STDP potentiation per pairing and synapse (fraction of w_max)")
    eta_minus: DistributionField(1) = Field(
        LogNormal(0.0105, 0.5), description="STDP depression per pairing and synapse (fraction of w_max)")
    stdp_rule: Literal["additive", "multiplicative"] = Field(
        "additive", description="'additive' or 'multiplicative' STDP")
    input_plastic: StrictBool = Field(
        False, description="also make the input-to-excitatory synapses plastic (bound w_max_input)")
    w_max_input: QuantityField(volt) = Field(4.0 * mV, description="upper bound of plastic input weights (voltage)")
    synapse_precision: Literal["float64", "float32"] = Field(
        "float64", description="storage of per-synapse weights, STDP traces and STDP parameters ('float32' halves "
        "their memory; arithmetic stays float64)")
    connectivity: Literal["fixed_in_degree", "fixed_probability"] = Field(
        "fixed_in_degree", description="'fixed_in_degree' (round(p * n_pre) partners each) or 'fixed_probability'")
    p_recurrent: float = Field(0.1, description="recurrent connection probability, in (0, 1]")
    p_input: float = Field(0.2, description="input connection probability, in (0, 1]")
    heterogeneous_neurons: StrictBool = Field(
        True, description="draw tau_m and tau_adapt per neuron (off: every neuron at the mean)")
    heterogeneous_stdp: StrictBool = Field(
        True, description="draw tau_pre, tau_post, eta_plus, eta_minus per synapse (off: the means)")
    dt: QuantityField(second) = Field(0.5 * ms, description="simulation time step (time)")

    @model_validator(mode="after")
    def _check(self):
        if self.n_neurons < 5:
            raise ValueError(f"HRSNNParameters.n_neurons must be an integer >= 5; got {self.n_neurons!r}")
        _check_fraction(self.excitatory_fraction, "excitatory_fraction")
        if self.excitatory_fraction == 1.0:
            raise ValueError("HRSNNParameters.excitatory_fraction must be < 1 (the reservoir needs inhibitory neurons)")
        for name in TIME_CONSTANTS:
            _check_spread(getattr(self, name), name, positive=True)
        for name in LEARNING_RATES:
            _check_spread(getattr(self, name), name, positive=False)
        for name in ("tau_syn", "dt"):
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"HRSNNParameters.{name} must be > 0; got {getattr(self, name)!r}")
        if float(self.t_ref) < 0:
            raise ValueError(f"HRSNNParameters.t_ref must be >= 0; got {self.t_ref!r}")
        if not float(self.v_th) > float(self.v_rest):
            raise ValueError(f"HRSNNParameters.v_th must be above v_rest; got v_th={self.v_th!r}, v_rest={self.v_rest!r}")
        for name in ("weight_ee", "weight_ei", "weight_ie", "weight_ii", "weight_input", "beta"):
            if float(getattr(self, name)) < 0:
                raise ValueError(f"HRSNNParameters.{name} must be >= 0; got {getattr(self, name)!r}")
        for name in ("w_max_ee", "w_max_input"):
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"HRSNNParameters.{name} must be > 0; got {getattr(self, name)!r}")
        if float(self.weight_ee) > float(self.w_max_ee):
            raise ValueError(f"HRSNNParameters.weight_ee must be <= w_max_ee; got {self.weight_ee!r} > {self.w_max_ee!r}")
        if self.input_plastic and float(self.weight_input) > float(self.w_max_input):
            raise ValueError(f"HRSNNParameters.weight_input must be <= w_max_input when input_plastic; got "
                             f"{self.weight_input!r} > {self.w_max_input!r}")
        for name in ("p_recurrent", "p_input"):
            _check_fraction(getattr(self, name), name)
        return self

    @property
    def n_excitatory(self):
        """Number of excitatory neurons."""
        return int(round(self.excitatory_fraction * self.n_neurons))

    @property
    def n_inhibitory(self):
        """Number of inhibitory neurons."""
        return self.n_neurons - self.n_excitatory

    @property
    def variant(self):
        """Short name of the 2x2 cell: ``"HoNHoS"``, ``"HeNHoS"``, ``"HoNHeS"`` or ``"HeNHeS"``."""
        return variant_name(self.heterogeneous_neurons, self.heterogeneous_stdp)


def variant_name(heterogeneous_neurons, heterogeneous_stdp):
    """Name of a 2x2 cell: He/Ho (heterogeneous/homogeneous) N(eurons), then S(TDP)."""
    return f"{'He' if heterogeneous_neurons else 'Ho'}N{'He' if heterogeneous_stdp else 'Ho'}S"


def _switched(distribution, heterogeneous):
    """``distribution`` when ``heterogeneous`` and it has a spread; otherwise ``Constant`` at its mean."""
    if heterogeneous and float(distribution.std) > 0:
        return distribution
    return distribution.at_mean()


def hrsnn_neuron(parameters):
    """The neuron spec of both populations (LIF or adaptive LIF) for ``parameters``."""
    heterogeneous = parameters.heterogeneous_neurons
    common = dict(
        tau_m=_switched(parameters.tau_m, heterogeneous),
        v_rest=parameters.v_rest, v_th=parameters.v_th, v_reset=parameters.v_reset,
        t_ref=parameters.t_ref, tau_syn=parameters.tau_syn,
    )
    if parameters.neuron_model == "lif":
        return LIF(**common)
    return AdaptiveLIF(tau_adapt=_switched(parameters.tau_adapt, heterogeneous),
                       beta=parameters.beta, **common)


def hrsnn_stdp(parameters, weight, w_max):
    """The (heterogeneous or homogeneous) STDP spec with initial ``weight`` and bound ``w_max``."""
    heterogeneous = parameters.heterogeneous_stdp
    distributions = {name: _switched(getattr(parameters, name), heterogeneous)
             for name in ("tau_pre", "tau_post", *LEARNING_RATES)}
    return STDP(weight=weight, w_max=w_max, rule=parameters.stdp_rule, traces="synapse",
                precision=parameters.synapse_precision, **distributions)


def _in_degree_projections(spec, parameters, input_population, rng):
    """Replace the recurrent and input connectivity by fixed in-degree draws (same synapse specs)."""
    sizes = {"exc": parameters.n_excitatory, "inh": parameters.n_inhibitory, input_population.name: input_population.n_neurons}
    projections = []
    for projection in spec.projections:
        p = parameters.p_input if projection.source == input_population.name else parameters.p_recurrent
        i, j = in_degree_pairs(sizes[projection.source], sizes[projection.target], p, rng,
                               recurrent=projection.source == projection.target)
        projections.append(replace(projection, i=i, j=j))
    return tuple(projections)


def hrsnn_spec(parameters, input_population, seed):
    """The :class:`NetworkSpec` of an HRSNN reservoir driven by ``input_population``.

    Parameters
    ----------
    parameters : HRSNNParameters
    input_population : SpikeInput, RasterInput or PoissonInput
        The input (projects onto both populations with probability ``p_input``).
    seed : int or SeedStreams
        Master seed; the connectivity is drawn from its ``structure`` stream and the seed is
        recorded as the spec's ``structure_seed`` (parameters are sampled at build time from the
        ``heterogeneity`` stream of the simulation seed).

    Returns
    -------
    NetworkSpec
        Populations ``exc``, ``inh``; projections ``ee`` (STDP), ``ei``, ``ie``, ``ii``,
        ``input_exc`` (STDP when ``input_plastic``), ``input_inh``.

    Notes
    -----
    With ``connectivity="fixed_in_degree"`` the structure stream first draws the Bernoulli
    connectivity of :func:`reservoir_spec` and then the fixed in-degree partners that replace it
    (the order that the published numbers were made with).
    """
    if not isinstance(parameters, HRSNNParameters):
        raise TypeError(f"parameters must be HRSNNParameters; got {type(parameters).__name__}")
    streams = seed if isinstance(seed, SeedStreams) else SeedStreams(seed)
    rng = streams.generator("structure")
    neuron = hrsnn_neuron(parameters)
    precision = parameters.synapse_precision
    synapses = ReservoirSynapses(
        ee=hrsnn_stdp(parameters, parameters.weight_ee, parameters.w_max_ee),
        ei=StaticSynapse(weight=parameters.weight_ei, precision=precision),
        ie=StaticSynapse(weight=parameters.weight_ie, sign=-1, precision=precision),
        ii=StaticSynapse(weight=parameters.weight_ii, sign=-1, precision=precision),
        input=StaticSynapse(weight=parameters.weight_input, precision=precision),
    )
    spec = reservoir_from_stream(parameters.n_neurons, input_population, rng, neuron=neuron, synapses=synapses,
                                 excitatory_fraction=parameters.excitatory_fraction,
                                 p_recurrent=parameters.p_recurrent, p_input=parameters.p_input, dt=parameters.dt)
    projections = spec.projections
    if parameters.connectivity == "fixed_in_degree":
        projections = _in_degree_projections(spec, parameters, input_population, rng)
    if parameters.input_plastic:
        plastic_input = hrsnn_stdp(parameters, parameters.weight_input, parameters.w_max_input)
        projections = tuple(replace(p, synapse=plastic_input) if p.name == "input_exc" else p for p in projections)
    return replace(spec, projections=projections, structure_seed=streams.master_seed)


def _mean_overrides(model, owner, names):
    overrides = {}
    for name in names:
        distribution = getattr(model, name)
        if isinstance(distribution, Distribution) and not isinstance(distribution, Constant):
            overrides[f"{owner}.{name}"] = distribution.mean
    return overrides


def variant_parameters(spec, heterogeneous_neurons, heterogeneous_stdp):
    """Run-time assignments that turn a built HRSNN into another cell of the 2x2.

    Every heterogeneous neuron parameter (when ``heterogeneous_neurons`` is False) and every
    heterogeneous STDP time constant and rate (when ``heterogeneous_stdp`` is False) is set to the
    mean of its distribution, exactly what :func:`hrsnn_spec` with that switch off would build.
    Pass the result as ``Simulator.run(parameters=...)``: no recompilation.

    Parameters
    ----------
    spec : NetworkSpec
        A spec from :func:`hrsnn_spec` (normally with both switches on).
    heterogeneous_neurons, heterogeneous_stdp : bool

    Returns
    -------
    dict of str -> brian2.Quantity or float
        ``{"exc.tau_m": 20*ms, "ee.tau_pre": 20*ms, ...}`` (empty for the fully heterogeneous cell).
    """
    for name, value in (("heterogeneous_neurons", heterogeneous_neurons), ("heterogeneous_stdp", heterogeneous_stdp)):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be True or False; got {value!r}")
    overrides = {}
    if not heterogeneous_neurons:
        for population in spec.populations:
            overrides.update(_mean_overrides(population.model, population.name, population.model.parameter_infos()))
    if not heterogeneous_stdp:
        for projection in spec.projections:
            synapse = projection.synapse
            if synapse.plastic_rule is None:
                continue
            names = [name for name in synapse.parameter_infos() if name not in ("weight", "delay")]
            overrides.update(_mean_overrides(synapse, projection.name, names))
    return overrides


__all__ = ["HRSNNParameters", "hrsnn_neuron", "hrsnn_stdp", "hrsnn_spec", "variant_name", "variant_parameters",
           "NEURON_MODELS", "CONNECTIVITY"]
