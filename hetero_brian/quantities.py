"""Parse physical quantities from text, without ``eval``.

Configuration files and the command line give quantities as strings such as ``"20 ms"``,
``"0.5*mV"``, ``"1e-3 second"``, ``"-70 mV"``, ``"3 mV/ms"``, ``"2 nA * ms"`` or ``"5"``
(dimensionless). :func:`parse_quantity` reads them with a small tokenizer and a recursive-descent
parser over this grammar::

    quantity := number [ "*" ] [ units ]
    units    := factor ( ( "*" | "/" ) factor )*
    factor   := atom [ "**" power ]
    atom     := UNIT_NAME | "(" units ")"
    power    := [ "+" | "-" ] digits [ "." digits ]    (also inside parentheses: "** (-1)")

Unit names are looked up in Brian2's unit registry (``brian2.units`` and
``brian2.units.allunits``: ``ms``, ``msecond``, ``mV``, ``Hz``, ``nS``, ``Mohm``, ``um2``, ...) plus the
aliases ``s`` (second), ``kg`` (kilogram) and ``V`` (volt); a leading ``µ`` is read as the prefix
``u``. Nothing in the text is ever executed: anything outside the grammar is rejected with a
:class:`UnitError`.

Examples
--------
>>> from brian2 import ms, mV
>>> bool(parse_quantity("20 ms", ms, "tau_m") == 20 * ms)
True
>>> bool(parse_quantity("3 mV/ms") == 3 * mV / ms)
True
>>> format_quantity(20 * ms)
'20.0 ms'
"""

import difflib
import math
import re

import brian2.units as _brian2_units
import brian2.units.allunits as _brian2_allunits
from brian2.units.fundamentalunits import (
    DIMENSIONLESS,
    Quantity,
    Unit,
    get_dimensions,
    get_unit,
)

from hetero_brian.errors import UnitError

__all__ = ["parse_quantity", "format_quantity", "quantity_as_text", "unit_registry", "dimension_name"]

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_µμ][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|\*|/|\(|\))"
    r")"
)
_SI_BASE_NAMES = ("metre", "kilogram", "second", "amp", "kelvin", "mole", "candela")
_ALIASES = {"s": "second", "kg": "kilogram", "V": "volt"}
_REGISTRY = None


def unit_registry():
    """Return the mapping ``name -> brian2 Unit`` used by :func:`parse_quantity`.

    Built once from the public :class:`~brian2.units.fundamentalunits.Unit` objects of
    ``brian2.units`` and ``brian2.units.allunits``, plus the aliases ``s``, ``kg`` and ``V``.
    """
    global _REGISTRY
    if _REGISTRY is None:
        registry = {}
        for module in (_brian2_units, _brian2_allunits):
            for key, value in vars(module).items():
                if isinstance(value, Unit) and not key.startswith("_"):
                    registry.setdefault(key, value)
        for alias, target in _ALIASES.items():
            registry.setdefault(alias, registry[target])
        _REGISTRY = registry
    return _REGISTRY


def dimension_name(dimension):
    """Readable name of a dimension: ``'second'``, ``'volt'``, ``'metre ** 2'``, ``'dimensionless'``."""
    dimension = get_dimensions(dimension)
    if dimension == DIMENSIONLESS:
        return "dimensionless"
    unit = get_unit(dimension)
    return str(unit.name if hasattr(unit, "name") else unit)


def _describe(name, text):
    where = f"{name}: " if name else ""
    return f"{where}cannot read {text!r} as a quantity"


