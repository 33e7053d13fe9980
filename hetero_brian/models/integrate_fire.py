"""Discrete-time integrate-and-fire layer of a converted or directly trained feed-forward SNN.

Run literally in Brian2 through :class:`~hetero_brian.models.discrete.DiscreteMap` (one step per
Brian2 step), so the Brian2 network and the numpy/torch simulation of the same converted network
perform the same float64 operations in the same order.

One Brian2 step (schedule ``groups -> thresholds -> synapses -> resets``): the update consumes
``I`` (the synaptic input delivered during the previous step) and the constant ``bias`` (direct
current input, active in steps ``first_step <= k < stop_step``), then clears ``I``; the threshold
tests ``u >= firing_threshold``; spikes are delivered to the next layer's ``I`` for its next step; the reset
subtracts the threshold (``u = u - firing_threshold``, reset by subtraction, Rueckauer et al. 2017).

References
----------
B. Rueckauer, I.-A. Lungu, Y. Hu, M. Pfeiffer, S.-C. Liu, "Conversion of continuous-valued deep
networks to efficient event-driven networks for image classification", Front. Neurosci. 11:682 (2017).
N. Rathi, K. Roy, "DIET-SNN: A low-latency spiking neural network with direct input encoding and
leakage and threshold optimization", IEEE TNNLS (2021), arXiv:2008.03658 (per-layer leak).
"""
from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, ms

from ..distributions import Constant
from .base import NeuronSpec, ParameterInfo, parameter_declaration
from .discrete import DiscreteMap

__all__ = ["DiscreteIntegrateFire"]


def _check_step_index(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"DiscreteIntegrateFire.{name} must be an integer >= 0; got {value!r}")


@dataclass(frozen=True)
class DiscreteIntegrateFire(NeuronSpec):
    """(Leaky) integrate-and-fire neuron in discrete time with reset by subtraction.

    Parameters
    ----------
    leak : Distribution or float
        Per-step membrane leak factor (dimensionless, in [0, 1]; 1 is the non-leaky IF neuron of
        ANN-to-SNN conversion, below 1 the trained leak of DIET-SNN).
    firing_threshold : Distribution or float
        Firing threshold (dimensionless, > 0; same units as the weights).
    bias : Distribution or float
        Constant input added every active step (dimensionless): the direct-current input of the
        first layer (``W x`` for an analog image ``x``), set per sample as a run argument.
    spiking : bool
        False: a non-spiking accumulator (the output layer; classification by ``argmax u``).
    step : brian2.Quantity
        Time step; the network's ``dt`` must equal it (nothing depends on its value).
    first_step, stop_step : int
        ``bias`` is added in Brian2 steps ``first_step <= k < stop_step`` only.

    Notes
    -----
    ``u_k = leak u_{k-1}' + I_k + bias``, spike ``s_k = [u_k >= firing_threshold]``,
    then ``u_k' = u_k - firing_threshold s_k``. Initial state ``u = I = 0``.
    """

    leak: object = Constant(1.0)
    firing_threshold: object = Constant(1.0)
    bias: object = Constant(0.0)
    spiking: bool = True
    step: Quantity = field(default_factory=lambda: 1 * ms)
    first_step: int = 0
    stop_step: int = 2 ** 30

    PARAMETERS = {
        "leak": ParameterInfo(1, description="membrane leak factor per step"),
        "firing_threshold": ParameterInfo(1, description="firing threshold"),
        "bias": ParameterInfo(1, description="constant (direct) input per step"),
    }
    STATE = {"u": 1, "I": 1}
    SYNAPTIC_TARGETS = ("I",)
    UPDATE = ("u = leak*u + I + bias*int(timestep(t, dt) >= first_step)*int(timestep(t, dt) < stop_step)\n"
              "I = 0\n")

    def __post_init__(self):
        if not isinstance(self.spiking, bool):
            raise ValueError(f"DiscreteIntegrateFire.spiking must be True or False; got {self.spiking!r}")
        self._coerce_parameters()
        low, high = self.leak.support_si()
        if low < 0 or high > 1:
            raise ValueError(f"DiscreteIntegrateFire.leak must lie in [0, 1]; {self.leak!r} does not")
        if not self.firing_threshold.support_si()[0] > 0:
            raise ValueError(f"DiscreteIntegrateFire.firing_threshold must be > 0; {self.firing_threshold!r} is not")
        _check_step_index(self.first_step, "first_step")
        _check_step_index(self.stop_step, "stop_step")

    @property
    def method(self):
        """The literal map (:class:`~hetero_brian.models.discrete.DiscreteMap`)."""
        return DiscreteMap(self.UPDATE, "discrete_integrate_fire")

    def namespace(self):
        return {"first_step": int(self.first_step), "stop_step": int(self.stop_step)}

    def equations(self, extra="", shared=()):
        """Continuum form (integrated by :attr:`method`), state and parameters."""
        lines = "du/dt = (I + bias) / ms : 1\nI : 1\n"
        lines += "\n".join(parameter_declaration(name, info.unit, name in shared) for name, info in self.PARAMETERS.items())
        return lines + ("\n" + extra if extra else "")

    def threshold(self):
        return "u >= firing_threshold" if self.spiking else None

    def reset(self, extra=""):
        if not self.spiking:
            if extra:
                raise ValueError("a non-spiking DiscreteIntegrateFire cannot carry reset statements")
            return None
        return "u = u - firing_threshold" + ("\n" + extra if extra else "")

    @property
    def refractory(self):
        return False

    def initial_values(self, sampled):
        return {"u": 0.0, "I": 0.0}
