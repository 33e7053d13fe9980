"""Job-array shards of a sweep: a deterministic partition, one summary per shard, a merge by --resume."""
import concurrent.futures
import csv

import pytest

from hetero_brian.cli import main
from hetero_brian.errors import ConfigError, ResultsError
from hetero_brian.experiment.shards import parse_shard, shard_lock, shard_tasks
from hetero_brian.experiment.sweep import SweepConfig, run_sweep, tasks_from_config

SMALL = {"n_units": 10, "n_steps": 300, "max_delay": 10, "washout": 20}


def _tasks(seeds=(1, 2, 3)):
    return tasks_from_config(SweepConfig(scenario="toy_objective", base=SMALL, grid={"tau_m.cv": [0.0, 1.0]},
                                         seeds=list(seeds)))


def _rows(path, drop=("wall_time_total",)):
    with open(path, encoding="utf-8") as stream:
        return [{key: value for key, value in row.items() if key not in drop} for row in csv.DictReader(stream)]


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7])
def test_shards_partition_the_tasks_deterministically(count):
    tasks = _tasks()
    shards = [shard_tasks(tasks, f"{index}/{count}") for index in range(1, count + 1)]
    names = [task.name for shard in shards for task in shard]
    assert sorted(names) == sorted(task.name for task in tasks) and len(set(names)) == len(tasks)
    assert [task.name for task in shard_tasks(_tasks(), (2, count) if count > 1 else (1, 1))] == \
        [task.name for task in shards[1 if count > 1 else 0]]
    assert max(map(len, shards)) - min(map(len, shards)) <= 1


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "a/b", "3", "-1/2"])
def test_bad_shards_are_refused_with_the_value(text):
    with pytest.raises(ConfigError, match="--shard must be I/N"):
        parse_shard(text)


def test_shards_then_resume_merge_into_the_full_summary(tmp_path):
    tasks = _tasks(seeds=(1, 2))
    with concurrent.futures.ThreadPoolExecutor(2) as executor:
        whole = run_sweep(tasks, tmp_path / "whole", executor=executor, isolate=False, progress=False)
        directory = tmp_path / "sharded"
        reports = [run_sweep(tasks, directory, executor=executor, isolate=False, progress=False, shard=f"{i}/3")
                   for i in (1, 2, 3)]
        for index, report in enumerate(reports, start=1):
            assert report.summary_path.name == f"summary-shard-{index}-of-3.csv"
            assert len(report.outcomes) == len(shard_tasks(tasks, (index, 3)))
            assert all(outcome.status == "complete" for outcome in report.outcomes)
        with pytest.raises(ResultsError, match="pass resume=True"):  # a plain re-run does not touch the shards' work
            run_sweep(tasks, directory, executor=executor, isolate=False, progress=False)
        with pytest.raises(ResultsError, match="shard 2-of-3"):
            run_sweep(tasks, directory, executor=executor, isolate=False, progress=False, shard="2/3")
        merged = run_sweep(tasks, directory, executor=executor, isolate=False, progress=False, resume=True)
    assert merged.n_run == 0 and all(outcome.status == "skipped" for outcome in merged.outcomes)
    assert merged.summary_path.name == "summary.csv"
    assert _rows(merged.summary_path) == _rows(whole.summary_path)  # same seeds, same numbers, same order


def test_the_merge_waits_for_running_shards(tmp_path):
    tasks = _tasks(seeds=(1,))
    directory = tmp_path / "sweep"
    directory.mkdir()
    with shard_lock(directory, "1/2"):  # shard 1 still running
        with pytest.raises(ResultsError, match="locked"):
            run_sweep(tasks, directory, executor=concurrent.futures.ThreadPoolExecutor(1), isolate=False,
                      progress=False, resume=True)


def test_cli_shard_option(tmp_path, capsys):
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text("scenario: toy_objective\nbase: {n_units: 10, n_steps: 300, max_delay: 10, washout: 20}\n"
                          "grid: {tau_m.cv: [0.0, 1.0]}\nseeds: [1]\n")
    assert main(["sweep", str(sweep_file), "--out", str(tmp_path / "out"), "--shard", "0/2", "--quiet"]) == 2
    assert "--shard must be I/N" in capsys.readouterr().err
