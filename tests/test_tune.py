"""Optuna studies: reproducibility, resumption, Pareto fronts, best configurations, bad configs."""
import concurrent.futures
import csv
import subprocess
import sys

import pytest
import yaml

from hetero_brian.config import validate_config
from hetero_brian.errors import ConfigError, ResultsError

optuna = pytest.importorskip("optuna")

from hetero_brian.experiment.runner import run_scenario  # noqa: E402
from hetero_brian.experiment.tune import TuneConfig, load_tune_config, run_study  # noqa: E402

SMALL = {"n_units": 12, "n_steps": 400, "max_delay": 20, "washout": 20,
         "tau_m": {"distribution": "gamma", "mean": "20 ms", "cv": 0.5}}
SPACE = {"tau_m.mean": {"low": "2 ms", "high": "100 ms", "log": True}, "tau_m.cv": {"low": 0.0, "high": 1.5}}


def _config(**changes):
    data = {"scenario": "toy_objective", "base": SMALL, "parameters": SPACE,
            "objectives": ["activity_over_memory_capacity"], "seeds": [1], "trials": 6, "startup_trials": 3,
            "sampler_seed": 42}
    data.update(changes)
    return validate_config(TuneConfig, data)


def _study(config, directory, resume=False):
    # the toy scenario holds no Brian2 state: run the trials in this process (fast tests)
    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        return run_study(config, directory, executor=executor, isolate=False, resume=resume, progress=False)


def _complete(study):
    return [trial for trial in study.trials if trial.state.name == "COMPLETE"]


def test_study_with_fixed_seed_is_reproducible_and_best_config_reruns(tmp_path):
    first = _study(_config(), tmp_path / "first").study
    second = _study(_config(), tmp_path / "second").study
    other = _study(_config(sampler_seed=7), tmp_path / "other").study
    assert len(_complete(first)) == 6
    assert [(t.params, t.values) for t in first.trials] == [(t.params, t.values) for t in second.trials]
    assert [t.params for t in other.trials] != [t.params for t in first.trials]
    for trial in first.trials:
        assert 2.0 <= trial.params["tau_m.mean"] <= 100.0 and 0.0 <= trial.params["tau_m.cv"] <= 1.5
    best = min(_complete(first), key=lambda trial: trial.value)
    best_file = tmp_path / "first" / "best.yaml"
    written = yaml.safe_load(best_file.read_text())
    assert written["tau_m"]["cv"] == best.params["tau_m.cv"]
    _, metrics = run_scenario("toy_objective", config_file=best_file, seed=1, out=tmp_path / "rerun")
    assert metrics["activity_over_memory_capacity"] == best.value
    with open(tmp_path / "first" / "trials.csv", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [float(row["tau_m.mean [ms]"]) for row in rows] == [t.params["tau_m.mean"] for t in first.trials]


def test_multi_objective_study_writes_exactly_the_pareto_front(tmp_path):
    config = _config(objectives=[{"metric": "memory_capacity", "direction": "maximize"}, "spikes_per_sample"],
                     trials=8, startup_trials=8)
    study = _study(config, tmp_path / "study").study
    trials = _complete(study)
    assert len(trials) == 8

    def dominates(a, b):  # maximise capacity, minimise activity
        at_least = a.values[0] >= b.values[0] and a.values[1] <= b.values[1]
        return at_least and (a.values[0] > b.values[0] or a.values[1] < b.values[1])

    front = sorted(t.number for t in trials if not any(dominates(o, t) for o in trials))
    files = sorted((tmp_path / "study" / "pareto").glob("trial-*.yaml"))
    assert [int(path.stem.split("-")[1]) for path in files] == front


def test_interrupted_study_resumes_without_losing_trials(tmp_path):
    directory = tmp_path / "study"
    first = _study(_config(trials=3), directory).study
    finished = [(t.number, t.params, t.values) for t in _complete(first)]
    # a trial left RUNNING by a killed process: its parameters are evaluated again on resume
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = first.ask({name: optuna.distributions.FloatDistribution(0.0, 1.5) if name == "tau_m.cv"
                        else optuna.distributions.FloatDistribution(2.0, 100.0, log=True) for name in SPACE})
    orphan.set_user_attr("owner", {"host": __import__("socket").gethostname(), "pid": dead.pid})
    with pytest.raises(ResultsError, match="not empty; pass resume=True"):
        _study(_config(trials=5), directory)
    resumed = _study(_config(trials=5), directory, resume=True).study
    complete = _complete(resumed)
    assert len(complete) == 5
    assert [(t.number, t.params, t.values) for t in complete][:3] == finished
    assert resumed.trials[orphan.number].state.name == "FAIL"
    requeued = [t for t in complete if t.user_attrs.get("requeued_from") == orphan.number]
    assert len(requeued) == 1 and requeued[0].params == orphan.params


def test_bad_study_configs_give_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="empty search space"):
        _config(parameters={})
    with pytest.raises(ConfigError, match="trials must be >= 1; got -3"):
        _config(trials=-3)
    with pytest.raises(ConfigError, match="empty search space: low must be < high"):
        _config(parameters={"tau_m.cv": {"low": 1.0, "high": 1.0}})
    with pytest.raises(ConfigError, match="high.*dimension"):
        _config(parameters={"tau_m.mean": {"low": "2 ms", "high": "3 mV"}})
    with pytest.raises(ConfigError, match="metric 'wallclock' has no default direction"):
        _config(objectives=["wallclock"])
    with pytest.raises(ConfigError, match="unknown parameter 'tau_m.men'.*did you mean 'tau_m.mean'"):
        _study(_config(parameters={"tau_m.men": {"low": "2 ms", "high": "9 ms"}}), tmp_path / "a")
    with pytest.raises(ConfigError, match="spectral_radius=-1.0 is refused"):
        _study(_config(parameters={"spectral_radius": {"low": -1.0, "high": 1.0}}), tmp_path / "b")
    with pytest.raises(ConfigError, match="metric 'accuracy' is not returned.*memory_capacity"):
        _study(_config(objectives=["accuracy"], trials=1), tmp_path / "c")
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump({"scenario": "toy_objective", "parameters": SPACE,
                                    "objectives": ["spikes_per_sample"]}))
    assert load_tune_config(path, trials=4).trials == 4
    from hetero_brian.cli import main

    assert main(["tune", str(path), "--trials", "-1", "--out", str(tmp_path / "d")]) == 2
