"""Constant decay factors computed once per run instead of ``exp(-dt/tau)`` per element per step.

Brian2's ``exponential_euler`` and ``linear`` integrators write the decay of a linear variable as
``x * exp(-dt/tau)``; with a per-element ``tau`` the generated code evaluates that exponential for
every neuron at every time step, although ``dt`` and ``tau`` do not change during a run. This module
removes that work at Brian2's level, for any equation string:

* :class:`PrecomputedDecay` wraps Brian2's integrator: given the group's variables, it replaces
  every ``exp(-dt/X)`` of the integrator's abstract code by the variable ``decay_factor_X`` when the
  group declares ``decay_factor_X : 1 (constant)`` (matched with sympy, so any algebraic form of
  ``-dt/X`` is found); the rest of the code is unchanged.
* :func:`with_precomputed_decays` finds the per-element constant time constants whose exponential
  the integrator writes, and returns the equations with their ``decay_factor_X`` declarations and
  the wrapped method.
* :class:`DecayFactorUpdate` computes ``decay_factor_X = exp(-dt/X)`` in the generated code (the
  target's own ``exp``, so the factors equal the per-step exponential bit for bit) at the start of
  every ``Network.run``: after run arguments (C++/CUDA standalone) and after values set between
  runs (runtime), so changed time constants are always picked up.

Per-synapse event-driven traces decay by ``exp(-(t - lastupdate)/tau)``: the interval varies from
event to event, so no constant factor can replace that exponential (see docs/performance.md).
"""
import sympy
from brian2 import BrianObject, Equations
from brian2.core.variables import Variables
from brian2.parsing.sympytools import str_to_sympy, sympy_to_str
from brian2.stateupdaters.base import StateUpdateMethod

#: Prefix of the variable that holds ``exp(-dt/X)`` for the time constant ``X``.
PREFIX = "decay_factor_"

#: Integration methods whose code writes linear decays as ``exp(-dt/tau)``.
EXPONENTIAL_METHODS = ("exponential_euler", "linear", "exact")


def decay_factor_name(time_constant):
    """Name of the variable holding ``exp(-dt/time_constant)`` (``decay_factor_<name>``)."""
    return PREFIX + time_constant


def _is_decay_of(argument, time_constant, variables):
    """Whether the sympy expression ``argument`` equals ``-dt/time_constant``."""
    target = str_to_sympy(f"-dt/{time_constant}", variables)
    return sympy.simplify(argument - target) == 0


def _gated_decay_of(argument, time_constant, variables):
    """The gate ``int(b)`` when ``argument`` equals ``-dt*int(b)/time_constant``, else None.

    Brian2 writes the decay of a variable flagged ``(unless refractory)`` as
    ``exp(-dt*int(not_refractory)/tau)``: the factor applies outside the refractory period, 1 within.
    """
    ratio = sympy.simplify(argument / str_to_sympy(f"-dt/{time_constant}", variables))
    if ratio.func.__name__ == "int_" and len(ratio.args) == 1 and isinstance(ratio.args[0], sympy.Symbol):
        return ratio
    return None


def _base_method(method):
    return StateUpdateMethod.stateupdaters["linear" if method == "exact" else method]


class PrecomputedDecay(StateUpdateMethod):
    """Brian2 integration method: ``base`` with ``exp(-dt/X)`` read from ``decay_factor_X``.

    Parameters
    ----------
    base : str
        Name of the Brian2 method that writes the code (``"exponential_euler"``, ``"linear"`` or
        ``"exact"``).

    Notes
    -----
    Only exponentials whose argument is exactly ``-dt/X`` (in sympy's algebra) for a declared
    ``decay_factor_X`` are replaced; every other term of the integrator's code is kept as Brian2
    wrote it, so a float64 run computes the same numbers as with ``base`` (the factor is the same
    ``exp(-dt/X)``, computed by the same target when the run starts).
    """

    def __init__(self, base):
        if base not in EXPONENTIAL_METHODS:
            raise ValueError(f"PrecomputedDecay wraps one of {EXPONENTIAL_METHODS}; got {base!r}")
        self.base = base

    def can_integrate(self, equations, variables, method_options=None):
        """Whether the base method can integrate ``equations``."""
        return _base_method(self.base).can_integrate(equations, variables, method_options)

    def __call__(self, equations, variables=None, method_options=None):
        """Abstract code of the base method with the cached exponentials replaced."""
        code = _base_method(self.base)(equations, variables, method_options)
        if variables is None:
            return code
        cached = [name[len(PREFIX):] for name in variables if name.startswith(PREFIX)]
        return "\n".join(_replace_decays(line, cached, variables) for line in code.split("\n"))

    def __repr__(self):
        return f"PrecomputedDecay({self.base!r})"


