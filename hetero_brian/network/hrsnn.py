"""HRSNN: a heterogeneous recurrent spiking reservoir whose E->E synapses learn with heterogeneous STDP.

:func:`hrsnn_spec` builds the :class:`~hetero_brian.network.spec.NetworkSpec` of the paper's
recurrent layer on top of :func:`~hetero_brian.network.reservoir.reservoir_spec`: an E/I reservoir
(80/20 by default) with per-neuron membrane time constants drawn from a Gamma distribution and
pair-based STDP on the recurrent excitatory synapses (optionally also on the input synapses onto
excitatory neurons) whose time constants and learning rates are drawn per synapse.

The paper's 2x2 comparison (homogeneous or heterogeneous neurons x homogeneous or heterogeneous
STDP) is the same spec with two switches, ``heterogeneous_neurons`` and ``heterogeneous_stdp``, in
:class:`HRSNNParameters`: a switch that is off replaces the distributions by constants at the
same means. Because every heterogeneous quantity is a per-neuron or per-synapse *variable*, all
four variants share the same generated code, so one compiled binary can run them all:
:func:`variant_parameters` gives the run-time assignments that turn the fully heterogeneous
network into any other variant (``Simulator.run(parameters=...)``).

References
----------
B. Chakraborty, S. Mukhopadhyay, "Heterogeneous recurrent spiking neural network for
spatio-temporal classification", Front. Neurosci. 17:994517 (2023), arXiv:2211.04297.
B. Chakraborty, S. Mukhopadhyay, "Heterogeneous neuronal and synaptic dynamics for spike-efficient
unsupervised learning: theory and design principles", ICLR 2023, arXiv:2302.11618.
S. Song, K. D. Miller, L. F. Abbott, "Competitive Hebbian learning through spike-timing-dependent
synaptic plasticity", Nat. Neurosci. 3, 919 (2000).
"""
from dataclasses import dataclass, field, replace

from brian2 import Quantity, mV, ms, second, volt

from ..distributions import Constant, Distribution, Gamma, LogNormal
from ..errors import UnitError
from ..models.neurons import LIF, AdaptiveLIF
from ..models.synapses import STDP, StaticSynapse
from ..random import as_generator
from .connectivity import fixed_in_degree
from .reservoir import ReservoirSynapses, reservoir_spec

NEURON_MODELS = ("lif", "adaptive_lif")
CONNECTIVITY = ("fixed_in_degree", "fixed_probability")


def _default(value):
    """A dataclass default for an (unhashable) quantity."""
    return field(default_factory=lambda: value)


def _check_quantity(value, unit, name, positive=True):
    if not isinstance(value, Quantity) or not value.has_same_dimensions(unit):
        raise UnitError(f"HRSNNParameters.{name} must be a quantity with the dimension of {unit!r}; got {value!r}")
    if positive and not float(value) > 0:
        raise ValueError(f"HRSNNParameters.{name} must be > 0; got {value!r}")
    if not positive and float(value) < 0:
        raise ValueError(f"HRSNNParameters.{name} must be >= 0; got {value!r}")


def _check_fraction(value, name, low=0.0, high=1.0, closed_low=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"HRSNNParameters.{name} must be a number; got {value!r}")
    ok = (low <= value if closed_low else low < value) and value <= high
    if not ok:
        raise ValueError(f"HRSNNParameters.{name} must be in {'[' if closed_low else '('}{low}, {high}]; got {value!r}")


