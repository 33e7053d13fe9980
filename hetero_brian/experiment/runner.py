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
import logging
import importlib
import json
import pkgutil
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from hetero_brian.errors import ConfigError, HeteroBrianError, ResultsError, SimulationInterrupted, UnitError
from hetero_brian.experiment.checks import check_config_values, check_disk_space, check_seed_option
from hetero_brian.experiment.run_folders import FolderLock, plan_run_folder, prepare_run_folder
from hetero_brian.random import fresh_seed
from hetero_brian.results.atomic import write_text_atomically
from hetero_brian.results.rundirs import RunManifest, unique_subdir

__all__ = ["scenario_names", "load_scenario", "resolve_config", "run_scenario", "RunOutcome", "export_cpp"]

SCENARIO_PACKAGE = "hetero_brian.scenarios"
_PHASES = logging.getLogger("hetero_brian.phases")


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


@dataclass
class RunOutcome:
    """What :func:`run_scenario` did: the run folder, its metrics, and whether it was already complete
    (``--resume`` on a complete run is a no-op that returns the recorded metrics)."""

    output: Path
    metrics: dict
    already_complete: bool = False

    def __iter__(self):  # ``output, metrics = run_scenario(...)``
        return iter((self.output, self.metrics))


def _refusal(error):
    """Whether ``error`` (raised inside a scenario) is a bad value rather than a failed run."""
    return isinstance(error, (ConfigError, UnitError)) or type(error) is ValueError


def _save_partial(output, name, interrupted):
    """Save the partial result of an interrupted run as ``<name>.interrupted.h5`` (``status`` attribute
    "complete" for the file, ``run_status`` "interrupted" and ``t_stop`` the time simulated)."""
    if interrupted.result is None:
        return None
    import h5py

    from hetero_brian.results import save

    path = output / f"{name}.interrupted.h5"
    save(interrupted.result, path)
    with h5py.File(path, "r+") as handle:
        handle.attrs["run_status"] = "interrupted"
        handle.attrs["t_stop"] = float(interrupted.result.provenance["t_stop"])
    return path


def run_scenario(name, config_file=None, overrides=(), backend="auto", seed=None, out=None, overwrite=False,
                 resume=False, output_root="hetero_brian_runs"):
    """Run a scenario by name and return a :class:`RunOutcome` (unpacks as ``output, metrics``).

    Everything is checked before anything is written (the scenario, the configuration, its values,
    the seed, the free disk space for the results and the output folder; see
    :mod:`hetero_brian.experiment.run_folders` for ``--out``, ``overwrite`` and ``resume``), so a
    refused run changes nothing on disk. ``config.yaml``, ``metrics.json`` and ``manifest.json`` are
    written atomically; ``metrics.json`` before the
    manifest says "complete". A bad value found only inside the scenario (ConfigError, UnitError,
    ValueError) removes the folder this call created and is raised again. Ctrl-C marks the manifest
    "interrupted", saves the partial result (``<scenario>.interrupted.h5``) and raises
    :class:`~hetero_brian.errors.SimulationInterrupted` (``KeyboardInterrupt`` outside a
    simulation is turned into it too). Phases are logged on ``hetero_brian.phases``.
    """
    module = load_scenario(name)
    config = resolve_config(module, config_file, overrides)
    check_config_values(config)
    check_seed_option(seed)
    config_record = config.model_dump(mode="json")
    if out is None:
        plan = None
    else:
        plan = plan_run_folder(out, name, config_record, seed, overwrite=overwrite, resume=resume)
        if plan.action == "done":
            metrics = json.loads((plan.path / "metrics.json").read_text(encoding="utf-8"))
            return RunOutcome(plan.path, metrics, already_complete=True)
        seed = plan.seed if seed is None else seed
    seed = fresh_seed() if seed is None else seed
    check_disk_space(module, config, seed, output_root if plan is None else plan.path)
    if plan is None:
        Path(output_root).mkdir(parents=True, exist_ok=True)
        output, created = Path(unique_subdir(output_root, prefix=f"{name}-")), True
        lock = FolderLock(output).acquire()  # marks the run live for --resume/--overwrite elsewhere
    else:
        created = plan.action != "reuse"
        output = prepare_run_folder(plan)
        lock = plan.lock
    try:
        return _run_in_folder(module, name, config, config_record, backend, seed, output, created)
    finally:
        if lock is not None:
            lock.release()


def _run_in_folder(module, name, config, config_record, backend, seed, output, created):
    """The part of :func:`run_scenario` after the run folder is claimed (and locked)."""
    recorded = {"scenario": name, "seed": seed, "backend": backend, "config": config_record}
    start = time.perf_counter()
    try:
        write_text_atomically(output / "config.yaml", yaml.safe_dump(recorded, sort_keys=False), if_exists="replace")
    except OSError as error:  # e.g. a full disk: the run never started
        if created:
            shutil.rmtree(output, ignore_errors=True)
        raise ResultsError(f"cannot write the run record {output / 'config.yaml'}: {error.strerror or error}") from error
    try:
        with RunManifest.start(output, info={"scenario": name, "seed": seed, "backend": backend}):
            try:
                metrics = module.run(config, output, backend=backend, seed=seed)
            except KeyboardInterrupt:
                raise SimulationInterrupted("interrupted (Ctrl-C)") from None
            _PHASES.info("saving the metrics (the scenario wrote its own files)")
            metrics = dict(metrics, wall_time_total=time.perf_counter() - start, seed=seed)
            text = json.dumps(metrics, indent=2, sort_keys=True, default=float)
            write_text_atomically(output / "metrics.json", text, if_exists="replace")
    except SimulationInterrupted as interrupted:
        _save_partial(output, name, interrupted)
        raise SimulationInterrupted(f"{interrupted}; run recorded as interrupted in {output}",
                                    result=interrupted.result) from None
    except Exception as error:
        if created and _refusal(error):
            shutil.rmtree(output, ignore_errors=True)  # nothing left behind: the value was refused
            raise ConfigError(str(error)) from error
        if created and isinstance(error, FileNotFoundError):  # missing input data: a bad path (exit 2)
            shutil.rmtree(output, ignore_errors=True)
            raise
        if isinstance(error, (OSError, ResultsError)):  # e.g. a full disk: the run failed (exit 1)
            raise HeteroBrianError(f"run in {output} failed: {error}") from error
        raise
    _PHASES.info("done in %.1f s", time.perf_counter() - start)
    return RunOutcome(output, metrics)


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
