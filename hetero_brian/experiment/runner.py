"""The scenario runner: find a scenario by name, resolve its configuration, run it into a folder.

Scenarios live in the ``hetero_brian.scenarios`` package (the top-level ``scenarios/`` folder); the
library finds them by name at run time (:func:`importlib.import_module`) and never imports them
otherwise. A scenario module defines ``Config`` (a pydantic model) and
``run(config, output, backend, seed) -> metrics``; exportable ones also define
``network(config, seed) -> (NetworkSpec, duration, Recording)``.

Examples
--------
>>> "demo" in scenario_names()
True
"""

import difflib
import importlib
import json
import pkgutil
import time
from pathlib import Path

import yaml

from hetero_brian.errors import ConfigError
from hetero_brian.random import fresh_seed
from hetero_brian.results.atomic import write_text_atomically
from hetero_brian.results.rundirs import OutputDirectory, RunManifest, unique_subdir

__all__ = ["scenario_names", "load_scenario", "resolve_config", "run_scenario", "export_cpp"]

SCENARIO_PACKAGE = "hetero_brian.scenarios"


def scenario_names():
    """Names of the scenario modules (those not starting with an underscore), sorted."""
    try:
        package = importlib.import_module(SCENARIO_PACKAGE)
    except ImportError:
        return []
    return sorted(module.name for module in pkgutil.iter_modules(package.__path__) if not module.name.startswith("_"))


def load_scenario(name):
    """Import ``hetero_brian.scenarios.<name>``; unknown names give a ConfigError with a suggestion."""
    names = scenario_names()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"unknown scenario {name!r}; available: {', '.join(names) or 'none'}{hint}")
    module = importlib.import_module(f"{SCENARIO_PACKAGE}.{name}")
    for attribute in ("Config", "run"):
        if not hasattr(module, attribute):
            raise ConfigError(f"scenario module {SCENARIO_PACKAGE}.{name} has no {attribute!r}")
    return module


def resolve_config(module, config_file=None, overrides=()):
    """Defaults <- config file <- ``--set`` overrides, validated by the scenario's ``Config``.

    Parameters
    ----------
    module : module
        A scenario module (see :func:`load_scenario`).
    config_file : str or path-like, optional
        A YAML or TOML file of config values.
    overrides : sequence of str
        ``"key=value"`` strings (dotted keys), applied last.

    Returns
    -------
    pydantic.BaseModel
        The validated ``module.Config``.
    """
    # hetero_brian.config imports brian2 (seconds): only when a configuration is resolved
    from hetero_brian.config import apply_overrides, deep_merge, load_config_file, validate_config

    data = module.Config().model_dump(mode="json")
    sources = []
    if config_file:
        data = deep_merge(data, load_config_file(config_file))
        sources.append(str(config_file))
    if overrides:
        data = apply_overrides(data, list(overrides))
        sources.append("--set")
    source = " + ".join(sources) or "defaults"
    return validate_config(module.Config, data, source=source)


def run_scenario(name, config_file=None, overrides=(), backend="auto", seed=None, out=None, overwrite=False,
                 resume=False, output_root="hetero_brian_runs"):
    """Run a scenario by name and return ``(output directory, metrics)``.

    The output directory is ``out`` (refused when it exists and is not empty, unless ``overwrite``
    moves the old one aside or ``resume`` reuses it) or a fresh ``<output_root>/<name>-NNNN``.
    ``config.yaml``, ``metrics.json`` and ``manifest.json`` are written there atomically;
    ``metrics.json`` is written before the manifest says "complete".
    """
    module = load_scenario(name)
    config = resolve_config(module, config_file, overrides)
    seed = fresh_seed() if seed is None else seed
    if out is None:
        Path(output_root).mkdir(parents=True, exist_ok=True)
        output = Path(unique_subdir(output_root, prefix=f"{name}-"))
    else:
        output = Path(OutputDirectory.create(out, overwrite=overwrite, resume=resume).path)
    recorded = {"scenario": name, "seed": seed, "backend": backend, "config": config.model_dump(mode="json")}
    write_text_atomically(output / "config.yaml", yaml.safe_dump(recorded, sort_keys=False), if_exists="replace")
    start = time.perf_counter()
    with RunManifest.start(output, info={"scenario": name, "seed": seed, "backend": backend}):
        metrics = module.run(config, output, backend=backend, seed=seed)
        metrics = dict(metrics, wall_time_total=time.perf_counter() - start, seed=seed)
        text = json.dumps(metrics, indent=2, sort_keys=True, default=float)
        write_text_atomically(output / "metrics.json", text, if_exists="replace")
    return output, metrics


def export_cpp(name, directory, config_file=None, overrides=(), seed=None):
    """Write the C++ standalone project of a scenario's network into ``directory``.

    The scenario must define ``network(config, seed) -> (NetworkSpec, duration, Recording)``.
    The project builds with ``make`` and runs as ``./main`` without Python; its results folder
    is read back by :func:`hetero_brian.experiment.cpp_export.load_exported_results`.
    """
    from hetero_brian.experiment.cpp_export import export_project  # imports brian2: only when exporting

    module = load_scenario(name)
    if not hasattr(module, "network"):
        raise ConfigError(f"scenario {name!r} does not define network(config, seed); it cannot be exported")
    config = resolve_config(module, config_file, overrides)
    spec, duration, recording = module.network(config, seed)
    return export_project(spec, duration, recording, directory, seed=seed, scenario=name)