@dataclass(frozen=True)
class HRSNNParameters:
    """All parameters of an HRSNN reservoir (means, spreads and the two heterogeneity switches).

    Parameters
    ----------
    n_neurons : int
        Reservoir size (excitatory plus inhibitory), >= 5.
    excitatory_fraction : float
        Fraction of excitatory neurons, in (0, 1).
    neuron_model : {"lif", "adaptive_lif"}
        Plain LIF or the adaptive-threshold LIF of Yin et al. (2020).
    tau_m : brian2.Quantity
        Mean membrane time constant (time).
    tau_m_cv : float
        Coefficient of variation of the Gamma distribution of ``tau_m`` (heterogeneous neurons).
    tau_adapt, tau_adapt_cv, beta : Quantity, float, Quantity
        Adaptive LIF only: mean adaptation time constant (Gamma with ``tau_adapt_cv`` when the
        neurons are heterogeneous) and threshold increase per unit of adaptation (voltage).
    tau_syn, t_ref : brian2.Quantity
        Synaptic current decay and refractory period (time), the same in every variant.
    v_rest, v_th, v_reset : brian2.Quantity
        Resting, threshold and reset potentials (voltage).
    weight_ee, w_max_ee, weight_ei, weight_ie, weight_ii, weight_input : brian2.Quantity
        Initial weight magnitudes (voltage jumps of ``I_syn``) and the STDP bound of ``ee``.
    tau_pre, tau_post : brian2.Quantity
        Mean STDP trace time constants (time).
    tau_stdp_cv : float
        Coefficient of variation of the log-normal distribution of ``tau_pre`` and ``tau_post``.
    eta_plus, eta_minus : float
        Mean potentiation and depression rates (fractions of ``w_max`` per pairing).
    eta_cv : float
        Coefficient of variation of the log-normal distribution of the rates.
    stdp_rule : {"additive", "multiplicative"}
        STDP rule (see :class:`~hetero_brian.models.synapses.STDP`).
    input_plastic : bool
        Also make ``input_exc`` plastic (same STDP family; bound ``w_max_input``).
    w_max_input : brian2.Quantity
        Upper bound of plastic input weights.
    connectivity : {"fixed_in_degree", "fixed_probability"}
        ``fixed_in_degree`` gives every neuron exactly ``round(p * n_pre)`` partners of each kind,
        so two seeds have the same synapse counts (and share one compiled C++ project).
    p_recurrent, p_input : float
        Recurrent and input connection probabilities.
    heterogeneous_neurons, heterogeneous_stdp : bool
        The two switches of the 2x2 comparison.
    dt : brian2.Quantity
        Simulation time step.

    Notes
    -----
    Heterogeneous neurons: ``tau_m ~ Gamma(mean=tau_m, cv=tau_m_cv)`` (shape ``1/cv^2``, scale
    ``tau_m cv^2``), per neuron; homogeneous: ``tau_m`` for every neuron. Heterogeneous STDP: per
    synapse ``tau_pre, tau_post ~ LogNormal(mean, tau_stdp_cv)`` and ``eta_plus, eta_minus ~
    LogNormal(mean, eta_cv)``; the log-normal keeps every time constant positive with a thin lower
    tail, so ``dt`` stays below the smallest one. The published papers do not give the shapes of
    these distributions; the choice is ours and is a parameter.
    """

    n_neurons: int = 500
    excitatory_fraction: float = 0.8
    neuron_model: str = "lif"
    tau_m: Quantity = _default(20 * ms)
    tau_m_cv: float = 0.5
    tau_adapt: Quantity = _default(150 * ms)
    tau_adapt_cv: float = 0.3
    beta: Quantity = _default(1.0 * mV)
    tau_syn: Quantity = _default(5 * ms)
    t_ref: Quantity = _default(2 * ms)
    v_rest: Quantity = _default(-65 * mV)
    v_th: Quantity = _default(-50 * mV)
    v_reset: Quantity = _default(-65 * mV)
    weight_ee: Quantity = _default(1.0 * mV)
    w_max_ee: Quantity = _default(2.0 * mV)
    weight_ei: Quantity = _default(1.0 * mV)
    weight_ie: Quantity = _default(3.0 * mV)
    weight_ii: Quantity = _default(3.0 * mV)
    weight_input: Quantity = _default(2.0 * mV)
    tau_pre: Quantity = _default(20 * ms)
    tau_post: Quantity = _default(20 * ms)
    tau_stdp_cv: float = 0.5
    eta_plus: float = 0.01
    eta_minus: float = 0.0105
    eta_cv: float = 0.5
    stdp_rule: str = "additive"
    input_plastic: bool = False
    w_max_input: Quantity = _default(4.0 * mV)
    connectivity: str = "fixed_in_degree"
    p_recurrent: float = 0.1
    p_input: float = 0.2
    heterogeneous_neurons: bool = True
    heterogeneous_stdp: bool = True
    dt: Quantity = _default(0.5 * ms)

    def __post_init__(self):
        if isinstance(self.n_neurons, bool) or not isinstance(self.n_neurons, int) or self.n_neurons < 5:
            raise ValueError(f"HRSNNParameters.n_neurons must be an integer >= 5; got {self.n_neurons!r}")
        _check_fraction(self.excitatory_fraction, "excitatory_fraction")
        if self.excitatory_fraction == 1.0:
            raise ValueError("HRSNNParameters.excitatory_fraction must be < 1 (the reservoir needs inhibitory neurons)")
        if self.neuron_model not in NEURON_MODELS:
            raise ValueError(f"HRSNNParameters.neuron_model must be one of {NEURON_MODELS}; got {self.neuron_model!r}")
        if self.stdp_rule not in ("additive", "multiplicative"):
            raise ValueError(f"HRSNNParameters.stdp_rule must be 'additive' or 'multiplicative'; got {self.stdp_rule!r}")
        if self.connectivity not in CONNECTIVITY:
            raise ValueError(f"HRSNNParameters.connectivity must be one of {CONNECTIVITY}; got {self.connectivity!r}")
        for name in ("tau_m", "tau_adapt", "tau_syn", "tau_pre", "tau_post", "dt"):
            _check_quantity(getattr(self, name), second, name)
        _check_quantity(self.t_ref, second, "t_ref", positive=False)
        for name in ("v_rest", "v_th", "v_reset"):
            if not isinstance(getattr(self, name), Quantity) or not getattr(self, name).has_same_dimensions(volt):
                raise UnitError(f"HRSNNParameters.{name} must be a voltage; got {getattr(self, name)!r}")
        if not float(self.v_th) > float(self.v_rest):
            raise ValueError(f"HRSNNParameters.v_th must be above v_rest; got v_th={self.v_th!r}, v_rest={self.v_rest!r}")
        for name in ("weight_ee", "weight_ei", "weight_ie", "weight_ii", "weight_input", "beta"):
            _check_quantity(getattr(self, name), volt, name, positive=False)
        for name in ("w_max_ee", "w_max_input"):
            _check_quantity(getattr(self, name), volt, name)
        if float(self.weight_ee) > float(self.w_max_ee):
            raise ValueError(f"HRSNNParameters.weight_ee must be <= w_max_ee; got {self.weight_ee!r} > {self.w_max_ee!r}")
        if self.input_plastic and float(self.weight_input) > float(self.w_max_input):
            raise ValueError(f"HRSNNParameters.weight_input must be <= w_max_input when input_plastic; got "
                             f"{self.weight_input!r} > {self.w_max_input!r}")
        for name in ("tau_m_cv", "tau_adapt_cv", "tau_stdp_cv", "eta_cv"):
            _check_fraction(getattr(self, name), name, 0.0, 5.0, closed_low=True)
        for name in ("eta_plus", "eta_minus"):
            _check_fraction(getattr(self, name), name, 0.0, 1.0, closed_low=True)
        for name in ("p_recurrent", "p_input"):
            _check_fraction(getattr(self, name), name)
        for name in ("input_plastic", "heterogeneous_neurons", "heterogeneous_stdp"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"HRSNNParameters.{name} must be True or False; got {getattr(self, name)!r}")

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


