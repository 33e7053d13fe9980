"""The Diehl & Cook (2015) unsupervised STDP network as a :class:`NetworkSpec`, and its trainer.

Structure: ``n_inputs`` input channels (Poisson spikes with rates proportional to pixel intensity,
a :class:`RasterInput` named ``image``) -> all-to-all plastic synapses ``input_exc`` ->
``n_excitatory`` conductance-based neurons ``exc`` with the homeostatic threshold ``theta`` ->
one-to-one ``exc_inh`` -> ``inh`` -> ``inh_exc`` onto every *other* excitatory neuron
(winner-take-all). Every neuron and synapse parameter is a distribution, so heterogeneous time
constants work as everywhere else.

Compile once, train on many images
-----------------------------------
One standalone binary is built for a raster of ``images_per_run`` presentations (each
``t_present`` of Poisson input then ``t_rest`` of silence). :class:`DiehlCookNetwork` runs it
again and again: each run gets a new raster (``run_args``), the current weights, the pruning
mask, the adaptive thresholds ``theta`` and the plasticity switch; after the run it reads the
final weights back and advances ``theta`` from the recorded spikes. The membrane, conductances and
STDP traces restart from rest at every run, which is what the rest period does between images.

Weight normalisation (per excitatory neuron, the sum of its input weights is ``total_weight``,
78 in Diehl & Cook) is done in one of two ways, ``normalisation``:

* ``"run"`` -- exactly, host-side, after every run (so after every ``images_per_run`` images;
  ``images_per_run=1`` is Diehl & Cook's per-image normalisation);
* ``"spike"`` -- additionally inside the binary: at each postsynaptic spike, *before* the STDP
  update, the neuron's input weights are divided by their current sum (a Brian2 ``(summed)``
  variable ``w_total_input_exc``) and multiplied by ``total_weight``. Weights only change at
  postsynaptic spikes (pure power-law rule, ``eta_minus = 0``), so each neuron's weights are
  exactly normalised before each update and deviate from ``total_weight`` by at most one update.
  The summed variable costs one pass over all input synapses per time step.

Pruning: the plastic synapse carries a per-synapse ``mask`` (0 or 1, a run argument); every weight
update is multiplied by it, so a pruned synapse stays at 0 and the same binary serves the dense and
every pruned network (``hetero_brian.analysis.pruning`` computes the masks and quantised weights).

References
----------
P. U. Diehl, M. Cook, "Unsupervised learning of digit recognition using spike-timing-dependent
plasticity", Front. Comput. Neurosci. 9:99 (2015).
N. Rathi, P. Panda, K. Roy, "STDP-based pruning of connections and weight quantization in spiking
neural networks for energy-efficient recognition", IEEE TCAD 38:668 (2019).
"""
import math
from dataclasses import dataclass, field

import numpy as np
from brian2 import Hz, Quantity, mV, ms, second, volt

from ..distributions import Constant, Uniform
from ..errors import UnitError
from ..models.base import ParameterInfo, unit_name
from ..models.neurons import DIEHL_COOK_EXCITATORY, DIEHL_COOK_INHIBITORY, ConductanceLIF
from ..models.synapses import STDP, StaticSynapse
from ..random import as_generator
from .spec import NetworkSpec, Population, Projection, RasterInput, RateInput
from .connectivity import all_to_all, one_to_one

NORMALISATIONS = ("run", "spike")
INPUT_NAME = "image"
INPUT_MODES = ("raster", "rate")


