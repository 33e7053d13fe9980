"""ECG wave segmentation (QTDB) with a trained adaptive spiking RNN, re-run and measured in Brian2.

36 adaptive LIF neurons (Yin, Corradi & Bohté) with per-neuron time constants drawn from
distributions are trained by BPTT with surrogate gradients (PyTorch, one thread) to label every step
of the level-crossing encoded QTDB sequences with one of 6 wave segments. The trained network is
then exported to a Brian2 network spec and run on the first test sequences: the scenario reports
whether Brian2 reproduced the float64 forward pass's spikes exactly, the synaptic operations counted
from Brian2's spikes x fan-outs, and the energy against the MACs of RNN/GRU/LSTM baselines trained
the same way with the SRNN's parameter count (and of untrained ones of the SRNN's width).
Writes ``checkpoint.pt`` (resumable), ``trained_parameters.npz`` and ``time_constants.png``.

References
----------
B. Yin, F. Corradi, S. M. Bohté, arXiv:2005.11633 (2020): QTDB 84.4 % with 36 neurons (training
script), 85.9 % (checkpoint); Nature Machine Intelligence 3, 905-913 (2021).
M. Horowitz, IEEE ISSCC 2014, 10-14: E_AC = 0.9 pJ, E_MAC = 4.6 pJ (45 nm, 32-bit float).
"""
from typing import List, Literal, Optional

from pydantic import Field

from hetero_brian.experiment.checks import array_file_bytes, figure_bytes
from hetero_brian.random import SeedStreams
from hetero_brian.training.parameters import SRNNTrainingOptions


class Config(SRNNTrainingOptions):
    """Options (the default trains for about 8-10 minutes on one core, Brian2 build included)."""

    data: Optional[str] = Field(None, description="QTDB_train.mat / QTDB_test.mat folder; None: $HETERO_BRIAN_QTDB, "
                                                  "then $HETERO_BRIAN_DATA/qtdb, then ../shared/data/qtdb")
    crop_steps: Optional[int] = Field(200, description="train on random windows of this many steps; None: whole sequences")
    baselines: List[Literal["rnn", "gru", "lstm"]] = Field(
        ["rnn", "gru", "lstm"], description="non-spiking baselines trained the same way with the SRNN's parameter count")


def disk_bytes(config):
    """Most bytes written: checkpoints (parameters, Adam's two moments, history; the old one and its
    replacement at once) of the SRNN and each baseline, ``trained_parameters.npz``, the figure."""
    parameters = config.n_hidden * (4 + config.n_hidden + 3 + 6) + 12
    checkpoint = 2 * array_file_bytes(3 * parameters + 8 * config.epochs, n_arrays=64)
    return (checkpoint * (1 + 1.2 * len(config.baselines)) + array_file_bytes(parameters, n_arrays=12)
            + figure_bytes(10, 3.5))


def _figure(initial, trained, output):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from hetero_brian.analysis import plots

    figure, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for axis, name in zip(axes, ("tau_m", "tau_adp")):
        before, after = np.asarray(getattr(initial, name)) * 1e3, np.asarray(getattr(trained, name)) * 1e3
        bins = np.linspace(min(before.min(), after.min()), max(before.max(), after.max()), 25)
        axis.hist(before, bins=bins, alpha=0.5, label="initial")
        axis.hist(after, bins=bins, alpha=0.5, label="trained")
        axis.set_xlabel(f"{name} (ms)")
        axis.legend()
    axes[0].set_ylabel("neurons")
    figure.tight_layout()
    path = output / "time_constants.png"
    plots.save_figure(figure, path)
    plt.close(figure)
    return path


