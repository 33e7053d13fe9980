"""Sweeps: task lists, resumability, failure reports, default vs Dask executors; the toy scenario."""
import concurrent.futures
import csv
import json
import subprocess
import sys

import numpy as np
import pytest
from scipy.signal import lfilter

from hetero_brian.errors import ConfigError, ResultsError
from hetero_brian.experiment.executors import dask_executor, local_executor
from hetero_brian.experiment.runner import run_scenario
from hetero_brian.experiment.sweep import (SweepConfig, Task, load_sweep_config, run_sweep, task_state,
                                           tasks_from_config)
from hetero_brian.analysis.leaky_reservoir import leaky_reservoir_states

SMALL = {"n_units": 12, "n_steps": 400, "max_delay": 20, "washout": 20}


def _read_summary(path, drop=("wall_time_total",)):
    with open(path, encoding="utf-8") as stream:
        return [{key: value for key, value in row.items() if key not in drop} for row in csv.DictReader(stream)]


def _threads():
    # the toy scenario holds no Brian2 state, so threads may run it in this process (fast tests)
    return concurrent.futures.ThreadPoolExecutor(2)


def _dead_pid():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_tasks_from_config_enumerates_points_grid_and_seeds():
    config = SweepConfig(scenario="toy_objective", base=SMALL, grid={"tau_m.cv": [0.0, 0.5, 1.0]},
                         points=[{"spectral_radius": 0.5}, {"spectral_radius": 0.9}], seeds=[3, 4])
    tasks = tasks_from_config(config)
    expected = [({"spectral_radius": radius, "tau_m.cv": cv}, seed)
                for radius in (0.5, 0.9) for cv in (0.0, 0.5, 1.0) for seed in (3, 4)]
    assert [(task.parameters, task.seed) for task in tasks] == expected
    assert len({task.name for task in tasks}) == len(tasks)
    assert [task.name for task in tasks_from_config(config)] == [task.name for task in tasks]  # stable names
    assert tasks[0].overrides[:1] == ["n_units=12"]
    assert "tau_m.cv=0.0" in tasks[0].overrides


def test_bad_sweep_configs_give_clear_errors(tmp_path):
    unknown = tasks_from_config(SweepConfig(scenario="toy_objective", grid={"tau_mm": ["5 ms"]}))
    with pytest.raises(ConfigError, match=r"tau_mm.*did you mean 'tau_m'"):
        run_sweep(unknown, tmp_path / "a", executor=_threads())
    wrong_unit = tasks_from_config(SweepConfig(scenario="toy_objective", grid={"dt": ["1 mV"]}))
    with pytest.raises(ConfigError, match="dt"):
        run_sweep(wrong_unit, tmp_path / "b", executor=_threads())
    path = tmp_path / "sweep.yaml"
    path.write_text("scenario: toy_objective\ngrid: {tau_m.cv: []}\nseeds: [1, -2]\nseed: 3\n")
    with pytest.raises(ConfigError) as error:
        load_sweep_config(path)
    message = str(error.value)
    assert "tau_m.cv" in message and "empty" in message
    assert "seeds must be >= 0; got [-2]" in message
    assert "seed: unknown key" in message and "did you mean 'seeds'" in message
    with pytest.raises(ConfigError, match="unknown scenario 'toy_objectiv'.*did you mean 'toy_objective'"):
        run_sweep([Task("toy_objectiv")], tmp_path / "c", executor=_threads())
    with pytest.raises(ValueError, match="workers must be an int >= 1; got 0"):
        local_executor(0)


def test_sweep_summary_matches_direct_runs(tmp_path):
    tasks = tasks_from_config(SweepConfig(scenario="toy_objective", base=SMALL, grid={"tau_m.cv": [0.0, 1.0]},
                                          seeds=[5]))
    with _threads() as executor:
        report = run_sweep(tasks, tmp_path / "sweep", executor=executor, isolate=False, progress=False)
    assert [outcome.status for outcome in report.outcomes] == ["complete", "complete"]
    rows = _read_summary(report.summary_path)
    for task, row in zip(tasks, rows):
        _, direct = run_scenario("toy_objective", overrides=task.overrides, seed=task.seed, out=tmp_path / task.name)
        assert row["task"] == task.name and row["status"] == "complete" and row["seed"] == "5"
        assert float(row["tau_m.cv"]) == task.parameters["tau_m.cv"]
        for metric in ("memory_capacity", "spikes_per_sample", "activity_over_memory_capacity"):
            assert float(row[metric]) == direct[metric]
    assert float(rows[0]["tau_m_cv"]) < 1e-12 and float(rows[1]["tau_m_cv"]) > 0.5


