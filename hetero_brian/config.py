"""Configuration models: strict pydantic v2 schemas, quantities from text, readable errors.

Scenario configurations are pydantic models derived from :class:`StrictModel`. Unknown keys are
errors; :func:`validate_config` turns pydantic's ``ValidationError`` into one
:class:`~hetero_brian.errors.ConfigError` whose message has one line per problem, naming the full key
path and the bad value, with a "did you mean" suggestion for misspelt keys::

    config.yaml: network.tau_mm: unknown key (value '20 ms'); did you mean 'tau_m'?
    config.yaml: network.tau_e.mean: got '5 mV', which has dimension volt but second is expected

Quantities are written as strings (``"20 ms"``) and read by
:func:`hetero_brian.quantities.parse_quantity`; heterogeneous parameters are distributions written as
``{"distribution": "gamma", "mean": "20 ms", "cv": 0.5}`` or a plain quantity (a constant). Files are
YAML (``yaml.safe_load``) or TOML (``tomllib``); ``--set key=value`` overrides are YAML scalars.
Nothing is ever evaluated.

Examples
--------
>>> from brian2 import ms
>>> class Network(StrictModel):
...     tau_m: DistributionField(ms) = "20 ms"
...     dt: QuantityField(ms) = "0.1 ms"
>>> config = validate_config(Network, {"tau_m": {"distribution": "gamma", "mean": "20 ms", "cv": 0.5}})
>>> config.tau_m
Gamma(20. * msecond, cv=0.5)
>>> config.model_dump(mode="json")["tau_m"]
{'distribution': 'gamma', 'mean': '20.0 ms', 'cv': 0.5}
"""

import copy
import difflib
import functools
import tomllib
import typing
from pathlib import Path
from typing import Annotated, Union

import yaml
from brian2.units.fundamentalunits import Quantity, Unit, get_dimensions
from pydantic import BaseModel, ConfigDict, PlainSerializer, PlainValidator, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError

from hetero_brian.distributions import (
    Distribution,
    DistributionDescriptionError,
    distribution_kinds,
    parse_distribution,
)
from hetero_brian.errors import ConfigError
from hetero_brian.quantities import dimension_name, parse_quantity, quantity_as_text

__all__ = [
    "StrictModel",
    "validate_config",
    "format_validation_error",
    "QuantityField",
    "DistributionField",
    "load_config_file",
    "apply_overrides",
    "deep_merge",
]