def run(config, output, backend="auto", seed=None):
    """Train, evaluate, export to Brian2 and measure; return the metrics."""
    import numpy as np
    import torch

    from hetero_brian.analysis import energy
    from hetero_brian.results import save_arrays
    from hetero_brian.training.data import load_qtdb
    from hetero_brian.training.evaluation import compare_with_brian, train_baseline, trainable_parameter_count
    from hetero_brian.training.parameters import initial_parameters
    from hetero_brian.training.srnn import AdaptiveSRNN
    from hetero_brian.training.surrogates import surrogate_from_name
    from hetero_brian.training.trainer import TrainingSettings, evaluate, train

    seed = SeedStreams(seed).master_seed  # a fresh seed when none is given
    torch.set_num_threads(config.threads)
    data = load_qtdb(config.data)
    initial = initial_parameters(4, config.n_hidden, 6, seed, tau_m=config.tau_m, tau_adp=config.tau_adp,
                                 tau_output=config.tau_output, b0=config.b0, beta=config.beta)
    model = AdaptiveSRNN(initial, surrogate_from_name(config.surrogate), config.train_time_constants)
    settings = TrainingSettings(
        epochs=config.epochs, batch_size=config.batch_size, learning_rate=config.learning_rate,
        time_constant_learning_rate=config.time_constant_learning_rate, decay_every=config.decay_every,
        decay_factor=config.decay_factor, loss_start_step=config.loss_start_step, crop_steps=config.crop_steps,
        threads=config.threads)
    history = train(model, data["train_inputs"], data["train_labels"], settings, seed, output / "checkpoint.pt")
    test = evaluate(model, data["test_inputs"], data["test_labels"], config.loss_start_step, batch_size=141)
    trained = model.to_parameters()
    if not (output / "trained_parameters.npz").exists():  # a resumed run keeps the file it wrote
        save_arrays(output / "trained_parameters.npz", **trained.to_arrays())

    # the same network in Brian2 on the first test sequences; energy from its spikes x fan-outs
    count = config.brian_sequences
    brian = compare_with_brian(trained, data["test_inputs"][:count], data["test_labels"][:count],
                               config.loss_start_step, backend=backend, seed=seed)
    operations = float(np.mean([energy.synaptic_operations_from_result(run.result).total for run in brian["runs"]]))
    n_steps = data["test_inputs"].shape[1]
    snn_joule = float(energy.snn_energy(operations))
    metrics = {
        "test_accuracy": float(test["accuracy"]), "train_accuracy_last_epoch": float(history.accuracy[-1]),
        "train_loss_last_epoch": float(history.loss[-1]), "epochs": len(history.loss),
        "seconds_per_epoch": float(np.mean(history.wall_time)) if history.wall_time else 0.0,
        "spikes_per_neuron_per_step": float(test["spikes_per_neuron_per_step"]),
        "trainable_parameters": trainable_parameter_count(model),
        "brian_sequences": count, "brian_backend": brian["runs"][0].result.provenance["backend"]["backend"],
        "brian_spikes_identical_float64": brian["identical_float64"], "brian_accuracy": brian["brian_accuracy"],
        "float32_spike_mismatch_fraction": brian["float32_spike_mismatch_fraction"],
        "synaptic_operations_per_sequence": operations, "energy_snn_joule": snn_joule,
        "energy_constants": "E_AC 0.9 pJ, E_MAC 4.6 pJ (Horowitz, ISSCC 2014, 45 nm, 32-bit float)",
        "tau_m_ms_initial_mean": float(np.mean(np.asarray(initial.tau_m)) * 1e3),
        "tau_m_ms_trained_mean": float(np.mean(np.asarray(trained.tau_m)) * 1e3),
        "tau_adp_ms_trained_mean": float(np.mean(np.asarray(trained.tau_adp)) * 1e3),
        "figure": str(_figure(initial, trained, output)),
    }
    for cell in ("rnn", "gru", "lstm"):  # same width as the SRNN, untrained: MACs only
        macs = energy.recurrent_macs(cell, 4, config.n_hidden, n_steps, n_outputs=6)
        metrics[f"energy_ratio_{cell}_same_width"] = float(energy.mac_energy(macs)) / snn_joule
    for cell in config.baselines:  # trained the same way with the SRNN's parameter count
        baseline = train_baseline(cell, metrics["trainable_parameters"], 6, data, settings, seed,
                                  output / f"baseline_{cell}.pt")
        macs = energy.recurrent_macs(cell, 4, baseline["n_hidden"], n_steps, n_outputs=6)
        metrics.update({f"{cell}_test_accuracy": baseline["test_accuracy"], f"{cell}_hidden": baseline["n_hidden"],
                        f"{cell}_parameters": baseline["n_parameters"],
                        f"energy_ratio_{cell}_trained": float(energy.mac_energy(macs)) / snn_joule})
    return metrics


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