class _Parser:
    """Recursive-descent parser of the module grammar; produces (number, brian2 Unit or None).

    Units are combined with Brian2's own Unit arithmetic, whose scale is an exact power of ten
    (``float(nA * ms) == 1e-12``), so ``"2 nA * ms"`` equals ``2e-12`` coulomb exactly.
    """

    def __init__(self, text, name):
        self.text = text
        self.name = name
        self.tokens = self._tokenize(text)
        self.position = 0

    def _fail(self, reason):
        raise UnitError(f"{_describe(self.name, self.text)}: {reason}")

    def _tokenize(self, text):
        tokens = []
        index = 0
        stripped_end = len(text.rstrip())
        while index < stripped_end:
            match = _TOKEN.match(text, index)
            if match is None or match.end() == index:
                self._fail(f"unexpected character {text[index:].lstrip()[:1]!r} at position {index}")
            kind = match.lastgroup
            tokens.append((kind, match.group(kind)))
            index = match.end()
        return tokens

    def _peek(self):
        return self.tokens[self.position] if self.position < len(self.tokens) else (None, None)

    def _take(self):
        token = self._peek()
        self.position += 1
        return token

    def parse(self):
        kind, value = self._take()
        if kind != "number":
            self._fail("expected a number first, e.g. '20 ms' or '5'")
        number = float(value)
        if not math.isfinite(number):
            self._fail("the number is not finite")
        if self._peek()[0] is None:
            return number, None
        unit = self._units(allow_leading_operator=True)
        if self._peek()[0] is not None:
            self._fail(f"unexpected {self._peek()[1]!r} after the unit")
        return number, unit

    def _units(self, allow_leading_operator=False):
        unit = None
        operator = "*"
        if allow_leading_operator and self._peek() in (("op", "*"), ("op", "/")):
            operator = self._take()[1]
        while True:
            other = self._factor()
            if operator == "*":
                unit = other if unit is None else unit * other
            else:
                unit = other**-1 if unit is None else unit / other
            if self._peek() not in (("op", "*"), ("op", "/")):
                return unit
            operator = self._take()[1]

    def _factor(self):
        unit = self._atom()
        if self._peek() == ("op", "**"):
            self._take()
            unit = unit ** self._power()
        return unit

    def _power(self):
        parenthesised = self._peek() == ("op", "(")
        if parenthesised:
            self._take()
        kind, value = self._take()
        if kind != "number" or "e" in value.lower():
            self._fail("'**' must be followed by a plain number, e.g. 'ms ** 2' or 'ms ** -1'")
        if parenthesised and self._take() != ("op", ")"):
            self._fail("missing ')' after the power")
        power = float(value)
        return int(power) if power.is_integer() else power

    def _atom(self):
        kind, value = self._take()
        if kind == "op" and value == "(":
            result = self._units()
            if self._take() != ("op", ")"):
                self._fail("missing ')'")
            return result
        if kind != "name":
            self._fail(f"expected a unit name, got {value!r}" if value else "expected a unit name")
        registry = unit_registry()
        lookup = value
        if lookup[0] in "µμ":
            lookup = "u" + lookup[1:]
        unit = registry.get(lookup)
        if unit is None:
            hint = ""
            close = [name for name in registry if name.lower() == lookup.lower()]
            if not close:
                plain = [name for name in registry if not name[-1].isdigit() or lookup[-1].isdigit()]
                close = difflib.get_close_matches(lookup, plain, n=2, cutoff=0.6)
            if close:
                hint = f"; did you mean {' or '.join(repr(c) for c in close)}?"
            self._fail(f"unknown unit {value!r}{hint}")
        return unit