def _replace_decays(line, time_constants, variables):
    """One line of abstract code with ``exp(-dt/X)`` -> ``decay_factor_X`` for ``X`` in ``time_constants``."""
    if "=" not in line or "exp" not in line:
        return line
    target, expression = line.split("=", 1)
    parsed = str_to_sympy(expression.strip(), variables)
    replacements = {}
    for exponential in parsed.atoms(sympy.exp):
        for time_constant in time_constants:
            factor = str_to_sympy(decay_factor_name(time_constant), variables)
            if _is_decay_of(exponential.args[0], time_constant, variables):
                replacements[exponential] = factor
                break
            gate = _gated_decay_of(exponential.args[0], time_constant, variables)
            if gate is not None:
                # factor**int(b): exactly the factor when b holds and exactly 1 otherwise; Brian2's
                # code generation turns the boolean into two branches (no pow in compiled code)
                replacements[exponential] = factor ** gate
                break
    if not replacements:
        return line
    return f"{target.strip()} = {sympy_to_str(parsed.xreplace(replacements))}"


def decaying_time_constants(equations, method):
    """Per-element constant time constants whose ``exp(-dt/X)`` the integrator writes.

    Parameters
    ----------
    equations : str or brian2.Equations
        Model equations.
    method : str
        Brian2 integration method name.

    Returns
    -------
    list of str
        Names ``X`` of parameters declared ``X : second (constant)`` (not shared) such that the
        abstract code of ``method`` contains ``exp(-dt/X)``; empty for methods that write no
        exponential (``euler``...).
    """
    if method not in EXPONENTIAL_METHODS:
        return []
    equations = equations if isinstance(equations, Equations) else Equations(equations)
    candidates = [
        name for name, equation in equations.items()
        if equation.type == "parameter" and "constant" in equation.flags and "shared" not in equation.flags
        and equation.dim is not None and str(equation.dim) == "s"
    ]
    if not candidates:
        return []
    exponentials = set()
    for line in _base_method(method)(equations, None).split("\n"):
        if "=" in line and "exp" in line:
            exponentials |= str_to_sympy(line.split("=", 1)[1].strip()).atoms(sympy.exp)
    return [name for name in candidates
            if any(_is_decay_of(exponential.args[0], name, None) for exponential in exponentials)]


def with_precomputed_decays(equations, method):
    """Equations and method that read constant decays from per-element factors.

    Parameters
    ----------
    equations : str
        Model equations.
    method : str
        Brian2 integration method name.

    Returns
    -------
    equations : str
        ``equations`` plus ``decay_factor_X : 1 (constant)`` for every time constant found by
        :func:`decaying_time_constants` (unchanged when there is none).
    method : str or PrecomputedDecay
        The wrapped method, or ``method`` itself when nothing is cached.
    time_constants : list of str
        The time constants whose factors the group holds (give them to :class:`DecayFactorUpdate`).
    """
    time_constants = decaying_time_constants(equations, method)
    if not time_constants:
        return equations, method, []
    declarations = "\n".join(f"{decay_factor_name(name)} : 1 (constant)" for name in time_constants)
    return f"{equations.rstrip()}\n{declarations}\n", PrecomputedDecay(method), time_constants


class DecayFactorUpdate(BrianObject):
    """Computes ``decay_factor_X = exp(-dt/X)`` of one group at the start of every run.

    The computation is a code object of the device's own target (cython or numpy at runtime, a
    ``main`` statement in C++/CUDA standalone), executed from :meth:`before_run`: in standalone
    mode it lands in ``main`` right before the run it precedes, after ``set_from_command_line``
    (run arguments), and at runtime it runs after the values set between runs. It adds no work to
    the time steps and no clock of its own (it shares the group's clock, so a standalone project
    keeps one clock and its sources stay identical from build to build).

    Parameters
    ----------
    group : brian2.NeuronGroup
        The group that declares the factors.
    time_constants : list of str
        Names ``X`` whose ``decay_factor_X`` to compute.
    """

    add_to_magic_network = False

    def __init__(self, group, time_constants):
        super().__init__(clock=group.clock, when="start", name=f"{group.name}_decay_factors")
        self.group = group
        self.time_constants = list(time_constants)
        self._codeobject = None

    def before_run(self, run_namespace):
        """Compute the factors now (runtime) or just before this run in ``main`` (standalone)."""
        super().before_run(run_namespace)
        if self._codeobject is None:
            self._codeobject = self._create_codeobject(run_namespace)
        self._codeobject()

    def _create_codeobject(self, run_namespace):
        from brian2.codegen.codeobject import create_runner_codeobj
        from brian2.devices.device import get_device

        statements = "\n".join(f"{decay_factor_name(name)} = exp(-dt/{name})" for name in self.time_constants)
        variables = Variables(None)
        variables.add_auxiliary_variable("_cond", dtype=bool)
        return create_runner_codeobj(
            self.group,
            {"condition": "_cond = True", "statement": statements},
            "group_variable_set_conditional",
            additional_variables=variables,
            run_namespace=run_namespace,
            name=f"{self.group.name}_decay_factors_codeobject",
            # the state updater's target (not the numpy fallback of string assignments), so the
            # factors are computed by the same exp as the per-step code they replace
            codeobj_class=get_device().code_object_class(),
        )


__all__ = ["PREFIX", "EXPONENTIAL_METHODS", "PrecomputedDecay", "DecayFactorUpdate", "decay_factor_name",
           "decaying_time_constants", "with_precomputed_decays"]
