"""Sweep statistics on known inputs, and the memory-capacity sweep files: valid, paired, and runnable end to end."""
import csv
import math
from pathlib import Path

import numpy as np
import pytest

from hetero_brian.analysis import sweep_statistics as stats

SWEEPS = Path(__file__).parents[1] / "scenarios" / "sweeps"
CVS = [0.0, 0.25, 0.5, 1.0]


def test_t_interval_matches_the_t_table():
    mean, half, n = stats.t_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    # t_{0.975, 4} = 2.776445 (tables), s = sqrt(2.5)
    assert (mean, n) == (3.0, 5)
    assert half == pytest.approx(2.776445 * math.sqrt(2.5) / math.sqrt(5), rel=1e-6)
    assert stats.t_interval([1.0, 3.0], confidence=0.9)[1] == pytest.approx(6.313752 * math.sqrt(2) / math.sqrt(2),
                                                                           rel=1e-6)
    single = stats.t_interval([4.0])
    assert single[0] == 4.0 and math.isnan(single[1]) and single[2] == 1


@pytest.mark.parametrize("values, confidence, message", [([], 0.95, "at least one"), ([1.0, np.inf], 0.95, "finite"),
                                                         ([1.0, 2.0], 1.0, "confidence")])
def test_t_interval_refuses_bad_input(values, confidence, message):
    with pytest.raises(ValueError, match=message):
        stats.t_interval(values, confidence)


def _rows(slope=2.0, seeds=(1, 2, 3, 4, 5), cvs=CVS):
    """A paired sweep: each seed has its own large offset, and the metric rises by ``slope`` per unit cv."""
    return [{"seed": seed, "tau_m.cv": cv, "metric": 10.0 * seed + slope * cv} for cv in cvs for seed in seeds]


def test_pairing_removes_the_seed_offsets():
    rows = _rows()
    points = stats.point_statistics(rows, "tau_m.cv", "metric")
    assert [point[0] for point in points] == CVS
    assert points[1][1] == pytest.approx(30.5) and points[1][2] > 15  # unpaired: the seed spread dominates
    differences = stats.paired_differences(rows, "tau_m.cv", "metric", reference=0.0)
    assert [entry[0] for entry in differences] == CVS[1:]
    for value, mean, half, n, above in differences:
        assert mean == pytest.approx(2.0 * value) and half == pytest.approx(0.0, abs=1e-12)
        assert (n, above) == (5, 5)
    steps = stats.successive_differences(rows, "tau_m.cv", "metric")
    assert [(low, high) for low, high, *_ in steps] == [(0.0, 0.25), (0.25, 0.5), (0.5, 1.0)]
    assert [entry[2] for entry in steps] == pytest.approx([0.5, 0.5, 1.0])
    mean, half, n, slopes = stats.seed_slopes(rows, "tau_m.cv", "metric")
    assert (mean, n) == (pytest.approx(2.0), 5) and half == pytest.approx(0.0, abs=1e-12)
    assert sorted(slopes) == [1, 2, 3, 4, 5]


def test_a_falling_metric_and_noise_give_a_negative_slope_interval():
    rng = np.random.default_rng(0)
    rows = [dict(row, metric=row["metric"] + rng.normal(0, 0.05)) for row in _rows(slope=-1.0)]
    mean, half, n, _ = stats.seed_slopes(rows, "tau_m.cv", "metric")
    assert mean + half < 0 < 1.0 + mean + half  # excludes 0, contains -1 give or take the noise
    assert all(entry[4] == 0 for entry in stats.paired_differences(rows, "tau_m.cv", "metric", 0.0))


def test_unpairable_or_malformed_sweeps_are_refused():
    rows = _rows()
    with pytest.raises(ValueError, match="seed 1 appears twice"):
        stats.point_statistics(rows + rows[:1], "tau_m.cv", "metric")
    with pytest.raises(KeyError, match="no metric 'rate'"):
        stats.point_statistics(rows, "tau_m.cv", "rate")
    with pytest.raises(KeyError, match="reference"):
        stats.paired_differences(rows, "tau_m.cv", "metric", reference=0.3)
    disjoint = _rows(seeds=(1,), cvs=[0.0]) + _rows(seeds=(2,), cvs=[0.5])
    with pytest.raises(ValueError, match="share no seed"):
        stats.paired_differences(disjoint, "tau_m.cv", "metric", reference=0.0)


