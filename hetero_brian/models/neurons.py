"""Neuron models as frozen specs of Brian2 equation strings with heterogeneous parameters.

Every parameter listed in a spec's ``PARAMETERS`` becomes a per-neuron ``(constant)`` variable
filled with host-sampled values, so runtime, C++ and CUDA targets simulate the same neurons; a
parameter with a ``Constant`` distribution becomes one ``(shared, constant)`` value per group
(``NetworkSpec.shared_constants``), which generated code reads once instead of per neuron.
Synaptic input arrives as jumps of ``I_syn`` (current-based, in volts: the input current times
the membrane resistance) or of ``g_e`` / ``g_i`` (conductance-based, in units of the leak
conductance).
"""
import math
from dataclasses import dataclass

from brian2 import mV, ms, second, volt

from ..distributions import Constant
from .base import NeuronSpec, ParameterInfo, check_choice, parameter_declaration

RESET_MODES = ("to_value", "subtract")


def _parameter_lines(parameters, shared=()):
    """Brian2 declarations of the parameters: per neuron, or one shared value for names in ``shared``."""
    return "\n".join(parameter_declaration(name, info.unit, name in shared) for name, info in parameters.items())


@dataclass(frozen=True)
class LIF(NeuronSpec):
    """Current-based leaky integrate-and-fire neuron with exponential synaptic current.

    Parameters
    ----------
    tau_m : Distribution or Quantity
        Membrane time constant (time, > 0). Heterogeneous in HRSNN: ``Gamma(mean, cv)``.
    v_rest, v_th, v_reset : Distribution or Quantity
        Resting potential, threshold and reset potential (voltage).
    t_ref : Distribution or Quantity
        Absolute refractory period (time, >= 0).
    tau_syn : Distribution or Quantity
        Decay time constant of the synaptic current (time, > 0).
    I_ext : Distribution or Quantity
        Constant external drive (voltage: current times membrane resistance), default 0 mV;
        heterogeneous when given a distribution.
    reset_mode : {"to_value", "subtract"}
        ``v = v_reset`` after a spike, or reset by subtraction ``v -= v_th - v_reset``.

    Notes
    -----
    .. math::

        \\tau_m \\frac{dv}{dt} = v_{rest} - v + I_{syn} + I_{ext}, \\qquad
        \\tau_{syn} \\frac{dI_{syn}}{dt} = -I_{syn}

    ``I_ext`` (volt) is a constant drive. Under constant suprathreshold drive
    ``I = I_ext > v_th - v_rest`` (with ``v_reset = v_rest``) the interspike interval is
    ``t_ref + tau_m ln(I / (I - (v_th - v_rest)))``. Integrated with ``exponential_euler``, which is
    exact for ``v`` while ``I_syn`` is constant over a step.
    """

    tau_m: object = Constant(20 * ms)
    v_rest: object = Constant(-65 * mV)
    v_th: object = Constant(-50 * mV)
    v_reset: object = Constant(-65 * mV)
    t_ref: object = Constant(2 * ms)
    tau_syn: object = Constant(5 * ms)
    I_ext: object = Constant(0 * mV)
    reset_mode: str = "to_value"

    PARAMETERS = {
        "tau_m": ParameterInfo(second, positive=True, description="membrane time constant"),
        "v_rest": ParameterInfo(volt, description="resting potential"),
        "v_th": ParameterInfo(volt, description="spike threshold"),
        "v_reset": ParameterInfo(volt, description="reset potential"),
        "t_ref": ParameterInfo(second, description="refractory period"),
        "tau_syn": ParameterInfo(second, positive=True, description="synaptic current decay"),
        "I_ext": ParameterInfo(volt, description="constant external drive"),
    }
    STATE = {"v": volt, "I_syn": volt}
    SYNAPTIC_TARGETS = ("I_syn",)
    method = "exponential_euler"

    def __post_init__(self):
        self._coerce_parameters()
        check_choice(self.reset_mode, "reset_mode", RESET_MODES)
        if self.t_ref.support_si()[0] < 0:
            raise ValueError(f"LIF.t_ref must be >= 0; {self.t_ref!r} can produce negative values")

    def _dynamics(self):
        return (
            "dv/dt = (v_rest - v + I_syn + I_ext) / tau_m : volt (unless refractory)\n"
            "dI_syn/dt = -I_syn / tau_syn : volt\n"
        )

    def equations(self, extra="", shared=()):
        """The Brian2 model string.

        Parameters
        ----------
        extra : str
            Lines appended (e.g. neuron-level STDP traces).
        shared : collection of str
            Parameters declared as one value for the whole group (see
            :meth:`~hetero_brian.models.base.Spec.constant_parameters`).
        """
        return self._dynamics() + _parameter_lines(self.PARAMETERS, shared) + ("\n" + extra if extra else "")

    def threshold(self):
        """Brian2 threshold condition."""
        return "v > v_th"

    def reset(self, extra=""):
        """Brian2 reset statements (``extra`` statements appended)."""
        code = "v = v_reset" if self.reset_mode == "to_value" else "v = v - (v_th - v_reset)"
        return code + ("\n" + extra if extra else "")

    @property
    def refractory(self):
        """Refractory expression: the per-neuron variable ``t_ref``."""
        return "t_ref"

    def initial_values(self, sampled):
        """Initial state from sampled parameters: ``v = v_rest``, no synaptic current."""
        return {"v": sampled["v_rest"], "I_syn": 0 * volt}


