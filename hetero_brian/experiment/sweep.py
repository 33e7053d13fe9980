"""Parameter sweeps: many scenario runs on a local process pool or a Dask cluster, resumable.

A sweep is a list of :class:`Task` (a scenario, config overrides, a seed). :func:`run_sweep` runs
them with any :class:`concurrent.futures.Executor`; each task writes its own folder
``<sweep directory>/<task name>`` through :func:`hetero_brian.experiment.runner.run_scenario` (``config.yaml``,
``metrics.json``, ``manifest.json`` and the scenario's files), and the scalar metrics of all tasks
are gathered in ``summary.csv``. Task names are digests of their content, so re-running the same
sweep with ``resume=True`` skips every task whose manifest says "complete" and re-runs the others
(killed, failed, never started). A task that fails is retried ``retries`` times (default once), then
reported with its traceback (``failures.txt``) while the other tasks go on. ``shard="I/N"`` runs one
shard of a job array (:mod:`hetero_brian.experiment.shards`).

Every task runs in a fresh process: Brian2 keeps global state (device, preferences) and installs a
SIGINT handler at import, which fails in a non-main thread. The default executor is a ``spawn``
process pool with ``max_tasks_per_child=1``; with any other executor (Dask's, a thread pool) each
task starts its own ``python -m hetero_brian.experiment.sweep`` subprocess (``isolate=True``). As with any
``spawn`` pool, a script that calls :func:`run_sweep` must do so under ``if __name__ == "__main__":``
(each new process imports the script's module). With ``--scheduler``, the sweep directory must be
on a file system that the Dask workers share.

Sweep files (YAML or TOML, :class:`SweepConfig`)::

    scenario: toy_objective
    base: {n_units: 40}                   # overrides common to all tasks (dotted keys)
    grid:                                  # cartesian product of values ...
      tau_m.cv: [0.0, 0.5, 1.0]
    points:                                # ... and/or an explicit list of parameter sets
      - {tau_m.mean: 10 ms}
      - {tau_m.mean: 20 ms}
    seeds: [1, 2, 3]

gives 2 points x 3 grid values x 3 seeds = 18 tasks. A key sets the value at that path as a whole,
like ``hetero-brian run --set key=value``.
"""
import concurrent.futures
import contextlib
import csv
import hashlib
import io
import itertools
import json
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hetero_brian.errors import ConfigError, ResultsError
from hetero_brian.experiment.executors import local_executor
from hetero_brian.experiment.runner import load_scenario, resolve_config, run_scenario
from hetero_brian.experiment.shards import SHARDS_FOLDER, all_shard_locks, shard_label, shard_lock, shard_tasks
from hetero_brian.results.atomic import write_text_atomically
from hetero_brian.results.rundirs import directory_lock, read_manifest

__all__ = ["SweepConfig", "Task", "TaskOutcome", "SweepReport", "load_sweep_config", "tasks_from_config",
           "check_tasks", "execute_task", "task_state", "run_sweep", "summary_rows", "write_summary"]

SUMMARY_NAME = "summary.csv"
FAILURES_NAME = "failures.txt"
TASKS_NAME = "tasks.json"
TRACEBACK_NAME = "traceback.txt"


