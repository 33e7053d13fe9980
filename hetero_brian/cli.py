"""The ``hetero-brian`` command: run scenarios, export C++ projects, sweeps, studies, inspect results.

Usage::

    hetero-brian list
    hetero-brian run SCENARIO [--config FILE] [--backend NAME] [--seed N] [--out DIR]
                              [--set key=value ...] [--overwrite | --resume]
    hetero-brian runs [DIR]                      (status of each run; dead "running" runs read "interrupted")
    hetero-brian show SCENARIO                   (configuration keys, defaults, units, help)
    hetero-brian cache [--clean]                 (the C++ build cache: where, size, clean)
    hetero-brian info RESULT.h5
    hetero-brian export-cpp SCENARIO DIR [--config FILE] [--set key=value ...] [--seed N]
    hetero-brian sweep CONFIG [--out DIR] [--workers N] [--dask | --scheduler ADDRESS] [--resume] [--shard I/N]
    hetero-brian tune CONFIG [--out DIR] [--trials N] [--workers N] [--dask | --scheduler ADDRESS] [--resume]
    hetero-brian plot RESULT.h5 --kind raster [--out FIGURE.png]     (from the analysis layer)

Bad input (unknown scenario, unknown config key, wrong unit...) prints one line naming the value
and exits with status 2 (nothing is written); a sweep or study with failed tasks exits with status 1;
Ctrl-C exits with status 130 after recording the run as interrupted. See docs/commandline.md.

This module is the top floor of the layer order: it imports the experiment layer downwards and no
analysis module. More sub-commands come from the entry-point group ``hetero_brian.commands``
(:data:`COMMAND_GROUP`): each entry point names a ``register(subparsers)`` function that adds its
parser and sets ``handler`` (``handler(arguments) -> exit status``) as a default; the ``plot``
command of :mod:`hetero_brian.analysis.plot_command` is registered this way in ``setup.cfg``.
"""
import argparse
import contextlib
import os
import signal
import sys
import threading
from importlib.metadata import entry_points
from pathlib import Path


def _interrupted_while_starting(signal_number, frame):
    sys.stderr.write("hetero-brian: interrupted: Ctrl-C while starting; nothing was written\n")
    os._exit(130)


if os.path.basename(sys.argv[0]) in ("hetero-brian", "cli.py") and threading.current_thread() is threading.main_thread():
    # the command itself is starting (not an import by a test or a program): a Ctrl-C during the
    # imports below ends it with one line, also where a shell started it with SIGINT ignored
    signal.signal(signal.SIGINT, _interrupted_while_starting)

from hetero_brian.errors import ConfigError, HeteroBrianError, ResultsError, SimulationInterrupted, UnitError
from hetero_brian.experiment.build_cache import prune_build_cache
from hetero_brian.experiment.commands import cache_command, describe_scenario, print_run_outcome, print_runs
from hetero_brian.experiment.executors import dask_executor
from hetero_brian.experiment.phases import phase_output
from hetero_brian.experiment.runner import export_cpp, load_scenario, run_scenario, scenario_names
from hetero_brian.experiment.sweep import load_sweep_config, run_sweep, tasks_from_config
from hetero_brian.results import load, summary

__all__ = ["COMMAND_GROUP", "build_parser", "main", "scenario_main"]

COMMAND_GROUP = "hetero_brian.commands"
EXIT_FAILED_TASKS = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


def _summary_line(text):
    return text.strip().splitlines()[0] if text and text.strip() else ""


def _add_config_arguments(parser):
    parser.add_argument("--config", help="YAML or TOML configuration file")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key")
    parser.add_argument("--seed", type=int, help="master seed (drawn and recorded when omitted)")


