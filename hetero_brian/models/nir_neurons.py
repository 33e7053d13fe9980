"""Neuron models with the semantics of the Neuromorphic Intermediate Representation (NIR 1.0).

NIR defines its neurons by differential equations (dimensionless state, times in seconds); these
specs integrate exactly those equations in Brian2 (``exact`` method: they are linear between
spikes) and reset exactly as NIR says, *to* ``v_reset``:

- :class:`NIRLIF`: ``tau dv/dt = (v_leak - v) + r I``; spike when ``v > v_threshold``, then ``v = v_reset``;
- :class:`NIRCubaLIF`: ``tau_syn dI/dt = -I + w_in S``, ``tau_mem dv/dt = (v_leak - v) + r I``, same
  threshold and reset;
- :class:`NIRLeakyIntegrator` (NIR ``LI``): ``tau dv/dt = (v_leak - v) + r I``, no spikes.

Input convention. The current ``I`` of ``LIF``/``LI`` (and the drive ``S`` of ``CubaLIF``) is the
output of an ``Affine``/``Linear`` node: a constant part (the bias ``b``, held in ``bias``) plus
spikes. A spike is a pulse of height 1 lasting one step ``dt`` (the convention of the frameworks
that export NIR in discrete time, e.g. snnTorch and Norse, whose parameters assume a step): a spike
of weight ``w`` raises ``v`` by ``r w dt / tau`` (LIF, LI) or ``I`` by ``w_in w dt / tau_syn``
(CubaLIF). :class:`PulseSynapse` applies it: ``target += w * pulse_gain_post * dt``. Initial state
zero.

This differs from the discrete map of Yin et al. (:mod:`hetero_brian.models.discrete`), which
resets by *subtracting* the threshold; a NIR graph says nothing of that, so an imported graph resets
to ``v_reset`` (see :mod:`hetero_brian.training.nir_graphs`).

References
----------
J. E. Pedersen et al., "Neuromorphic intermediate representation: a unified instruction set for
interoperable brain-inspired computing", Nature Communications 15, 8122 (2024); ``nir`` 1.0 node
definitions (``nir.LIF``, ``nir.CubaLIF``, ``nir.LI``).
"""
from dataclasses import dataclass

from brian2 import ms, second

from ..distributions import Constant
from .base import NeuronSpec, ParameterInfo, parameter_declaration
from .discrete import SignedSynapse

__all__ = ["NIRLIF", "NIRCubaLIF", "NIRLeakyIntegrator", "PulseSynapse"]

_COMMON = {
    "r": ParameterInfo(1, description="resistance"),
    "v_leak": ParameterInfo(1, description="leak potential"),
    "bias": ParameterInfo(1, description="constant input current (the Affine bias)"),
}
_SPIKING = {
    "v_threshold": ParameterInfo(1, description="firing threshold"),
    "v_reset": ParameterInfo(1, description="reset potential (NIR resets to it)"),
}


def _lines(parameters, shared):
    return "\n".join(parameter_declaration(name, info.unit, name in shared) for name, info in parameters.items())


def _equations(dynamics, parameters, extra, shared):
    return dynamics + _lines(parameters, shared) + ("\n" + extra if extra else "")


@dataclass(frozen=True)
class NIRLIF(NeuronSpec):
    """NIR ``LIF``: ``tau dv/dt = (v_leak - v) + r (bias + pulses)``; reset to ``v_reset``.

    Parameters
    ----------
    tau : Distribution or Quantity
        Membrane time constant (time, > 0).
    r, v_leak, v_threshold, v_reset, bias : Distribution or float
        Dimensionless, as in NIR (``bias``: the sum of the biases of the Affine nodes feeding it).
    """

    tau: object = Constant(20 * ms)
    r: object = Constant(1.0)
    v_leak: object = Constant(0.0)
    v_threshold: object = Constant(1.0)
    v_reset: object = Constant(0.0)
    bias: object = Constant(0.0)

    PARAMETERS = {"tau": ParameterInfo(second, positive=True, description="membrane time constant"),
                  **_COMMON, **_SPIKING}
    STATE = {"v": 1}
    SYNAPTIC_TARGETS = ("v",)

    def __post_init__(self):
        self._coerce_parameters()

    def equations(self, extra="", shared=()):
        dynamics = "dv/dt = (v_leak - v + r*bias) / tau : 1\npulse_gain = r / tau : Hz\n"
        return _equations(dynamics, self.PARAMETERS, extra, shared)

    def threshold(self):
        return "v > v_threshold"

    def reset(self, extra=""):
        return "v = v_reset" + ("\n" + extra if extra else "")

    def initial_values(self, sampled):
        return {"v": 0.0}


