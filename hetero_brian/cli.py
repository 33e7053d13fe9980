"""The ``hetero-brian`` command: run scenarios, export C++ projects, inspect and plot results.

Usage::

    hetero-brian list
    hetero-brian run SCENARIO [--config FILE] [--backend NAME] [--seed N] [--out DIR]
                              [--set key=value ...] [--overwrite | --resume]
    hetero-brian info RESULT.h5
    hetero-brian plot RESULT.h5 --kind raster [--out FIGURE.png]
    hetero-brian export-cpp SCENARIO DIR [--config FILE] [--set key=value ...] [--seed N]
    hetero-brian sweep CONFIG [--workers N] [--dask | --scheduler ADDRESS] [--resume]
    hetero-brian tune CONFIG [--trials N] [--workers N] [--resume]

Bad input (unknown scenario, unknown config key, wrong unit...) prints one line naming the value
and exits with status 2. Scenarios live in the ``hetero_brian.scenarios`` package (the top-level ``scenarios/`` folder); the
library finds them by name at run time and never imports them otherwise.
"""
import argparse
import difflib
import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

from . import sweep_cli
from .errors import ConfigError, HeteroBrianError, ResultsError, UnitError

EXIT_USAGE = 2
PLOT_KINDS = ("raster", "rate", "isi", "cv", "tau", "weights")


def scenario_names():
    """Names of the runnable scenario modules (those defining ``Config`` and ``run``)."""
    try:
        package = importlib.import_module("hetero_brian.scenarios")
    except ImportError:
        return []
    names = []
    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_"):
            names.append(module.name)
    return sorted(names)


def load_scenario(name):
    """Import ``hetero_brian.scenarios.<name>``; unknown names give a ConfigError with a suggestion."""
    names = scenario_names()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"unknown scenario {name!r}; available: {', '.join(names) or 'none'}{hint}")
    module = importlib.import_module(f"hetero_brian.scenarios.{name}")
    for attribute in ("Config", "run"):
        if not hasattr(module, attribute):
            raise ConfigError(f"scenario module hetero_brian.scenarios.{name} has no {attribute!r}")
    return module


def resolve_config(module, config_file=None, overrides=()):
    """Defaults <- config file <- ``--set`` overrides, validated by the scenario's ``Config``."""
    from .config import apply_overrides, deep_merge, load_config_file, validate_config

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


def _summary_line(text):
    return text.strip().splitlines()[0] if text and text.strip() else ""


def run_scenario(name, config_file=None, overrides=(), backend="auto", seed=None, out=None, overwrite=False,
                 resume=False, output_root="hetero_brian_runs"):
    """Run a scenario by name and return ``(output directory, metrics)``.

    The output directory is ``out`` (refused when it exists and is not empty, unless ``overwrite``
    moves the old one aside or ``resume`` reuses it) or a fresh ``<output_root>/<name>-NNNN``.
    ``config.yaml``, ``metrics.json`` and ``manifest.json`` are written there.
    """
    import yaml

    from .random import fresh_seed
    from .results import OutputDirectory, RunManifest, unique_subdir

    module = load_scenario(name)
    config = resolve_config(module, config_file, overrides)
    seed = fresh_seed() if seed is None else seed
    if out is None:
        Path(output_root).mkdir(parents=True, exist_ok=True)
        output = Path(unique_subdir(output_root, prefix=f"{name}-"))
    else:
        output = Path(OutputDirectory.create(out, overwrite=overwrite, resume=resume).path)
    with open(output / "config.yaml", "w", encoding="utf-8") as handle:
        yaml.safe_dump({"scenario": name, "seed": seed, "backend": backend,
                        "config": config.model_dump(mode="json")}, handle, sort_keys=False)
    start = time.perf_counter()
    with RunManifest.start(output, info={"scenario": name, "seed": seed, "backend": backend}):
        metrics = module.run(config, output, backend=backend, seed=seed)
        metrics = dict(metrics, wall_time_total=time.perf_counter() - start, seed=seed)
        # written before the manifest says "complete"
        with open(output / "metrics.json", "w", encoding="utf-8") as handle:
            json.dump(metrics, handle, indent=2, sort_keys=True, default=float)
    return output, metrics


def export_cpp(name, directory, config_file=None, overrides=(), seed=None):
    """Write the C++ standalone project of a scenario's network into ``directory``.

    The scenario must define ``network(config, seed) -> (NetworkSpec, duration, Recording)``.
    The project builds with ``make`` and runs as ``./main`` without Python; its results folder
    is read back by :func:`hetero_brian.standalone_export.load_exported_results`.
    """
    from .standalone_export import export_project

    module = load_scenario(name)
    if not hasattr(module, "network"):
        raise ConfigError(f"scenario {name!r} does not define network(config, seed); it cannot be exported")
    config = resolve_config(module, config_file, overrides)
    spec, duration, recording = module.network(config, seed)
    return export_project(spec, duration, recording, directory, seed=seed, scenario=name)


