"""The Diehl & Cook (2015) unsupervised STDP network as a :class:`NetworkSpec`, and its parameters.

Structure: ``n_inputs`` input channels (Poisson spikes with rates proportional to pixel intensity,
a :class:`RasterInput` named ``image``) -> all-to-all plastic synapses ``input_exc`` ->
``n_excitatory`` conductance-based neurons ``exc`` with the homeostatic threshold ``theta`` ->
one-to-one ``exc_inh`` -> ``inh`` -> ``inh_exc`` onto every *other* excitatory neuron
(winner-take-all). Every neuron and synapse parameter is a distribution, so heterogeneous time
constants work as everywhere else. The training protocol (one binary, many runs) is
:class:`hetero_brian.protocols.diehl_cook.DiehlCookNetwork`.

Weight normalisation ``"spike"``: inside the binary, at each postsynaptic spike, *before* the STDP
update, the neuron's input weights are divided by their current sum (a Brian2 ``(summed)`` variable
``w_total_input_exc``) and multiplied by ``total_weight``. Weights only change at postsynaptic spikes
(pure power-law rule, ``eta_minus = 0``), so each neuron's weights are exactly normalised before each
update and deviate from ``total_weight`` by at most one update. The summed variable costs one pass
over all input synapses per time step.

Pruning: the plastic synapse carries a per-synapse ``mask`` (0 or 1, a run argument); every weight
update is multiplied by it, so a pruned synapse stays at 0.

References
----------
P. U. Diehl, M. Cook, "Unsupervised learning of digit recognition using spike-timing-dependent
plasticity", Front. Comput. Neurosci. 9:99 (2015).
N. Rathi, P. Panda, K. Roy, "STDP-based pruning of connections and weight quantization in spiking
neural networks for energy-efficient recognition", IEEE TCAD 38:668 (2019).
"""
import math
from dataclasses import dataclass, replace

import numpy as np
from brian2 import Hz, mV, ms
from pydantic import Field, field_validator, model_validator

from ..config import DistributionField, QuantityField, StrictModel
from ..distributions import Constant, Uniform
from ..errors import UnitError
from ..models.base import ParameterInfo, unit_name
from ..models.neurons import DIEHL_COOK_EXCITATORY, DIEHL_COOK_INHIBITORY, ConductanceLIF
from ..models.synapses import STDP, StaticSynapse
from .spec import NetworkSpec, Population, Projection, RasterInput, RateInput
from .connectivity import all_to_all, one_to_one

NORMALISATIONS = ("run", "spike")
INPUT_NAME = "image"
INPUT_MODES = ("raster", "rate")