def _add_batch_arguments(parser, default_root):
    parser.add_argument("config", help="sweep or study file (.yaml, .yml or .toml)")
    parser.add_argument("--out", help=f"output folder (default: {default_root}/<config file name>)")
    parser.add_argument("--workers", type=int, help="tasks run at the same time (default: the number of CPUs)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--dask", action="store_true", help="run on an embedded Dask LocalCluster")
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on the Dask cluster of this scheduler")
    parser.add_argument("--resume", action="store_true", help="continue in an existing output folder")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _registered_commands():
    """The ``register`` functions of the entry-point group ``hetero_brian.commands``, by name."""
    return {entry.name: entry for entry in entry_points(group=COMMAND_GROUP)}


def build_parser():
    """The argument parser of ``hetero-brian``, registered commands included."""
    parser = argparse.ArgumentParser(prog="hetero-brian", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the scenarios")
    run = commands.add_parser("run", help="run a scenario")
    run.add_argument("scenario")
    _add_config_arguments(run)
    run.add_argument("--backend", default="auto", help="runtime, cpp_standalone, cuda_standalone or auto")
    run.add_argument("--out", help="output folder (default: a new hetero_brian_runs/<scenario>-NNNN)")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--overwrite", action="store_true",
                      help="move an existing --out folder aside (never deleted) and start afresh; refused on a live run")
    mode.add_argument("--resume", action="store_true",
                      help="rerun a failed or interrupted run in --out with its recorded seed; a no-op on a complete run")
    run.add_argument("--quiet", action="store_true", help="no phase and progress output")
    runs = commands.add_parser("runs", help="list the runs under a folder with their status")
    runs.add_argument("directory", nargs="?", default="hetero_brian_runs")
    show = commands.add_parser("show", help="a scenario's configuration keys: default, unit and meaning")
    show.add_argument("scenario")
    cache = commands.add_parser("cache", help="where the C++ build cache is and its size; --clean empties it")
    cache.add_argument("--clean", action="store_true", help="delete every cached build")
    info = commands.add_parser("info", help="summarise a results file")
    info.add_argument("result")
    export = commands.add_parser("export-cpp", help="write a scenario's network as a standalone C++ project")
    export.add_argument("scenario")
    export.add_argument("directory")
    _add_config_arguments(export)
    sweep = commands.add_parser("sweep", help="run a parameter sweep (resumable)")
    _add_batch_arguments(sweep, "hetero_brian_sweeps")
    sweep.add_argument("--shard", metavar="I/N", help="run shard I of N (1 <= I <= N) of a job array; "
                       "afterwards --resume without --shard merges the shards' summaries")
    tune = commands.add_parser("tune", help="Bayesian optimisation of a scenario's parameters (Optuna)")
    _add_batch_arguments(tune, "hetero_brian_studies")
    tune.add_argument("--trials", type=int, help="total finished trials wanted (replaces the file's 'trials')")
    for entry in _registered_commands().values():
        entry.load()(commands)
    return parser


def _executor(arguments):
    """The executor context of a sweep or study: None (default local pool) or a Dask executor."""
    if arguments.dask or arguments.scheduler:
        return dask_executor(arguments.scheduler, arguments.workers)
    return contextlib.nullcontext(None)


def _check_workers(workers):
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be >= 1; got {workers}")


def _sweep(arguments):
    _check_workers(arguments.workers)
    config = load_sweep_config(arguments.config)
    out = arguments.out or str(Path("hetero_brian_sweeps") / Path(arguments.config).stem)
    with _executor(arguments) as executor:
        report = run_sweep(tasks_from_config(config), out, executor=executor, workers=arguments.workers,
                           retries=config.retries, resume=arguments.resume, progress=not arguments.quiet,
                           shard=arguments.shard)
    skipped = sum(outcome.status == "skipped" for outcome in report.outcomes)
    print(f"{len(report.outcomes)} tasks: {report.n_run} run, {skipped} already complete, "
          f"{len(report.failed)} failed; summary in {report.summary_path}")
    for outcome in report.failed:
        print(f"task {outcome.name} failed after {outcome.attempts} attempt(s):\n{outcome.traceback}", file=sys.stderr)
    return EXIT_FAILED_TASKS if report.failed else 0


