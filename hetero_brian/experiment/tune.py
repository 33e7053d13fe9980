"""Bayesian optimisation of a scenario's heterogeneity with Optuna (the 'tune' extra, optuna >= 4).

A study searches distribution parameters (means and cvs of ``tau_m``, ``tau_adapt``, STDP time
constants, learning rates...), each mapped onto a dotted key of the scenario's configuration, for
the configuration that optimises one or several metrics returned by the scenario (``accuracy``,
``spikes_per_sample``, ``activity_over_memory_capacity``... any metric name, with a direction).
Each trial runs the scenario once per seed (the metric is averaged over seeds) as sweep tasks, in
fresh processes by default (:mod:`hetero_brian.experiment.sweep`). The study lives in an Optuna journal file
(``study.journal``), so it survives interruption and several ``hetero-brian tune`` processes can
share it; the best configuration (single objective) or the Pareto front (several objectives) is
written as scenario config files that ``hetero-brian run NAME --config FILE`` reads.

Study files (YAML or TOML, :class:`TuneConfig`)::

    scenario: toy_objective
    base: {tau_m: {distribution: gamma, mean: 20 ms, cv: 0.5}}
    parameters:
      tau_m.mean: {low: 2 ms, high: 200 ms, log: true}
      tau_m.cv: {low: 0.0, high: 1.5}
    objectives:
      - activity_over_memory_capacity          # known names have a default direction
      - {metric: memory_capacity, direction: maximize}
    seeds: [1, 2]
    trials: 40

References
----------
Akiba, Sano, Yanase, Ohta & Koyama (2019), "Optuna: a next-generation hyperparameter optimization
framework", KDD 2019.
Bergstra, Bardenet, Bengio & Kegl (2011), "Algorithms for hyper-parameter optimization", NeurIPS
(the tree-structured Parzen estimator).
Chakraborty & Mukhopadhyay (2023), "Heterogeneous neuronal and synaptic dynamics for spike-efficient
unsupervised learning", ICLR 2023 (Bayesian optimisation of the HRSNN's heterogeneity).
"""
import concurrent.futures
import concurrent.futures.process
import csv
import difflib
import io
import json
import math
import os
import re
from pathlib import Path
from typing import Any, Literal, Optional, Union

import yaml
from pydantic import Field, field_validator, model_validator

from hetero_brian.config import StrictModel, apply_overrides, load_config_file, validate_config
from hetero_brian.errors import ConfigError, ResultsError
from hetero_brian.experiment.executors import local_executor
from hetero_brian.experiment.runner import load_scenario, resolve_config
from hetero_brian.experiment.sweep import Task, TaskOutcome, execute_task, task_state
from hetero_brian.results.atomic import write_text_atomically
from hetero_brian.results.rundirs import process_alive, socket_hostname

__all__ = ["DEFAULT_DIRECTIONS", "ParameterSpace", "Objective", "TuneConfig", "load_tune_config",
           "check_search_space", "run_study", "StudyReport", "write_study_files"]

DEFAULT_DIRECTIONS = {"accuracy": "maximize", "spikes_per_sample": "minimize",
                      "activity_over_memory_capacity": "minimize", "memory_capacity": "maximize"}
JOURNAL_NAME = "study.journal"
_QUANTITY_TEXT = re.compile(r"^\s*([-+0-9.eE]+)\s*\*?\s*([A-Za-z].*?)\s*$")


