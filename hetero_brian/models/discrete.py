"""Discrete-time neuron models: the adaptive spiking RNN of Yin, Corradi & Bohté as a literal map.

Networks trained with an autodiff library are defined by a discrete-time map with one step
``dt``, not by differential equations. The specs here run that map *literally* in Brian2: each
neuron group carries the continuum form of its dynamics (for documentation, units and Brian2's
bookkeeping), but is integrated by :class:`DiscreteMap`, a state updater that emits the trained
model's update statements unchanged. Their per-step decay factors are computed host-side from the
per-neuron time constants by :func:`decay_factor`, the same function the training code uses, so
Brian2 and the autodiff forward pass multiply by the same floating-point numbers.

Order of operations in one Brian2 step (schedule ``groups -> thresholds -> synapses -> resets``):
the state update consumes ``I`` (the synaptic input delivered during the previous step) and ``s``
(whether the neuron spiked in the previous step), then clears both; the threshold tests
``u - theta > 0``; spikes are delivered (``I_post += w``, no delay) for the next step; the reset
records ``s = 1``. A trained step ``k`` (0-based) is therefore Brian2 step ``k + 1`` for a neuron
driven by input spikes emitted at step ``k``, and a readout fed by those neurons lags one step more
(see :mod:`hetero_brian.training.export`).

References
----------
B. Yin, F. Corradi, S. M. Bohté, "Effective and efficient computation with multiple-timescale
spiking recurrent neural networks", ICONS 2020, arXiv:2005.11633; "Accurate and efficient
time-domain classification with adaptive spiking recurrent neural networks", Nature Machine
Intelligence 3, 905-913 (2021).
"""
import hashlib
from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, ms, second
from brian2.units.fundamentalunits import DIMENSIONLESS, get_dimensions

from ..distributions import Constant, Distribution
from ..errors import UnitError
from .base import NeuronSpec, ParameterInfo, parameter_declaration
from .synapses import StaticSynapse, _check_non_negative

__all__ = ["FixedValues", "DiscreteMap", "DiscreteStepNeuron", "DiscreteAdaptiveLIF", "DiscreteLeakyReadout", "SignedSynapse",
           "AnalogSynapse", "decay_factor"]


def decay_factor(tau, step):
    """Per-step decay ``exp(-step / tau)`` of a discrete-time map, in float64.

    Parameters
    ----------
    tau : array_like of float
        Time constants in seconds (SI), > 0.
    step : float
        Time step in seconds (SI), > 0.

    Returns
    -------
    numpy.ndarray of float64

    Notes
    -----
    The one definition shared by the training code and the Brian2 export: both sides call it on the
    same float64 values, so the decays agree bit for bit (``torch.exp`` and ``numpy.exp`` differ in
    the last bit for about 4 % of arguments on this machine).
    """
    tau = np.asarray(tau, dtype=np.float64)
    if tau.size and not np.all(tau > 0):
        raise ValueError(f"time constants must be > 0 s; got minimum {tau.min()!r} s")
    return np.exp(-(np.float64(step) / tau))


