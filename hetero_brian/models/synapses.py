"""Synapse models: static synapses and heterogeneous STDP rules as Brian2 code strings.

Each STDP synapse has its own time constants and learning rates (HRSNN's heterogeneous STDP),
sampled host-side. Weights are non-negative magnitudes clipped to ``[w_min, w_max]``; the sign of
the effect is fixed by the model (``sign``), so plasticity never flips an excitatory synapse into an
inhibitory one (Dale's law, FAULTS.md case 13). A shared variable ``plastic`` (1 or 0) switches
learning off for a test phase without rebuilding.

Weight changes are written relative to ``w_max`` (``dw = w_max * eta * ...``), so the learning
rates ``eta_*`` are dimensionless fractions of the maximum weight.
"""
from dataclasses import dataclass

import numpy as np
from brian2 import ms, second

from brian2.units.fundamentalunits import get_unit

from ..distributions import Constant, as_distribution
from ..errors import UnitError
from .base import ParameterInfo, Spec, check_choice, parameter_declaration, unit_name

STDP_RULES = ("additive", "multiplicative", "power_law", "triplet")
PAIRINGS = ("all", "nearest")
TRACE_LOCATIONS = ("synapse", "neuron")
#: Storage of per-synapse floating-point state (weights, traces, per-synapse parameters).
PRECISIONS = ("float64", "float32")


def _effect(target, sign):
    operator = "+=" if sign > 0 else "-="
    return f"{target}_post {operator} w"


def _check_sign(sign):
    if sign not in (1, -1):
        raise ValueError(f"sign must be 1 (excitatory) or -1 (inhibitory); got {sign!r}")


@dataclass(frozen=True)
class StaticSynapse(Spec):
    """A non-plastic synapse: each presynaptic spike adds ``sign * w`` to ``target`` of the post neuron.

    Parameters
    ----------
    weight : Distribution or Quantity
        Per-synapse weight magnitude (>= 0), in the unit of ``target`` (volt for ``I_syn``,
        dimensionless for the conductances ``g_e``/``g_i``).
    sign : {1, -1}
        1 for excitatory, -1 for inhibitory (current-based targets).
    target : str
        Post-synaptic variable that receives the jump.
    delay : Distribution or Quantity
        Per-synapse transmission delay (time, >= 0).
    precision : {"float64", "float32"}
        Storage of the per-synapse weights (and, for plastic synapses, traces and per-synapse
        parameters): ``float32`` halves their memory and memory traffic; arithmetic stays in
        double precision, each stored value is rounded to float32 (accuracy in docs/performance.md).
        Delays and the time of the last update stay float64.
    """

    weight: object
    sign: int = 1
    target: str = "I_syn"
    delay: object = Constant(0 * ms)
    precision: str = "float64"

    plastic_rule = None

    def parameter_infos(self):
        return {
            "weight": ParameterInfo(_weight_unit(self.weight), description="initial weight"),
            "delay": ParameterInfo(second, description="transmission delay"),
        }

    def __post_init__(self):
        _check_sign(self.sign)
        check_choice(self.precision, "precision", PRECISIONS)
        self._coerce_parameters()
        _check_non_negative(self, ("weight", "delay"))

    def variable_dtypes(self, shared=()):
        """Dict ``Brian2 variable -> numpy dtype`` of per-synapse variables stored in ``precision``
        (empty for float64: Brian2's default float type); pass it as ``Synapses(dtype=...)``.

        Parameters
        ----------
        shared : collection of str
            Parameters declared as one value per projection (they keep the default type).
        """
        if self.precision == "float64":
            return {}
        names = ["w", *self.state_variables()]
        names += [self.variable_name(name) for name, location in self.parameter_locations().items()
                  if location == "synapse" and name not in ("weight", "delay") and name not in shared]
        return {name: np.float32 for name in dict.fromkeys(names)}

    @property
    def weight_unit(self):
        return self.weight.unit

    def variable_name(self, parameter):
        """Brian2 variable that holds ``parameter``."""
        return parameter

    def state_variables(self):
        """The weight ``w`` (in the unit of ``target``)."""
        return {"w": self.weight_unit}

    def model(self, name, shared=()):
        """Brian2 synapse model string.

        Parameters
        ----------
        name : str
            Projection name (identifies neuron-level trace variables of plastic synapses).
        shared : collection of str
            Parameters declared as one value for the whole projection (the static weight is
            always per synapse).
        """
        return f"w : {unit_name(self.weight_unit)}"

    def on_pre(self, name):
        """Statements run at each presynaptic spike of projection ``name``."""
        return _effect(self.target, self.sign)

    def on_post(self, name):
        """Statements run at each postsynaptic spike of projection ``name`` (none)."""
        return None

    def namespace(self):
        """Constants the code refers to."""
        return {}

    def parameter_locations(self):
        """Where each sampled parameter lives: ``synapse`` (one value per synapse)."""
        return {name: "synapse" for name in self.parameter_infos()}

    def neuron_trace_code(self, name, shared=()):
        """Extra neuron equations and reset statements for neuron-level traces (none)."""
        return {"pre": ("", ""), "post": ("", "")}


