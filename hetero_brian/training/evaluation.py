"""Evaluation helpers of trained networks: Brian2 against the forward pass, baselines of equal size."""
import dataclasses
import weakref
from pathlib import Path

import numpy as np

from ._torch import torch
from .baselines import RecurrentBaseline, hidden_size_for_parameters
from .export import run_in_brian
from .srnn import AdaptiveSRNN
from .trainer import evaluate, train

__all__ = ["compare_with_brian", "energy_against_baselines", "snn_operations_per_sequence", "start_baselines",
           "train_baseline", "train_baselines", "trainable_parameter_count"]


def trainable_parameter_count(model):
    """Number of trained scalars of a PyTorch module (time constants included when trained)."""
    return int(sum(np.prod(p.shape) for p in model.parameters() if p.requires_grad))


def compare_with_brian(parameters, sequences, labels, loss_start_step, backend="auto", seed=0, build_root=None,
                       analog=None):
    """Run a trained SRNN in Brian2 and compare with the PyTorch forward pass in float64 and float32.

    Parameters
    ----------
    parameters : SRNNParameters
    sequences : numpy.ndarray, shape (n, steps, n_inputs)
        Values in {-1, 0, 1} (spike path) or any finite values (analog path).
    labels : numpy.ndarray of int, shape (n, steps)
    loss_start_step : int
        First step counted in the accuracy.
    backend, seed, build_root, analog
        As in :func:`hetero_brian.training.export.run_in_brian`.

    Returns
    -------
    dict
        ``runs`` (list of BrianRun), ``identical_float64`` (bool: every hidden spike equal),
        ``float32_spike_mismatch_fraction`` (neuron-steps where float32 and float64 differ),
        ``brian_accuracy`` (per-step accuracy of Brian2's readout).
    """
    runs = run_in_brian(parameters, sequences, backend=backend, seed=seed, build_root=build_root, analog=analog)
    with torch.no_grad():
        forward64 = AdaptiveSRNN(parameters, dtype=torch.float64)(torch.from_numpy(np.asarray(sequences, np.float64)))
        forward32 = AdaptiveSRNN(parameters)(torch.from_numpy(np.asarray(sequences, np.float32)))
    spikes64 = forward64.spikes.numpy().astype(bool)
    brian_spikes = np.stack([run.spikes for run in runs])
    predictions = np.stack([run.readout.argmax(-1) for run in runs])[:, loss_start_step:]
    return {"runs": runs, "identical_float64": bool(np.array_equal(brian_spikes, spikes64)),
            "float32_spike_mismatch_fraction": float(np.mean(forward32.spikes.numpy().astype(bool) != spikes64)),
            "brian_accuracy": float(np.mean(predictions == np.asarray(labels)[:, loss_start_step:]))}


def train_baseline(cell, n_parameters, n_outputs, data, settings, seed, checkpoint_path=None):
    """Train an RNN/GRU/LSTM of about ``n_parameters`` parameters the same way; test it.

    Parameters
    ----------
    cell : {"rnn", "gru", "lstm"}
    n_parameters : int
        Parameter budget (e.g. :func:`trainable_parameter_count` of the SRNN).
    n_outputs : int
        Number of classes.
    data : dict
        ``train_inputs``, ``train_labels``, ``test_inputs``, ``test_labels`` (as :func:`load_qtdb`).
    settings : TrainingSettings
    seed : int
    checkpoint_path : str or pathlib.Path, optional

    Returns
    -------
    dict
        ``model``, ``n_hidden``, ``n_parameters``, ``test_accuracy`` (per step from
        ``settings.loss_start_step``), ``test_last_step_accuracy`` (the last step's class: a sequence
        classifier's accuracy).
    """
    n_inputs = data["train_inputs"].shape[2]
    n_hidden = hidden_size_for_parameters(cell, n_inputs, n_outputs, n_parameters)
    model = RecurrentBaseline(cell, n_inputs, n_hidden, n_outputs, seed)
    train(model, data["train_inputs"], data["train_labels"], settings, seed, checkpoint_path)
    test = evaluate(model, data["test_inputs"], data["test_labels"], settings.loss_start_step, batch_size=141)
    last = np.asarray(data["test_labels"])[:, -1]
    return {"model": model, "n_hidden": n_hidden, "n_parameters": model.n_parameters(),
            "test_accuracy": float(test["accuracy"]), "test_last_step_accuracy": float(np.mean(test["predictions"][:, -1] == last))}