@dataclass(frozen=True)
class NIRCubaLIF(NeuronSpec):
    """NIR ``CubaLIF``: a synaptic current ``I`` filters the input, then the membrane; reset to ``v_reset``.

    Parameters
    ----------
    tau_syn, tau_mem : Distribution or Quantity
        Synaptic and membrane time constants (time, > 0).
    r, v_leak, v_threshold, v_reset, w_in, bias : Distribution or float
        Dimensionless, as in NIR.
    integration : str
        Brian2 method: ``"exact"`` (default), or e.g. ``"rk4"`` when some ``tau_syn`` equals its
        ``tau_mem`` (the exact solution of the coupled system divides by their difference).
    """

    tau_syn: object = Constant(5 * ms)
    tau_mem: object = Constant(20 * ms)
    r: object = Constant(1.0)
    v_leak: object = Constant(0.0)
    v_threshold: object = Constant(1.0)
    v_reset: object = Constant(0.0)
    w_in: object = Constant(1.0)
    bias: object = Constant(0.0)
    integration: str = "exact"

    PARAMETERS = {"tau_syn": ParameterInfo(second, positive=True, description="synaptic time constant"),
                  "tau_mem": ParameterInfo(second, positive=True, description="membrane time constant"),
                  **_COMMON, **_SPIKING, "w_in": ParameterInfo(1, description="input weight (elementwise)")}
    STATE = {"v": 1, "I": 1}
    SYNAPTIC_TARGETS = ("I",)

    def __post_init__(self):
        self._coerce_parameters()

    @property
    def method(self):
        return self.integration

    def equations(self, extra="", shared=()):
        dynamics = ("dI/dt = (w_in*bias - I) / tau_syn : 1\n"
                    "dv/dt = (v_leak - v + r*I) / tau_mem : 1\n"
                    "pulse_gain = w_in / tau_syn : Hz\n")
        return _equations(dynamics, self.PARAMETERS, extra, shared)

    def threshold(self):
        return "v > v_threshold"

    def reset(self, extra=""):
        return "v = v_reset" + ("\n" + extra if extra else "")

    def initial_values(self, sampled):
        return {"v": 0.0, "I": 0.0}


@dataclass(frozen=True)
class NIRLeakyIntegrator(NeuronSpec):
    """NIR ``LI``: ``tau dv/dt = (v_leak - v) + r (bias + pulses)``, no spikes (a readout).

    Parameters
    ----------
    tau : Distribution or Quantity
        Time constant (time, > 0).
    r, v_leak, bias : Distribution or float
        Dimensionless, as in NIR.
    """

    tau: object = Constant(20 * ms)
    r: object = Constant(1.0)
    v_leak: object = Constant(0.0)
    bias: object = Constant(0.0)

    PARAMETERS = {"tau": ParameterInfo(second, positive=True, description="time constant"), **_COMMON}
    STATE = {"v": 1}
    SYNAPTIC_TARGETS = ("v",)

    def __post_init__(self):
        self._coerce_parameters()

    def equations(self, extra="", shared=()):
        dynamics = "dv/dt = (v_leak - v + r*bias) / tau : 1\npulse_gain = r / tau : Hz\n"
        return _equations(dynamics, self.PARAMETERS, extra, shared)

    def threshold(self):
        return None

    def reset(self, extra=""):
        if extra:
            raise ValueError("NIRLeakyIntegrator does not spike: it cannot carry reset statements")
        return None

    def initial_values(self, sampled):
        return {"v": 0.0}


@dataclass(frozen=True)
class PulseSynapse(SignedSynapse):
    """A spike of weight ``w`` as a pulse of height 1 over one step: ``target += w * pulse_gain_post * dt``.

    ``pulse_gain`` is the target's ``r / tau`` (LIF, LI; target ``v``) or ``w_in / tau_syn``
    (CubaLIF; target ``I``).

    Parameters
    ----------
    weight : Distribution or float
        Per-synapse weight (dimensionless, any sign; the Affine/Linear matrix entry).
    target : str
        ``"v"`` (LIF, LI) or ``"I"`` (CubaLIF).
    """

    target: str = "v"

    def on_pre(self, name):
        return f"{self.target}_post += w * pulse_gain_post * dt"