def test_resume_after_a_simulated_crash_reruns_only_unfinished_tasks(tmp_path):
    tasks = tasks_from_config(SweepConfig(scenario="toy_objective", base=SMALL,
                                          grid={"tau_m.cv": [0.0, 0.5]}, seeds=[1, 2]))
    directory = tmp_path / "sweep"
    with _threads() as executor:
        first = run_sweep(tasks, directory, executor=executor, isolate=False, progress=False)
    before = _read_summary(first.summary_path)
    killed, never_started, kept = tasks[0].name, tasks[1].name, [task.name for task in tasks[2:]]
    manifest_path = directory / killed / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest.update(status="running", pid=_dead_pid(), pid_start_ticks=None, end_time=None)
    manifest_path.write_text(json.dumps(manifest))          # as if killed during the run
    (directory / killed / "metrics.json").unlink()
    for path in sorted((directory / never_started).iterdir()):
        path.unlink()
    (directory / never_started).rmdir()
    (directory / "summary.csv").unlink()
    assert task_state(directory / killed) == "interrupted" and task_state(directory / never_started) == "absent"
    stamps = {name: (directory / name / "metrics.json").stat().st_mtime_ns for name in kept}
    with pytest.raises(ResultsError, match="not empty; pass resume=True"):
        run_sweep(tasks, directory, executor=_threads(), isolate=False, progress=False)
    with _threads() as executor:
        second = run_sweep(tasks, directory, executor=executor, isolate=False, resume=True, progress=False)
    assert [outcome.status for outcome in second.outcomes] == ["complete", "complete", "skipped", "skipped"]
    assert {name: (directory / name / "metrics.json").stat().st_mtime_ns for name in kept} == stamps
    assert _read_summary(second.summary_path) == before
    assert all(task_state(directory / task.name) == "complete" for task in tasks)


def test_failing_task_is_retried_once_then_reported_while_others_finish(tmp_path):
    # n_steps=30 passes config validation but the scenario refuses it at run time (< washout + max_delay)
    config = SweepConfig(scenario="toy_objective", base=SMALL,
                         points=[{"n_steps": 400}, {"n_steps": 30}, {"n_steps": 500}], seeds=[7])
    tasks = tasks_from_config(config)
    directory = tmp_path / "sweep"
    with _threads() as executor:
        report = run_sweep(tasks, directory, executor=executor, isolate=False, retries=1, progress=False)
    assert [outcome.status for outcome in report.outcomes] == ["complete", "failed", "complete"]
    failed = report.failed[0]
    assert failed.name == tasks[1].name and failed.attempts == 2
    assert "Traceback (most recent call last)" in failed.traceback
    assert "n_steps=30 must exceed washout + max_delay" in failed.traceback
    assert len(list(directory.glob(f"{tasks[1].name}.old-*"))) == 1      # the first attempt, moved aside
    assert "n_steps=30 must exceed" in (directory / "failures.txt").read_text()
    rows = _read_summary(report.summary_path)
    assert [row["status"] for row in rows] == ["complete", "failed", "complete"]
    assert "n_steps=30 must exceed" in rows[1]["error"] and rows[1]["memory_capacity"] == ""


def test_leaky_reservoir_without_recurrence_is_a_first_order_filter():
    rng = np.random.default_rng(0)
    inputs = rng.uniform(-0.5, 0.5, 300)
    tau, dt = np.array([0.002, 0.01, 0.05]), 0.001
    input_weights = np.array([0.3, -1.0, 2.0])
    states = leaky_reservoir_states(inputs, tau, dt, np.zeros((3, 3)), input_weights)
    for unit in range(3):
        leak = 1 - np.exp(-dt / tau[unit])  # x(t) = (1 - a) x(t-1) + a tanh(w u(t)): an IIR filter
        expected = lfilter([leak], [1, -(1 - leak)], np.tanh(input_weights[unit] * inputs))
        np.testing.assert_allclose(states[:, unit], expected, rtol=1e-12, atol=1e-15)


def test_cli_errors_exit_with_status_2(tmp_path, capsys):
    from hetero_brian.cli import main

    path = tmp_path / "sweep.yaml"
    path.write_text("scenario: toy_objective\ngrid: {tau_mm.cv: [0.1]}\n")
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "tau_mm" in capsys.readouterr().err
    assert main(["sweep", str(path), "--workers", "0"]) == 2
    assert "--workers must be >= 1; got 0" in capsys.readouterr().err


@pytest.mark.slow
def test_default_executor_and_dask_local_cluster_give_identical_summaries(tmp_path):
    pytest.importorskip("distributed")
    tasks = tasks_from_config(SweepConfig(scenario="toy_objective", base=SMALL, grid={"tau_m.cv": [0.0, 0.8]},
                                          seeds=[11]))
    local = run_sweep(tasks, tmp_path / "local", workers=2, progress=False)   # spawn pool, fresh process per task
    with dask_executor(workers=2) as executor:
        remote = run_sweep(tasks, tmp_path / "dask", executor=executor, progress=False)  # a subprocess per task
    assert [outcome.status for outcome in local.outcomes + remote.outcomes] == ["complete"] * 4
    assert _read_summary(local.summary_path) == _read_summary(remote.summary_path)
    assert len(_read_summary(local.summary_path)) == 2
