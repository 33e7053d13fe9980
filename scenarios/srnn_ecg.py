"""ECG wave segmentation (QTDB) with a trained adaptive spiking RNN, re-run and measured in Brian2.

36 adaptive LIF neurons (Yin, Corradi & Bohté), per-neuron time constants drawn from distributions,
are trained by BPTT (surrogate gradients, PyTorch, one thread) to label every step of the
level-crossing encoded QTDB sequences with one of 6 wave segments, then exported to Brian2 and run on
the first test sequences: identical spikes to the float64 forward pass?, synaptic operations from
Brian2's spikes x fan-outs, energy against RNN/GRU/LSTM baselines trained the same way (equal
parameter count) and untrained ones of the same width. ``scenarios/srnn_ecg_yin.yaml``: the set-up
of Yin et al.'s QTDB script. Writes ``checkpoint.pt``, ``trained_parameters.npz``, ``time_constants.png``.

References
----------
B. Yin, F. Corradi, S. M. Bohté, arXiv:2005.11633 (2020): QTDB 84.4 % with 36 neurons (training
script), 85.9 % (checkpoint); Nature Machine Intelligence 3, 905-913 (2021).
M. Horowitz, IEEE ISSCC 2014, 10-14: E_AC = 0.9 pJ, E_MAC = 4.6 pJ (45 nm, 32-bit float).
"""
from typing import List, Literal, Optional

from brian2 import second
from pydantic import Field, conint

from hetero_brian.config import DistributionField
from hetero_brian.experiment.checks import array_file_bytes, figure_bytes
from hetero_brian.random import SeedStreams
from hetero_brian.training.parameters import SRNNTrainingOptions


class Config(SRNNTrainingOptions):
    """Options (the default trains for about 8-10 minutes on one core, Brian2 build included)."""

    data: Optional[str] = Field(None, description="QTDB_train.mat / QTDB_test.mat folder; None: $HETERO_BRIAN_QTDB, "
                                                  "then $HETERO_BRIAN_DATA/qtdb, then ../shared/data/qtdb")
    crop_steps: Optional[int] = Field(200, description="train on random windows of this many steps; None: whole sequences")
    readout: Literal["leaky", "adaptive_spiking"] = Field(
        "leaky", description="leaky integrator readout, or adaptive spiking neurons read by membrane (Yin's QTDB script)")
    tau_output_adp: DistributionField(second) = Field("100 ms", description="spiking readout only: adaptation time constant (time)")
    output_beta: float = Field(1.8, description="spiking readout only: threshold increase per unit of adaptation")
    validation_sequences: conint(ge=0, le=517) = Field(
        0, description="sequences held out of QTDB_train.mat (seeded) to compare settings without the test file")
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
        bins = np.linspace(min(before.min(), after.min()), max(before.max(), after.max()) + 1e-9, 25)
        for values, label in ((before, "initial"), (after, "trained")):
            axis.hist(values, bins=bins, alpha=0.5, label=label)
        axis.set(xlabel=f"{name} (ms)", ylabel="neurons" if name == "tau_m" else None)
        axis.legend()
    figure.tight_layout()
    plots.save_figure(figure, output / "time_constants.png")
    plt.close(figure)
    return output / "time_constants.png"


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
                                 tau_output=config.tau_output, b0=config.b0, beta=config.beta, readout=config.readout,
                                 tau_output_adp=config.tau_output_adp, output_beta=config.output_beta)
    model = AdaptiveSRNN(initial, surrogate_from_name(config.surrogate), config.train_time_constants)
    settings = TrainingSettings(**{name: getattr(config, name) for name in (
        "epochs", "batch_size", "learning_rate", "time_constant_learning_rate", "decay_every", "decay_factor",
        "loss_start_step", "crop_steps", "threads")})
    order = SeedStreams(seed).generator("data/validation").permutation(len(data["train_labels"]))
    held_out, kept = np.sort(order[:config.validation_sequences]), np.sort(order[config.validation_sequences:])
    validation_data = (data["train_inputs"][held_out], data["train_labels"][held_out])  # then baselines use `kept` too
    data.update(train_inputs=data["train_inputs"][kept], train_labels=data["train_labels"][kept])
    history = train(model, data["train_inputs"], data["train_labels"], settings, seed, output / "checkpoint.pt")
    validation = evaluate(model, *validation_data, config.loss_start_step, batch_size=141) if len(held_out) else {}
    test = evaluate(model, data["test_inputs"], data["test_labels"], config.loss_start_step, batch_size=141)
    trained = model.to_parameters()
    if not (output / "trained_parameters.npz").exists():  # a resumed run keeps the file it wrote
        save_arrays(output / "trained_parameters.npz", **trained.to_arrays())
    # the same network in Brian2 on the first test sequences; energy from its spikes x fan-outs
    brian = compare_with_brian(trained, *(data[f"test_{name}"][:config.brian_sequences] for name in ("inputs", "labels")),
                               config.loss_start_step, backend=backend, seed=seed)
    operations = float(np.mean([energy.synaptic_operations_from_result(run.result).total for run in brian["runs"]]))
    n_steps = data["test_inputs"].shape[1]
    snn_joule = float(energy.snn_energy(operations))
    metrics = {
        "test_accuracy": float(test["accuracy"]), "validation_accuracy": validation.get("accuracy"),
        "validation_sequences": len(held_out), "train_accuracy_last_epoch": float(history.accuracy[-1]),
        "train_loss_last_epoch": float(history.loss[-1]), "epochs": len(history.loss),
        "seconds_per_epoch": float(np.mean(history.wall_time)) if history.wall_time else 0.0,
        "spikes_per_neuron_per_step": float(test["spikes_per_neuron_per_step"]), "trainable_parameters": trainable_parameter_count(model),
        "brian_sequences": config.brian_sequences, "brian_backend": brian["runs"][0].result.provenance["backend"]["backend"],
        "brian_spikes_identical_float64": brian["identical_float64"], "brian_accuracy": brian["brian_accuracy"],
        "float32_spike_mismatch_fraction": brian["float32_spike_mismatch_fraction"],
        "synaptic_operations_per_sequence": operations, "energy_snn_joule": snn_joule,
        "energy_constants": "E_AC 0.9 pJ, E_MAC 4.6 pJ (Horowitz, ISSCC 2014, 45 nm, 32-bit float)",
        **{f"{name}_ms_{which}_mean": float(np.mean(np.asarray(getattr(values, name))) * 1e3)
           for name in ("tau_m", "tau_adp") for which, values in (("initial", initial), ("trained", trained))},
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