def _spread(mean, cv, heterogeneous, family):
    """``family(mean, cv)`` when heterogeneous and ``cv > 0``; otherwise ``Constant(mean)``."""
    if heterogeneous and cv > 0:
        return family(mean, cv)
    return Constant(mean)


def hrsnn_neuron(parameters):
    """The neuron spec of both populations (LIF or adaptive LIF) for ``parameters``."""
    heterogeneous = parameters.heterogeneous_neurons
    common = dict(
        tau_m=_spread(parameters.tau_m, parameters.tau_m_cv, heterogeneous, Gamma),
        v_rest=parameters.v_rest, v_th=parameters.v_th, v_reset=parameters.v_reset,
        t_ref=parameters.t_ref, tau_syn=parameters.tau_syn,
    )
    if parameters.neuron_model == "lif":
        return LIF(**common)
    return AdaptiveLIF(tau_adapt=_spread(parameters.tau_adapt, parameters.tau_adapt_cv, heterogeneous, Gamma),
                       beta=parameters.beta, **common)


def hrsnn_stdp(parameters, weight, w_max):
    """The (heterogeneous or homogeneous) STDP spec with initial ``weight`` and bound ``w_max``."""
    heterogeneous = parameters.heterogeneous_stdp
    return STDP(
        weight=weight, w_max=w_max, rule=parameters.stdp_rule,
        tau_pre=_spread(parameters.tau_pre, parameters.tau_stdp_cv, heterogeneous, LogNormal),
        tau_post=_spread(parameters.tau_post, parameters.tau_stdp_cv, heterogeneous, LogNormal),
        eta_plus=_spread(parameters.eta_plus, parameters.eta_cv, heterogeneous, LogNormal),
        eta_minus=_spread(parameters.eta_minus, parameters.eta_cv, heterogeneous, LogNormal),
        traces="synapse",
    )


