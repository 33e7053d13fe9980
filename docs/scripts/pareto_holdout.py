"""Held-out check of the two Pareto studies of the spiking HRSNN (docs/results/tuning.md, issue 19 item 4).

    .venv/bin/python docs/scripts/pareto_holdout.py STUDIES HELDOUT FIGURE

STUDIES holds ``het/`` and ``hom/`` (``hetero-brian tune`` folders: ``trials.csv``, ``pareto/``); HELDOUT
holds ``het-trial-NNNN/`` and ``hom-trial-NNNN/`` (``hetero-brian run hrsnn_tuning --config
STUDIES/<s>/pareto/trial-NNNN.yaml --seed 1000 --set n_seeds=5``: 5 networks never used by a study).
Prints one markdown table row per front configuration (mean +- 95 % CI, t with n-1 dof, of E,
validation and test accuracy over the held-out seeds), the dominance of one front over the other on
the held-out means, and the hypervolumes; draws the study trials, both fronts and the held-out means.
"""
import csv
import json
import sys
from pathlib import Path

import numpy as np
from scipy import stats

E, VALIDATION = "activity_over_memory_capacity", "validation_accuracy"


def interval(values):
    values = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else 0
    return values.mean(), half


def trials(study):
    with open(study / "trials.csv") as stream:
        rows = [row for row in csv.DictReader(stream) if row["state"] == "COMPLETE"]
    return np.array([[float(row[E]), float(row[VALIDATION])] for row in rows]), rows


def front(points):
    """Indices of the non-dominated points (E minimised, accuracy maximised), sorted by E."""
    keep = [i for i, (e, a) in enumerate(points)
            if not any((e2 <= e and a2 >= a) and (e2 < e or a2 > a) for e2, a2 in points)]
    return sorted(keep, key=lambda i: points[i][0])


def hypervolume(points, reference):
    """Area dominated by ``points`` (E, accuracy) and bounded by ``reference`` (worst E, worst accuracy)."""
    area, best_accuracy = 0.0, reference[1]
    for e, a in sorted(map(tuple, points)):  # by E ascending: each point adds the strip above the best accuracy so far
        if a > best_accuracy and e < reference[0]:
            area += (reference[0] - e) * (a - best_accuracy)
            best_accuracy = a
    return area


def main(studies, heldout, figure):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary, rows_of, colours = {}, {}, {"het": "tab:red", "hom": "tab:blue"}
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for study in ("het", "hom"):
        points, rows = trials(Path(studies) / study)
        on_front = front(points)
        ax.scatter(points[:, 0], points[:, 1], s=12, color=colours[study], alpha=0.3)
        ax.plot(points[on_front, 0], points[on_front, 1], "--", color=colours[study], alpha=0.6,
                label=f"{study} study front (seed of the study)")
        held = []
        for folder in sorted(Path(heldout).glob(f"{study}-trial-*/metrics.json")):  # finished runs only
            folder = folder.parent
            seeds = json.loads((folder / "hrsnn_tuning_runs.json").read_text())
            row = {key: interval([seed[key] for seed in seeds]) for key in (E, VALIDATION, "test_accuracy",
                                                                             "mc_net", "rate_hz")}
            row["trial"], row["n"] = folder.name.split("-")[-1], len(seeds)
            row["seeds"] = {seed["seed"]: seed for seed in seeds}
            held.append(row)
            print(f"| {study} {row['trial']} | " + " | ".join(f"{row[key][0]:.3f} ± {row[key][1]:.3f}" for key in
                  (E, VALIDATION, "test_accuracy", "mc_net", "rate_hz")) + f" | {row['n']} |")
        means = np.array([[row[E][0], row[VALIDATION][0]] for row in held])
        ax.errorbar(means[:, 0], means[:, 1], xerr=[row[E][1] for row in held], yerr=[row[VALIDATION][1] for row in held],
                    fmt="o", color=colours[study], capsize=3, label=f"{study} front, held-out seeds (95 % CI)")
        summary[study], rows_of[study] = means, held
    union = np.concatenate(list(summary.values()))
    reference = (union[:, 0].max() * 1.05, union[:, 1].min() - 0.01)
    for study, other in (("het", "hom"), ("hom", "het")):
        dominated = [any((e2 <= e and a2 >= a) and (e2 < e or a2 > a) for e2, a2 in summary[study])
                     for e, a in summary[other]]
        print(f"held out: {sum(dominated)} of {len(dominated)} {other} front points dominated by a {study} point")
    for hom in sorted(rows_of["hom"], key=lambda row: row[E][0]):  # by how much: the cheapest het point as accurate
        better = [het for het in rows_of["het"] if het[VALIDATION][0] >= hom[VALIDATION][0]]
        if not better:
            print(f"hom {hom['trial']}: no het point as accurate on the held-out means")
            continue
        het = min(better, key=lambda row: row[E][0])
        shared = sorted(set(het["seeds"]) & set(hom["seeds"]))  # the same networks: paired differences
        paired = {key: interval([het["seeds"][s][key] - hom["seeds"][s][key] for s in shared]) for key in (E, VALIDATION)}
        ratio = interval([het["seeds"][s][E] / hom["seeds"][s][E] for s in shared])
        lower = sum(het["seeds"][s][E] < hom["seeds"][s][E] for s in shared)
        print(f"hom {hom['trial']} (E {hom[E][0]:.3f}, validation {hom[VALIDATION][0]:.3f}) vs het {het['trial']}: "
              f"paired E difference {paired[E][0]:.3f} ± {paired[E][1]:.3f}, ratio {ratio[0]:.2f} ± {ratio[1]:.2f}, "
              f"lower in {lower}/{len(shared)} seeds; validation difference {paired[VALIDATION][0]:+.3f} ± "
              f"{paired[VALIDATION][1]:.3f}")
    for study in summary:
        print(f"held-out hypervolume {study}: {hypervolume(summary[study], reference):.4f} (reference E "
              f"{reference[0]:.3f}, accuracy {reference[1]:.3f})")
    ax.set_xscale("log")
    ax.set_xlabel("E = spikes per neuron per step / net memory capacity (lower is better)")
    ax.set_ylabel("validation accuracy, 8x8 digits")
    ax.legend(fontsize=7)
    ax.set_title("Pareto fronts of the tuned HRSNN: heterogeneous vs homogeneous", fontsize=9)
    fig.tight_layout()
    fig.savefig(figure, dpi=120)


if __name__ == "__main__":
    main(*sys.argv[1:4])