@dataclass(frozen=True)
class MaskedSTDP(STDP):
    """:class:`STDP` with a per-synapse ``mask`` and optional divisive normalisation at post spikes.

    Parameters
    ----------
    mask : Distribution or float
        Initial mask (1 = kept, 0 = pruned); normally set per run. Every weight update is
        multiplied by it.
    total_weight : Quantity or float, optional
        When given, at each postsynaptic spike (before the STDP update, and only while
        ``plastic = 1``) the postsynaptic neuron's input weights are scaled so that they sum to
        ``total_weight`` (same unit as the weight). ``None``: no in-run normalisation.
    Other parameters as in :class:`STDP`.

    Notes
    -----
    With ``S_j = sum_i w_ij`` (a Brian2 summed variable, updated every time step), at a spike of
    post neuron ``j``: ``w_ij <- clip(w_ij (1 + plastic (W / S_j - 1)), w_min, w_max)``, then the
    STDP rule, then ``w_ij <- w_ij mask_ij``.
    """

    mask: object = Constant(1.0)
    total_weight: object = None

    def parameter_infos(self):
        return dict(super().parameter_infos(), mask=ParameterInfo(1, description="1 = kept, 0 = pruned"))

    def __post_init__(self):
        super().__post_init__()
        low, high = self.mask.support_si()
        if low < 0 or high > 1:
            raise ValueError(f"MaskedSTDP.mask must lie in [0, 1]; got {self.mask!r}")
        if self.total_weight is not None:
            value = self.total_weight
            if getattr(value, "dim", None) != getattr(self.weight_unit, "dim", None) and not (
                    not hasattr(value, "dim") and self.weight_unit.dim.is_dimensionless):
                raise UnitError(f"MaskedSTDP.total_weight must have the unit of the weight ({self.weight_unit}); "
                                f"got {value!r}")
            if not float(value) > 0:
                raise ValueError(f"MaskedSTDP.total_weight must be > 0; got {value!r}")

    def constant_parameters(self):
        """As :meth:`STDP.constant_parameters`, but ``mask`` always stays one value per synapse
        (pruning sets it per synapse at run time)."""
        return tuple(name for name in super().constant_parameters() if name != "mask")

    def _sum_name(self, name):
        return f"w_total_{name}"

    def model(self, name="stdp", shared=()):
        text = super().model(name, shared)
        if self.total_weight is not None:
            text += f"\n{self._sum_name(name)}_post = w : {unit_name(self.weight_unit)} (summed)"
        return text

    def on_pre(self, name="stdp"):
        return super().on_pre(name) + "\nw = w * mask"

    def on_post(self, name="stdp"):
        lines = []
        if self.total_weight is not None:
            total = f"{self._sum_name(name)}_post"
            # clipped: scaling up a weight already at w_max would leave (1 - w / w_max)**mu of the
            # power-law rule undefined (NaN) for the update that follows
            lines.append(f"w = clip(w * (1 + plastic * (total_weight / clip({total}, total_floor, total_weight * 1e12) - 1)), "
                         "w_min, w_max)")
        lines.append(super().on_post(name))
        lines.append("w = w * mask")
        return "\n".join(lines)

    def namespace(self):
        names = super().namespace()
        if self.total_weight is not None:
            total = self.total_weight if hasattr(self.total_weight, "dim") else float(self.total_weight)
            names.update(total_weight=total, total_floor=total * 1e-9)
        return names

    def neuron_trace_code(self, name, shared=()):
        code = super().neuron_trace_code(name, shared)
        if self.total_weight is None:
            return code
        equations, reset = code["post"]
        line = f"{self._sum_name(name)} : {unit_name(self.weight_unit)}"
        code["post"] = ((equations + "\n" + line) if equations else line, reset)
        return code


def diehl_cook_synapse(total_weight=None, eta_plus=0.01, x_target=0.4, mu=0.2, w_max=1.0,
                       weight=Uniform(0.0, 0.3), tau_pre=Constant(20 * ms), tau_post=Constant(20 * ms)):
    """The plastic input synapse of Diehl & Cook: power-law STDP onto ``g_e``, nearest-spike traces.

    ``dw = w_max eta_plus (x_pre - x_target)(1 - w / w_max)^mu`` at each postsynaptic spike
    (``eta_minus = 0``), weights in ``[0, w_max]`` (dimensionless conductance jumps), initial weights
    ``Uniform(0, 0.3)`` as in their code. ``total_weight``: see :class:`MaskedSTDP`.
    """
    return MaskedSTDP(weight=_distribution(weight), w_max=w_max, rule="power_law", tau_pre=tau_pre, tau_post=tau_post,
                      eta_plus=eta_plus, eta_minus=0.0, mu=mu, x_target=x_target, pairing="nearest",
                      traces="synapse", target="g_e", total_weight=total_weight)