def _define_sweep_config():
    """Build :class:`SweepConfig` on first use: ``hetero_brian.config`` imports Brian2 (seconds), and
    this module is imported by every task process, including the spare ones a process pool starts."""
    from pydantic import Field, field_validator

    from hetero_brian.config import StrictModel

    class SweepConfig(StrictModel):
        """A sweep file: ``scenario``, ``base`` overrides, ``grid`` and/or ``points``, ``seeds``."""

        scenario: str
        base: dict[str, Any] = {}
        grid: dict[str, list[Any]] = {}
        points: list[dict[str, Any]] = []
        seeds: list[int] = [0]
        backend: str = "auto"
        retries: int = Field(1, ge=0, description="extra attempts of a failed task within one sweep run")

        @field_validator("grid")
        @classmethod
        def _grid_values(cls, grid):
            for key, values in grid.items():
                if not values:
                    raise ValueError(f"grid key {key!r} has an empty list of values; got {values!r}")
            return grid

        @field_validator("seeds")
        @classmethod
        def _seed_values(cls, seeds):
            if not seeds:
                raise ValueError("seeds must list at least one seed; got []")
            negative = [seed for seed in seeds if seed < 0]
            if negative:
                raise ValueError(f"seeds must be >= 0; got {negative}")
            if len(set(seeds)) != len(seeds):
                raise ValueError(f"seeds must be distinct; got {seeds}")
            return seeds

    SweepConfig.__module__ = __name__
    SweepConfig.__qualname__ = "SweepConfig"
    return SweepConfig