@dataclass(frozen=True)
class AdaptiveLIF(LIF):
    """Adaptive LIF with a spike-triggered threshold of its own time constant (Yin et al. 2020).

    Parameters
    ----------
    tau_adapt : Distribution or Quantity
        Decay time constant of the adaptation variable ``b`` (time, > 0); per neuron.
    beta : Distribution or Quantity
        Threshold increase per unit of ``b`` (voltage, >= 0). ``beta = 0`` is exactly :class:`LIF`
        (same reset mode).
    reset_mode : {"subtract", "to_value"}
        Yin et al. reset by subtraction of the current threshold (default).
    Other parameters as in :class:`LIF`.

    Notes
    -----
    .. math::

        \\theta(t) = v_{th} + \\beta b(t), \\qquad \\tau_{adapt} \\frac{db}{dt} = -b,
        \\qquad b \\leftarrow b + 1 \\text{ at each spike}

    Reset by subtraction: ``v <- v - (theta - v_reset)``. This is the continuous-time form of
    Yin et al.'s discrete update ``b_t = rho b_{t-1} + (1 - rho) s_{t-1}``,
    ``theta_t = b0 + beta_Y b_t`` with ``rho = exp(-dt/tau_adp)``: their ``b`` equals ours times
    ``(1 - rho)``, so their ``beta_Y`` maps to ``beta = beta_Y (1 - rho) (v_th - v_rest) / b0`` in volts
    (:func:`beta_from_yin`). Under constant drive, ``b`` settles near ``rate * tau_adapt``.

    References
    ----------
    B. Yin, F. Corradi, S. M. Bohté, "Effective and efficient computation with multiple-timescale
    spiking recurrent neural networks", ICONS 2020, arXiv:2005.11633; Nature Machine Intelligence 3,
    905-913 (2021).
    """

    tau_adapt: object = Constant(150 * ms)
    beta: object = Constant(1.0 * mV)
    reset_mode: str = "subtract"

    PARAMETERS = dict(
        LIF.PARAMETERS,
        tau_adapt=ParameterInfo(second, positive=True, description="adaptation time constant"),
        beta=ParameterInfo(volt, description="threshold increase per unit of adaptation"),
    )
    STATE = dict(LIF.STATE, b=1)

    def __post_init__(self):
        super().__post_init__()
        if self.beta.support_si()[0] < 0:
            raise ValueError(f"AdaptiveLIF.beta must be >= 0; {self.beta!r} can produce negative values")

    def _dynamics(self):
        return super()._dynamics() + "db/dt = -b / tau_adapt : 1\n"

    def threshold(self):
        return "v > v_th + beta * b"

    def reset(self, extra=""):
        if self.reset_mode == "to_value":
            code = "v = v_reset\nb += 1"
        else:
            code = "v = v - (v_th + beta * b - v_reset)\nb += 1"
        return code + ("\n" + extra if extra else "")

    def initial_values(self, sampled):
        values = super().initial_values(sampled)
        values["b"] = 0
        return values


def beta_from_yin(beta_yin, b0, tau_adapt, step, threshold_distance):
    """Convert Yin et al.'s dimensionless ``beta`` into this package's ``beta`` in volts.

    Parameters
    ----------
    beta_yin : float
        Their adaptation strength (1.8 in their SHD and ECG code).
    b0 : float
        Their baseline threshold (0.01 in their code).
    tau_adapt : brian2.Quantity
        Adaptation time constant (time).
    step : brian2.Quantity
        Their time step (1 ms in their code).
    threshold_distance : brian2.Quantity
        ``v_th - v_rest`` of this package's neuron (voltage).

    Returns
    -------
    brian2.Quantity
        ``beta_yin (1 - exp(-step / tau_adapt)) threshold_distance / b0``.
    """
    decay = 1.0 - math.exp(-float(step / tau_adapt))
    return beta_yin * decay * threshold_distance / b0