class StrictModel(BaseModel):
    """Base of all configuration models: unknown keys forbidden, defaults validated too."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    @classmethod
    def from_dict(cls, data, source=None):
        """Validate ``data``; see :func:`validate_config`."""
        return validate_config(cls, data, source)


# --- quantities ---------------------------------------------------------------------------------


def _expected(unit):
    """A hashable key for ``unit``: (dimension, the Unit itself when it is one, for examples)."""
    if unit is None:
        return None
    return (get_dimensions(unit), unit if isinstance(unit, Unit) else None)


@functools.lru_cache(maxsize=None)
def _quantity_field(expected):
    dimension, example_unit = expected if expected is not None else (None, None)
    unit = None if dimension is None else (example_unit or Quantity(1.0, dim=dimension))
    if dimension is None:
        description = "a quantity such as '20 ms'"
    else:
        description = f"a quantity of dimension {dimension_name(dimension)}"

    def validate(value):
        return parse_quantity(value, unit)

    return Annotated[
        Quantity,
        PlainValidator(validate),
        PlainSerializer(quantity_as_text),
        WithJsonSchema({"type": "string", "description": description}),
    ]


def QuantityField(unit=None):
    """Annotated type of a quantity field: validated by ``parse_quantity``, serialised to text
    (dimensionless values to a float).

    Parameters
    ----------
    unit : brian2 Unit, Quantity or 1, optional
        Any quantity of the expected dimension (``ms`` for a time, ``1`` for dimensionless);
        ``None`` accepts every dimension. A Unit is also used in the examples of error messages.

    Examples
    --------
    >>> from brian2 import ms
    >>> class Timing(StrictModel):
    ...     dt: QuantityField(ms) = "0.1 ms"
    >>> Timing(dt="50 us").model_dump()
    {'dt': '50.0 us'}
    """
    return _quantity_field(_expected(unit))


# --- distributions ------------------------------------------------------------------------------


def _serialise_distribution(distribution):
    return distribution.to_dict()


@functools.lru_cache(maxsize=None)
def _distribution_field(expected):
    dimension, example_unit = expected if expected is not None else (None, None)
    unit = None if dimension is None else (example_unit or Quantity(1.0, dim=dimension))
    kinds = ", ".join(distribution_kinds())
    values = "quantities" if dimension is None else f"values of dimension {dimension_name(dimension)}"

    def validate(value):
        try:
            return parse_distribution(value, unit)
        except DistributionDescriptionError as error:
            raise PydanticCustomError(
                "distribution", "{reason}", {"reason": error.reason, "key": error.key}
            ) from None

    return Annotated[
        Distribution,
        PlainValidator(validate),
        PlainSerializer(_serialise_distribution),
        WithJsonSchema(
            {
                "description": f"a distribution of {values}: a quantity such as '20 ms' (a constant) "
                f"or a mapping {{'distribution': one of {kinds}, ...}}"
            }
        ),
    ]


def DistributionField(unit=None):
    """Annotated type of a heterogeneous parameter: a
    :class:`~hetero_brian.distributions.Distribution` whose values have the dimension of ``unit``
    (``None``: any).

    Accepts what :func:`hetero_brian.distributions.parse_distribution` reads: a description mapping
    ``{"distribution": "gamma", "mean": "20 ms", "cv": 0.5}``, a plain quantity (a constant), or a
    distribution object. The field holds the distribution itself and is written back as its
    description (:meth:`~hetero_brian.distributions.Distribution.to_dict`).
    """
    return _distribution_field(_expected(unit))


# --- validation errors --------------------------------------------------------------------------


def _unwrap(annotation):
    """Strip ``Annotated`` and ``Optional`` layers; returns the annotation or a tuple of union members."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin is Union or (origin is not None and str(origin) == "<class 'types.UnionType'>"):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation = members[0]
            else:
                return tuple(members)
        else:
            return annotation


def _is_model(annotation):
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _walk(model, loc):
    """Follow ``loc`` through the model's annotations.

    Returns
    -------
    (list of str, object)
        The key path as displayed (union tags dropped) and the annotation reached (a model class
        when ``loc`` ends on one, else something else or None).
    """
    display, annotation = [], model
    for element in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, tuple):  # a union: pydantic adds the member's tag to loc
            matching = [m for m in annotation if _is_model(m) and element == m.__name__]
            if matching:
                annotation = matching[0]
                continue
            annotation = None
        if _is_model(annotation) and isinstance(element, str):
            display.append(element)
            annotation = (
                annotation.model_fields[element].annotation if element in annotation.model_fields else None
            )
            continue
        origin = typing.get_origin(annotation)
        if isinstance(element, int):
            display.append(f"[{element}]")
            args = typing.get_args(annotation)
            annotation = args[0] if origin in (list, tuple, set) and args else None
        else:
            display.append(str(element))
            args = typing.get_args(annotation)
            annotation = args[1] if origin is dict and len(args) == 2 else None
    return display, annotation


def _join(parts):
    text = ""
    for part in parts:
        text += part if part.startswith("[") or not text else f".{part}"
    return text or "(top level)"