def __getattr__(name):
    """``SweepConfig`` is created on first access (PEP 562), see :func:`_define_sweep_config`."""
    if name == "SweepConfig":
        globals()["SweepConfig"] = _define_sweep_config()
        return globals()["SweepConfig"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_sweep_config(path):
    """Read and validate a sweep file (``.yaml``, ``.yml`` or ``.toml``); raises ConfigError."""
    from hetero_brian.config import load_config_file, validate_config

    return validate_config(__getattr__("SweepConfig"), load_config_file(path), source=str(path))


def _value_text(value):
    """``value`` as the YAML text that ``apply_overrides`` reads back to the same value."""
    import yaml

    text = yaml.safe_dump(value, default_flow_style=True, width=float("inf"), sort_keys=False)
    return text[: -len("\n...\n")] if text.endswith("\n...\n") else text.strip()


@dataclass(frozen=True)
class Task:
    """One run of a sweep.

    Attributes
    ----------
    scenario : str
        Scenario name (``hetero_brian.scenarios.<name>``).
    parameters : dict
        Swept values, dotted config key -> value (also the summary's parameter columns).
    seed : int
        Master seed of the run.
    base : dict
        Overrides common to the sweep, applied before ``parameters``.
    backend : str
        Backend name passed to the scenario.
    """

    scenario: str
    parameters: dict = field(default_factory=dict)
    seed: int = 0
    base: dict = field(default_factory=dict)
    backend: str = "auto"

    @property
    def overrides(self):
        """``["key=value", ...]``: ``base`` then ``parameters``, as ``--set`` strings."""
        return [f"{key}={_value_text(value)}" for key, value in {**self.base, **self.parameters}.items()]

    @property
    def name(self):
        """``seed<N>-<digest>``: the folder name, stable across runs of the same sweep."""
        content = json.dumps({"scenario": self.scenario, "overrides": self.overrides, "seed": self.seed,
                              "backend": self.backend}, sort_keys=True, default=str)
        return f"seed{self.seed}-{hashlib.sha1(content.encode()).hexdigest()[:12]}"


@dataclass
class TaskOutcome:
    """What one attempt (or the resume check) found: ``status`` "complete", "skipped" or "failed"."""

    name: str
    status: str
    metrics: dict = field(default_factory=dict)
    traceback: str = None
    attempts: int = 0
    wall_time: float = 0.0


@dataclass
class SweepReport:
    """Result of :func:`run_sweep`: one outcome per task (in task order) and the summary path."""

    directory: Path
    outcomes: list
    summary_path: Path

    @property
    def failed(self):
        """Outcomes of the tasks that failed every attempt."""
        return [outcome for outcome in self.outcomes if outcome.status == "failed"]

    @property
    def n_run(self):
        """Tasks run (not skipped) in this call."""
        return sum(outcome.status != "skipped" for outcome in self.outcomes)


def tasks_from_config(config):
    """The tasks of a :class:`SweepConfig`: points x grid product x seeds, in file order."""
    keys = list(config.grid)
    combinations = [dict(zip(keys, values)) for values in itertools.product(*config.grid.values())]
    points = config.points or [{}]
    tasks = []
    for point in points:
        for combination in combinations:
            overlap = sorted(set(point) & set(combination))
            if overlap:
                raise ConfigError(f"sweep keys {overlap} appear both in 'points' and in 'grid'; keep one")
            for seed in config.seeds:
                tasks.append(Task(config.scenario, {**point, **combination}, seed, dict(config.base),
                                  config.backend))
    return tasks


def check_tasks(tasks):
    """Validate every task's scenario configuration before anything runs.

    Raises
    ------
    ConfigError
        Naming the task and its parameters: an unknown scenario or config key (with a
        "did you mean"), a wrong unit, a bad value; or two tasks with the same name.
    """
    if not tasks:
        raise ConfigError("the sweep has no tasks")
    names = [task.name for task in tasks]
    if len(set(names)) != len(names):
        duplicate = next(name for name in names if names.count(name) > 1)
        raise ConfigError(f"two sweep tasks are identical (task {duplicate}); remove the repeated values")
    for task in tasks:
        if not isinstance(task.seed, int) or isinstance(task.seed, bool) or task.seed < 0:
            raise ConfigError(f"task seed must be an int >= 0; got {task.seed!r}")
        module = load_scenario(task.scenario)
        try:
            resolve_config(module, None, task.overrides)
        except ConfigError as error:
            raise ConfigError(f"sweep task {task.name} ({', '.join(task.overrides) or 'defaults'}): "
                              f"{error}") from None


def task_state(task_directory):
    """"complete" (manifest complete and metrics.json readable), "absent", or the manifest state."""
    task_directory = Path(task_directory)
    if not task_directory.is_dir():
        return "absent"
    try:
        state = read_manifest(task_directory).state
    except ResultsError:  # no run record: a refused task keeps only its traceback
        return "failed" if (task_directory / TRACEBACK_NAME).exists() else "incomplete"
    if state == "complete":
        try:
            json.loads((task_directory / "metrics.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return "incomplete"
    return state


def _run_here(task, directory):
    """Run ``task`` in this process; never raises (failures come back with their traceback)."""
    output = Path(directory) / task.name
    start = time.perf_counter()
    used = output.is_dir() and any(output.iterdir())
    try:
        _, metrics = run_scenario(task.scenario, overrides=task.overrides, backend=task.backend, seed=task.seed,
                                  out=output, overwrite=used)
    except Exception:  # noqa: BLE001 - any failure of the task is reported, never fatal to the sweep
        text = traceback.format_exc()
        output.mkdir(parents=True, exist_ok=True)  # a refused run leaves no folder: the task's failure keeps one
        (output / TRACEBACK_NAME).write_text(text, encoding="utf-8")
        return TaskOutcome(task.name, "failed", traceback=text, wall_time=time.perf_counter() - start)
    return TaskOutcome(task.name, "complete", metrics=_scalars(metrics), wall_time=time.perf_counter() - start)


def _run_isolated(task, directory):
    """Run ``task`` in a fresh ``python -m hetero_brian.experiment.sweep`` subprocess."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hetero-brian-task-") as scratch:
        task_file, outcome_file = Path(scratch) / "task.json", Path(scratch) / "outcome.json"
        task_file.write_text(json.dumps({"task": asdict(task), "directory": str(directory)}), encoding="utf-8")
        completed = subprocess.run([sys.executable, "-m", "hetero_brian.experiment.sweep", str(task_file), str(outcome_file)],
                                   capture_output=True, text=True, check=False)
        if outcome_file.exists():
            return TaskOutcome(**json.loads(outcome_file.read_text(encoding="utf-8")))
    text = (f"task process exited with status {completed.returncode} without an outcome; stderr tail:\n"
            f"{completed.stderr[-4000:]}")
    return TaskOutcome(task.name, "failed", traceback=text, wall_time=time.perf_counter() - start)


def execute_task(task, directory, isolate=False):
    """Run one task (the function submitted to executors); returns a :class:`TaskOutcome`.

    Parameters
    ----------
    task : Task
    directory : str or Path
        The sweep directory; the task writes ``<directory>/<task.name>``.
    isolate : bool
        Start a fresh Python process for the task (for executors whose workers are long-lived or
        threads, e.g. Dask's).
    """
    return _run_isolated(task, directory) if isolate else _run_here(task, directory)


def _scalars(metrics):
    return {key: value for key, value in metrics.items() if isinstance(value, (bool, int, float, str))}


def _submit_round(executor, tasks, directory, isolate, progress):
    futures = {executor.submit(execute_task, task, directory, isolate): task for task in tasks}
    outcomes = {}
    for future in concurrent.futures.as_completed(futures):
        task = futures[future]
        try:
            outcomes[task.name] = future.result()
        except Exception:  # noqa: BLE001 - a dead worker (BrokenProcessPool, KilledWorker...)
            outcomes[task.name] = TaskOutcome(task.name, "failed", traceback=traceback.format_exc())
        progress.update(1)
    return outcomes


def run_sweep(tasks, directory, executor=None, workers=None, retries=1, resume=False, isolate=None,
              progress=True, shard=None):
    """Run ``tasks`` under ``directory`` and write ``summary.csv``.

    Parameters
    ----------
    tasks : list of Task
    directory : str or Path
        The sweep directory (created). A non-empty one is refused unless ``resume``.
    executor : concurrent.futures.Executor, optional
        Default: :func:`local_executor` with ``workers`` processes, created and shut down here
        (and re-created for each retry round, in case a worker died).
    workers : int, optional
        Processes of the default executor.
    retries : int
        Extra attempts for a failed task, >= 0.
    resume : bool
        Skip the tasks already complete in ``directory``; re-run the others.
    isolate : bool, optional
        Run each task in its own subprocess; default False for the default executor (already one
        process per task) and True for a given executor.
    progress : bool
        Show a tqdm progress bar over tasks.
    shard : str or (int, int), optional
        ``"I/N"``: run only shard ``I`` of ``N`` (:func:`~hetero_brian.experiment.shards.shard_tasks`),
        write ``summary-shard-I-of-N.csv``; the directory may hold other shards' tasks. Without
        ``shard``, ``resume=True`` after the shards merges them into ``summary.csv``.

    Returns
    -------
    SweepReport
        Failed tasks are in ``report.failed`` (with tracebacks) and ``failures.txt``; nothing
        raises for a failed task.
    """
    from tqdm import tqdm

    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be an int >= 0; got {retries!r}")
    tasks = list(tasks)
    check_tasks(tasks)
    directory = Path(directory).resolve()
    if directory.exists() and not directory.is_dir():
        raise ResultsError(f"sweep directory '{directory}' exists and is not a directory")
    selected = tasks if shard is None else shard_tasks(tasks, shard)
    suffix = "" if shard is None else f"-shard-{shard_label(shard)}"
    if shard is not None:
        used = [task.name for task in selected if (directory / task.name).exists()]
        if used and not resume:
            raise ResultsError(f"shard {shard_label(shard)}: {len(used)} of its task folders exist in "
                               f"'{directory}' (e.g. {used[0]}); pass resume=True (--resume) to skip its finished tasks")
    elif directory.is_dir() and any(entry.name not in (".lock", SHARDS_FOLDER) for entry in directory.iterdir()) \
            and not resume:
        raise ResultsError(f"sweep directory '{directory}' is not empty; pass resume=True (--resume) to "
                           "skip its finished tasks, or choose another directory")
    directory.mkdir(parents=True, exist_ok=True)
    isolate = executor is not None if isolate is None else isolate
    with shard_lock(directory, shard) if shard is not None else directory_lock(directory, timeout=0), \
            all_shard_locks(directory) if shard is None else contextlib.nullcontext():
        listing = json.dumps({task.name: asdict(task) for task in tasks}, indent=2, default=str)
        write_text_atomically(directory / TASKS_NAME, listing, if_exists="replace")
        outcomes = {}
        for task in selected:
            if resume and task_state(directory / task.name) == "complete":
                outcomes[task.name] = TaskOutcome(task.name, "skipped")
        pending = [task for task in selected if task.name not in outcomes]
        attempts = {task.name: 0 for task in pending}
        with tqdm(total=len(selected), initial=len(outcomes), desc="sweep", unit="task", disable=not progress) as bar:
            for attempt in range(retries + 1):
                if not pending:
                    break
                if attempt:
                    bar.total += len(pending)
                    bar.refresh()
                own = executor is None
                pool = local_executor(workers) if own else executor
                try:
                    new = _submit_round(pool, pending, directory, isolate, bar)
                finally:
                    if own:
                        pool.shutdown(wait=True, cancel_futures=True)
                for name in new:
                    attempts[name] += 1
                    new[name].attempts = attempts[name]
                outcomes.update(new)
                pending = [task for task in pending if outcomes[task.name].status == "failed"]
        ordered = [outcomes[task.name] for task in selected]
        _write_failures(directory, ordered, FAILURES_NAME.replace(".txt", f"{suffix}.txt"))
        summary_path = write_summary(directory, selected, SUMMARY_NAME.replace(".csv", f"{suffix}.csv"))
    return SweepReport(directory, ordered, summary_path)


def _write_failures(directory, outcomes, name=FAILURES_NAME):
    path = directory / name
    failed = [outcome for outcome in outcomes if outcome.status == "failed"]
    if not failed:
        path.unlink(missing_ok=True)
        return
    text = "".join(f"== task {outcome.name}: failed after {outcome.attempts} attempt(s)\n{outcome.traceback}\n"
                   for outcome in failed)
    write_text_atomically(path, text, if_exists="replace")


def summary_rows(directory, tasks):
    """One dict per task, from the files on disk: task, status, seed, parameters, scalar metrics, error."""
    directory = Path(directory)
    rows = []
    for task in tasks:
        folder = directory / task.name
        state = task_state(folder)
        row = {"task": task.name, "status": state, "seed": task.seed}
        row.update({key: value if isinstance(value, (int, float, str)) else _value_text(value)
                    for key, value in task.parameters.items()})
        metrics = {}
        if state == "complete":
            metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
        row["metrics"] = {key: value for key, value in _scalars(metrics).items() if key != "seed"}
        error = ""
        if state != "complete" and (folder / TRACEBACK_NAME).exists():
            lines = (folder / TRACEBACK_NAME).read_text(encoding="utf-8").strip().splitlines()
            error = lines[-1] if lines else ""
        row["error"] = error
        rows.append(row)
    return rows


def write_summary(directory, tasks, name=SUMMARY_NAME):
    """Write ``<directory>/<name>`` (default ``summary.csv``; see :func:`summary_rows`); returns its path."""
    rows = summary_rows(directory, tasks)
    parameter_keys = list(dict.fromkeys(key for task in tasks for key in task.parameters))
    metric_keys = sorted({key for row in rows for key in row["metrics"]})
    header = ["task", "status", "seed", *parameter_keys, *metric_keys, "error"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, restval="", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        metrics = row.pop("metrics")
        writer.writerow({**row, **{key: repr(value) if isinstance(value, float) else value
                                   for key, value in metrics.items()}})
    return write_text_atomically(Path(directory) / name, buffer.getvalue(), if_exists="replace")


def _isolated_main(task_file, outcome_file):
    """Entry of ``python -m hetero_brian.experiment.sweep TASK.json OUTCOME.json``."""
    payload = json.loads(Path(task_file).read_text(encoding="utf-8"))
    outcome = _run_here(Task(**payload["task"]), payload["directory"])
    Path(outcome_file).write_text(json.dumps(asdict(outcome), default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m hetero_brian.experiment.sweep TASK.json OUTCOME.json (internal: one sweep task)")
    sys.exit(_isolated_main(sys.argv[1], sys.argv[2]))