@dataclass(frozen=True)
class ConductanceLIF(NeuronSpec):
    """Conductance-based LIF with an optional homeostatic adaptive threshold (Diehl & Cook 2015).

    Parameters
    ----------
    tau_m : Distribution or Quantity
        Membrane time constant (time, > 0).
    v_rest, v_reset, v_th : Distribution or Quantity
        Resting, reset and threshold potentials (voltage).
    e_exc, e_inh : Distribution or Quantity
        Reversal potentials of the excitatory and inhibitory conductances (voltage).
    tau_e, tau_i : Distribution or Quantity
        Decay time constants of the conductances (time, > 0).
    t_ref : Distribution or Quantity
        Refractory period (time).
    theta_plus : Distribution or Quantity
        Threshold increase at each spike (voltage, >= 0; 0 disables the homeostasis).
    tau_theta : Distribution or Quantity
        Decay time constant of the adaptive threshold (time, > 0; 1e7 ms in Diehl & Cook).
    I_ext : Distribution or Quantity
        Constant external drive (voltage), default 0 mV.

    Notes
    -----
    .. math::

        \\tau_m \\frac{dv}{dt} = (v_{rest} - v) + g_e (E_{exc} - v) + g_i (E_{inh} - v), \\quad
        \\tau_e \\frac{dg_e}{dt} = -g_e, \\quad \\tau_i \\frac{dg_i}{dt} = -g_i, \\quad
        \\tau_\\theta \\frac{d\\theta}{dt} = -\\theta

    Spike when ``v > v_th + theta``; then ``v = v_reset`` and ``theta += theta_plus``. The
    conductances are dimensionless (relative to the leak). ``theta_plus`` is a per-neuron variable,
    so the homeostasis can be frozen for a test phase without rebuilding. Integrated with Euler
    (the equations are bilinear in ``v`` and ``g``), as in the original code.

    References
    ----------
    P. U. Diehl, M. Cook, "Unsupervised learning of digit recognition using spike-timing-dependent
    plasticity", Front. Comput. Neurosci. 9:99 (2015).
    """

    tau_m: object = Constant(100 * ms)
    v_rest: object = Constant(-65 * mV)
    v_reset: object = Constant(-65 * mV)
    v_th: object = Constant(-72 * mV)
    e_exc: object = Constant(0 * mV)
    e_inh: object = Constant(-100 * mV)
    tau_e: object = Constant(1 * ms)
    tau_i: object = Constant(2 * ms)
    t_ref: object = Constant(5 * ms)
    theta_plus: object = Constant(0.05 * mV)
    tau_theta: object = Constant(1e7 * ms)
    I_ext: object = Constant(0 * mV)

    PARAMETERS = {
        "tau_m": ParameterInfo(second, positive=True, description="membrane time constant"),
        "v_rest": ParameterInfo(volt),
        "v_reset": ParameterInfo(volt),
        "v_th": ParameterInfo(volt),
        "e_exc": ParameterInfo(volt),
        "e_inh": ParameterInfo(volt),
        "tau_e": ParameterInfo(second, positive=True),
        "tau_i": ParameterInfo(second, positive=True),
        "t_ref": ParameterInfo(second),
        "theta_plus": ParameterInfo(volt),
        "tau_theta": ParameterInfo(second, positive=True),
        "I_ext": ParameterInfo(volt, description="constant external drive"),
    }
    STATE = {"v": volt, "g_e": 1, "g_i": 1, "theta": volt}
    SYNAPTIC_TARGETS = ("g_e", "g_i")
    method = "euler"

    def __post_init__(self):
        self._coerce_parameters()
        for name in ("t_ref", "theta_plus"):
            if getattr(self, name).support_si()[0] < 0:
                raise ValueError(f"ConductanceLIF.{name} must be >= 0; got {getattr(self, name)!r}")

    def equations(self, extra="", shared=()):
        dynamics = (
            "dv/dt = ((v_rest - v) + g_e * (e_exc - v) + g_i * (e_inh - v) + I_ext) / tau_m : volt (unless refractory)\n"
            "dg_e/dt = -g_e / tau_e : 1\n"
            "dg_i/dt = -g_i / tau_i : 1\n"
            "dtheta/dt = -theta / tau_theta : volt\n"
        )
        return dynamics + _parameter_lines(self.PARAMETERS, shared) + ("\n" + extra if extra else "")

    def threshold(self):
        return "v > v_th + theta"

    def reset(self, extra=""):
        return "v = v_reset\ntheta += theta_plus" + ("\n" + extra if extra else "")

    @property
    def refractory(self):
        return "t_ref"

    def initial_values(self, sampled):
        return {"v": sampled["v_rest"], "g_e": 0, "g_i": 0, "theta": 0 * volt}


#: Excitatory neuron of Diehl & Cook (2015): their ``v_thresh_e - offset`` is -72 mV, plus theta.
DIEHL_COOK_EXCITATORY = ConductanceLIF()

#: Inhibitory neuron of Diehl & Cook (2015): tau_m 10 ms, rest -60 mV, threshold -40 mV, no homeostasis.
DIEHL_COOK_INHIBITORY = ConductanceLIF(
    tau_m=10 * ms, v_rest=-60 * mV, v_reset=-45 * mV, v_th=-40 * mV, e_exc=0 * mV, e_inh=-85 * mV,
    t_ref=2 * ms, theta_plus=0 * mV,
)

__all__ = ["LIF", "AdaptiveLIF", "ConductanceLIF", "beta_from_yin", "DIEHL_COOK_EXCITATORY",
           "DIEHL_COOK_INHIBITORY", "RESET_MODES"]