@dataclass(frozen=True)
class MaskedSTDP(STDP):
    """:class:`STDP` with a per-synapse ``mask`` and optional divisive normalisation at post spikes.

    Parameters
    ----------
    mask : Distribution or float
        Initial mask (1 = kept, 0 = pruned); normally set per run. Every weight update is
        multiplied by it.
    total_weight : Quantity or float, optional
        When given, at each postsynaptic spike (before the STDP update, and only while
        ``plastic = 1``) the postsynaptic neuron's input weights are scaled so that they sum to
        ``total_weight`` (same unit as the weight). ``None``: no in-run normalisation.
    Other parameters as in :class:`STDP`.

    Notes
    -----
    With ``S_j = sum_i w_ij`` (a Brian2 summed variable, updated every time step), at a spike of
    post neuron ``j``: ``w_ij <- clip(w_ij (1 + plastic (W / S_j - 1)), w_min, w_max)``, then the
    STDP rule, then ``w_ij <- w_ij mask_ij``.
    """

    mask: object = Constant(1.0)
    total_weight: object = None

    def parameter_infos(self):
        return dict(super().parameter_infos(), mask=ParameterInfo(1, description="1 = kept, 0 = pruned"))

    def __post_init__(self):
        super().__post_init__()
        low, high = self.mask.support_si()
        if low < 0 or high > 1:
            raise ValueError(f"MaskedSTDP.mask must lie in [0, 1]; got {self.mask!r}")
        if self.total_weight is not None:
            value = self.total_weight
            if getattr(value, "dim", None) != getattr(self.weight_unit, "dim", None) and not (
                    not hasattr(value, "dim") and self.weight_unit.dim.is_dimensionless):
                raise UnitError(f"MaskedSTDP.total_weight must have the unit of the weight ({self.weight_unit}); "
                                f"got {value!r}")
            if not float(value) > 0:
                raise ValueError(f"MaskedSTDP.total_weight must be > 0; got {value!r}")

    def constant_parameters(self):
        """As :meth:`STDP.constant_parameters`, but ``mask`` always stays one value per synapse
        (pruning sets it per synapse at run time)."""
        return tuple(name for name in super().constant_parameters() if name != "mask")

    def _sum_name(self, name):
        return f"w_total_{name}"

    def model(self, name, shared=()):
        text = super().model(name, shared)
        if self.total_weight is not None:
            text += f"\n{self._sum_name(name)}_post = w : {unit_name(self.weight_unit)} (summed)"
        return text

    def on_pre(self, name):
        return super().on_pre(name) + "\nw = w * mask"

    def on_post(self, name):
        lines = []
        if self.total_weight is not None:
            total = f"{self._sum_name(name)}_post"
            # clipped: scaling up a weight already at w_max would leave (1 - w / w_max)**mu of the
            # power-law rule undefined (NaN) for the update that follows
            lines.append(f"w = clip(w * (1 + plastic * (total_weight / clip({total}, total_floor, total_weight * 1e12) - 1)), "
                         "w_min, w_max)")
        lines.append(super().on_post(name))
        lines.append("w = w * mask")
        return "\n".join(lines)

    def namespace(self):
        names = super().namespace()
        if self.total_weight is not None:
            total = self.total_weight if hasattr(self.total_weight, "dim") else float(self.total_weight)
            names.update(total_weight=total, total_floor=total * 1e-9)
        return names

    def neuron_trace_code(self, name, shared=()):
        code = super().neuron_trace_code(name, shared)
        if self.total_weight is None:
            return code
        equations, reset = code["post"]
        line = f"{self._sum_name(name)} : {unit_name(self.weight_unit)}"
        code["post"] = ((equations + "\n" + line) if equations else line, reset)
        return code


def diehl_cook_synapse(total_weight=None, eta_plus=0.01, x_target=0.4, mu=0.2, w_max=1.0,
                       weight=Uniform(0.0, 0.3), tau_pre=Constant(20 * ms), tau_post=Constant(20 * ms)):
    """The plastic input synapse of Diehl & Cook: power-law STDP onto ``g_e``, nearest-spike traces.

    ``dw = w_max eta_plus (x_pre - x_target)(1 - w / w_max)^mu`` at each postsynaptic spike
    (``eta_minus = 0``), weights in ``[0, w_max]`` (dimensionless conductance jumps), initial weights
    ``Uniform(0, 0.3)`` as in their code. ``total_weight``: see :class:`MaskedSTDP`.
    """
    return MaskedSTDP(weight=_distribution(weight), w_max=w_max, rule="power_law", tau_pre=tau_pre, tau_post=tau_post,
                      eta_plus=eta_plus, eta_minus=0.0, mu=mu, x_target=x_target, pairing="nearest",
                      traces="synapse", target="g_e", total_weight=total_weight)


