"""``hetero-brian sweep CONFIG`` and ``hetero-brian tune CONFIG``: argparse glue for sweeps and studies.

Usage::

    hetero-brian sweep SWEEP.yaml [--out DIR] [--workers N] [--dask | --scheduler ADDRESS] [--resume]
    hetero-brian tune STUDY.yaml [--out DIR] [--trials N] [--workers N] [--dask | --scheduler ADDRESS]
                                 [--resume]

Exit status: 0 when every task (trial) finished, 1 when some failed (listed with their traceback),
2 for a bad configuration or output folder (one line naming the key and value).
"""
import contextlib
import sys
from pathlib import Path

from .errors import ConfigError

__all__ = ["add_commands", "handle"]

EXIT_FAILED_TASKS = 1
EXIT_USAGE = 2


def _add_common(parser, default_root):
    parser.add_argument("config", help="sweep or study file (.yaml, .yml or .toml)")
    parser.add_argument("--out", help=f"output folder (default: {default_root}/<config file name>)")
    parser.add_argument("--workers", type=int, help="tasks run at the same time (default: the number of CPUs)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--dask", action="store_true", help="run on an embedded Dask LocalCluster")
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on the Dask cluster of this scheduler")
    parser.add_argument("--resume", action="store_true", help="continue in an existing output folder")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def add_commands(subparsers):
    """Add the ``sweep`` and ``tune`` sub-commands to ``hetero-brian``'s subparsers."""
    sweep = subparsers.add_parser("sweep", help="run a parameter sweep (resumable)")
    _add_common(sweep, "hetero_brian_sweeps")
    tune = subparsers.add_parser("tune", help="Bayesian optimisation of a scenario's parameters (Optuna)")
    _add_common(tune, "hetero_brian_studies")
    tune.add_argument("--trials", type=int, help="total finished trials wanted (replaces the file's 'trials')")


def _executor(arguments):
    """The executor context: None (default local pool) or a Dask executor."""
    if arguments.dask or arguments.scheduler:
        from .sweep import dask_executor

        return dask_executor(arguments.scheduler, arguments.workers)
    return contextlib.nullcontext(None)


def _check_workers(workers):
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be >= 1; got {workers}")


def _sweep(arguments):
    from .sweep import load_sweep_config, run_sweep, tasks_from_config

    _check_workers(arguments.workers)
    config = load_sweep_config(arguments.config)
    out = arguments.out or str(Path("hetero_brian_sweeps") / Path(arguments.config).stem)
    with _executor(arguments) as executor:
        report = run_sweep(tasks_from_config(config), out, executor=executor, workers=arguments.workers,
                           retries=config.retries, resume=arguments.resume, progress=not arguments.quiet)
    skipped = sum(outcome.status == "skipped" for outcome in report.outcomes)
    print(f"{len(report.outcomes)} tasks: {report.n_run} run, {skipped} already complete, "
          f"{len(report.failed)} failed; summary in {report.summary_path}")
    for outcome in report.failed:
        print(f"task {outcome.name} failed after {outcome.attempts} attempt(s):\n{outcome.traceback}", file=sys.stderr)
    return EXIT_FAILED_TASKS if report.failed else 0


def _tune(arguments):
    from .tune import load_tune_config, run_study

    _check_workers(arguments.workers)
    try:
        import optuna  # noqa: F401
    except ImportError:
        raise ConfigError("hetero-brian tune needs optuna >= 4: pip install 'hetero_brian[tune]'") from None
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


def handle(arguments):
    """Run ``arguments.command`` ("sweep" or "tune"); returns the exit status."""
    # errors propagate to hetero_brian.cli.main, which prints them as one line (exit status 2 or 1)
    return _sweep(arguments) if arguments.command == "sweep" else _tune(arguments)