def _write_summary(path, variant="HeNHoS"):
    keys = [f"{key}_{variant}_mean" for key, _ in stats.MEMORY_METRICS]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["task", "status", "seed", "tau_m.cv", *keys, "error"])
        for row in _rows():
            net = 0.3 + 0.1 * row["tau_m.cv"] + 0.01 * row["seed"]
            values = [net, 0.01, (net + 0.01) / 0.01, 40.0 + 8 * row["tau_m.cv"], 0.2 / net]
            writer.writerow([f"seed{row['seed']}-x", "complete", row["seed"], row["tau_m.cv"], *map(repr, values), ""])
        writer.writerow(["seed9-y", "failed", 9, 0.0, *[""] * len(keys), "boom"])


def test_summary_report_and_figure(tmp_path, capsys):
    _write_summary(tmp_path / "summary.csv")
    rows = stats.read_summary(tmp_path)
    assert len(rows) == 20 and {row["seed"] for row in rows} == {1, 2, 3, 4, 5}  # the failed task is left out
    report = stats.memory_sweep_report(rows, "tau_m.cv", "HeNHoS", "tau_m sweep")
    assert "| 0.25 | 5 | 0.355 ± 0.020 |" in report  # mean of 0.3 + 0.025 + 0.01 * (1..5)
    assert "| 1 | 0.100 ± 0.000 | 5/5 | 8.0 ± 0.0 | 5/5 | " in report  # then E: falls, 0/5 seeds above
    assert report.count(" | 0/5 |") == 3  # E = 0.2 / net MC falls at every point
    assert "slope of net MC against tau_m.cv: 0.100 ± 0.000" in report
    figure = tmp_path / "sweeps.png"
    assert stats.main(["--sweep", "tau_m", str(tmp_path), "tau_m.cv", "HeNHoS", "--figure", str(figure)]) == 0
    assert figure.stat().st_size > 1000 and "net MC" in capsys.readouterr().out


@pytest.mark.parametrize("name, variant, keys", [
    ("hrsnn_memory_tau_m_cv", "HeNHoS", ["tau_m.cv"]),
    ("hrsnn_memory_stdp_cv", "HoNHeS", ["tau_pre.cv", "tau_post.cv"]),
    ("hrsnn_memory_stdp_cv_converged", "HoNHeS", ["tau_pre.cv", "tau_post.cv"])])
def test_memory_sweep_files_are_valid_and_paired(name, variant, keys):
    from hetero_brian.experiment.sweep import check_tasks, load_sweep_config, tasks_from_config

    config = load_sweep_config(SWEEPS / f"{name}.yaml")
    tasks = tasks_from_config(config)
    check_tasks(tasks)  # every key exists in the scenario and every value passes its checks
    assert config.scenario == "memory_capacity" and config.base["variants"] == [variant]
    assert len(config.seeds) >= 5 and len(tasks) == 7 * len(config.seeds)
    points = {tuple(task.parameters[key] for key in keys) for task in tasks}
    assert sorted(point[0] for point in points) == [0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5]
    assert all(len(set(point)) == 1 for point in points)  # tau_pre and tau_post spread together
    for point in points:  # paired: the same seeds at every point
        assert sorted(t.seed for t in tasks if tuple(t.parameters[k] for k in keys) == point) == sorted(config.seeds)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["hrsnn_memory_tau_m_cv", "hrsnn_memory_stdp_cv_converged"])
def test_one_task_of_a_memory_sweep_runs_tiny_and_is_summarised(tmp_path, name):
    """The first point and seed of the file at a tiny size, through the sweep's own task runner and summary."""
    from brian_helpers import use_numpy_target

    from hetero_brian.experiment.sweep import Task, execute_task, load_sweep_config, tasks_from_config, write_summary

    use_numpy_target()
    first = tasks_from_config(load_sweep_config(SWEEPS / f"{name}.yaml"))[0]
    tiny = {"n_neurons": 20, "n_input": 10, "n_steps": 300, "n_train_steps": 20, "max_delay": 5,
            "weight_input": "4 mV", "max_chunks": 2, "convergence_patience": 1}
    task = Task(first.scenario, first.parameters, first.seed, {**first.base, **tiny}, backend="runtime:numpy")
    outcome = execute_task(task, tmp_path)
    assert outcome.status == "complete", outcome.traceback
    write_summary(tmp_path, [task])
    rows = stats.read_summary(tmp_path)
    variant = first.base["variants"][0]
    parameter = next(iter(first.parameters))
    [(value, mean, half, n)] = stats.point_statistics(rows, parameter, f"mc_net_{variant}_mean")
    assert (value, n) == (0.0, 1) and math.isnan(half) and np.isfinite(mean)  # at this size MC may be ~0
    assert stats.point_statistics(rows, parameter, f"rate_hz_{variant}_mean")[0][1] > 0