class FixedValues(Distribution):
    """Given values, one per neuron or synapse, in order: trained parameters as a distribution.

    ``sample(n, rng)`` returns the stored values (``n`` must equal their number; the generator is
    not used), so a trained network is a network spec like any other.

    Parameters
    ----------
    values : brian2.Quantity or array_like of float
        The values (a bare array means dimensionless). Must be finite.
    """

    def __init__(self, values):
        dim = get_dimensions(values) if isinstance(values, Quantity) else DIMENSIONLESS
        array = np.array(np.asarray(values, dtype=np.float64), copy=True).ravel()
        if not np.all(np.isfinite(array)):
            raise ValueError(f"FixedValues: every value must be finite; got {int((~np.isfinite(array)).sum())} NaN/Inf")
        array.setflags(write=False)
        object.__setattr__(self, "values_si", array)
        object.__setattr__(self, "dim", dim)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is frozen")

    def __eq__(self, other):
        return type(other) is type(self) and other.dim is self.dim and np.array_equal(other.values_si, self.values_si)

    def __hash__(self):
        return hash((type(self).__name__, self.values_si.tobytes(), str(self.dim)))

    def __repr__(self):
        return f"FixedValues(n={self.values_si.size}, unit={self.unit})"

    def sample(self, n, rng):
        if n != self.values_si.size and not (self.values_si.size == 0 and n == 1):
            raise ValueError(f"FixedValues holds {self.values_si.size} values but {n} were requested")
        return self._quantity(self.values_si.copy() if self.values_si.size else np.zeros(1))

    def _moments_si(self):
        return float(np.mean(self.values_si)), float(np.std(self.values_si))

    def support_si(self):
        if not self.values_si.size:
            return 0.0, 0.0
        return float(self.values_si.min()), float(self.values_si.max())

    def pdf_si(self, x):
        raise NotImplementedError("FixedValues has no density (it is a list of values)")

    def to_dict(self):
        digest = hashlib.sha256(self.values_si.tobytes()).hexdigest()[:16]
        return {"distribution": "fixed_values", "n": int(self.values_si.size), "unit": str(self.unit), "sha256": digest}


class DiscreteMap:
    """Brian2 state updater that returns given update statements (the literal discrete map).

    Brian2 calls a state updater with ``(equations, variables, method_options)`` and inserts the
    abstract code it returns; this one ignores the continuum equations and returns ``code``.

    Parameters
    ----------
    code : str
        Brian2 abstract code run once per step in the ``groups`` slot.
    name : str
        Name shown in Brian2's log.
    """

    def __init__(self, code, name):
        self.code = code
        self.__name__ = name

    def __call__(self, equations, variables=None, method_options=None):
        return self.code

    def __repr__(self):
        return f"DiscreteMap({self.__name__!r})"


def _check_step(step, owner):
    if not isinstance(step, Quantity) or not step.has_same_dimensions(second) or not float(step) > 0:
        raise UnitError(f"{owner}.step must be a positive time (e.g. 1*ms); got {step!r}")


def _check_first_step(first_step, owner):
    if isinstance(first_step, bool) or not isinstance(first_step, (int, np.integer)) or first_step < 0:
        raise ValueError(f"{owner}.first_step must be an integer >= 0; got {first_step!r}")


def _lines(parameters, shared):
    return "\n".join(parameter_declaration(name, info.unit, name in shared) for name, info in parameters.items())


class DiscreteStepNeuron(NeuronSpec):
    """Base of the neurons integrated by a :class:`DiscreteMap`: one update per ``step``, inputs and
    biases counted from step ``first_step`` on (a namespace constant of the generated code)."""

    def _check_schedule(self):
        """Coerce the parameters and check ``step`` and ``first_step`` (call from ``__post_init__``)."""
        self._coerce_parameters()
        _check_step(self.step, type(self).__name__)
        _check_first_step(self.first_step, type(self).__name__)

    def namespace(self):
        return {"first_step": int(self.first_step)}