def _in_degree_projections(spec, parameters, input_population, rng):
    """Replace the recurrent and input connectivity by fixed in-degree draws (same synapse specs)."""
    sizes = {"exc": parameters.n_excitatory, "inh": parameters.n_inhibitory, input_population.name: input_population.n_neurons}
    projections = []
    for projection in spec.projections:
        n_pre = sizes[projection.source]
        recurrent = projection.source == projection.target
        available = n_pre - 1 if recurrent else n_pre
        p = parameters.p_input if projection.source == input_population.name else parameters.p_recurrent
        in_degree = min(max(int(round(p * n_pre)), 1), available)
        i, j = fixed_in_degree(n_pre, sizes[projection.target], in_degree, rng, allow_self=not recurrent)
        projections.append(replace(projection, i=i, j=j))
    return tuple(projections)


def hrsnn_spec(parameters, input_population, rng):
    """The :class:`NetworkSpec` of an HRSNN reservoir driven by ``input_population``.

    Parameters
    ----------
    parameters : HRSNNParameters
    input_population : SpikeInput, RasterInput or PoissonInput
        The input (projects onto both populations with probability ``p_input``).
    rng : numpy.random.Generator or int
        The ``structure`` stream (connectivity only; parameters are sampled at build time from
        the ``heterogeneity`` stream of the simulation seed).

    Returns
    -------
    NetworkSpec
        Populations ``exc``, ``inh``; projections ``ee`` (STDP), ``ei``, ``ie``, ``ii``,
        ``input_exc`` (STDP when ``input_plastic``), ``input_inh``.
    """
    if not isinstance(parameters, HRSNNParameters):
        raise TypeError(f"parameters must be HRSNNParameters; got {type(parameters).__name__}")
    rng = as_generator(rng)
    neuron = hrsnn_neuron(parameters)
    synapses = ReservoirSynapses(
        ee=hrsnn_stdp(parameters, parameters.weight_ee, parameters.w_max_ee),
        ei=StaticSynapse(weight=parameters.weight_ei),
        ie=StaticSynapse(weight=parameters.weight_ie, sign=-1),
        ii=StaticSynapse(weight=parameters.weight_ii, sign=-1),
        input=StaticSynapse(weight=parameters.weight_input),
    )
    spec = reservoir_spec(parameters.n_neurons, input_population, rng, neuron=neuron, synapses=synapses,
                          excitatory_fraction=parameters.excitatory_fraction, p_recurrent=parameters.p_recurrent,
                          p_input=parameters.p_input, dt=parameters.dt)
    projections = spec.projections
    if parameters.connectivity == "fixed_in_degree":
        projections = _in_degree_projections(spec, parameters, input_population, rng)
    if parameters.input_plastic:
        plastic_input = hrsnn_stdp(parameters, parameters.weight_input, parameters.w_max_input)
        projections = tuple(replace(p, synapse=plastic_input) if p.name == "input_exc" else p for p in projections)
    return replace(spec, projections=projections)


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