def _tune(arguments):
    _check_workers(arguments.workers)
    try:
        import optuna  # noqa: F401  (an optional extra: checked before the study module needs it)
    except ImportError:
        raise ConfigError("hetero-brian tune needs optuna >= 4: pip install 'hetero_brian[tune]'") from None
    from hetero_brian.experiment.tune import load_tune_config, run_study  # needs the optional optuna

    config = load_tune_config(arguments.config, arguments.trials)
    out = arguments.out or str(Path("hetero_brian_studies") / Path(arguments.config).stem)
    with _executor(arguments) as executor:
        report = run_study(config, out, executor=executor, workers=arguments.workers or 1,
                           resume=arguments.resume, progress=not arguments.quiet)
    trials = report.study.get_trials(deepcopy=False)
    failed = [trial for trial in trials if trial.state.name == "FAIL" and "failure" in trial.user_attrs]
    print(f"study {config.study_name!r}: {len(trials)} trials in {report.directory}")
    for path in report.best_files:
        print(f"  best configuration: {path}")
    for trial in failed:
        print(f"trial {trial.number} failed: {trial.user_attrs['failure']}", file=sys.stderr)
    return EXIT_FAILED_TASKS if failed else 0


def _dispatch(arguments):
    """Run the parsed command; returns the exit status."""
    if arguments.command == "list":
        for name in scenario_names():
            print(f"{name:28s} {_summary_line(load_scenario(name).__doc__)}")
    elif arguments.command == "run":
        return _run(arguments)
    elif arguments.command == "runs":
        return print_runs(arguments.directory)
    elif arguments.command == "show":
        print(describe_scenario(arguments.scenario))
    elif arguments.command == "cache":
        return cache_command(arguments.clean)
    elif arguments.command == "info":
        print(summary(load(arguments.result)))
    elif arguments.command == "export-cpp":
        print(export_cpp(arguments.scenario, arguments.directory, arguments.config, arguments.set, arguments.seed))
    elif arguments.command == "sweep":
        return _sweep(arguments)
    elif arguments.command == "tune":
        return _tune(arguments)
    else:
        return arguments.handler(arguments)
    return 0


def _run(arguments):
    prune_build_cache()  # the cache's size cap (docs/commandline.md)
    with phase_output(quiet=arguments.quiet):
        outcome = run_scenario(arguments.scenario, arguments.config, arguments.set, arguments.backend,
                               arguments.seed, arguments.out, arguments.overwrite, arguments.resume)
    print_run_outcome(outcome)
    return 0


#: Exit status after the reader of stdout went away (128 + SIGPIPE, as a shell reports it).
EXIT_BROKEN_PIPE = 141


def main(argv=None):
    """Entry point of ``hetero-brian``; returns the exit status."""
    if threading.current_thread() is threading.main_thread():
        # Ctrl-C means KeyboardInterrupt even where the shell started us with SIGINT ignored (a
        # background job): Brian2 chains its handler to this one when it is imported
        signal.signal(signal.SIGINT, signal.default_int_handler)
    arguments = build_parser().parse_args(argv)
    try:
        return _dispatch(arguments)
    except (SimulationInterrupted, KeyboardInterrupt) as error:
        print(f"hetero-brian: interrupted: {str(error) or 'Ctrl-C'}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # ``hetero-brian show X | head``: the reader left; end quietly like git
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's final flush must not fail again
        return EXIT_BROKEN_PIPE
    except (ConfigError, UnitError, ResultsError, FileNotFoundError, FileExistsError) as error:
        print(f"hetero-brian: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (HeteroBrianError, OSError) as error:  # a failed run (its folder says so), a full disk...
        print(f"hetero-brian: error: {error}", file=sys.stderr)
        return 1


def scenario_main(module_name, argv=None):
    """``main`` of a scenario module: ``python -m hetero_brian.scenarios.NAME [--set key=value ...]``."""
    name = module_name.rsplit(".", 1)[-1]
    return main(["run", name, *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