def _weight_unit(weight):
    unit = getattr(weight, "dim", None)
    if unit is None:
        raise UnitError(f"weight must be a quantity or a distribution (volt for I_syn, dimensionless for g_e); got {weight!r}")
    return get_unit(unit)


def _check_non_negative(spec, names):
    for name in names:
        low, _ = getattr(spec, name).support_si()
        if low < 0:
            raise ValueError(f"{type(spec).__name__}.{name} must be >= 0; {getattr(spec, name)!r} can produce negative values")


@dataclass(frozen=True)
class STDP(StaticSynapse):
    """Pair-based or triplet STDP with per-synapse time constants and learning rates.

    Parameters
    ----------
    weight : Distribution or Quantity
        Initial weight (>= 0), in the unit of ``target``.
    w_max : Distribution or Quantity
        Upper weight bound (a single value; same unit as ``weight``), > 0.
    rule : {"additive", "multiplicative", "power_law", "triplet"}
        The learning rule (see Notes).
    tau_pre, tau_post : Distribution or Quantity
        Decay time constants of the pre- and postsynaptic traces (time, > 0); heterogeneous per
        synapse (``traces="synapse"``) or per pre- / postsynaptic neuron (``traces="neuron"``).
    eta_plus, eta_minus : Distribution or float
        Potentiation and depression rates as fractions of ``w_max`` (>= 0).
    w_min : Distribution or Quantity
        Lower weight bound (a single value, >= 0, default 0).
    mu : float
        Weight-dependence exponent of ``multiplicative`` and ``power_law`` (0 makes them additive).
    x_target : float
        Target value of the presynaptic trace in ``power_law`` (depression when ``x_pre < x_target``).
    tau_x, tau_y : Distribution or Quantity
        Slow pre- and postsynaptic trace time constants of ``triplet``.
    eta_triplet_plus, eta_triplet_minus : Distribution or float
        Triplet rates A3+ and A3- of ``triplet`` (fractions of ``w_max``).
    pairing : {"all", "nearest"}
        All-to-all (traces add ``1`` at each spike) or nearest-spike (traces are set to ``1``).
    traces : {"synapse", "neuron"}
        Faithful per-synapse traces (``event-driven``), or faster traces on the neurons: then
        ``tau_pre`` is per presynaptic neuron and ``tau_post`` per postsynaptic neuron (still
        heterogeneous across neurons). Neuron traces are updated in the ``resets`` slot, after the
        synaptic pathways, so a pre and a post spike in the *same* time step do not see each other
        (per-synapse traces count such a pair as potentiation at zero delay).
    sign, target, delay
        As in :class:`StaticSynapse`.

    Notes
    -----
    With pre- and postsynaptic traces ``x_pre``, ``x_post`` (``tau dx/dt = -x``; Brian2 variables
    ``apre``, ``apost``) and ``u = w / w_max``:

    * ``additive`` (Song, Miller & Abbott 2000): at post spikes ``dw = w_max eta_plus x_pre``;
      at pre spikes ``dw = -w_max eta_minus x_post``. A single pair with ``dt = t_post - t_pre``
      gives ``w_max eta_plus exp(-dt/tau_pre)`` for ``dt > 0`` and ``-w_max eta_minus exp(dt/tau_post)``
      for ``dt < 0``.
    * ``multiplicative`` (Gütig et al. 2003): ``dw = w_max eta_plus (1 - u)^mu x_pre`` and
      ``dw = -w_max eta_minus u^mu x_post``.
    * ``power_law`` (Diehl & Cook 2015; Rathi et al. 2018): at post spikes
      ``dw = w_max eta_plus (x_pre - x_target) (1 - u)^mu``, which is
      ``eta (x_pre - x_tar)(w_max - w)^mu`` with ``eta = eta_plus w_max^(1-mu)``; optional
      pre-spike depression ``-w_max eta_minus x_post`` (set ``eta_minus = 0`` for the pure rule).
    * ``triplet`` (Pfister & Gerstner 2006, all-to-all): slow traces ``x_pre2`` (tau_x) and
      ``x_post2`` (tau_y); at post spikes ``dw = w_max x_pre (eta_plus + eta_triplet_plus x_post2)``,
      at pre spikes ``dw = -w_max x_post (eta_minus + eta_triplet_minus x_pre2)``, each slow trace
      read before its own increment. The defaults are the minimal visual-cortex model
      (``eta_plus = 0``, ``eta_triplet_minus = 0``).

    All updates are clipped to ``[w_min, w_max]`` and multiplied by the shared variable ``plastic``.

    References
    ----------
    S. Song, K. D. Miller, L. F. Abbott, Nat. Neurosci. 3, 919 (2000). R. Gütig et al.,
    J. Neurosci. 23, 3697 (2003). J.-P. Pfister, W. Gerstner, J. Neurosci. 26, 9673 (2006).
    P. U. Diehl, M. Cook, Front. Comput. Neurosci. 9:99 (2015). N. Rathi, P. Panda, K. Roy, IEEE
    TCAD 38, 668 (2019). B. Chakraborty, S. Mukhopadhyay, Front. Neurosci. 17:994517 (2023).
    """

    w_max: object = None
    rule: str = "additive"
    tau_pre: object = Constant(20 * ms)
    tau_post: object = Constant(20 * ms)
    eta_plus: object = Constant(0.01)
    eta_minus: object = Constant(0.0105)
    w_min: object = None
    mu: float = 1.0
    x_target: float = 0.0
    tau_x: object = Constant(101 * ms)
    tau_y: object = Constant(125 * ms)
    eta_triplet_plus: object = Constant(0.0065)
    eta_triplet_minus: object = Constant(0.0)
    pairing: str = "all"
    traces: str = "synapse"

    @property
    def plastic_rule(self):
        return self.rule

    def parameter_infos(self):
        weight_unit = _weight_unit(self.weight)
        infos = {
            "weight": ParameterInfo(weight_unit, description="initial weight"),
            "delay": ParameterInfo(second, description="transmission delay"),
            "tau_pre": ParameterInfo(second, positive=True, description="presynaptic trace time constant"),
            "tau_post": ParameterInfo(second, positive=True, description="postsynaptic trace time constant"),
            "eta_plus": ParameterInfo(1, description="potentiation rate (fraction of w_max)"),
            "eta_minus": ParameterInfo(1, description="depression rate (fraction of w_max)"),
        }
        if self.rule == "triplet":
            infos.update(
                tau_x=ParameterInfo(second, positive=True, description="slow presynaptic trace"),
                tau_y=ParameterInfo(second, positive=True, description="slow postsynaptic trace"),
                eta_triplet_plus=ParameterInfo(1, description="triplet potentiation rate A3+"),
                eta_triplet_minus=ParameterInfo(1, description="triplet depression rate A3-"),
            )
        return infos

    def __post_init__(self):
        check_choice(self.rule, "rule", STDP_RULES)
        check_choice(self.pairing, "pairing", PAIRINGS)
        check_choice(self.traces, "traces", TRACE_LOCATIONS)
        check_choice(self.precision, "precision", PRECISIONS)
        _check_sign(self.sign)
        if self.w_max is None:
            raise ValueError("STDP needs w_max (the upper weight bound, in the unit of the weight)")
        if self.rule == "triplet" and (self.pairing != "all" or self.traces != "synapse"):
            raise ValueError("the triplet rule is implemented for pairing='all' and traces='synapse' only; "
                             f"got pairing={self.pairing!r}, traces={self.traces!r}")
        self._coerce_parameters()
        weight_unit = self.weight.unit
        for name in ("w_max", "w_min"):
            value = 0 * weight_unit if (name == "w_min" and self.w_min is None) else getattr(self, name)
            distribution = as_distribution(value, f"STDP.{name}", weight_unit)
            if not isinstance(distribution, Constant):
                raise ValueError(f"STDP.{name} must be a single value, not {distribution!r}")
            object.__setattr__(self, name, distribution)
        if not 0 <= self.w_min.value_si < self.w_max.value_si:
            raise ValueError(f"STDP needs 0 <= w_min < w_max; got w_min={self.w_min!r}, w_max={self.w_max!r}")
        low, high = self.weight.support_si()
        if low < self.w_min.value_si or high > self.w_max.value_si:
            raise ValueError(f"STDP.weight {self.weight!r} can produce values outside [w_min, w_max] = "
                             f"[{self.w_min!r}, {self.w_max!r}]")
        _check_non_negative(self, [name for name in self.parameter_infos() if name.startswith("eta") or name == "delay"])
        for name, value in (("mu", self.mu), ("x_target", self.x_target)):
            if not isinstance(value, (int, float)) or value != value:
                raise ValueError(f"STDP.{name} must be a number; got {value!r}")
        if self.mu < 0:
            raise ValueError(f"STDP.mu must be >= 0; got {self.mu!r}")

    # -- code generation -------------------------------------------------------------------------
    def state_variables(self):
        """The weight and the per-synapse traces (``apre``/``apost``; ``apre2``/``apost2`` of the
        triplet rule), dimensionless; neuron-level traces live on the neuron groups."""
        variables = {"w": self.weight_unit}
        if self.traces == "synapse":
            variables.update(apre=1, apost=1)
        if self.rule == "triplet":
            variables.update(apre2=1, apost2=1)
        return variables

    def _trace_name(self, side, name):
        """Name of a trace in synapse code: per-synapse ``apre``; neuron-level ``apre_<name>_pre``."""
        if self.traces == "synapse":
            return f"a{side}"
        return f"a{side}_{name}_{side}"

    def model(self, name, shared=()):
        """Brian2 synapse model string.

        Parameters
        ----------
        name : str
            Projection name (identifies neuron-level trace variables).
        shared : collection of str
            Parameters declared as one value for the whole projection (``(shared, constant)``).
        """
        lines = [f"w : {unit_name(self.weight_unit)}", "plastic : 1 (shared)"]
        for parameter, info in self.parameter_infos().items():
            if parameter in ("weight", "delay"):
                continue
            if self.traces == "neuron" and parameter in ("tau_pre", "tau_post"):
                continue
            lines.append(parameter_declaration(self.variable_name(parameter), info.unit, parameter in shared))
        if self.traces == "synapse":
            lines.append("dapre/dt = -apre / taupre : 1 (event-driven)")
            lines.append("dapost/dt = -apost / taupost : 1 (event-driven)")
        if self.rule == "triplet":
            lines.append("dapre2/dt = -apre2 / tau_x : 1 (event-driven)")
            lines.append("dapost2/dt = -apost2 / tau_y : 1 (event-driven)")
        return "\n".join(lines)

    def _bump(self, trace):
        return f"{trace} = 1" if self.pairing == "nearest" else f"{trace} += 1"

    def on_pre(self, name):
        x_post = self._trace_name("post", name)
        u = "(w / w_max)"
        if self.rule in ("additive", "power_law"):
            dw = f"w_max * eta_minus * {x_post}"
        elif self.rule == "multiplicative":
            dw = f"w_max * eta_minus * {u}**mu * {x_post}"
        else:  # triplet: slow presynaptic trace read before its increment
            dw = f"w_max * {x_post} * (eta_minus + eta_triplet_minus * apre2)"
        lines = [_effect(self.target, self.sign), f"w = clip(w - plastic * {dw}, w_min, w_max)"]
        if self.traces == "synapse":
            lines.append(self._bump("apre"))
        if self.rule == "triplet":
            lines.append("apre2 += 1")
        return "\n".join(lines)

    def on_post(self, name):
        x_pre = self._trace_name("pre", name)
        one_minus_u = "(1 - w / w_max)"
        if self.rule == "additive":
            dw = f"w_max * eta_plus * {x_pre}"
        elif self.rule == "multiplicative":
            dw = f"w_max * eta_plus * {one_minus_u}**mu * {x_pre}"
        elif self.rule == "power_law":
            dw = f"w_max * eta_plus * ({x_pre} - x_target) * {one_minus_u}**mu"
        else:
            dw = f"w_max * {x_pre} * (eta_plus + eta_triplet_plus * apost2)"
        lines = [f"w = clip(w + plastic * {dw}, w_min, w_max)"]
        if self.traces == "synapse":
            lines.append(self._bump("apost"))
        if self.rule == "triplet":
            lines.append("apost2 += 1")
        return "\n".join(lines)

    def namespace(self):
        return {"w_max": self.w_max.mean, "w_min": self.w_min.mean,
                "mu": float(self.mu), "x_target": float(self.x_target)}

    def variable_name(self, parameter):
        """Brian2 variable holding ``parameter`` (``tau_pre`` -> ``taupre``: Brian2 reserves the
        ``_pre``/``_post`` suffixes in synapses)."""
        return {"tau_pre": "taupre", "tau_post": "taupost"}.get(parameter, parameter)

    def parameter_locations(self):
        locations = {name: "synapse" for name in self.parameter_infos()}
        if self.traces == "neuron":
            locations.update(tau_pre="pre", tau_post="post")
        return locations

    def neuron_trace_code(self, name, shared=()):
        """Equations and reset statements that neuron-level traces add to the pre and post groups.

        Parameters
        ----------
        name : str
            Projection name.
        shared : collection of str
            ``tau_pre`` / ``tau_post`` when they are one value for the whole group.

        Returns
        -------
        dict
            ``{"pre": (equations, reset), "post": (equations, reset)}``; empty strings for
            per-synapse traces. The traces are ``apre_<name>`` / ``apost_<name>``, their time constants
            ``taupre_<name>`` / ``taupost_<name>``.
        """
        if self.traces == "synapse":
            return {"pre": ("", ""), "post": ("", "")}
        code = {}
        for side in ("pre", "post"):
            trace, tau = f"a{side}_{name}", f"tau{side}_{name}"
            declaration = parameter_declaration(tau, second, f"tau_{side}" in shared)
            equations = f"d{trace}/dt = -{trace} / {tau} : 1\n{declaration}"
            code[side] = (equations, self._bump(trace))
        return code
