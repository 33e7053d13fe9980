"""Parameters of an adaptive spiking RNN as plain numpy arrays (no PyTorch), and their initialisation.

:class:`SRNNParameters` is what a trained network *is*: the export to Brian2, checkpoints and
analysis read it, so none of them needs the training extra. Time constants are Brian2 quantities;
weights, biases, ``b0`` and ``beta`` are dimensionless (the membrane resistance is 1).

References
----------
B. Yin, F. Corradi, S. M. Bohté, Nature Machine Intelligence 3, 905-913 (2021), arXiv:2103.12593:
orthogonal recurrent and Xavier feed-forward initialisation; ``tau_m ~ N(20 ms, 5 ms)``,
``tau_adp ~ N(150 ms, 10 ms)`` (their SHD set-up); ``b0 = 0.01``, ``beta = 1.8``.
Their QTDB script (byin-cwi/Efficient-spiking-networks, ``ECG/adapt_srnn_0.844_gpu-v1.py``) reads
out the membrane of adaptive *spiking* output neurons (``readout="adaptive_spiking"`` here).
"""
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from brian2 import Quantity, ms, second
from pydantic import Field

from ..config import DistributionField, QuantityField, StrictModel
from ..distributions import Constant, Normal, as_distribution, check_positive_samples
from ..errors import UnitError
from ..random import SeedStreams

__all__ = ["SRNNParameters", "initial_parameters", "SRNNTrainingOptions", "DEFAULT_TAU_M",
           "DEFAULT_TAU_ADP", "DEFAULT_TAU_OUTPUT", "DEFAULT_TAU_OUTPUT_ADP", "READOUTS"]

#: Yin et al.'s SHD initialisation, truncated at 1 ms (a time constant below the step is refused).
DEFAULT_TAU_M = Normal(20 * ms, 5 * ms, low=1 * ms)
DEFAULT_TAU_ADP = Normal(150 * ms, 10 * ms, low=1 * ms)
DEFAULT_TAU_OUTPUT = Constant(20 * ms)
#: Adaptation time constant of a spiking readout (Yin et al.'s QTDB script: ``tau_adp_o = 100``).
DEFAULT_TAU_OUTPUT_ADP = Constant(100 * ms)
#: Readout kinds: a non-spiking leaky integrator, or adaptive LIF neurons whose membrane is read out.
READOUTS = ("leaky", "adaptive_spiking")


class SRNNTrainingOptions(StrictModel):
    """Configuration keys shared by the scenarios that train an adaptive SRNN and re-run it in Brian2
    (``srnn_ecg``, ``srnn_digits``): network size, initialisation, BPTT and the Brian2 check.

    A scenario inherits these keys and may change a default (or allow ``None`` with a per-task
    default); the help text of ``hetero-brian show`` is read from here.
    """

    n_hidden: int = Field(36, description="adaptive LIF neurons in the recurrent layer")
    epochs: int = Field(150, description="training passes over the training sequences")
    batch_size: int = Field(32, description="sequences per gradient step")
    learning_rate: float = Field(1e-2, description="Adam learning rate of the weights and biases (dimensionless)")
    time_constant_learning_rate: QuantityField(second) = Field(
        "0.03 ms", description="Adam step of the time constants (time; Yin et al. 3e-2 on ms)")
    decay_every: int = Field(100, description="epochs between two multiplications of the learning rates by decay_factor")
    decay_factor: float = Field(0.5, description="factor of the learning-rate step decay (StepLR)")
    loss_start_step: int = Field(10, description="first step counted in loss and accuracy (earlier steps: warm-up)")
    tau_m: DistributionField(second) = Field(DEFAULT_TAU_M, description="initial membrane time constant per neuron (time)")
    tau_adp: DistributionField(second) = Field(DEFAULT_TAU_ADP, description="initial adaptation time constant per neuron (time)")
    tau_output: DistributionField(second) = Field(DEFAULT_TAU_OUTPUT, description="initial readout time constant per class (time)")
    b0: float = Field(0.01, description="baseline firing threshold (dimensionless, membrane resistance 1)")
    beta: float = Field(1.8, description="threshold increase per unit of adaptation (0: plain LIF)")
    surrogate: Literal["multi_gaussian", "fast_sigmoid"] = Field(
        "multi_gaussian", description="surrogate gradient of the spike function")
    train_time_constants: bool = Field(True, description="train tau_m, tau_adp and tau_output too, not only weights")
    brian_sequences: int = Field(3, description="first test sequences re-run in Brian2 and compared spike by spike")
    threads: int = Field(1, description="PyTorch CPU threads")