def train_baselines(cells, n_parameters, n_outputs, data, settings, seed, folder=None):
    """:func:`train_baseline` for each cell of ``cells`` (checkpoints ``baseline_<cell>.pt`` in ``folder``).

    Returns
    -------
    dict
        ``{cell: {"hidden", "parameters", "test_accuracy" (the last step's class), "test_per_step_accuracy"}}``.
    """
    baselines = {}
    for cell in cells:
        path = None if folder is None else Path(folder) / f"baseline_{cell}.pt"
        result = train_baseline(cell, n_parameters, n_outputs, data, settings, seed, path)
        baselines[cell] = {"hidden": result["n_hidden"], "parameters": result["n_parameters"],
                           "test_accuracy": result["test_last_step_accuracy"], "test_per_step_accuracy": result["test_accuracy"]}
    return baselines


def _train_baselines_in_process(connection, arguments):
    """Worker of :func:`start_baselines` (a fresh process: one torch thread, no progress bar): sends
    ``("ok", result)`` or ``("error", exception)`` through ``connection``."""
    cells, n_parameters, n_outputs, data, settings, seed, folder = arguments
    try:
        torch.set_num_threads(settings.threads)
        message = ("ok", train_baselines(cells, n_parameters, n_outputs, data,
                                         dataclasses.replace(settings, progress=False), seed, folder))
    except BaseException as error:  # a KeyboardInterrupt too: the parent decides
        message = ("error", error)
    try:
        connection.send(message)
    except Exception:  # an exception that does not pickle
        connection.send(("error", RuntimeError(f"baseline training failed: {message[1]!r}")))
    connection.close()


def _stop_process(process, grace=5.0):
    if process.is_alive():
        process.terminate()
        process.join(grace)


class _BackgroundBaselines:
    """Baselines training in a daemon process; calling the object waits for and returns the result.

    The process is daemonic and stopped when this object is dropped (the caller's run failed or was
    interrupted before it asked for the result) or when Python exits, so a Ctrl-C of the caller never
    waits for, or leaves behind, a training it will not use.
    """

    def __init__(self, arguments):
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self._receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_train_baselines_in_process, args=(sender, arguments), daemon=True)
        self._process.start()
        sender.close()
        self._stop = weakref.finalize(self, _stop_process, self._process)

    def __call__(self):
        try:
            status, value = self._receiver.recv()
        except EOFError:
            self._process.join()
            raise RuntimeError(f"the baseline training process ended without a result (exit code "
                               f"{self._process.exitcode})") from None
        finally:
            self._receiver.close()
        self._stop()  # joins the finished process
        if status == "error":
            raise value
        return value


def start_baselines(cells, n_parameters, n_outputs, data, settings, seed, folder=None, background=True):
    """Start :func:`train_baselines`; return a callable that waits for and returns its result.

    With ``background=True`` (and at least one cell) the baselines train in a separate process (a
    ``spawn``-ed daemon with ``settings.threads`` torch threads), so that on a machine with a free
    core they train while the caller trains the SRNN; the result is the same as in the caller's
    process (same seeds, same settings; checkpoints ``baseline_<cell>.pt`` in ``folder``). The
    process stops when the callable is dropped uncalled (e.g. the caller was interrupted) or Python
    exits. Otherwise they train when the callable is called.
    """
    arguments = (list(cells), n_parameters, n_outputs, data, settings, seed, folder)
    if not cells or not background:
        return lambda: train_baselines(*arguments)
    return _BackgroundBaselines(arguments)