def diehl_cook_spec(n_excitatory, n_steps, n_inputs=784, dt=0.5 * ms, excitatory=DIEHL_COOK_EXCITATORY,
                    inhibitory=DIEHL_COOK_INHIBITORY, input_synapse=None, weight_excitatory_inhibitory=10.4,
                    weight_inhibitory_excitatory=17.0, row_duration=None):
    """The Diehl & Cook network as a :class:`NetworkSpec` with an input of ``n_steps`` steps.

    Parameters
    ----------
    n_excitatory : int
        Number of excitatory (and of inhibitory) neurons.
    n_steps : int
        Length of the input raster (steps of ``dt``); every run must present a raster of this shape.
    n_inputs : int
        Input channels (784 pixels for MNIST).
    dt : brian2.Quantity
        Time step (0.5 ms in Diehl & Cook).
    excitatory, inhibitory : ConductanceLIF
        Neuron specs (their distributions give heterogeneity).
    input_synapse : MaskedSTDP, optional
        Default :func:`diehl_cook_synapse` (no in-run normalisation).
    weight_excitatory_inhibitory, weight_inhibitory_excitatory : float or Distribution
        Fixed conductance jumps of ``exc -> inh`` (one-to-one) and ``inh -> exc`` (all but self).
    row_duration : brian2.Quantity, optional
        None (default): the input is a spike raster (:class:`RasterInput`, Poisson spikes drawn on
        the host). Given: the input is a :class:`RateInput` of piecewise-constant rates, one row per
        ``row_duration`` (a multiple of dt dividing ``n_steps dt``), spikes drawn on the device.

    Returns
    -------
    NetworkSpec
        Populations ``exc``, ``inh``; input ``image``; projections ``input_exc``, ``exc_inh``,
        ``inh_exc``.
    """
    for name, value, minimum in (("n_excitatory", n_excitatory, 2), ("n_steps", n_steps, 1), ("n_inputs", n_inputs, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    for name, model in (("excitatory", excitatory), ("inhibitory", inhibitory)):
        if not isinstance(model, ConductanceLIF):
            raise ValueError(f"{name} must be a ConductanceLIF spec; got {type(model).__name__}")
    synapse = input_synapse if input_synapse is not None else diehl_cook_synapse()
    if not isinstance(synapse, MaskedSTDP) or synapse.target != "g_e":
        raise ValueError(f"input_synapse must be a MaskedSTDP onto g_e; got {synapse!r}")
    if row_duration is None:
        source = RasterInput(INPUT_NAME, np.zeros((int(n_steps), int(n_inputs)), dtype=np.uint8), dt)
    else:
        row_steps = int(round(float(row_duration) / float(dt)))
        if row_steps < 1 or abs(row_steps * float(dt) - float(row_duration)) > 1e-9 or n_steps % row_steps:
            raise ValueError(f"row_duration {row_duration!r} must be a multiple of dt {dt!r} dividing n_steps dt")
        source = RateInput(INPUT_NAME, np.zeros((int(n_steps) // row_steps, int(n_inputs))), row_duration)
    i_in, j_in = all_to_all(n_inputs, n_excitatory)
    i_ei, j_ei = one_to_one(n_excitatory)
    i_ie, j_ie = all_to_all(n_excitatory, n_excitatory, allow_self=False)
    projections = (
        Projection("input_exc", INPUT_NAME, "exc", synapse, i_in, j_in),
        Projection("exc_inh", "exc", "inh", StaticSynapse(weight=_distribution(weight_excitatory_inhibitory), target="g_e"), i_ei, j_ei),
        Projection("inh_exc", "inh", "exc", StaticSynapse(weight=_distribution(weight_inhibitory_excitatory), target="g_i"), i_ie, j_ie),
    )
    return NetworkSpec(populations=(Population("exc", int(n_excitatory), excitatory),
                                    Population("inh", int(n_excitatory), inhibitory)),
                       projections=projections, inputs=(source,), dt=dt)


def _distribution(value):
    """A plain number becomes a dimensionless :class:`Constant`; distributions pass through."""
    return Constant(float(value)) if isinstance(value, (int, float, np.floating, np.integer)) else value


def _time(value, name, allow_zero=False):
    if not isinstance(value, Quantity) or not value.has_same_dimensions(second):
        raise UnitError(f"{name} must be a time quantity (e.g. 350*ms); got {value!r}")
    if not (float(value) >= 0 if allow_zero else float(value) > 0):
        raise ValueError(f"{name} must be {'>=' if allow_zero else '>'} 0; got {value!r}")
    return float(value)


@dataclass(frozen=True, eq=False)
class DiehlCookParameters:
    """Everything that shapes a Diehl & Cook network and its presentation protocol.

    Parameters
    ----------
    n_excitatory : int
        Excitatory neurons (and inhibitory ones).
    max_rate : brian2.Quantity
        Input rate of a pixel of intensity 255 (63.75 Hz = 255 / 4 Hz in Diehl & Cook).
    t_present, t_rest : brian2.Quantity
        Presentation and rest time per image (350 ms and 150 ms).
    dt : brian2.Quantity
        Time step (0.5 ms).
    images_per_run : int
        Images in one run of the compiled binary (the raster shape); shorter batches are padded
        with blank images.
    total_weight : float
        Sum of each excitatory neuron's input weights after normalisation (78).
    normalisation : {"run", "spike"}
        See the module docstring.
    initial_theta : brian2.Quantity
        Starting adaptive threshold (20 mV in Diehl & Cook's training code).
    min_spikes : int
        An image that makes fewer excitatory spikes is presented again with ``rate_increment``
        more maximum rate (all rates scaled up; Diehl & Cook: 5 spikes, +32 Hz), at most ``max_presentations`` times.
    rate_increment : brian2.Quantity
    max_presentations : int
    excitatory, inhibitory : ConductanceLIF
        Neuron specs (heterogeneous time constants: distributions in them).
    synapse : dict
        Keyword arguments of :func:`diehl_cook_synapse` (``eta_plus``, ``x_target``, ``mu``,
        ``w_max``, ``weight``, ``tau_pre``, ``tau_post``).
    weight_excitatory_inhibitory, weight_inhibitory_excitatory : float
        Conductance jumps of the winner-take-all loop (10.4 and 17).
    input_mode : {"raster", "rate"}
        ``raster``: Poisson spikes drawn on the host and sent as a spike raster with every run
        (``images_per_run x steps_per_image x n_inputs`` numbers); ``rate``: the pixel rates are
        sent (a few rows per image) and the device draws the spikes, seeded per run from the
        ``rng`` of :meth:`DiehlCookNetwork.present`. Same statistics, much less data per run.
    """

    n_excitatory: int = 100
    max_rate: Quantity = field(default_factory=lambda: 63.75 * Hz)
    t_present: Quantity = field(default_factory=lambda: 350 * ms)
    t_rest: Quantity = field(default_factory=lambda: 150 * ms)
    dt: Quantity = field(default_factory=lambda: 0.5 * ms)
    images_per_run: int = 10
    total_weight: float = 78.0
    normalisation: str = "run"
    initial_theta: Quantity = field(default_factory=lambda: 20 * mV)
    min_spikes: int = 5
    rate_increment: Quantity = field(default_factory=lambda: 32 * Hz)
    max_presentations: int = 3
    excitatory: ConductanceLIF = DIEHL_COOK_EXCITATORY
    inhibitory: ConductanceLIF = DIEHL_COOK_INHIBITORY
    synapse: dict = field(default_factory=dict)
    weight_excitatory_inhibitory: float = 10.4
    weight_inhibitory_excitatory: float = 17.0
    input_mode: str = "raster"

    def __post_init__(self):
        for name in ("n_excitatory", "images_per_run", "max_presentations"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
        if isinstance(self.min_spikes, bool) or not isinstance(self.min_spikes, (int, np.integer)) or self.min_spikes < 0:
            raise ValueError(f"min_spikes must be a non-negative integer; got {self.min_spikes!r}")
        for name in ("max_rate", "rate_increment"):
            value = getattr(self, name)
            if not isinstance(value, Quantity) or not value.has_same_dimensions(Hz) or float(value) < 0:
                raise UnitError(f"{name} must be a non-negative frequency (e.g. 63.75*Hz); got {value!r}")
        if not float(self.max_rate) > 0:
            raise ValueError(f"max_rate must be > 0; got {self.max_rate!r}")
        dt = _time(self.dt, "dt")
        for name in ("t_present", "t_rest"):
            value = _time(getattr(self, name), name, allow_zero=(name == "t_rest"))
            if abs(value / dt - round(value / dt)) > 1e-6:
                raise ValueError(f"{name} = {getattr(self, name)!r} is not a multiple of dt = {self.dt!r}")
        if (float(self.max_rate) + float(self.rate_increment) * (self.max_presentations - 1)) * dt > 1:
            raise ValueError("max_rate (plus the increments) times dt must be <= 1 (one spike per step at most); "
                             f"got max_rate={self.max_rate!r}, dt={self.dt!r}")
        if self.input_mode not in INPUT_MODES:
            raise ValueError(f"input_mode must be one of {INPUT_MODES}; got {self.input_mode!r}")
        if self.normalisation not in NORMALISATIONS:
            raise ValueError(f"normalisation must be one of {NORMALISATIONS}; got {self.normalisation!r}")
        if not float(self.total_weight) > 0:
            raise ValueError(f"total_weight must be > 0; got {self.total_weight!r}")
        if not isinstance(self.initial_theta, Quantity) or not self.initial_theta.has_same_dimensions(volt):
            raise UnitError(f"initial_theta must be a voltage (e.g. 20*mV); got {self.initial_theta!r}")

    @property
    def steps_per_image(self):
        return int(round((float(self.t_present) + float(self.t_rest)) / float(self.dt)))

    @property
    def row_steps(self):
        """Steps per row of the rate input: the largest step count dividing presentation and rest."""
        present = int(round(float(self.t_present) / float(self.dt)))
        rest = int(round(float(self.t_rest) / float(self.dt)))
        return math.gcd(present, rest)

    def spec(self, n_inputs=784):
        """The :class:`NetworkSpec` (input raster of ``images_per_run`` images)."""
        total = self.total_weight if self.normalisation == "spike" else None
        synapse = diehl_cook_synapse(total_weight=total, **self.synapse)
        row_duration = self.row_steps * self.dt if self.input_mode == "rate" else None
        return diehl_cook_spec(self.n_excitatory, self.steps_per_image * self.images_per_run, n_inputs, self.dt,
                               self.excitatory, self.inhibitory, synapse, self.weight_excitatory_inhibitory,
                               self.weight_inhibitory_excitatory, row_duration=row_duration)



def presentation_rates(parameters, intensities, boosts):
    """Rows of a :class:`RateInput` presenting samples one after another, and their windows.

    Parameters
    ----------
    parameters : DiehlCookParameters
        Presentation protocol (``t_present``, ``t_rest``, ``dt``, ``row_steps``) and ``max_rate``.
    intensities : array_like, shape (n_samples, n_channels)
        Intensities in [0, 1]; channel rate ``intensity * (max_rate + boost)`` during the
        presentation, 0 during the rest.
    boosts : sequence of float
        Extra maximum rate per sample (Hz).

    Returns
    -------
    rates : ndarray, shape (n_samples * rows_per_sample, n_channels)
        Rates in Hz.
    windows : ndarray, shape (n_samples, 2)
        Start and end (s) of each presentation within the run.
    """
    p = parameters
    intensities = np.asarray(intensities, dtype=float)
    rows_present = int(round(float(p.t_present) / float(p.dt))) // p.row_steps
    rows_per_sample = p.steps_per_image // p.row_steps
    rates = np.zeros((rows_per_sample * len(intensities), intensities.shape[1]))
    for k, (row, boost) in enumerate(zip(intensities, boosts)):
        rates[k * rows_per_sample:k * rows_per_sample + rows_present] = row * (float(p.max_rate) + boost)
    starts = p.steps_per_image * float(p.dt) * np.arange(len(intensities))
    return rates, np.stack([starts, starts + float(p.t_present)], axis=1)

@dataclass
class Presentation:
    """Responses to a sequence of images (one entry per image, in the order given).

    Attributes
    ----------
    counts : ndarray of int, shape (n_images, n_excitatory)
        Excitatory spikes during each image's (last) presentation.
    n_presentations : ndarray of int, shape (n_images,)
        How often each image was shown (> 1 when it evoked fewer than ``min_spikes`` spikes).
    input_spikes, excitatory_spikes, inhibitory_spikes : tuple of ndarray
        ``(node_ids, timestamps)`` of every run, times shifted onto the network's continuous clock (s).
    t_start, t_stop : float
        Window of these runs on that clock (s).
    boundaries : ndarray, shape (n_images, 2)
        ``[start, stop)`` of each image's last presentation on that clock (s).
    """

    counts: np.ndarray
    n_presentations: np.ndarray
    input_spikes: tuple
    excitatory_spikes: tuple
    inhibitory_spikes: tuple
    t_start: float
    t_stop: float
    boundaries: np.ndarray


class DiehlCookNetwork:
    """Build once, then train and test a Diehl & Cook network on many images.

    Parameters
    ----------
    parameters : DiehlCookParameters
    n_inputs : int
        Pixels per image.
    backend : str
        ``"cpp_standalone"`` (one compiled binary for every run), ``"runtime"`` or ``"auto"``.
    seed : int, optional
        Master seed (heterogeneous parameters and initial weights).
    build_root : str, optional

    Attributes
    ----------
    weights : ndarray, shape (n_inputs * n_excitatory,)
        Current input weights, synapse ``k`` from input ``i[k]`` to neuron ``j[k]``.
    mask : ndarray of bool
        Kept input synapses.
    theta : ndarray (V)
        Current adaptive thresholds.

    Examples
    --------
    >>> with DiehlCookNetwork(DiehlCookParameters(n_excitatory=10), seed=1) as network:  # doctest: +SKIP
    ...     network.present(train_images, learn=True, rng=1)
    ...     responses = network.present(test_images, learn=False, rng=2).counts
    """

    def __init__(self, parameters, n_inputs=784, backend="auto", seed=None, build_root=None):
        from ..simulate import Recording, Simulator

        if not isinstance(parameters, DiehlCookParameters):
            raise ValueError(f"parameters must be DiehlCookParameters; got {type(parameters).__name__}")
        self.parameters = parameters
        self.n_inputs = int(n_inputs)
        self.spec = parameters.spec(self.n_inputs)
        duration = parameters.steps_per_image * parameters.images_per_run * parameters.dt
        self.simulator = Simulator(self.spec, duration, backend=backend, seed=seed,
                                   recording=Recording(spikes=(INPUT_NAME, "exc", "inh")), build_root=build_root)
        self.i, self.j = self.spec.projections[0].i, self.spec.projections[0].j
        self.n_runs = 0
        self.simulated_time = 0.0

    def __enter__(self):
        self.simulator.__enter__()
        sampled = self.simulator.built.sampled
        self.weights = np.asarray(sampled["input_exc"]["weight"], dtype=float).copy()
        self.mask = np.ones(self.weights.size, dtype=bool)
        self.theta = np.full(self.parameters.n_excitatory, float(self.parameters.initial_theta))
        self.theta_plus = np.asarray(sampled["exc"]["theta_plus"], dtype=float)
        self.tau_theta = np.asarray(sampled["exc"]["tau_theta"], dtype=float)
        self.w_max = float(self.spec.projections[0].synapse.w_max.value_si)
        self.normalise()
        return self

    def __exit__(self, kind, error, traceback):
        return self.simulator.__exit__(kind, error, traceback)

    # -- state ------------------------------------------------------------------------------------
    def normalise(self):
        """Scale each neuron's kept input weights to sum to ``total_weight`` (clipped at ``w_max``)."""
        weights = np.where(self.mask, self.weights, 0.0)
        sums = np.bincount(self.j, weights, minlength=self.parameters.n_excitatory)
        factor = np.divide(float(self.parameters.total_weight), sums, out=np.ones_like(sums), where=sums > 0)
        self.weights = np.clip(weights * factor[self.j], 0.0, self.w_max)

    def set_synapses(self, weights, mask):
        """Load new input weights and a keep mask (pruned weights are set to 0)."""
        weights = np.asarray(weights, dtype=float)
        mask = np.asarray(mask)
        if weights.shape != self.weights.shape or mask.shape != self.weights.shape:
            raise ValueError(f"weights and mask must have shape {self.weights.shape}; got {weights.shape}, {mask.shape}")
        if mask.dtype != bool and not np.all((mask == 0) | (mask == 1)):
            raise ValueError("mask must hold booleans or 0/1")
        if np.any(~np.isfinite(weights)) or weights.min() < 0 or weights.max() > self.w_max * (1 + 1e-12):
            raise ValueError(f"weights must lie in [0, w_max={self.w_max}]")
        self.mask = mask.astype(bool)
        self.weights = np.where(self.mask, weights, 0.0)

    # -- runs -------------------------------------------------------------------------------------
    def _raster(self, images, boosts, rng):
        from ..inputs import poisson_encode, stimulus_sequence, to_dense_raster

        p = self.parameters
        samples = []
        for image, boost in zip(images, boosts):
            rates = np.asarray(image, dtype=float).reshape(-1) / 255.0 * (float(p.max_rate) + boost)
            samples.append(poisson_encode(rates, float(p.dt), rng, duration=float(p.t_present)))
        stimulus, boundaries = stimulus_sequence(samples, float(p.t_present), float(p.t_rest), dt=float(p.dt))
        n_steps = self.spec.inputs[0].raster.shape[0]
        raster = to_dense_raster(stimulus.indices, stimulus.times, self.n_inputs, float(p.dt), n_steps * float(p.dt))
        return raster, boundaries

    def _run_batch(self, images, boosts, learn, rng):
        p = self.parameters
        n_real = len(images)
        padded = list(images) + [np.zeros(self.n_inputs)] * (p.images_per_run - n_real)
        padded_boosts = list(boosts) + [0.0] * (p.images_per_run - n_real)
        parameters = {"input_exc.weight": self.weights, "input_exc.mask": self.mask.astype(float),
                      "exc.theta": self.theta * volt, "input_exc.plastic": 1.0 if learn else 0.0}
        if not learn:
            parameters["exc.theta_plus"] = np.zeros(p.n_excitatory) * volt
        if p.input_mode == "rate":
            intensities = np.asarray(padded, dtype=float).reshape(len(padded), -1) / 255.0
            values, boundaries = presentation_rates(p, intensities, padded_boosts)
            result = self.simulator.run(parameters=parameters, inputs={INPUT_NAME: values},
                                        noise_seed=int(rng.integers(2**31 - 1)))
        else:
            raster, boundaries = self._raster(padded, padded_boosts, rng)
            result = self.simulator.run(parameters=parameters, inputs={INPUT_NAME: raster})
        exc = result.spikes["exc"]
        sample = np.searchsorted(boundaries[:, 0], exc.timestamps, side="right") - 1
        inside = (sample >= 0) & (exc.timestamps < boundaries[np.maximum(sample, 0), 1])
        counts = np.zeros((p.images_per_run, p.n_excitatory), dtype=np.int64)
        np.add.at(counts, (sample[inside], exc.node_ids[inside]), 1)
        if learn:
            self.weights = np.asarray(result.synapses["input_exc"].w, dtype=float).copy()
            duration = float(self.simulator.duration)
            decay = np.exp(-(duration - exc.timestamps) / self.tau_theta[exc.node_ids])
            increments = np.bincount(exc.node_ids, self.theta_plus[exc.node_ids] * decay, minlength=p.n_excitatory)
            self.theta = self.theta * np.exp(-duration / self.tau_theta) + increments
            self.normalise()
        self.n_runs += 1
        return result, counts[:n_real], boundaries[:n_real]

    def present(self, images, learn, rng):
        """Show ``images`` (array ``(n_images, ...)`` of 0-255 intensities) in batches of ``images_per_run``.

        Parameters
        ----------
        images : array_like
        learn : bool
            Plasticity and threshold adaptation on (training) or off (labelling and testing).
        rng : numpy.random.Generator or int
            Source of the Poisson input spikes.

        Returns
        -------
        Presentation
        """
        p = self.parameters
        images = np.asarray(images, dtype=float).reshape(len(images), -1)
        if images.shape[1] != self.n_inputs:
            raise ValueError(f"images must have {self.n_inputs} pixels each; got {images.shape[1]}")
        if images.size and (images.min() < 0 or images.max() > 255 or not np.all(np.isfinite(images))):
            raise ValueError("images must hold intensities in [0, 255]")
        rng = as_generator(rng)
        n_images = images.shape[0]
        counts = np.zeros((n_images, p.n_excitatory), dtype=np.int64)
        shown = np.zeros(n_images, dtype=np.int64)
        spikes = {name: ([], []) for name in (INPUT_NAME, "exc", "inh")}
        boundaries = np.zeros((n_images, 2))
        queue = list(range(n_images))
        t_start = self.simulated_time
        period = float(self.simulator.duration)
        while queue:
            batch, queue = queue[:p.images_per_run], queue[p.images_per_run:]
            boosts = shown[batch] * float(p.rate_increment)
            result, batch_counts, batch_bounds = self._run_batch(images[batch], boosts, learn, rng)
            offset = self.simulated_time
            for name, (ids, times) in spikes.items():
                ids.append(result.spikes[name].node_ids)
                times.append(result.spikes[name].timestamps + offset)
            counts[batch] = batch_counts
            boundaries[batch] = batch_bounds + offset
            shown[batch] += 1
            self.simulated_time += period
            retry = [k for k, c in zip(batch, batch_counts.sum(axis=1)) if c < p.min_spikes and shown[k] < p.max_presentations]
            queue = retry + queue if retry else queue
        joined = {name: (np.concatenate(ids) if ids else np.zeros(0, np.int64),
                         np.concatenate(times) if times else np.zeros(0)) for name, (ids, times) in spikes.items()}
        return Presentation(counts=counts, n_presentations=shown, input_spikes=joined[INPUT_NAME],
                            excitatory_spikes=joined["exc"], inhibitory_spikes=joined["inh"],
                            t_start=t_start, t_stop=self.simulated_time, boundaries=boundaries)


__all__ = ["MaskedSTDP", "diehl_cook_synapse", "diehl_cook_spec", "DiehlCookParameters", "presentation_rates", "DiehlCookNetwork",
           "Presentation", "NORMALISATIONS", "INPUT_NAME"]