def _matrix(value, name, shape):
    array = np.asarray(value, dtype=np.float64)
    if array.shape != shape:
        raise ValueError(f"SRNNParameters.{name} must have shape {shape}; got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"SRNNParameters.{name} must be finite; got {int((~np.isfinite(array)).sum())} NaN/Inf")
    return array


def _time_constants(value, name, size, step):
    if not isinstance(value, Quantity) or not value.has_same_dimensions(second):
        raise UnitError(f"SRNNParameters.{name} must be a time quantity array (e.g. values*ms); got {value!r}")
    array = _matrix(np.asarray(value, dtype=np.float64), name, (size,))
    if size and array.min() < float(step):
        raise ValueError(f"SRNNParameters.{name} must be >= the step {step!r}; got minimum {array.min() * 1e3:.4g} ms")
    return Quantity(array, dim=second.dim)


@dataclass(frozen=True, eq=False)
class SRNNParameters:
    """One recurrent layer of adaptive LIF neurons and a readout (non-spiking leaky by default).

    Parameters
    ----------
    input_weights : array, shape (n_hidden, n_inputs)
    recurrent_weights : array, shape (n_hidden, n_hidden)
        ``recurrent_weights[j, i]`` is the weight from hidden neuron ``i`` to ``j``.
    hidden_bias : array, shape (n_hidden,)
    tau_m, tau_adp : brian2.Quantity, shape (n_hidden,)
        Membrane and adaptation time constants (time, >= step).
    output_weights : array, shape (n_outputs, n_hidden)
    output_bias : array, shape (n_outputs,)
    tau_output : brian2.Quantity, shape (n_outputs,)
        Readout time constants (time, >= step).
    b0, beta : float
        Baseline threshold and adaptation strength (``beta = 0``: plain LIF).
    step : brian2.Quantity
        Time step of the map (1 ms by default).
    readout : {"leaky", "adaptive_spiking"}
        ``"leaky"``: ``o_k = alpha_o o_{k-1} + (1 - alpha_o) d_k`` (the seed's definition).
        ``"adaptive_spiking"``: the readout neurons are adaptive LIF neurons (the hidden map with
        ``output_b0``, ``output_beta``, ``tau_output`` and ``tau_output_adp``) whose membrane ``o_k``
        (after the reset by subtraction) is the logit, as in Yin et al.'s QTDB script.
    tau_output_adp : brian2.Quantity, shape (n_outputs,), optional
        Readout adaptation time constants (time, >= step); required for ``"adaptive_spiking"``,
        ``None`` for ``"leaky"``.
    output_b0, output_beta : float
        Baseline threshold and adaptation strength of a spiking readout (0.01 and 1.8 in Yin et
        al.'s QTDB script; unused by ``"leaky"``).
    """

    input_weights: np.ndarray
    recurrent_weights: np.ndarray
    hidden_bias: np.ndarray
    tau_m: Quantity
    tau_adp: Quantity
    output_weights: np.ndarray
    output_bias: np.ndarray
    tau_output: Quantity
    b0: float = 0.01
    beta: float = 1.8
    step: Quantity = field(default_factory=lambda: 1 * ms)
    readout: str = "leaky"
    tau_output_adp: Quantity = None
    output_b0: float = 0.01
    output_beta: float = 1.8

    def __post_init__(self):
        if not isinstance(self.step, Quantity) or not self.step.has_same_dimensions(second) or not float(self.step) > 0:
            raise UnitError(f"SRNNParameters.step must be a positive time (e.g. 1*ms); got {self.step!r}")
        input_weights = np.asarray(self.input_weights)
        if input_weights.ndim != 2:
            raise ValueError(f"SRNNParameters.input_weights must be 2-D (n_hidden, n_inputs); got shape {input_weights.shape}")
        n_hidden, n_inputs = input_weights.shape
        n_outputs = np.shape(self.output_weights)[0] if np.ndim(self.output_weights) == 2 else -1
        if n_outputs < 1:
            raise ValueError(f"SRNNParameters.output_weights must be 2-D (n_outputs, n_hidden); got shape "
                             f"{np.shape(self.output_weights)}")
        values = {
            "input_weights": _matrix(self.input_weights, "input_weights", (n_hidden, n_inputs)),
            "recurrent_weights": _matrix(self.recurrent_weights, "recurrent_weights", (n_hidden, n_hidden)),
            "hidden_bias": _matrix(self.hidden_bias, "hidden_bias", (n_hidden,)),
            "output_weights": _matrix(self.output_weights, "output_weights", (n_outputs, n_hidden)),
            "output_bias": _matrix(self.output_bias, "output_bias", (n_outputs,)),
            "tau_m": _time_constants(self.tau_m, "tau_m", n_hidden, self.step),
            "tau_adp": _time_constants(self.tau_adp, "tau_adp", n_hidden, self.step),
            "tau_output": _time_constants(self.tau_output, "tau_output", n_outputs, self.step),
        }
        if self.readout not in READOUTS:
            raise ValueError(f"SRNNParameters.readout must be one of {READOUTS}; got {self.readout!r}")
        if self.readout == "adaptive_spiking":
            if self.tau_output_adp is None:
                raise ValueError("SRNNParameters.tau_output_adp is required for readout='adaptive_spiking'")
            values["tau_output_adp"] = _time_constants(self.tau_output_adp, "tau_output_adp", n_outputs, self.step)
        elif self.tau_output_adp is not None:
            raise ValueError("SRNNParameters.tau_output_adp must be None for readout='leaky' (it has no adaptation)")
        for name in ("b0", "beta", "output_b0", "output_beta"):
            value = float(getattr(self, name))
            if not np.isfinite(value) or (name.endswith("beta") and value < 0):
                raise ValueError(f"SRNNParameters.{name} must be finite{' and >= 0' if name.endswith('beta') else ''}; "
                                 f"got {value!r}")
            values[name] = value
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def n_inputs(self):
        return int(self.input_weights.shape[1])

    @property
    def n_hidden(self):
        return int(self.input_weights.shape[0])

    @property
    def n_outputs(self):
        return int(self.output_weights.shape[0])

    def to_arrays(self):
        """Plain arrays (time constants in seconds) for ``numpy.savez`` or a checkpoint."""
        arrays = {name: np.asarray(getattr(self, name), dtype=np.float64)
                  for name in ("input_weights", "recurrent_weights", "hidden_bias", "tau_m", "tau_adp",
                               "output_weights", "output_bias", "tau_output", "b0", "beta")}
        arrays["step"] = np.float64(float(self.step))
        arrays["readout"] = np.str_(self.readout)
        if self.readout == "adaptive_spiking":
            arrays["tau_output_adp"] = np.asarray(self.tau_output_adp, dtype=np.float64)
            arrays["output_b0"] = np.float64(self.output_b0)
            arrays["output_beta"] = np.float64(self.output_beta)
        return arrays

    @classmethod
    def from_arrays(cls, arrays):
        """Inverse of :meth:`to_arrays` (time constants and step in seconds; files without
        ``readout`` hold a leaky readout)."""
        readout = str(np.asarray(arrays["readout"])) if "readout" in arrays else "leaky"
        values = {name: np.asarray(arrays[name], dtype=np.float64) for name in arrays if name != "readout"}
        for name in ("tau_m", "tau_adp", "tau_output", "tau_output_adp"):
            if name in values:
                values[name] = Quantity(values[name], dim=second.dim)
        scalars = {name: float(values.pop(name)) for name in ("b0", "beta", "output_b0", "output_beta") if name in values}
        return cls(step=float(values.pop("step")) * second, readout=readout, **scalars, **values)


def _xavier_uniform(rng, n_out, n_in):
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=(n_out, n_in))