@dataclass(frozen=True)
class DiscreteAdaptiveLIF(DiscreteStepNeuron):
    """Adaptive LIF neuron of Yin et al. in discrete time, integrated literally (one step ``step``).

    Parameters
    ----------
    tau_m : Distribution or Quantity
        Membrane time constant (time, > 0), per neuron.
    tau_adp : Distribution or Quantity
        Adaptation time constant (time, > 0), per neuron.
    b0 : Distribution or float
        Baseline threshold (dimensionless; 0.01 in Yin et al.'s code).
    beta : Distribution or float
        Adaptation strength (dimensionless, >= 0; 1.8 in Yin et al.'s code). ``beta = 0`` is a
        plain LIF neuron with threshold ``b0`` and reset by subtraction.
    bias : Distribution or float
        Constant input added to the synaptic input every step (dimensionless).
    step : brian2.Quantity
        Time step of the map (1 ms in Yin et al.); the network's ``dt`` must equal it.
    first_step : int
        Brian2 step at which the map starts: before it, ``bias`` is withheld and the neuron cannot
        spike, so the state stays exactly at rest (``u = b = s = 0``) until its first input arrives.

    Notes
    -----
    With ``alpha = exp(-step/tau_m)``, ``rho = exp(-step/tau_adp)`` (per neuron, :func:`decay_factor`),
    input ``I_k`` (synaptic input of step ``k`` plus ``bias``; membrane resistance 1) and spike
    ``s_k``:

    .. math::

        b_k = \\rho b_{k-1} + (1 - \\rho) s_{k-1}, \\quad \\theta_k = b_0 + \\beta b_k, \\quad
        u_k = \\alpha u_{k-1} + (1 - \\alpha) I_k - \\theta_k s_{k-1}, \\quad s_k = H(u_k - \\theta_k)

    with ``H(x) = 1`` for ``x > 0``. The leak is the exact solution of ``tau_m du/dt = I - u`` over a
    step with ``I`` held constant; ``b`` likewise integrates ``tau_adp db/dt = s - b``. The reset
    subtracts the threshold of the step *after* the spike. Initial state: ``u = b = s = 0``.
    """

    tau_m: object = Constant(20 * ms)
    tau_adp: object = Constant(150 * ms)
    b0: object = Constant(0.01)
    beta: object = Constant(1.8)
    bias: object = Constant(0.0)
    step: Quantity = field(default_factory=lambda: 1 * ms)
    first_step: int = 0

    PARAMETERS = {
        "tau_m": ParameterInfo(second, positive=True, description="membrane time constant"),
        "tau_adp": ParameterInfo(second, positive=True, description="adaptation time constant"),
        "b0": ParameterInfo(1, description="baseline threshold"),
        "beta": ParameterInfo(1, description="adaptation strength"),
        "bias": ParameterInfo(1, description="constant input per step"),
    }
    STATE = {"u": 1, "b": 1, "theta": 1, "s": 1, "I": 1}
    SYNAPTIC_TARGETS = ("I",)
    UPDATE = (
        "b = rho*b + (1 - rho)*s\n"
        "theta = b0 + beta*b\n"
        "u = alpha*u + (1 - alpha)*(I + bias*int(timestep(t, dt) >= first_step)) - theta*s\n"
        "s = 0\n"
        "I = 0\n"
    )

    def __post_init__(self):
        self._check_schedule()
        if self.beta.support_si()[0] < 0:
            raise ValueError(f"DiscreteAdaptiveLIF.beta must be >= 0; {self.beta!r} can produce negative values")

    @property
    def method(self):
        """The literal map (:class:`DiscreteMap`)."""
        return DiscreteMap(self.UPDATE, "discrete_adaptive_lif")

    def equations(self, extra="", shared=()):
        """Continuum form (integrated by :attr:`method`), state, derived decays and parameters."""
        dynamics = (
            "du/dt = (I + bias - u) / tau_m : 1\n"
            "db/dt = (s - b) / tau_adp : 1\n"
            "theta : 1\n"
            "s : 1\n"
            "I : 1\n"
            "alpha : 1 (constant)\n"
            "rho : 1 (constant)\n"
        )
        return dynamics + _lines(self.PARAMETERS, shared) + ("\n" + extra if extra else "")

    def threshold(self):
        return "u - theta > 0 and timestep(t, dt) >= first_step"

    def reset(self, extra=""):
        return "s = 1" + ("\n" + extra if extra else "")

    @property
    def refractory(self):
        return False

    def initial_values(self, sampled):
        """Zero state; decays ``alpha``, ``rho`` from the sampled time constants."""
        step = float(self.step)
        return {"u": 0.0, "b": 0.0, "s": 0.0, "I": 0.0, "theta": np.asarray(sampled["b0"], dtype=float),
                "alpha": decay_factor(np.asarray(sampled["tau_m"], dtype=float), step),
                "rho": decay_factor(np.asarray(sampled["tau_adp"], dtype=float), step)}