class ParameterSpace(StrictModel):
    """One searched parameter: ``low``/``high`` (numbers or quantities like ``"5 ms"``, with
    ``log`` and ``step``), ``integer`` values, or a list of ``choices``."""

    low: Optional[Union[float, str]] = None
    high: Optional[Union[float, str]] = None
    log: bool = False
    step: Optional[float] = Field(None, gt=0)
    integer: bool = False
    choices: Optional[list[Union[bool, int, float, str]]] = None

    @model_validator(mode="after")
    def _consistent(self):
        if self.choices is not None:
            if self.low is not None or self.high is not None:
                raise ValueError(f"give either choices or low/high, not both; got choices={self.choices}, "
                                 f"low={self.low!r}, high={self.high!r}")
            if not self.choices:
                raise ValueError("choices is an empty list: the search space of this parameter is empty")
            return self
        if self.low is None or self.high is None:
            raise ValueError(f"a range needs both low and high; got low={self.low!r}, high={self.high!r}")
        low, high, _ = self.bounds()
        if not low < high:
            raise ValueError(f"empty search space: low must be < high; got low={self.low!r}, high={self.high!r}")
        if self.log and low <= 0:
            raise ValueError(f"log=true needs low > 0; got low={self.low!r}")
        if self.log and self.step is not None:
            raise ValueError("log and step cannot be combined")
        return self

    def bounds(self):
        """``(low, high, unit)``: numbers in the unit written in ``low`` (``unit`` None for numbers)."""
        from hetero_brian.quantities import parse_quantity

        if not isinstance(self.low, str) and not isinstance(self.high, str):
            return float(self.low), float(self.high), None
        match = _QUANTITY_TEXT.match(str(self.low))
        if not match:
            raise ValueError(f"low must be a number or a quantity such as '5 ms'; got {self.low!r}")
        unit = match.group(2)
        scale = parse_quantity(f"1 {unit}", name="low")
        high = parse_quantity(self.high, scale, name="high")
        return float(match.group(1)), float(high / scale), unit


class Objective(StrictModel):
    """A metric returned by the scenario and its direction (default from DEFAULT_DIRECTIONS)."""

    metric: str
    direction: Optional[Literal["minimize", "maximize"]] = None

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value):
        return {"metric": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _direction(self):
        if self.direction is None:
            if self.metric not in DEFAULT_DIRECTIONS:
                raise ValueError(f"metric {self.metric!r} has no default direction; give direction: minimize "
                                 "or maximize")
            self.direction = DEFAULT_DIRECTIONS[self.metric]
        return self


class TuneConfig(StrictModel):
    """A study file; see the module docstring."""

    scenario: str
    base: dict[str, Any] = {}
    parameters: dict[str, ParameterSpace]
    objectives: list[Objective]
    seeds: list[int] = [0]
    trials: int = Field(20, description="total number of finished trials wanted in the study")
    sampler: Literal["tpe", "random"] = "tpe"
    sampler_seed: Optional[int] = 0
    startup_trials: int = Field(10, ge=1, description="random trials before TPE starts modelling")
    study_name: str = "hetero_brian"
    backend: str = "auto"
    retries: int = Field(1, ge=0)

    @field_validator("parameters")
    @classmethod
    def _non_empty(cls, parameters):
        if not parameters:
            raise ValueError("empty search space: give at least one parameter (dotted config key)")
        return parameters

    @field_validator("objectives")
    @classmethod
    def _objectives(cls, objectives):
        if not objectives:
            raise ValueError("give at least one objective (a metric returned by the scenario)")
        names = [objective.metric for objective in objectives]
        if len(set(names)) != len(names):
            raise ValueError(f"objectives repeat a metric; got {names}")
        return objectives

    @field_validator("trials")
    @classmethod
    def _trials(cls, trials):
        if trials < 1:
            raise ValueError(f"trials must be >= 1; got {trials}")
        return trials

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, seeds):
        if not seeds or any(seed < 0 for seed in seeds) or len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must be a non-empty list of distinct ints >= 0; got {seeds}")
        return seeds


def load_tune_config(path, trials=None):
    """Read and validate a study file; ``trials`` (e.g. from ``--trials``) replaces the file's value."""
    data = load_config_file(path)
    if trials is not None:
        data["trials"] = trials
    return validate_config(TuneConfig, data, source=str(path))


def _dotted_keys(data, prefix=""):
    keys = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        keys.append(path)
        if isinstance(value, dict):
            keys.extend(_dotted_keys(value, path + "."))
    return keys