def _plot(result_path, kind, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hetero_brian.analysis import activity, plots, spike_intervals

    from .results import load

    result = load(result_path)
    figure, axes = plt.subplots(figsize=(7, 4))
    t_stop = float(result.provenance.get("t_stop", 0.0))
    if kind in ("raster", "rate", "isi", "cv"):
        if not result.spikes:
            raise ResultsError(f"{result_path} holds no recorded spikes")
        name, trains = next(iter(result.spikes.items()))
        window = {"t_start": 0.0, "t_stop": t_stop}
        if kind == "raster":
            plots.plot_result_raster(axes, result, name)
        elif kind == "rate":
            plots.plot_population_rate(axes, *activity.population_rate(trains, 0.005, **window), label=name)
        elif kind == "isi":
            plots.plot_isi_histogram(axes, spike_intervals.interspike_intervals(trains, **window)[0])
        else:
            plots.plot_cv_histogram(axes, spike_intervals.cv_isi(trains, **window), label=name)
    elif kind == "weights":
        table = next(iter(result.synapses.values()), None)
        if table is None:
            raise ResultsError(f"{result_path} has no synapse tables to plot")
        plots.plot_weight_histogram(axes, table.extra.get("w_initial", table.w), table.w)
    else:
        population = next((p for p in result.populations.values() if "tau_m" in p.parameters), None)
        if population is None:
            raise ResultsError(f"{result_path} has no population with sampled tau_m")
        plots.plot_time_constant_histogram(axes, population.parameters["tau_m"], _tau_m_density(result))
    out = out or str(Path(result_path).with_suffix("")) + f"_{kind}.png"
    plots.save_figure(figure, out)
    return out


def _tau_m_density(result):
    """The specified tau_m density of the first population, from the spec saved in provenance."""
    from .distributions import distribution_from_dict

    for population in result.provenance.get("spec", {}).get("populations", []):
        description = population.get("model", {}).get("tau_m")
        if description:
            return distribution_from_dict(description).pdf_si
    raise ResultsError("the results file does not record the tau_m distribution (provenance 'spec')")


def build_parser():
    parser = argparse.ArgumentParser(prog="hetero-brian", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the scenarios")
    run = commands.add_parser("run", help="run a scenario")
    run.add_argument("scenario")
    _add_config_arguments(run)
    run.add_argument("--backend", default="auto", help="runtime, cpp_standalone, cuda_standalone or auto")
    run.add_argument("--out", help="output folder (default: a new hetero_brian_runs/<scenario>-NNNN)")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--overwrite", action="store_true", help="move an existing --out folder aside first")
    mode.add_argument("--resume", action="store_true", help="reuse an existing --out folder")
    info = commands.add_parser("info", help="summarise a results file")
    info.add_argument("result")
    plot = commands.add_parser("plot", help="plot a results file")
    plot.add_argument("result")
    plot.add_argument("--kind", choices=PLOT_KINDS, default="raster")
    plot.add_argument("--out", help="figure path (.png, .svg or .pdf)")
    export = commands.add_parser("export-cpp", help="write a scenario's network as a standalone C++ project")
    export.add_argument("scenario")
    export.add_argument("directory")
    _add_config_arguments(export)
    sweep_cli.add_commands(commands)
    return parser


def _add_config_arguments(parser):
    parser.add_argument("--config", help="YAML or TOML configuration file")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key")
    parser.add_argument("--seed", type=int, help="master seed (drawn and recorded when omitted)")


def main(argv=None):
    """Entry point of ``hetero-brian``; returns the exit status."""
    arguments = build_parser().parse_args(argv)
    try:
        if arguments.command == "list":
            for name in scenario_names():
                module = load_scenario(name)
                print(f"{name:28s} {_summary_line(module.__doc__)}")
        elif arguments.command == "run":
            output, metrics = run_scenario(arguments.scenario, arguments.config, arguments.set, arguments.backend,
                                           arguments.seed, arguments.out, arguments.overwrite, arguments.resume)
            print(f"results in {output}")
            for key, value in sorted(metrics.items()):
                print(f"  {key}: {value:.6g}" if isinstance(value, float) else f"  {key}: {value}")
        elif arguments.command == "info":
            from .results import load, summary

            print(summary(load(arguments.result)))
        elif arguments.command == "plot":
            print(_plot(arguments.result, arguments.kind, arguments.out))
        elif arguments.command in ("sweep", "tune"):
            return sweep_cli.handle(arguments)
        elif arguments.command == "export-cpp":
            print(export_cpp(arguments.scenario, arguments.directory, arguments.config, arguments.set, arguments.seed))
    except (ConfigError, UnitError, ResultsError, FileNotFoundError, FileExistsError) as error:
        print(f"hetero-brian: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except HeteroBrianError as error:
        print(f"hetero-brian: error: {error}", file=sys.stderr)
        return 1
    return 0


def scenario_main(module_name, argv=None):
    """``main`` of a scenario module: ``python -m hetero_brian.scenarios.NAME [--set key=value ...]``."""
    name = module_name.rsplit(".", 1)[-1]
    return main(["run", name, *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
