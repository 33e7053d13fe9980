"""Machinery shared by neuron and synapse specs.

A spec is a frozen dataclass whose fields are :class:`~hetero_brian.distributions.Distribution`
objects (a plain quantity is coerced to :class:`~hetero_brian.distributions.Constant`). Each spec
declares, per heterogeneous parameter, its unit and whether it is a time constant (which must be
strictly positive, FAULTS.md case 1).
"""
import math
from dataclasses import dataclass, fields

import numpy as np
from brian2 import Quantity, second
from brian2.units.fundamentalunits import get_unit

from ..distributions import Constant, Distribution, as_distribution
from ..errors import UnitError
from ..quantities import quantity_as_text


@dataclass(frozen=True)
class ParameterInfo:
    """What a heterogeneous parameter is: its unit, and whether it must be > 0."""

    unit: object
    positive: bool = False
    description: str = ""


class Spec:
    """Mixin for frozen model specs with heterogeneous parameters.

    Subclasses define ``PARAMETERS``: a dict ``name -> ParameterInfo``; every such field is
    coerced to a distribution after construction and checked.
    """

    PARAMETERS = {}
    STATE = {}

    def parameter_infos(self):
        """Dict ``name -> ParameterInfo`` of the heterogeneous parameters (in sampling order)."""
        return self.PARAMETERS

    def _coerce_parameters(self):
        for name, info in self.parameter_infos().items():
            distribution = as_distribution(getattr(self, name), f"{type(self).__name__}.{name}", info.unit)
            if info.positive:
                low, high = distribution.support_si()
                if low < 0 or not high > 0:  # support (0, inf) of Gamma/LogNormal is fine
                    raise ValueError(
                        f"{type(self).__name__}.{name} is a time constant and must be > 0, but "
                        f"{distribution!r} can produce values <= 0; use a truncated distribution "
                        f"(Normal(..., low=...)), Gamma or LogNormal"
                    )
            object.__setattr__(self, name, distribution)

    def parameter_distributions(self):
        """Dict ``name -> Distribution`` of every heterogeneous parameter."""
        return {name: getattr(self, name) for name in self.parameter_infos()}

    def state_variables(self):
        """Dict ``name -> unit`` of the state variables the model evolves or receives input in.

        The declared interface of the model's state: simulate checks these for finite values
        after every run, and protocols may ask for their final values. Subclasses list them in
        ``STATE`` (or override this method when they depend on the spec's options).
        """
        return dict(self.STATE)

    def namespace(self):
        """Constants (and functions) the model's code refers to; none by default."""
        return {}

    def describe(self):
        """JSON-serialisable description of the spec (its type and every field)."""
        description = {"type": type(self).__name__}
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, Distribution):
                description[field.name] = value.to_dict()
            elif isinstance(value, Quantity) and value.shape == ():
                description[field.name] = quantity_as_text(value)
            elif isinstance(value, (int, float, str, bool)) or value is None:
                description[field.name] = value
            else:
                description[field.name] = repr(value)
        return description

    def constant_parameters(self):
        """Names of the parameters whose distribution is :class:`~hetero_brian.distributions.Constant`.

        The builder declares these as one ``(shared, constant)`` value per group instead of one per
        neuron or synapse (``NetworkSpec.shared_constants``): code reads a scalar instead of a
        scattered array, and the value can still change at run time (as a scalar).
        """
        return tuple(name for name, distribution in self.parameter_distributions().items()
                     if isinstance(distribution, Constant))

    def time_constants(self):
        """Names of the parameters that are time constants."""
        return [name for name, info in self.parameter_infos().items() if info.positive and info.unit is second]


class NeuronSpec(Spec):
    """Interface of a neuron model: one signature per method for every neuron spec.

    Subclasses (frozen dataclasses) set ``PARAMETERS``, ``STATE``, ``SYNAPTIC_TARGETS`` (the
    variables synapses jump), ``method`` (Brian2 integration method) and implement the methods
    below; the builder calls nothing else.
    """

    SYNAPTIC_TARGETS = ()
    method = "exact"

    def equations(self, extra="", shared=()):
        """Brian2 model string; ``extra`` lines appended (neuron-level STDP traces), parameters
        named in ``shared`` declared as one value per group."""
        raise NotImplementedError

    def threshold(self):
        """Brian2 threshold condition."""
        raise NotImplementedError

    def reset(self, extra=""):
        """Brian2 reset statements, ``extra`` statements appended."""
        raise NotImplementedError

    @property
    def refractory(self):
        """Brian2 refractory expression (False: none)."""
        return False

    def initial_values(self, sampled):
        """Initial state ``name -> value`` from the sampled parameters (``name -> array``)."""
        raise NotImplementedError


def unit_name(unit):
    """Name of a unit as Brian2's equation parser reads it (``second``, ``volt``, ``1``...)."""
    dim = getattr(unit, "dim", None)
    if dim is None or dim.is_dimensionless:
        return "1"
    return get_unit(dim).name


def parameter_declaration(name, unit, shared=False):
    """Brian2 declaration of a parameter: ``name : unit (constant)``, or ``(shared, constant)``
    for one value per group."""
    flags = "shared, constant" if shared else "constant"
    return f"{name} : {unit_name(unit)} ({flags})"


def check_choice(value, name, choices):
    """Return ``value`` if it is one of ``choices``, else raise a ValueError naming both."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}; got {value!r}")
    return value


def check_time_step(dt, time_constants, context=""):
    """Refuse a time step larger than the smallest sampled time constant (FAULTS.md, case 2).

    All models here are integrated with Brian2's ``exact`` method (they are linear between
    spikes), so a large step does not blow up numerically; but a time constant shorter than the
    step cannot be resolved by the spike timing and the event-driven updates. The check therefore
    **fails** when ``dt > tau_min`` and returns the ratio ``tau_min / dt`` for the record.

    Parameters
    ----------
    dt : brian2.Quantity
        Simulation time step.
    time_constants : dict of str -> brian2.Quantity
        Sampled time constants (arrays) by name.
    context : str
        Where the values come from, added to the message.

    Returns
    -------
    float
        ``tau_min / dt`` (inf when there are no time constants).
    """
    if not isinstance(dt, Quantity) or not dt.has_same_dimensions(second):
        raise UnitError(f"dt must be a time quantity; got {dt!r}")
    dt_si = float(dt)
    if not dt_si > 0:
        raise ValueError(f"dt must be > 0; got {dt!r}")
    ratio, worst = math.inf, None
    for name, values in time_constants.items():
        values = np.asarray(values, dtype=float)
        if values.size and values.min() / dt_si < ratio:
            ratio, worst = float(values.min() / dt_si), name
    if ratio < 1:
        where = f" in {context}" if context else ""
        raise ValueError(
            f"dt = {dt!r} is larger than the smallest sampled time constant{where}: "
            f"{worst} = {ratio * dt!r} (tau_min / dt = {ratio:.3g}); reduce dt or truncate the distribution of {worst}"
        )
    return ratio