def parse_quantity(text, expected_unit=None, name=None):
    """Read a quantity from text (or check one given directly).

    Parameters
    ----------
    text : str, int, float or brian2 Quantity
        ``"20 ms"``, ``"0.5*mV"``, ``"1e-3 second"``, ``"3 mV/ms"``, ``"5"``... A bare int or float is
        accepted only when ``expected_unit`` is dimensionless (or ``None``); a Quantity is only checked.
    expected_unit : brian2 Unit or Quantity, optional
        Any quantity of the expected dimension (``ms`` for a time). ``None`` accepts any dimension;
        ``1`` means dimensionless.
    name : str, optional
        The configuration key or argument the text came from, named in error messages.

    Returns
    -------
    brian2 Quantity
        The value in SI with its dimension (a dimensionless Quantity for ``"5"``).

    Raises
    ------
    UnitError
        Unparseable text, an unknown unit, a non-finite number, or a dimension other than the
        expected one; the message names ``name``, the text and the expected dimension.

    Notes
    -----
    The SI value is ``number * scale`` where ``scale`` is the SI factor of the combined unit, e.g.
    ``"3 mV/ms"`` gives ``3 * (1e-3 / 1e-3) = 3`` V/s.
    """
    expected = None if expected_unit is None else get_dimensions(expected_unit)
    if isinstance(text, Quantity):
        quantity = text
    elif isinstance(text, bool) or not isinstance(text, (str, int, float)):
        where = f"{name}: " if name else ""
        raise UnitError(f"{where}expected a quantity such as '20 ms'; got {text!r} ({type(text).__name__})")
    elif isinstance(text, (int, float)):
        if expected is not None and expected != DIMENSIONLESS:
            example = (
                str(expected_unit)
                if isinstance(expected_unit, Unit)
                else format_quantity(Quantity(1.0, dim=expected)).split(" ", 1)[1]
            )
            where = f"{name}: " if name else ""
            raise UnitError(
                f"{where}{text!r} is a bare number but a quantity of dimension "
                f"{dimension_name(expected)} is expected; write it with a unit, e.g. '{text} {example}'"
            )
        if not math.isfinite(float(text)):
            raise UnitError(f"{_describe(name, str(text))}: the number is not finite")
        quantity = Quantity(float(text))
    else:
        if not text.strip():
            raise UnitError(f"{_describe(name, text)}: the text is empty")
        number, unit = _Parser(text, name).parse()
        quantity = Quantity(number) if unit is None else number * unit
    if expected is not None and get_dimensions(quantity) != expected:
        what = f"{name}: got {text!r}" if name else f"got {text!r}"
        raise UnitError(
            f"{what}, which has dimension {dimension_name(get_dimensions(quantity))} "
            f"but {dimension_name(expected)} is expected"
        )
    return quantity


def _si_unit_text(dimension):
    parts = []
    for base, exponent in zip(_SI_BASE_NAMES, dimension._dims):
        if exponent == 0:
            continue
        exponent = int(exponent) if float(exponent).is_integer() else float(exponent)
        parts.append(base if exponent == 1 else f"{base} ** {exponent}")
    return " * ".join(parts)


def format_quantity(quantity):
    """Write a scalar quantity as text that :func:`parse_quantity` reads back exactly.

    Parameters
    ----------
    quantity : brian2 Quantity, int or float
        A scalar. Dimensionless values are written as a plain number.

    Returns
    -------
    str
        The shortest of ``"20.0 ms"`` (Brian2's best display unit) and the SI value with SI base units
        that reproduces the SI value bit for bit (``"0.0123 metre ** 2 * kilogram * second ** -3"``).
    """
    dimension = get_dimensions(quantity)
    value = float(quantity)
    if dimension == DIMENSIONLESS:
        return repr(value)
    if not math.isfinite(value):
        raise UnitError(f"quantity: cannot format the non-finite value {quantity!r}")
    best = Quantity(value, dim=dimension).get_best_unit()
    candidates = (str(best).replace("^", " ** "), repr(best), _si_unit_text(dimension))
    exact = []
    for unit_text in candidates:
        try:
            _, unit = _Parser(f"1 {unit_text}", None).parse()
        except UnitError:
            continue
        number = value / float(unit)
        if get_dimensions(unit) == dimension and float(number * unit) == value:
            exact.append(f"{number!r} {unit_text}")
    if exact:
        return min(exact, key=len)
    return f"{value!r} {_si_unit_text(dimension)}"


def quantity_as_text(quantity):
    """The plain value a configuration or a description holds for a scalar quantity.

    Parameters
    ----------
    quantity : brian2 Quantity, int or float
        A scalar.

    Returns
    -------
    str or float
        Text that :func:`parse_quantity` reads back exactly (``"20.0 ms"``, see
        :func:`format_quantity`), or a float for a dimensionless value (``0.5``).
    """
    if get_dimensions(quantity) == DIMENSIONLESS:
        return float(quantity)
    return format_quantity(quantity)