def _parameter_value(space, value):
    """The override value of a suggested number (quantities get their unit back)."""
    _, _, unit = space.bounds() if space.choices is None else (None, None, None)
    if unit is None:
        return value
    return f"{value!r} {unit}"


def check_search_space(config):
    """Check that every parameter names a key of the scenario config and that its bounds validate.

    Raises
    ------
    ConfigError
        An unknown parameter (with the closest existing key), a value the scenario refuses.
    """
    module = load_scenario(config.scenario)
    base = Task(config.scenario, {}, config.seeds[0], dict(config.base), config.backend)
    data = apply_overrides(module.Config().model_dump(mode="json"), base.overrides)
    existing = _dotted_keys(data)
    for key, space in config.parameters.items():
        if key not in existing:
            close = difflib.get_close_matches(key, existing, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"parameters: unknown parameter {key!r} for scenario {config.scenario!r}{hint}")
        probes = space.choices if space.choices is not None else list(space.bounds()[:2])
        for probe in probes:
            value = _parameter_value(space, int(probe) if space.integer and space.choices is None else probe)
            task = Task(config.scenario, {key: value}, config.seeds[0], dict(config.base), config.backend)
            try:
                resolve_config(module, None, task.overrides)
            except ConfigError as error:
                raise ConfigError(f"parameters: {key}={value!r} is refused by scenario {config.scenario!r}: "
                                  f"{error}") from None


def _distribution(space):
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if space.choices is not None:
        return CategoricalDistribution(space.choices)
    low, high, _ = space.bounds()
    if space.integer:
        return IntDistribution(int(low), int(high), log=space.log, step=int(space.step or 1))
    return FloatDistribution(low, high, log=space.log, step=space.step)


class StudyReport:
    """Result of :func:`run_study`: the Optuna ``study`` and the written best/Pareto files."""

    def __init__(self, study, directory, best_files):
        self.study, self.directory, self.best_files = study, Path(directory), best_files


def _open_study(config, directory):
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(str(directory / JOURNAL_NAME)))
    if config.sampler == "tpe":
        sampler = optuna.samplers.TPESampler(seed=config.sampler_seed, n_startup_trials=config.startup_trials)
    else:
        sampler = optuna.samplers.RandomSampler(seed=config.sampler_seed)
    directions = [objective.direction for objective in config.objectives]
    return optuna.create_study(storage=storage, sampler=sampler, study_name=config.study_name,
                               directions=directions, load_if_exists=True)


def _requeue_stale_trials(study):
    """Fail the RUNNING trials of dead processes on this host and enqueue their parameters again."""
    from optuna.trial import TrialState

    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        owner = trial.user_attrs.get("owner", {})
        if owner.get("host") == socket_hostname() and not process_alive(owner.get("pid", -1)):
            study.tell(trial.number, state=TrialState.FAIL)
            study.enqueue_trial(trial.params, user_attrs={"requeued_from": trial.number})


def _trial_tasks(config, trial):
    parameters = {key: _parameter_value(config.parameters[key], trial.params[key]) for key in config.parameters}
    return [Task(config.scenario, parameters, seed, dict(config.base), config.backend) for seed in config.seeds]


def _trial_values(config, outcomes):
    """Mean of each objective metric over the seeds; ConfigError when the scenario lacks a metric."""
    values = []
    for objective in config.objectives:
        samples = []
        for outcome in outcomes:
            if objective.metric not in outcome.metrics:
                available = ", ".join(sorted(outcome.metrics))
                raise ConfigError(f"objectives: metric {objective.metric!r} is not returned by scenario "
                                  f"{config.scenario!r}; it returns: {available}")
            samples.append(float(outcome.metrics[objective.metric]))
        values.append(math.fsum(samples) / len(samples))
    return values


def _completed_outcome(runs, task):
    folder = runs / task.name
    if task_state(folder) != "complete":
        return None
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    return TaskOutcome(task.name, "skipped", metrics=metrics)


