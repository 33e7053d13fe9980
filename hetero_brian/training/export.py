"""A trained adaptive SRNN as a Brian2 network spec, and its run on any backend (no PyTorch needed).

The spec has three populations (``hidden``: :class:`~hetero_brian.models.discrete.DiscreteAdaptiveLIF`,
``readout``: :class:`~hetero_brian.models.discrete.DiscreteLeakyReadout`, or for a spiking readout a
:class:`~hetero_brian.models.discrete.DiscreteAdaptiveLIF` whose membrane ``u`` is recorded, and the spike input
``input``) and three projections of :class:`~hetero_brian.models.discrete.SignedSynapse`
(``input_hidden``, ``recurrent``, ``hidden_readout``) holding the trained weights; the trained
time constants and biases are per-neuron parameters (:class:`~hetero_brian.models.discrete.FixedValues`).

Two input paths:

- spikes (``analog=False``): inputs with values in {-1, 0, 1} (e.g. QTDB's level-crossing events)
  enter as spikes of ``2 n_inputs`` channels: channel ``c`` for ``x_c = +1`` (weights ``W_in[:, c]``)
  and channel ``n_inputs + c`` for ``x_c = -1`` (weights ``-W_in[:, c]``);
- analog (``analog=True``): any real inputs (log-mel frames, pixel rows) are the values of an
  :class:`~hetero_brian.network.spec.AnalogInput` (a time x channel ``TimedArray``, replaced per
  sequence without a rebuild), whose ``n_inputs`` channels deliver ``W_in[:, c] x_c`` every step
  through :class:`~hetero_brian.models.discrete.AnalogSynapse`. Its input "events" occur every
  step on every channel: counted as synaptic operations they are the input layer's MACs.

Timing: input row ``k`` spikes in Brian2 step ``k``, the hidden layer computes trained step ``k`` in
Brian2 step ``k + 1`` (spike time ``(k + 1) dt``) and the readout in step ``k + 2`` (recorded at the
start of step ``k + 3``), so a sequence of ``n`` steps runs ``n + 3`` Brian2 steps.
"""
from dataclasses import dataclass

import numpy as np

from ..models.discrete import AnalogSynapse, DiscreteAdaptiveLIF, DiscreteLeakyReadout, FixedValues, SignedSynapse
from ..network.spec import AnalogInput, NetworkSpec, Population, Projection, RasterInput
from ..network.recording import Recording, StateRecord
from ..simulate import Simulator
from .parameters import SRNNParameters

__all__ = ["LAG_STEPS", "srnn_network_spec", "signed_input_raster", "analog_input_values", "is_signed_events",
           "BrianRun", "run_in_brian", "spike_steps"]

#: Extra Brian2 steps after a sequence (input -> hidden -> readout -> monitor).
LAG_STEPS = 3


def _dense(weights):
    """``(i, j, w)`` of every non-zero entry of ``weights[j, i]`` (post x pre)."""
    post, pre = np.nonzero(weights)
    return pre, post, weights[post, pre]


def srnn_network_spec(parameters, n_steps, analog=False):
    """The network spec of a trained SRNN for sequences of ``n_steps`` steps.

    Parameters
    ----------
    parameters : SRNNParameters
    n_steps : int
        Sequence length (the input raster's rows; a new length needs a new build).
    analog : bool
        Analog input path (any real values) instead of signed spikes ({-1, 0, 1}).

    Returns
    -------
    NetworkSpec
        ``dt`` equals ``parameters.step``; zero weights are left out.
    """
    if not isinstance(parameters, SRNNParameters):
        raise TypeError(f"parameters must be SRNNParameters; got {type(parameters).__name__}")
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer; got {n_steps!r}")
    step = parameters.step
    hidden = DiscreteAdaptiveLIF(tau_m=FixedValues(parameters.tau_m), tau_adp=FixedValues(parameters.tau_adp),
                                 b0=parameters.b0, beta=parameters.beta, bias=FixedValues(parameters.hidden_bias),
                                 step=step, first_step=1)
    if parameters.readout == "adaptive_spiking":  # Yin et al.'s QTDB readout: its membrane u is the logit
        readout = DiscreteAdaptiveLIF(tau_m=FixedValues(parameters.tau_output), tau_adp=FixedValues(parameters.tau_output_adp),
                                      b0=parameters.output_b0, beta=parameters.output_beta,
                                      bias=FixedValues(parameters.output_bias), step=step, first_step=2)
    else:
        readout = DiscreteLeakyReadout(tau_m=FixedValues(parameters.tau_output), bias=FixedValues(parameters.output_bias),
                                       step=step, first_step=2)
    if analog:
        input_weights, input_synapse = parameters.input_weights, AnalogSynapse
        source = AnalogInput("input", np.zeros((n_steps + LAG_STEPS, parameters.n_inputs)), step)
    else:
        input_weights = np.concatenate([parameters.input_weights, -parameters.input_weights], axis=1)
        input_synapse = SignedSynapse
        source = RasterInput("input", np.zeros((n_steps + LAG_STEPS, 2 * parameters.n_inputs), dtype=np.uint8), step)
    projections = []
    for name, source_name, target, weights, synapse in (
            ("input_hidden", "input", "hidden", input_weights, input_synapse),
            ("recurrent", "hidden", "hidden", parameters.recurrent_weights, SignedSynapse),
            ("hidden_readout", "hidden", "readout", parameters.output_weights, SignedSynapse)):
        i, j, w = _dense(weights)
        projections.append(Projection(name, source_name, target, synapse(weight=FixedValues(w)), i, j))
    return NetworkSpec(
        populations=(Population("hidden", parameters.n_hidden, hidden),
                     Population("readout", parameters.n_outputs, readout)),
        projections=tuple(projections),
        inputs=(source,),
        dt=step, shared_constants=True,
    )