@dataclass(frozen=True)
class DiscreteLeakyReadout(DiscreteStepNeuron):
    """Non-spiking leaky integrator in discrete time: ``u_k = alpha u_{k-1} + (1 - alpha) (I_k + bias)``.

    Parameters
    ----------
    tau_m : Distribution or Quantity
        Time constant (time, > 0), per neuron; ``alpha = exp(-step/tau_m)``.
    bias : Distribution or float
        Constant input per step (dimensionless).
    step : brian2.Quantity
        Time step of the map; the network's ``dt`` must equal it.
    first_step : int
        Brian2 step at which the map starts (``bias`` withheld before it, so ``u`` stays 0).
    """

    tau_m: object = Constant(20 * ms)
    bias: object = Constant(0.0)
    step: Quantity = field(default_factory=lambda: 1 * ms)
    first_step: int = 0

    PARAMETERS = {
        "tau_m": ParameterInfo(second, positive=True, description="readout time constant"),
        "bias": ParameterInfo(1, description="constant input per step"),
    }
    STATE = {"u": 1, "I": 1}
    SYNAPTIC_TARGETS = ("I",)
    UPDATE = "u = alpha*u + (1 - alpha)*(I + bias*int(timestep(t, dt) >= first_step))\nI = 0\n"

    def __post_init__(self):
        self._check_schedule()

    @property
    def method(self):
        return DiscreteMap(self.UPDATE, "discrete_leaky_readout")

    def equations(self, extra="", shared=()):
        dynamics = "du/dt = (I + bias - u) / tau_m : 1\nI : 1\nalpha : 1 (constant)\n"
        return dynamics + _lines(self.PARAMETERS, shared) + ("\n" + extra if extra else "")

    def threshold(self):
        return None

    def reset(self, extra=""):
        if extra:
            raise ValueError("DiscreteLeakyReadout does not spike: it cannot carry reset statements (plastic traces)")
        return None

    @property
    def refractory(self):
        return False

    def initial_values(self, sampled):
        return {"u": 0.0, "I": 0.0, "alpha": decay_factor(np.asarray(sampled["tau_m"], dtype=float), float(self.step))}


@dataclass(frozen=True)
class SignedSynapse(StaticSynapse):
    """A static synapse with a signed, dimensionless weight: each presynaptic spike adds ``w`` to ``I``.

    Trained networks do not obey Dale's law: a weight's sign is its own. ``sign`` stays 1.

    Parameters
    ----------
    weight : Distribution or float
        Per-synapse weight (dimensionless, any sign).
    target : str
        Postsynaptic variable (``I`` of the discrete models).
    delay : Distribution or Quantity
        Transmission delay (time, >= 0; 0 for the discrete map).
    """

    weight: object = Constant(0.0)
    sign: int = 1
    target: str = "I"

    def __post_init__(self):
        if self.sign != 1:
            raise ValueError(f"SignedSynapse carries the sign in its weights; sign must be 1, got {self.sign!r}")
        self._coerce_parameters()
        _check_non_negative(self, ("delay",))


@dataclass(frozen=True)
class AnalogSynapse(SignedSynapse):
    """A signed synapse from an analog input channel: each step adds ``w * x_pre`` to ``I``.

    The source is an :class:`~hetero_brian.network.spec.AnalogInput`, whose channels emit an event
    every step carrying that step's value ``x``; this is the input layer ``W_in x_k`` of a network
    trained on analog frames.

    Parameters
    ----------
    weight : Distribution or float
        Per-synapse weight (dimensionless, any sign).
    target : str
        Postsynaptic variable (``I`` of the discrete models).
    delay : Distribution or Quantity
        Transmission delay (time, >= 0; 0 for the discrete map).
    """

    def on_pre(self, name):
        """``I_post += w * x_pre`` (the channel's value of this step times the weight)."""
        return f"{self.target}_post += w * x_pre"
