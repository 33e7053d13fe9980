"""Checks of configuration values that pass the schema but would fail later (before any file is written).

The scenario ``Config`` schemas check types and units; these checks catch the values that are
well-typed but impossible, so that a run is refused in a second with one line naming the key and
the value (``hetero-brian`` exits 2) instead of a traceback minutes later with a folder left behind:

* a number that is NaN or infinite;
* a count ``n_*`` (``n_neurons``, ``n_inputs``...) below 1;
* a duration (a key containing ``duration``) that is not > 0 or not a multiple of the config's ``dt``;
* ``dt`` not > 0;
* a probability (a key starting with ``p_`` or containing ``probability``) outside [0, 1];
* a seed that is not an integer in [0, 2**63 - 1];
* results that would not fit on the disk of the output folder (:func:`check_disk_space`).

Examples
--------
>>> check_seed_option(-1)
Traceback (most recent call last):
...
hetero_brian.errors.ConfigError: --seed: got -1; a seed is an integer in [0, 2**63 - 1]
"""
import inspect
import math

from hetero_brian.errors import ConfigError, ResultsError, SimulationError

__all__ = ["check_config_values", "check_seed_option", "expected_disk_bytes", "check_disk_space"]

_MAX_SEED = 2**63 - 1


def check_seed_option(seed, name="--seed"):
    """Refuse a seed that is not an integer in [0, 2**63 - 1]; None (draw one) passes."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= _MAX_SEED:
        raise ConfigError(f"{name}: got {seed!r}; a seed is an integer in [0, 2**63 - 1]")
    return seed


def _leaves(value, path):
    """``(dotted key, value)`` of every plain value of a pydantic model, dict or list."""
    fields = getattr(type(value), "model_fields", None)
    if fields is not None:
        for name in fields:
            yield from _leaves(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def _seconds(value):
    """Seconds of a time quantity, else None."""
    dimensions = getattr(value, "dim", None)
    if dimensions is None or getattr(value, "shape", ()) != ():
        return None
    from brian2 import second  # only when a config holds quantities

    return float(value / second) if value.has_same_dimensions(second) else None


def _check_leaf(key, value, dt):
    name = key.rsplit(".", 1)[-1].split("[")[0]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    try:
        number = float(value)
    except (TypeError, ValueError):
        return  # distributions and other objects are checked by their own types
    if not math.isfinite(number):
        raise ConfigError(f"{key}: got {value!r}; it must be a finite number")
    if name.startswith("n_") and isinstance(value, int) and value < 1:
        raise ConfigError(f"{key}: got {value}; a count must be >= 1")
    if (name.startswith("p_") or "probability" in name) and not 0.0 <= number <= 1.0:
        raise ConfigError(f"{key}: got {value!r}; a probability must be in [0, 1]")
    seconds = _seconds(value)
    if seconds is None:
        return
    if name == "dt" and not seconds > 0:
        raise ConfigError(f"{key}: got {value!r}; the time step must be > 0")
    if "duration" in name:
        if not seconds > 0:
            raise ConfigError(f"{key}: got {value!r}; a duration must be > 0")
        if dt:
            steps = seconds / dt
            if abs(steps - round(steps)) > 1e-6 * max(1.0, steps):
                raise ConfigError(f"{key}: got {value!r}, which is not a multiple of dt = {dt * 1e3:g} ms "
                                  f"({steps:.6g} steps)")


def check_config_values(config):
    """Raise ConfigError (naming key and value) for the first impossible value of ``config``.

    Parameters
    ----------
    config : pydantic.BaseModel
        A validated scenario configuration.
    """
    leaves = list(_leaves(config, ""))
    dt_values = [_seconds(value) for key, value in leaves if key.rsplit(".", 1)[-1] == "dt"]
    dt = next((value for value in dt_values if value), None)
    for key, value in leaves:
        _check_leaf(key, value, dt)


def expected_disk_bytes(module, config, seed):
    """Bytes a scenario run is expected to write, or None when the scenario cannot tell.

    The scenario's own ``disk_bytes(config) -> bytes`` when it defines one; otherwise the results its
    ``network(config, seed) -> (NetworkSpec, duration, Recording)`` will record
    (:func:`hetero_brian.resources.estimate_disk`, spikes at a deliberately high rate).
    """
    if hasattr(module, "disk_bytes"):
        return float(module.disk_bytes(config))
    network = getattr(module, "network", None)
    if network is None or list(inspect.signature(network).parameters) != ["config", "seed"]:
        return None
    from hetero_brian.resources import estimate_disk, estimate_memory  # resources reads specs: only here

    try:
        spec, duration, recording = network(config, seed)
    except ValueError as error:  # a value the schema let through but the network refuses (UnitError too)
        raise ConfigError(str(error)) from error
    return float(estimate_disk(estimate_memory(spec, duration, recording)))


def check_disk_space(module, config, seed, folder):
    """Refuse a run whose expected results (:func:`expected_disk_bytes`) do not fit into ``folder``.

    Parameters
    ----------
    module : module
        The scenario module.
    config : pydantic.BaseModel
        Its validated configuration.
    seed : int
    folder : str or path-like
        The run folder or the root it is created in (it need not exist yet).

    Returns
    -------
    float or None
        The expected bytes, or None when the scenario cannot tell its size (then nothing is checked).

    Raises
    ------
    ResultsError
        With the bytes needed, the bytes free and the folder (``hetero-brian`` exits 2).
    """
    from hetero_brian.resources import check_disk

    n_bytes = expected_disk_bytes(module, config, seed)
    if n_bytes is None:
        return None
    try:
        check_disk(n_bytes, folder)
    except SimulationError as error:
        raise ResultsError(str(error)) from None
    return n_bytes