def signed_input_raster(sequence):
    """The spike raster ``(n_steps + LAG_STEPS, 2 n_inputs)`` of a sequence with values in {-1, 0, 1}.

    Parameters
    ----------
    sequence : array_like, shape (n_steps, n_inputs)

    Raises
    ------
    ValueError
        When the sequence is not 2-D or holds other values (analog inputs are not exportable).
    """
    sequence = np.asarray(sequence)
    if sequence.ndim != 2:
        raise ValueError(f"sequence must have shape (n_steps, n_inputs); got {sequence.shape}")
    if not np.all(np.isin(sequence, (-1, 0, 1))):
        raise ValueError("sequence values must be -1, 0 or 1 (signed events); analog inputs take the analog path (analog=True)")
    raster = np.zeros((sequence.shape[0] + LAG_STEPS, 2 * sequence.shape[1]), dtype=np.uint8)
    raster[:sequence.shape[0], :sequence.shape[1]] = sequence > 0
    raster[:sequence.shape[0], sequence.shape[1]:] = sequence < 0
    return raster


def is_signed_events(sequences):
    """True when every value is -1, 0 or 1 (the spike input path can carry the sequences)."""
    return bool(np.all(np.isin(np.asarray(sequences), (-1, 0, 1))))


def analog_input_values(sequence):
    """The values ``(n_steps + LAG_STEPS, n_inputs)`` of the analog input for one sequence.

    Parameters
    ----------
    sequence : array_like, shape (n_steps, n_inputs)
        Real, finite values; the rows after the sequence are zero.
    """
    sequence = np.asarray(sequence, dtype=np.float64)
    if sequence.ndim != 2:
        raise ValueError(f"sequence must have shape (n_steps, n_inputs); got {sequence.shape}")
    if not np.all(np.isfinite(sequence)):
        raise ValueError("sequence contains NaN or Inf")
    values = np.zeros((sequence.shape[0] + LAG_STEPS, sequence.shape[1]))
    values[:sequence.shape[0]] = sequence
    return values


def spike_steps(timestamps, step):
    """Trained step index of hidden spikes recorded at ``timestamps`` (s): ``round(t / step) - 1``."""
    return np.rint(np.asarray(timestamps, dtype=float) / float(step)).astype(np.int64) - 1


@dataclass
class BrianRun:
    """One sequence run in Brian2.

    Attributes
    ----------
    spikes : numpy.ndarray of bool, shape (n_steps, n_hidden)
        Hidden spikes per trained step.
    readout : numpy.ndarray, shape (n_steps, n_outputs)
        Readout value per trained step.
    result : hetero_brian.results.SimulationResult
        The full result (spikes of ``input`` and ``hidden``, synapse tables) for energy and analysis.
    """

    spikes: np.ndarray
    readout: np.ndarray
    result: object


def run_in_brian(parameters, sequences, backend="runtime", build_root=None, seed=0, analog=None):
    """Run a trained SRNN in Brian2 on each sequence (one build, one run per sequence).

    Parameters
    ----------
    parameters : SRNNParameters
    sequences : array_like, shape (n_sequences, n_steps, n_inputs)
        Values in {-1, 0, 1} for the spike path; any finite values for the analog path.
    backend : str
        ``"runtime"``, ``"cpp_standalone"``, ``"cuda_standalone"`` or ``"auto"``.
    build_root : str, optional
        Root folder of standalone builds.
    seed : int
        Master seed of the simulation (nothing is random in the network; recorded).
    analog : bool, optional
        Input path; ``None``: spikes when every value is -1, 0 or 1, analog otherwise.

    Returns
    -------
    list of BrianRun
    """
    sequences = np.asarray(sequences)
    if sequences.ndim != 3 or sequences.shape[2] != parameters.n_inputs:
        raise ValueError(f"sequences must have shape (n_sequences, n_steps, n_inputs={parameters.n_inputs}); "
                         f"got {sequences.shape}")
    if not np.issubdtype(sequences.dtype, np.number) or not np.all(np.isfinite(sequences)):
        raise ValueError("sequences contain NaN or Inf (or are not numbers)")
    analog = not is_signed_events(sequences) if analog is None else bool(analog)
    encode = analog_input_values if analog else signed_input_raster
    n_steps = sequences.shape[1]
    spec = srnn_network_spec(parameters, n_steps, analog=analog)
    recording = Recording(spikes=("input", "hidden"),
                          states=(StateRecord("readout", ("u",), tuple(range(parameters.n_outputs))),))
    duration = (n_steps + LAG_STEPS) * parameters.step
    runs = []
    with Simulator(spec, duration, backend=backend, seed=seed, recording=recording, build_root=build_root) as simulator:
        for sequence in sequences:
            result = simulator.run(inputs={"input": encode(sequence)})
            trains = result.spikes["hidden"]
            spikes = np.zeros((n_steps, parameters.n_hidden), dtype=bool)
            steps = spike_steps(trains.timestamps, parameters.step)
            inside = (steps >= 0) & (steps < n_steps)
            spikes[steps[inside], np.asarray(trains.node_ids)[inside]] = True
            readout = np.asarray(result.traces["readout.u"].values)[LAG_STEPS:LAG_STEPS + n_steps]
            runs.append(BrianRun(spikes, readout, result))
    return runs