def diehl_cook_spec(n_excitatory, n_steps, n_inputs=784, dt=0.5 * ms, excitatory=DIEHL_COOK_EXCITATORY,
                    inhibitory=DIEHL_COOK_INHIBITORY, input_synapse=None, weight_excitatory_inhibitory=10.4,
                    weight_inhibitory_excitatory=17.0, row_duration=None):
    """The Diehl & Cook network as a :class:`NetworkSpec` with an input of ``n_steps`` steps.

    Parameters
    ----------
    n_excitatory : int
        Number of excitatory (and of inhibitory) neurons.
    n_steps : int
        Length of the input raster (steps of ``dt``); every run must present a raster of this shape.
    n_inputs : int
        Input channels (784 pixels for MNIST).
    dt : brian2.Quantity
        Time step (0.5 ms in Diehl & Cook).
    excitatory, inhibitory : ConductanceLIF
        Neuron specs (their distributions give heterogeneity).
    input_synapse : MaskedSTDP, optional
        Default :func:`diehl_cook_synapse` (no in-run normalisation).
    weight_excitatory_inhibitory, weight_inhibitory_excitatory : float or Distribution
        Fixed conductance jumps of ``exc -> inh`` (one-to-one) and ``inh -> exc`` (all but self).
    row_duration : brian2.Quantity, optional
        None (default): the input is a spike raster (:class:`RasterInput`, Poisson spikes drawn on
        the host). Given: the input is a :class:`RateInput` of piecewise-constant rates, one row per
        ``row_duration`` (a multiple of dt dividing ``n_steps dt``), spikes drawn on the device.

    Returns
    -------
    NetworkSpec
        Populations ``exc``, ``inh``; input ``image``; projections ``input_exc``, ``exc_inh``,
        ``inh_exc``.
    """
    for name, value, minimum in (("n_excitatory", n_excitatory, 2), ("n_steps", n_steps, 1), ("n_inputs", n_inputs, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    for name, model in (("excitatory", excitatory), ("inhibitory", inhibitory)):
        if not isinstance(model, ConductanceLIF):
            raise ValueError(f"{name} must be a ConductanceLIF spec; got {type(model).__name__}")
    synapse = input_synapse if input_synapse is not None else diehl_cook_synapse()
    if not isinstance(synapse, MaskedSTDP) or synapse.target != "g_e":
        raise ValueError(f"input_synapse must be a MaskedSTDP onto g_e; got {synapse!r}")
    if row_duration is None:
        source = RasterInput(INPUT_NAME, np.zeros((int(n_steps), int(n_inputs)), dtype=np.uint8), dt)
    else:
        row_steps = int(round(float(row_duration) / float(dt)))
        if row_steps < 1 or abs(row_steps * float(dt) - float(row_duration)) > 1e-9 or n_steps % row_steps:
            raise ValueError(f"row_duration {row_duration!r} must be a multiple of dt {dt!r} dividing n_steps dt")
        source = RateInput(INPUT_NAME, np.zeros((int(n_steps) // row_steps, int(n_inputs))), row_duration)
    i_in, j_in = all_to_all(n_inputs, n_excitatory)
    i_ei, j_ei = one_to_one(n_excitatory)
    i_ie, j_ie = all_to_all(n_excitatory, n_excitatory, allow_self=False)
    projections = (
        Projection("input_exc", INPUT_NAME, "exc", synapse, i_in, j_in),
        Projection("exc_inh", "exc", "inh", StaticSynapse(weight=_distribution(weight_excitatory_inhibitory), target="g_e"), i_ei, j_ei),
        Projection("inh_exc", "inh", "exc", StaticSynapse(weight=_distribution(weight_inhibitory_excitatory), target="g_i"), i_ie, j_ie),
    )
    return NetworkSpec(populations=(Population("exc", int(n_excitatory), excitatory),
                                    Population("inh", int(n_excitatory), inhibitory)),
                       projections=projections, inputs=(source,), dt=dt)


def _distribution(value):
    """A plain number becomes a dimensionless :class:`Constant`; distributions pass through."""
    return Constant(float(value)) if isinstance(value, (int, float, np.floating, np.integer)) else value


def _count(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {kind}; got {value!r}")
    return int(value)


class DiehlCookParameters(StrictModel):
    """Everything that shapes a Diehl & Cook network and its presentation protocol.

    A :class:`~hetero_brian.config.StrictModel`, validated once: scenario configurations derive from
    it (every field is a configuration key, e.g. ``--set theta_plus="0.15 mV"``).

    Parameters
    ----------
    n_excitatory : int
        Excitatory neurons (and inhibitory ones).
    max_rate : brian2.Quantity
        Input rate of a pixel of intensity 255 (63.75 Hz = 255 / 4 Hz in Diehl & Cook).
    t_present, t_rest : brian2.Quantity
        Presentation and rest time per image (350 ms and 150 ms).
    dt : brian2.Quantity
        Time step (0.5 ms).
    images_per_run : int
        Images in one run of the compiled binary (the raster shape); shorter batches are padded
        with blank images.
    total_weight : float
        Sum of each excitatory neuron's input weights after normalisation (78).
    normalisation : {"run", "spike"}
        ``"run"``: host-side after every run; ``"spike"``: also inside the binary at every
        postsynaptic spike (see the module docstring).
    initial_theta : brian2.Quantity
        Starting adaptive threshold (20 mV in Diehl & Cook's training code).
    min_spikes : int
        An image that makes fewer excitatory spikes is presented again with ``rate_increment``
        more maximum rate (all rates scaled up; Diehl & Cook: 5 spikes, +32 Hz), at most
        ``max_presentations`` times.
    rate_increment : brian2.Quantity
    max_presentations : int
    tau_m, tau_theta, theta_plus : distribution
        Membrane time constant (100 ms), threshold decay time constant (1e7 ms) and threshold
        increment per spike (0.05 mV) of the excitatory neurons (:data:`DIEHL_COOK_EXCITATORY`
        otherwise); a distribution makes them heterogeneous.
    eta_plus, x_target, mu : float
        Power-law rule of the input synapse (:func:`diehl_cook_synapse`).
    weight_excitatory_inhibitory, weight_inhibitory_excitatory : float
        Conductance jumps of the winner-take-all loop (10.4 and 17).
    input_mode : {"raster", "rate"}
        ``raster``: Poisson spikes drawn on the host and sent as a spike raster with every run
        (``images_per_run x steps_per_image x n_inputs`` numbers); ``rate``: the pixel rates are
        sent (a few rows per image) and the device draws the spikes, seeded per run from the
        ``rng`` of ``DiehlCookNetwork.present``. Same statistics, much less data per run.
    """

    n_excitatory: int = Field(100, description="excitatory neurons (and as many inhibitory ones)")
    max_rate: QuantityField(Hz) = Field("63.75 Hz", description="input rate of a pixel of intensity 255 (frequency)")
    t_present: QuantityField(ms) = Field("350 ms", description="presentation time per image (time)")
    t_rest: QuantityField(ms) = Field("150 ms", description="rest time between images (time)")
    dt: QuantityField(ms) = Field("0.5 ms", description="simulation time step (time)")
    images_per_run: int = Field(
        10, description="images per run of the compiled binary (short batches padded with blank images)")
    total_weight: float = Field(
        78.0, description="sum of each excitatory neuron's input weights after normalisation (dimensionless)")
    normalisation: str = Field(
        "run", description="'run': after every run on the host; 'spike': also at every postsynaptic spike")
    initial_theta: QuantityField(mV) = Field("20 mV", description="starting adaptive threshold (voltage)")
    min_spikes: int = Field(
        5, description="fewer excitatory spikes than this: present the image again at a higher rate")
    rate_increment: QuantityField(Hz) = Field(
        "32 Hz", description="maximum-rate increase for each repeated presentation (frequency)")
    max_presentations: int = Field(3, description="presentations of one image at most")
    tau_m: DistributionField(ms) = Field(
        "100 ms", description="excitatory membrane time constant (a distribution of time)")
    tau_theta: DistributionField(ms) = Field(
        "1e7 ms", description="adaptive-threshold decay time constant (a distribution of time)")
    theta_plus: DistributionField(mV) = Field(
        "0.05 mV", description="adaptive-threshold increment per spike (a distribution of voltage)")
    eta_plus: float = Field(0.01, description="learning rate of the power-law input rule (dimensionless)")
    x_target: float = Field(0.4, description="target presynaptic trace of the power-law input rule (dimensionless)")
    mu: float = Field(0.2, description="weight-dependence exponent of the power-law input rule (dimensionless)")
    weight_excitatory_inhibitory: float = Field(
        10.4, description="excitatory-to-inhibitory conductance jump (dimensionless)")
    weight_inhibitory_excitatory: float = Field(
        17.0, description="inhibitory-to-excitatory conductance jump (dimensionless)")
    input_mode: str = Field(
        "raster", description="'raster': host-drawn Poisson spikes; 'rate': pixel rates, spikes drawn on the device")

    @field_validator("n_excitatory", "images_per_run", "max_presentations", mode="before")
    @classmethod
    def _positive_count(cls, value, info):
        return _count(value, info.field_name, 1)

    @field_validator("min_spikes", mode="before")
    @classmethod
    def _non_negative_count(cls, value, info):
        return _count(value, info.field_name, 0)

    @field_validator("normalisation", "input_mode")
    @classmethod
    def _choice(cls, value, info):
        choices = {"normalisation": NORMALISATIONS, "input_mode": INPUT_MODES}[info.field_name]
        if value not in choices:
            raise ValueError(f"{info.field_name} must be one of {choices}; got {value!r}")
        return value

    @model_validator(mode="after")
    def _check_protocol(self):
        for name in ("max_rate", "rate_increment"):
            if float(getattr(self, name)) < 0:
                raise ValueError(f"{name} must be a non-negative frequency (e.g. 63.75*Hz); got {getattr(self, name)!r}")
        if not float(self.max_rate) > 0:
            raise ValueError(f"max_rate must be > 0; got {self.max_rate!r}")
        dt = float(self.dt)
        if not dt > 0:
            raise ValueError(f"dt must be > 0; got {self.dt!r}")
        for name in ("t_present", "t_rest"):
            value = float(getattr(self, name))
            if not (value >= 0 if name == "t_rest" else value > 0):
                raise ValueError(f"{name} must be {'>=' if name == 't_rest' else '>'} 0; got {getattr(self, name)!r}")
            if abs(value / dt - round(value / dt)) > 1e-6:
                raise ValueError(f"{name} = {getattr(self, name)!r} is not a multiple of dt = {self.dt!r}")
        if (float(self.max_rate) + float(self.rate_increment) * (self.max_presentations - 1)) * dt > 1:
            raise ValueError("max_rate (plus the increments) times dt must be <= 1 (one spike per step at most); "
                             f"got max_rate={self.max_rate!r}, dt={self.dt!r}")
        for name in ("total_weight",):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0; got {getattr(self, name)!r}")
        for name in ("weight_excitatory_inhibitory", "weight_inhibitory_excitatory"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0; got {getattr(self, name)!r}")
        self.excitatory  # the neuron spec checks its own parameters (theta_plus >= 0...)
        self.input_synapse()
        return self

    @property
    def excitatory(self):
        """Excitatory neuron spec: :data:`DIEHL_COOK_EXCITATORY` with ``tau_m``, ``tau_theta``, ``theta_plus``."""
        return replace(DIEHL_COOK_EXCITATORY, tau_m=self.tau_m, tau_theta=self.tau_theta,
                       theta_plus=self.theta_plus)

    @property
    def inhibitory(self):
        """Inhibitory neuron spec (:data:`DIEHL_COOK_INHIBITORY`)."""
        return DIEHL_COOK_INHIBITORY

    def input_synapse(self, total_weight=None):
        """The plastic input synapse (:func:`diehl_cook_synapse`); ``total_weight``: in-run normalisation."""
        return diehl_cook_synapse(total_weight=total_weight, eta_plus=self.eta_plus, x_target=self.x_target, mu=self.mu)

    @property
    def steps_per_image(self):
        return int(round((float(self.t_present) + float(self.t_rest)) / float(self.dt)))

    @property
    def row_steps(self):
        """Steps per row of the rate input: the largest step count dividing presentation and rest."""
        present = int(round(float(self.t_present) / float(self.dt)))
        rest = int(round(float(self.t_rest) / float(self.dt)))
        return math.gcd(present, rest)

    def spec(self, n_inputs=784):
        """The :class:`NetworkSpec` (input raster of ``images_per_run`` images)."""
        synapse = self.input_synapse(self.total_weight if self.normalisation == "spike" else None)
        row_duration = self.row_steps * self.dt if self.input_mode == "rate" else None
        return diehl_cook_spec(self.n_excitatory, self.steps_per_image * self.images_per_run, n_inputs, self.dt,
                               self.excitatory, self.inhibitory, synapse, self.weight_excitatory_inhibitory,
                               self.weight_inhibitory_excitatory, row_duration=row_duration)


__all__ = ["MaskedSTDP", "diehl_cook_synapse", "diehl_cook_spec", "DiehlCookParameters", "NORMALISATIONS", "INPUT_NAME",
           "INPUT_MODES"]
