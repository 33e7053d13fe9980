"""NIR neurons run as the forward-Euler step maps of the discrete-time frameworks that write NIR graphs.

snnTorch and Norse train networks in discrete time and export them to NIR (the Neuromorphic
Intermediate Representation) by naming the differential equation whose forward-Euler step with
their step ``dt`` is their update. Run with NIR's exact solution (:mod:`hetero_brian.models.nir_neurons`)
such a graph is a slightly different network (``exp(-dt/tau)`` instead of ``1 - dt/tau`` per step).
The specs here run the Euler step map literally (:class:`hetero_brian.models.discrete.DiscreteMap`),
with the input of step ``k`` entering the update of step ``k``:

- :class:`NIREulerLIF` (NIR ``LIF``)::

      v_k = v_{k-1} + (dt/tau) ((v_leak - v_{k-1}) + r x_k);  s_k = H(v_k - v_threshold);  v_k = v_reset if s_k

  snnTorch (``snntorch/export_nir.py``: ``Leaky`` -> ``LIF`` with ``tau = dt/(1 - beta)``,
  ``r = tau/dt``, ``dt = 1e-4`` s) makes this ``v_k = beta v_{k-1} + x_k``; Norse (``LIFBoxCell`` ->
  ``LIF`` with ``tau = 1/tau_mem_inv``, ``r = 1``) writes exactly its ``lif_box_feed_forward_step``.
- :class:`NIREulerCubaLIF` (NIR ``CubaLIF``), ``convention="euler"``::

      I_k = I_{k-1} + (dt/tau_syn) (w_in x_k - I_{k-1});  v_k = v_{k-1} + (dt/tau_mem) ((v_leak - v_{k-1}) + r I_k)

  (snnTorch's ``Synaptic``: ``I_k = alpha I_{k-1} + x_k``, ``v_k = beta v_{k-1} + I_k``; Norse's
  *import* of a ``CubaLIF``). ``convention="jump"``: the update Norse's ``LIFCell`` runs
  (``lif_feed_forward_step``) and exports as a ``CubaLIF`` with ``w_in = 1``: the current *jumps* by
  ``w_in x_k`` and decays after the membrane update::

      J = I_{k-1} + w_in x_k;  v_k = v_{k-1} + (dt/tau_mem) ((v_leak - v_{k-1}) + r J);  I_k = J - (dt/tau_syn) J

- :class:`NIREulerLI` (NIR ``LI``): the LIF map without spikes (Norse's ``LIBoxCell``).

``x_k`` is the summed output of the ``Affine``/``Linear`` nodes feeding the neuron (bias included).
Brian2 timing: synapses add ``w`` (spikes) or ``w x`` (analog input) to ``I`` during a step, and the
next step's update consumes it, so a neuron ``d`` layers from the input computes the framework's step
``k`` in Brian2 step ``k + d`` (``first_step = d``: before it the state is held at zero, the leak
towards ``v_leak`` and the bias included, and the neuron cannot spike). Threshold ``v > v_threshold`` (strict, as both frameworks' Heaviside).

References
----------
J. E. Pedersen et al., Nature Communications 15, 8122 (2024) (NIR). snnTorch
(github.com/jeshraghian/snntorch, ``snntorch/export_nir.py``, ``snntorch/import_nir.py``,
``snntorch/_neurons/leaky.py``, commit 634fc223); Norse (github.com/norse/norse,
``norse/torch/utils/export_nir.py``, ``norse/torch/functional/lif_box.py``, ``lif.py``, commit 065a3b45).
"""
from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, ms, second

from ..distributions import Constant
from .base import ParameterInfo, parameter_declaration
from .discrete import DiscreteMap, DiscreteStepNeuron

__all__ = ["NIREulerLIF", "NIREulerCubaLIF", "NIREulerLI", "CUBA_CONVENTIONS"]

#: Discrete updates of a NIR CubaLIF: NIR's equation by Euler (snnTorch) or Norse LIFCell's current jump.
CUBA_CONVENTIONS = ("euler", "jump")

_COMMON = {
    "r": ParameterInfo(1, description="resistance"),
    "v_leak": ParameterInfo(1, description="leak potential"),
    "bias": ParameterInfo(1, description="constant input per step (the Affine bias)"),
}
_SPIKING = {
    "v_threshold": ParameterInfo(1, description="firing threshold"),
    "v_reset": ParameterInfo(1, description="reset potential (NIR resets to it)"),
}
_GATE = "int(timestep(t, dt) >= first_step)"


def _declarations(parameters, shared):
    return "\n".join(parameter_declaration(name, info.unit, name in shared) for name, info in parameters.items())


def _ratio(tau, step):
    """``step / tau`` per neuron in float64 (the Euler factor)."""
    return float(step) / np.asarray(tau, dtype=np.float64)


class _EulerNeuron(DiscreteStepNeuron):
    """Shared schedule of the Euler maps."""

    @property
    def method(self):
        return DiscreteMap(self.update_code(), f"nir_euler_{type(self).__name__.lower()}")

    @property
    def refractory(self):
        return False

    def threshold(self):
        return "v > v_threshold and timestep(t, dt) >= first_step"

    def reset(self, extra=""):
        return "v = v_reset" + ("\n" + extra if extra else "")


