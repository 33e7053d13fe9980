"""Statistics of a parameter sweep repeated over seeds: mean and t confidence interval per point, paired tests.

A sweep (``hetero-brian sweep``) writes one row per task to ``summary.csv``: the task's master seed,
its swept parameters and its scalar metrics. When every point of the sweep runs the same seeds, the
points are paired by seed (same connectivity, input and controls at every point), and differences
between points are best judged per seed:

* :func:`point_statistics`: per point, the mean over seeds and the half-width of its two-sided
  confidence interval from Student's t with ``n - 1`` degrees of freedom (:func:`t_interval`);
* :func:`paired_differences`: per point, the difference from a reference point, seed by seed
  (mean, t interval, how many seeds are above);
* :func:`successive_differences`: the same between neighbouring points (is the metric monotone?);
* :func:`seed_slopes`: the least-squares slope of the metric against the parameter, one per seed,
  and their mean with its t interval (a trend test that respects the pairing).

``python -m hetero_brian.analysis.sweep_statistics --sweep LABEL DIR PARAMETER VARIANT ...`` prints
these as Markdown tables for the ``memory_capacity`` metrics and, with ``--figure``, draws them
(:func:`hetero_brian.analysis.figures_hrsnn.plot_memory_capacity_sweeps`).

Pure numpy and the standard library (scipy for the t quantile); reads only ``summary.csv``.
"""
import argparse
import csv
import math
from pathlib import Path

import numpy as np

__all__ = ["MEMORY_METRICS", "t_interval", "read_summary", "point_statistics", "paired_differences",
           "successive_differences", "seed_slopes", "memory_sweep_report", "main"]

MEMORY_METRICS = (("mc_net", "net MC"), ("mc_shuffled", "control"), ("mc_ratio", "MC / control"),
                  ("rate_hz", "rate (Hz)"), ("activity_over_memory_capacity", "E"))


def t_interval(values, confidence=0.95):
    """Mean, half-width of the two-sided t confidence interval of the mean, and the number of values.

    Parameters
    ----------
    values : array_like of float
        Independent samples (e.g. one per seed); NaN and infinite values are an error.
    confidence : float
        In (0, 1).

    Returns
    -------
    mean, half_width : float
        ``half_width = t_{(1 + confidence) / 2, n - 1} * s / sqrt(n)`` (s: standard deviation with
        ``ddof=1``); NaN for fewer than two values.
    n : int
    """
    from scipy import stats

    values = np.asarray(values, dtype=float).ravel()
    if values.size == 0:
        raise ValueError("t_interval needs at least one value; got none")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"t_interval needs finite values; got {values.tolist()}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1); got {confidence!r}")
    if values.size < 2:
        return float(values[0]), float("nan"), 1
    quantile = stats.t.ppf(0.5 + confidence / 2, values.size - 1)
    return float(values.mean()), float(quantile * values.std(ddof=1) / math.sqrt(values.size)), int(values.size)


def _number(text):
    try:
        return float(text)
    except ValueError:
        return text


def read_summary(path):
    """The complete tasks of a sweep's ``summary.csv`` (a file or its folder) as dicts; numbers parsed."""
    path = Path(path)
    path = path / "summary.csv" if path.is_dir() else path
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["status"] == "complete"]
    return [{key: (int(value) if key == "seed" else _number(value)) for key, value in row.items() if value != ""}
            for row in rows]


def _by_point(rows, parameter, metric):
    """``{parameter value: {seed: metric value}}`` (value order of first appearance); repeated seeds refused."""
    table = {}
    for row in rows:
        if parameter not in row:
            raise KeyError(f"no column {parameter!r} in the sweep rows; columns: {sorted(row)}")
        if metric not in row:
            raise KeyError(f"no metric {metric!r} in the sweep rows; columns: {sorted(row)}")
        point = table.setdefault(row[parameter], {})
        if row["seed"] in point:
            raise ValueError(f"seed {row['seed']} appears twice at {parameter} = {row[parameter]!r}")
        point[row["seed"]] = float(row[metric])
    return dict(sorted(table.items()))


def point_statistics(rows, parameter, metric, confidence=0.95):
    """Per value of ``parameter`` (sorted): ``(value, mean, half_width, n)`` of ``metric`` over the seeds."""
    return [(value, *t_interval(list(seeds.values()), confidence))
            for value, seeds in _by_point(rows, parameter, metric).items()]


def _paired(first, second, confidence):
    """t interval and count of positive differences ``second - first`` over the seeds both have."""
    common = sorted(set(first) & set(second))
    if not common:
        raise ValueError("the two points share no seed: they cannot be paired")
    differences = np.array([second[seed] - first[seed] for seed in common])
    return (*t_interval(differences, confidence), int(np.sum(differences > 0)))


def paired_differences(rows, parameter, metric, reference, confidence=0.95):
    """Per value of ``parameter``: ``(value, mean difference, half_width, n, n_above)`` from the ``reference`` value.

    The difference is taken seed by seed (``metric(value) - metric(reference)``) over the seeds both
    points have; ``n_above`` counts the seeds where it is positive.
    """
    table = _by_point(rows, parameter, metric)
    if reference not in table:
        raise KeyError(f"reference {parameter} = {reference!r} is not a point of the sweep; points: {list(table)}")
    return [(value, *_paired(table[reference], seeds, confidence)) for value, seeds in table.items()
            if value != reference]