def _orthogonal(rng, n):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _time_constant_samples(distribution, name, count, streams, step):
    distribution = as_distribution(distribution, name, second)
    stream = f"training/initial/{name}"
    values = distribution.sample(count, streams.generator(stream))
    check_positive_samples(values, name, distribution, seed_note=f"master seed {streams.master_seed}, stream {stream!r}")
    if float(np.min(values)) < float(step):
        raise ValueError(f"{name}: sampled values reach {float(np.min(values)) * 1e3:.4g} ms, below the step {step!r}; "
                         f"truncate the distribution at the step (e.g. Normal(20*ms, 5*ms, low=1*ms))")
    return values


def initial_parameters(n_inputs, n_hidden, n_outputs, seed, tau_m=DEFAULT_TAU_M, tau_adp=DEFAULT_TAU_ADP,
                       tau_output=DEFAULT_TAU_OUTPUT, b0=0.01, beta=1.8, step=1 * ms, readout="leaky",
                       tau_output_adp=DEFAULT_TAU_OUTPUT_ADP, output_b0=0.01, output_beta=1.8):
    """Initial parameters: Xavier-uniform input and output weights, orthogonal recurrent weights,
    zero biases, per-neuron time constants drawn from distributions.

    Parameters
    ----------
    n_inputs, n_hidden, n_outputs : int
    seed : int or SeedStreams
        Master seed; every array has its own stream (``training/initial/<name>``).
    tau_m, tau_adp, tau_output : Distribution or Quantity
        Distributions of the time constants (time); a quantity means homogeneous (``Constant``).
    b0, beta : float
        Baseline threshold and adaptation strength (``beta = 0``: plain LIF).
    step : brian2.Quantity
        Time step of the map.
    readout : {"leaky", "adaptive_spiking"}
        Kind of readout (:class:`SRNNParameters`).
    tau_output_adp : Distribution or Quantity
        Readout adaptation time constants (used only by ``"adaptive_spiking"``; stream
        ``training/initial/tau_output_adp``, so the other arrays do not change with the readout).
    output_b0, output_beta : float
        Threshold constants of a spiking readout.

    Returns
    -------
    SRNNParameters
    """
    for name, value in (("n_inputs", n_inputs), ("n_hidden", n_hidden), ("n_outputs", n_outputs)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    streams = seed if isinstance(seed, SeedStreams) else SeedStreams(seed)
    return SRNNParameters(
        input_weights=_xavier_uniform(streams.generator("training/initial/input_weights"), n_hidden, n_inputs),
        recurrent_weights=_orthogonal(streams.generator("training/initial/recurrent_weights"), n_hidden),
        hidden_bias=np.zeros(n_hidden),
        tau_m=_time_constant_samples(tau_m, "tau_m", n_hidden, streams, step),
        tau_adp=_time_constant_samples(tau_adp, "tau_adp", n_hidden, streams, step),
        output_weights=_xavier_uniform(streams.generator("training/initial/output_weights"), n_outputs, n_hidden),
        output_bias=np.zeros(n_outputs),
        tau_output=_time_constant_samples(tau_output, "tau_output", n_outputs, streams, step),
        b0=b0, beta=beta, step=step, readout=readout,
        tau_output_adp=(_time_constant_samples(tau_output_adp, "tau_output_adp", n_outputs, streams, step)
                        if readout == "adaptive_spiking" else None),
        output_b0=output_b0, output_beta=output_beta,
    )