@dataclass(frozen=True)
class NIREulerLIF(_EulerNeuron):
    """NIR ``LIF`` as the forward-Euler map of step ``step`` (see the module notes).

    Parameters
    ----------
    tau : Distribution or Quantity
        Membrane time constant (time, > 0).
    r, v_leak, v_threshold, v_reset, bias : Distribution or float
        Dimensionless, as in NIR.
    step : brian2.Quantity
        The framework's step ``dt``; the network's ``dt`` must equal it.
    first_step : int
        Brian2 step of the framework's step 0 (the neuron's depth in layers).
    """

    tau: object = Constant(10 * ms)
    r: object = Constant(1.0)
    v_leak: object = Constant(0.0)
    v_threshold: object = Constant(1.0)
    v_reset: object = Constant(0.0)
    bias: object = Constant(0.0)
    step: Quantity = field(default_factory=lambda: 1 * ms)
    first_step: int = 1

    PARAMETERS = {"tau": ParameterInfo(second, positive=True, description="membrane time constant"), **_COMMON, **_SPIKING}
    STATE = {"v": 1, "I": 1}
    SYNAPTIC_TARGETS = ("I",)

    def __post_init__(self):
        self._check_schedule()

    def update_code(self):
        return f"v = v + {_GATE}*step_ratio*((v_leak - v) + r*(I + bias))\nI = 0\n"

    def equations(self, extra="", shared=()):
        dynamics = "dv/dt = (v_leak - v + r*(I + bias)) / tau : 1\nI : 1\nstep_ratio : 1 (constant)\n"
        return dynamics + _declarations(self.PARAMETERS, shared) + ("\n" + extra if extra else "")

    def initial_values(self, sampled):
        return {"v": 0.0, "I": 0.0, "step_ratio": _ratio(sampled["tau"], self.step)}


@dataclass(frozen=True)
class NIREulerLI(NIREulerLIF):
    """NIR ``LI`` as the forward-Euler map (no spikes); parameters as :class:`NIREulerLIF` without
    ``v_threshold``/``v_reset``."""

    PARAMETERS = {"tau": ParameterInfo(second, positive=True, description="time constant"), **_COMMON}

    def threshold(self):
        return None

    def reset(self, extra=""):
        if extra:
            raise ValueError("NIREulerLI does not spike: it cannot carry reset statements")
        return None


@dataclass(frozen=True)
class NIREulerCubaLIF(_EulerNeuron):
    """NIR ``CubaLIF`` as a discrete map (``convention``: ``"euler"`` or Norse LIFCell's ``"jump"``).

    Parameters
    ----------
    tau_syn, tau_mem : Distribution or Quantity
        Synaptic and membrane time constants (time, > 0).
    r, v_leak, v_threshold, v_reset, w_in, bias : Distribution or float
        Dimensionless, as in NIR.
    step, first_step
        As in :class:`NIREulerLIF`.
    convention : {"euler", "jump"}
        See the module notes.
    """

    tau_syn: object = Constant(5 * ms)
    tau_mem: object = Constant(10 * ms)
    r: object = Constant(1.0)
    v_leak: object = Constant(0.0)
    v_threshold: object = Constant(1.0)
    v_reset: object = Constant(0.0)
    w_in: object = Constant(1.0)
    bias: object = Constant(0.0)
    step: Quantity = field(default_factory=lambda: 1 * ms)
    first_step: int = 1
    convention: str = "euler"

    PARAMETERS = {"tau_syn": ParameterInfo(second, positive=True, description="synaptic time constant"),
                  "tau_mem": ParameterInfo(second, positive=True, description="membrane time constant"),
                  **_COMMON, **_SPIKING, "w_in": ParameterInfo(1, description="input weight (elementwise)")}
    STATE = {"v": 1, "current": 1, "I": 1}
    SYNAPTIC_TARGETS = ("I",)

    def __post_init__(self):
        self._check_schedule()
        if self.convention not in CUBA_CONVENTIONS:
            raise ValueError(f"NIREulerCubaLIF.convention must be one of {CUBA_CONVENTIONS}; got {self.convention!r}")

    def update_code(self):
        gate, membrane = _GATE, f"v = v + {_GATE}*mem_ratio*((v_leak - v) + r*current)\n"
        if self.convention == "euler":
            return f"current = current + {gate}*syn_ratio*(w_in*(I + bias) - current)\n" + membrane + "I = 0\n"
        return (f"current = current + {gate}*w_in*(I + bias)\n" + membrane
                + f"current = current - {gate}*syn_ratio*current\nI = 0\n")

    def equations(self, extra="", shared=()):
        dynamics = ("dcurrent/dt = (w_in*(I + bias) - current) / tau_syn : 1\n"
                    "dv/dt = (v_leak - v + r*current) / tau_mem : 1\n"
                    "I : 1\nsyn_ratio : 1 (constant)\nmem_ratio : 1 (constant)\n")
        return dynamics + _declarations(self.PARAMETERS, shared) + ("\n" + extra if extra else "")

    def initial_values(self, sampled):
        return {"v": 0.0, "current": 0.0, "I": 0.0, "syn_ratio": _ratio(sampled["tau_syn"], self.step),
                "mem_ratio": _ratio(sampled["tau_mem"], self.step)}