def snn_operations_per_sequence(runs, sequences, step, analog):
    """Operations per sequence of a Brian2 run of the exported SRNN, counted from its events x fan-outs.

    Parameters
    ----------
    runs : list of BrianRun
        From :func:`compare_with_brian` / :func:`hetero_brian.training.export.run_in_brian`.
    sequences : numpy.ndarray, shape (len(runs), n_steps, n_inputs)
        The sequences of the runs; input events after ``n_steps`` (the export's lag steps, zero
        values) are not counted.
    step : brian2.Quantity
        The network's time step.
    analog : bool
        The runs took the analog input path.

    Returns
    -------
    dict
        Means over the runs: ``input_events`` (events of the ``input`` population x fan-out: accumulates
        on the spike path, multiply-accumulates on the analog path, where every channel sends its value
        every step), ``input_nonzero_events`` (the same, only events carrying a non-zero value; spike path:
        equal), ``recurrent`` and ``readout`` (hidden spikes x fan-out: accumulates).
    """
    from ..analysis import energy

    sequences = np.asarray(sequences)
    if len(sequences) != len(runs) or not runs:
        raise ValueError(f"need one sequence per run (>= 1); got {len(sequences)} sequences, {len(runs)} runs")
    n_steps, step_seconds = sequences.shape[1], float(step)
    counts = {"input_events": [], "input_nonzero_events": [], "recurrent": [], "readout": []}
    for run, sequence_values in zip(runs, sequences):
        result = run.result
        sequence = [-0.5 * step_seconds, (n_steps - 0.5) * step_seconds]
        counts["input_events"].append(int(energy.synaptic_operations_from_result(
            result, ["input_hidden"], sample_boundaries=sequence).total[0]))
        counts["recurrent"].append(int(energy.synaptic_operations_from_result(result, ["recurrent"]).total))
        counts["readout"].append(int(energy.synaptic_operations_from_result(result, ["hidden_readout"]).total))
        if analog:
            fan = energy.fan_out(result.synapses["input_hidden"].i, result.spikes["input"].n_neurons)
            counts["input_nonzero_events"].append(int(np.sum((sequence_values != 0) * fan[None, :])))
        else:  # spike path: an event is a non-zero input
            counts["input_nonzero_events"].append(counts["input_events"][-1])
    return {name: float(np.mean(value)) for name, value in counts.items()}


def energy_against_baselines(operations, analog, baselines, snn_accuracy, n_inputs, n_steps, n_outputs,
                             similar_accuracy=0.01):
    """Energy per sequence of the SNN (from Brian2's events) and of trained baselines (MACs), and their ratios.

    Parameters
    ----------
    operations : dict
        From :func:`snn_operations_per_sequence`.
    analog : bool
        Analog input path: the input layer's events are multiply-accumulates (``E_MAC`` each, every
        channel every step, zeros included, as the baselines' dense input products); spike path: accumulates.
    baselines : dict
        ``{cell: {"hidden": int, "test_accuracy": float, ...}}`` of trained baselines (:func:`train_baselines`).
    snn_accuracy : float
        The SNN's test accuracy (same measure as the baselines').
    n_inputs, n_steps, n_outputs : int
    similar_accuracy : float
        A baseline is "of similar accuracy" when it is at most this far below the SNN (or above it).

    Returns
    -------
    dict
        ``energy_snn_joule``, ``energy_snn_nonzero_input_joule`` (analog inputs of value 0 skipped),
        per cell ``energy_<cell>_joule``, ``macs_<cell>``, ``energy_ratio_<cell>`` (baseline / SNN), and
        ``reference_baseline`` (the cheapest baseline of similar accuracy; without one, the most accurate),
        ``energy_ratio_reference`` and ``energy_constants`` (values and source).
    """
    from ..analysis import energy

    accumulates = operations["recurrent"] + operations["readout"]

    def snn_joule(input_events):
        if analog:
            return float(energy.snn_energy(accumulates) + energy.mac_energy(input_events))
        return float(energy.snn_energy(accumulates + input_events))

    metrics = {"energy_snn_joule": snn_joule(operations["input_events"]),
               "energy_snn_nonzero_input_joule": snn_joule(operations["input_nonzero_events"]),
               "energy_constants": f"E_AC {energy.ENERGY_PER_AC * 1e12:g} pJ, E_MAC {energy.ENERGY_PER_MAC * 1e12:g} pJ "
                                   "(Horowitz, ISSCC 2014, 45 nm, 32-bit float)"}
    for cell, baseline in baselines.items():
        macs = energy.recurrent_macs(cell, n_inputs, baseline["hidden"], n_steps, n_outputs=n_outputs)
        joule = float(energy.mac_energy(macs))
        metrics.update({f"macs_{cell}": int(macs), f"energy_{cell}_joule": joule,
                        f"energy_ratio_{cell}": joule / metrics["energy_snn_joule"]})
    if baselines:
        similar = [cell for cell, b in baselines.items() if b["test_accuracy"] >= snn_accuracy - similar_accuracy]
        reference = (min(similar, key=lambda cell: metrics[f"energy_{cell}_joule"]) if similar
                     else max(baselines, key=lambda cell: baselines[cell]["test_accuracy"]))
        metrics.update({"reference_baseline": reference, "energy_ratio_reference": metrics[f"energy_ratio_{reference}"]})
    return metrics