def run_study(config, directory, executor=None, workers=1, resume=False, isolate=None, progress=True):
    """Run (or continue) the study of ``config`` until it has ``config.trials`` finished trials.

    Parameters
    ----------
    config : TuneConfig
    directory : str or Path
        Study folder: ``study.journal``, ``runs/<task>`` (one folder per scenario run, shared by
        trials with the same values), ``trials.csv`` and ``best.yaml`` or ``pareto/``.
    executor : concurrent.futures.Executor, optional
        Runs the tasks; default a :func:`hetero_brian.experiment.executors.local_executor` of ``workers`` processes.
    workers : int
        Tasks run at the same time (processes of the default executor); ``max(1, workers // n_seeds)``
        trials are in flight at once. With one trial in flight (``workers < 2 * n_seeds``) a fixed
        ``sampler_seed`` makes the study reproducible; with more, the order in which trials finish
        changes what the sampler sees.
    resume : bool
        Continue a study found in ``directory`` (a non-empty folder is refused otherwise).
    isolate : bool, optional
        As in :func:`hetero_brian.experiment.sweep.run_sweep`.
    progress : bool
        tqdm bar over trials.

    Returns
    -------
    StudyReport
        Trials whose task failed every attempt are FAIL in the study (their traceback in the user
        attribute ``failure``); after ``config.trials`` failures in one call no new trial starts.
    """
    from optuna.trial import TrialState
    from tqdm import tqdm

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1; got {workers!r}")
    check_search_space(config)
    directory = Path(directory).resolve()
    if directory.is_dir() and any(directory.iterdir()) and not resume:
        raise ResultsError(f"study directory '{directory}' is not empty; pass resume=True (--resume) to "
                           "continue its study, or choose another directory")
    runs = directory / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    study = _open_study(config, directory)
    _requeue_stale_trials(study)
    distributions = {key: _distribution(space) for key, space in config.parameters.items()}
    isolate = executor is not None if isolate is None else isolate
    pool = _TaskRunner(executor, workers, runs, isolate)
    parallel_trials = max(1, workers // len(config.seeds))

    def finished():
        return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))

    in_flight, failures = {}, 0
    bar = tqdm(total=config.trials, initial=min(finished(), config.trials), desc="tune", unit="trial",
               disable=not progress)
    try:
        while (finished() + len(in_flight) < config.trials and failures < config.trials) or in_flight:
            while (len(in_flight) < parallel_trials and finished() + len(in_flight) < config.trials
                   and failures < config.trials):
                trial = study.ask(distributions)
                trial.set_user_attr("owner", {"host": socket_hostname(), "pid": os.getpid()})
                tasks = _trial_tasks(config, trial)
                futures = {}
                for task in tasks:
                    done = _completed_outcome(runs, task)
                    futures[task.name] = done if done else pool.submit(task)
                in_flight[trial.number] = (trial, tasks, futures, {task.name: 1 for task in tasks})
            pending = [f for (_, _, futures, _) in in_flight.values() for f in futures.values()
                       if isinstance(f, concurrent.futures.Future)]
            if pending:
                concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for number in list(in_flight):
                trial, tasks, futures, attempts = in_flight[number]
                if _settle(futures, attempts, tasks, pool, config.retries):
                    del in_flight[number]
                    failures += not _tell(study, trial, config, [futures[task.name] for task in tasks])
                    bar.n = min(finished(), config.trials)
                    bar.refresh()
    finally:
        bar.close()
        pool.close()
    return StudyReport(study, directory, write_study_files(study, config, directory))