def _short(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def format_validation_error(error, model, source=None):
    """One line per problem of a pydantic ``ValidationError`` raised while validating ``model``."""
    prefix = f"{source}: " if source else ""
    lines = []
    for problem in error.errors(include_url=False):
        loc = tuple(problem["loc"])
        kind = problem["type"]
        if kind == "extra_forbidden":
            display, parent = _walk(model, loc[:-1])
            key = loc[-1]
            valid = list(parent.model_fields) if _is_model(parent) else []
            close = difflib.get_close_matches(str(key), valid, n=1, cutoff=0.6)
            hint = (
                f"; did you mean {close[0]!r}?"
                if close
                else (f"; valid keys: {', '.join(valid)}" if valid else "")
            )
            text = f"{_join(display + [str(key)])}: unknown key (value {_short(problem['input'])}){hint}"
        elif kind == "distribution":  # parse_distribution names the key inside the description
            display, _ = _walk(model, loc)
            context = problem["ctx"]
            key = [str(context["key"])] if context.get("key") else []
            text = f"{_join(display + key)}: {context['reason']}"
        else:
            display, _ = _walk(model, loc)
            message = problem["msg"]
            if kind == "missing":
                message = "missing required key"
            elif kind in ("value_error", "assertion_error"):
                message = (
                    message.split(", ", 1)[1]
                    if message.startswith(("Value error, ", "Assertion failed, "))
                    else message
                )
                if "got" not in message and "did you mean" not in message:
                    message += f" (got {_short(problem['input'])})"
            else:
                message += f" (got {_short(problem['input'])})"
            text = f"{_join(display)}: {message}"
        lines.append(prefix + text)
    return "\n".join(dict.fromkeys(lines))


def validate_config(model, data, source=None):
    """Validate ``data`` (a dict) against ``model``; raise :class:`ConfigError` on any problem.

    Parameters
    ----------
    model : type of StrictModel
    data : dict
    source : str, optional
        Where the data came from (a file name), prefixed to each line of the message.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        where = f"{source}: " if source else ""
        raise ConfigError(f"{where}the configuration must be a mapping of keys to values; got {_short(data)}")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ConfigError(format_validation_error(error, model, source)) from None


# --- files and overrides ------------------------------------------------------------------------


def load_config_file(path):
    """Read a YAML (``.yaml``, ``.yml``) or TOML (``.toml``) configuration file into a dict.

    Raises
    ------
    ConfigError
        Missing file, unknown extension, a syntax error (with its line) or a top level that is not
        a mapping.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".toml"):
        raise ConfigError(f"config file '{path}': unknown format {suffix!r}; use .yaml, .yml or .toml")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file '{path}' does not exist") from None
    except OSError as error:
        raise ConfigError(f"config file '{path}' cannot be read: {error}") from None
    try:
        if suffix == ".toml":
            data = tomllib.loads(raw.decode("utf-8"))
        else:
            data = yaml.safe_load(raw)
    except (yaml.YAMLError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        detail = " ".join(str(error).split())
        raise ConfigError(f"config file '{path}' is not valid {suffix[1:].upper()}: {detail}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file '{path}': the top level must be a mapping; got {type(data).__name__}")
    return data


def deep_merge(base, override):
    """A new dict: ``base`` updated recursively by ``override`` (mappings merged, others replaced)."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def apply_overrides(data, overrides):
    """Apply ``--set`` overrides ``["network.tau_m.cv=0.3", "duration=2 s"]`` to a copy of ``data``.

    Each value is read as a YAML scalar or flow collection (``0.3`` a float, ``true`` a bool,
    ``20 ms`` a string, ``{distribution: gamma, mean: 20 ms, cv: 0.5}`` a mapping). Missing
    intermediate keys are created; whether a key exists in the schema is checked afterwards by
    :func:`validate_config`.

    Raises
    ------
    ConfigError
        An override without ``=``, an empty key part, an unparseable value, or a path through a
        value that is not a mapping.
    """
    result = copy.deepcopy(data) if data is not None else {}
    for override in overrides:
        if not isinstance(override, str) or "=" not in override:
            raise ConfigError(f"--set {override!r}: expected key=value, e.g. network.tau_m=20 ms")
        key, text = override.split("=", 1)
        parts = key.strip().split(".")
        if not all(parts):
            raise ConfigError(f"--set {override!r}: the key {key!r} has an empty part")
        try:
            value = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError as error:
            raise ConfigError(
                f"--set {override!r}: cannot read the value {text!r}: {' '.join(str(error).split())}"
            ) from None
        node = result
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                where = ".".join(parts[: depth + 1])
                raise ConfigError(
                    f"--set {override!r}: {where} holds {_short(child)}, not a mapping; set {where} as a "
                    f"whole, e.g. --set '{where}={{distribution: gamma, mean: 20 ms, cv: 0.5}}'"
                )
            node = child
        node[parts[-1]] = value
    return result