def successive_differences(rows, parameter, metric, confidence=0.95):
    """``(low, high, mean difference, half_width, n, n_above)`` between neighbouring values, paired by seed."""
    table = _by_point(rows, parameter, metric)
    values = list(table)
    return [(low, high, *_paired(table[low], table[high], confidence)) for low, high in zip(values[:-1], values[1:])]


def seed_slopes(rows, parameter, metric, confidence=0.95):
    """Least-squares slope of ``metric`` against ``parameter`` for each seed, and their mean with its t interval.

    Returns
    -------
    mean, half_width : float
        Of the per-seed slopes (metric units per parameter unit).
    n : int
        Seeds with at least two points.
    slopes : dict of int -> float
    """
    per_seed = {}
    for value, seeds in _by_point(rows, parameter, metric).items():
        for seed, number in seeds.items():
            per_seed.setdefault(seed, []).append((float(value), number))
    slopes = {}
    for seed, points in sorted(per_seed.items()):
        x, y = np.array(points).T
        if x.size >= 2 and np.ptp(x) > 0:
            slopes[seed] = float(np.polyfit(x, y, 1)[0])
    if not slopes:
        raise ValueError(f"no seed has two distinct values of {parameter!r}: no slope")
    return (*t_interval(list(slopes.values()), confidence), slopes)


def _format(mean, half, digits):
    return f"{mean:.{digits}f}" if math.isnan(half) else f"{mean:.{digits}f} ± {half:.{digits}f}"


def memory_sweep_report(rows, parameter, variant, label, reference=None, confidence=0.95):
    """Markdown tables of the ``memory_capacity`` metrics of one sweep (per point, paired, slopes)."""
    digits = {"mc_net": 3, "mc_shuffled": 4, "mc_ratio": 0, "rate_hz": 1, "activity_over_memory_capacity": 3}
    columns = {key: point_statistics(rows, parameter, f"{key}_{variant}_mean", confidence)
               for key, _ in MEMORY_METRICS}
    values = [entry[0] for entry in columns["mc_net"]]
    reference = values[0] if reference is None else reference
    lines = [f"{label}: {parameter} ({variant}), mean ± {confidence:.0%} CI (t), n = seeds", "",
             f"| {parameter} | n | " + " | ".join(name for _, name in MEMORY_METRICS) + " |",
             "| --- " * (len(MEMORY_METRICS) + 2) + "|"]
    for index, value in enumerate(values):
        cells = [_format(columns[key][index][1], columns[key][index][2], digits[key]) for key, _ in MEMORY_METRICS]
        lines.append(f"| {value:g} | {columns['mc_net'][index][3]} | " + " | ".join(cells) + " |")
    paired = [("mc_net", "net MC", 3), ("rate_hz", "rate (Hz)", 1), ("activity_over_memory_capacity", "E", 3)]
    lines += ["", f"| paired, minus {parameter} = {reference:g} | "
              + " | ".join(f"{name} | seeds above" for _, name, _ in paired) + " |", "| --- " * 7 + "|"]
    differences = [paired_differences(rows, parameter, f"{key}_{variant}_mean", reference, confidence)
                   for key, _, _ in paired]
    for entries in zip(*differences):
        cells = [f"{_format(entry[1], entry[2], places)} | {entry[4]}/{entry[3]}"
                 for entry, (_, _, places) in zip(entries, paired)]
        lines.append(f"| {entries[0][0]:g} | " + " | ".join(cells) + " |")
    lines += ["", "| step (paired) | net MC change | seeds up |", "| --- | --- | --- |"]
    steps = successive_differences(rows, parameter, f"mc_net_{variant}_mean", confidence)
    for low, high, mean, half, n, above in steps:
        lines.append(f"| {low:g} -> {high:g} | {_format(mean, half, 3)} | {above}/{n} |")
    lines.append("")
    for key, name in (("mc_net", "net MC"), ("rate_hz", "rate (Hz)")):
        mean, half, n, _ = seed_slopes(rows, parameter, f"{key}_{variant}_mean", confidence)
        lines.append(f"per-seed slope of {name} against {parameter}: {_format(mean, half, 3)} per unit (n = {n})")
    return "\n".join(lines) + "\n"


def main(argv=None):
    """``python -m hetero_brian.analysis.sweep_statistics --sweep LABEL DIR PARAMETER VARIANT ... [--figure PNG]``."""
    parser = argparse.ArgumentParser(prog="python -m hetero_brian.analysis.sweep_statistics",
                                     description="Tables (and a figure) of memory_capacity sweeps over seeds.")
    parser.add_argument("--sweep", nargs=4, action="append", required=True,
                        metavar=("LABEL", "DIR", "PARAMETER", "VARIANT"),
                        help="a sweep folder (or its summary.csv), the swept key and the measured cell")
    parser.add_argument("--confidence", type=float, default=0.95, help="confidence level of the t intervals")
    parser.add_argument("--figure", help="PNG of net MC and rate against the parameter, all sweeps")
    arguments = parser.parse_args(argv)
    sweeps = []
    for label, directory, parameter, variant in arguments.sweep:
        rows = read_summary(directory)
        print(memory_sweep_report(rows, parameter, variant, label, confidence=arguments.confidence))
        sweeps.append((label, {key: point_statistics(rows, parameter, f"{key}_{variant}_mean", arguments.confidence)
                               for key in ("mc_net", "mc_shuffled", "rate_hz")}))
    if arguments.figure:
        from hetero_brian.analysis.figures_hrsnn import plot_memory_capacity_sweeps

        plot_memory_capacity_sweeps(sweeps, arguments.figure, confidence=arguments.confidence)
        print(f"figure: {arguments.figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