class _TaskRunner:
    """Submits tasks to ``executor`` or to an own local pool, replaced when a dead worker broke it."""

    def __init__(self, executor, workers, runs, isolate):
        self.executor, self.workers, self.runs, self.isolate = executor, workers, runs, isolate
        self.pool = executor if executor is not None else local_executor(workers)

    def submit(self, task):
        try:
            return self.pool.submit(execute_task, task, self.runs, self.isolate)
        except concurrent.futures.process.BrokenProcessPool:
            if self.executor is not None:
                raise
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = local_executor(self.workers)
            return self.pool.submit(execute_task, task, self.runs, self.isolate)

    def close(self):
        if self.executor is None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _settle(futures, attempts, tasks, pool, retries):
    """Collect finished futures (retrying failures); True when every task of a trial has an outcome."""
    for task in tasks:
        entry = futures[task.name]
        if isinstance(entry, TaskOutcome):
            continue
        if not entry.done():
            return False
        try:
            outcome = entry.result()
        except Exception as error:  # noqa: BLE001 - a dead worker counts as a failed attempt
            outcome = TaskOutcome(task.name, "failed", traceback=repr(error))
        if outcome.status == "failed" and attempts[task.name] <= retries:
            attempts[task.name] += 1
            futures[task.name] = pool.submit(task)
            return False
        futures[task.name] = outcome
    return all(isinstance(futures[task.name], TaskOutcome) for task in tasks)


def _tell(study, trial, config, outcomes):
    """Report a trial's mean objective values (True) or its failure (False) to the study."""
    from optuna.trial import TrialState

    failed = [outcome for outcome in outcomes if outcome.status == "failed"]
    if failed:
        trial.set_user_attr("failure", f"task {failed[0].name}: {(failed[0].traceback or '')[-2000:]}")
        study.tell(trial, state=TrialState.FAIL)
        return False
    try:
        values = _trial_values(config, outcomes)
    except ConfigError:
        study.tell(trial, state=TrialState.FAIL)
        raise
    trial.set_user_attr("tasks", [outcome.name for outcome in outcomes])
    study.tell(trial, values if len(values) > 1 else values[0])
    return True


def _scenario_config(config, trial_params):
    """The full scenario configuration (defaults <- base <- trial values) as plain data."""
    parameters = {key: _parameter_value(config.parameters[key], trial_params[key]) for key in config.parameters}
    task = Task(config.scenario, parameters, config.seeds[0], dict(config.base), config.backend)
    return resolve_config(load_scenario(config.scenario), None, task.overrides).model_dump(mode="json")


def write_study_files(study, config, directory):
    """Write ``trials.csv`` and ``best.yaml`` (one objective) or ``pareto/trial-NNNN.yaml``; returns the
    list of config files written (empty when no trial finished)."""
    from optuna.trial import TrialState

    directory = Path(directory)
    names = [objective.metric for objective in config.objectives]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    units = {key: space.bounds()[2] if space.choices is None else None for key, space in config.parameters.items()}
    writer.writerow(["trial", "state", *(f"{key} [{units[key]}]" if units[key] else key for key in units), *names])
    for trial in study.get_trials(deepcopy=False):
        values = trial.values if trial.state == TrialState.COMPLETE else [""] * len(names)
        writer.writerow([trial.number, trial.state.name, *(trial.params.get(key, "") for key in config.parameters),
                         *values])
    write_text_atomically(directory / "trials.csv", buffer.getvalue(), if_exists="replace")
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return []
    best = [study.best_trial] if len(names) == 1 else sorted(study.best_trials, key=lambda trial: trial.number)
    folder = directory if len(names) == 1 else directory / "pareto"
    folder.mkdir(exist_ok=True)
    written = []
    for trial in best:
        path = folder / ("best.yaml" if len(names) == 1 else f"trial-{trial.number:04d}.yaml")
        header = (f"# {config.scenario}: trial {trial.number} of study {config.study_name!r}; "
                  + ", ".join(f"{name} = {value:.6g}" for name, value in zip(names, trial.values))
                  + f" (mean over seeds {config.seeds})\n")
        text = header + yaml.safe_dump(_scenario_config(config, trial.params), sort_keys=False)
        write_text_atomically(path, text, if_exists="replace")
        written.append(path)
    return written
