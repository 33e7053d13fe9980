"""A multimodal STDP network: two Diehl & Cook ensembles joined by plastic cross-modal synapses.

Structure (Rathi & Roy 2018): an *image* ensemble and an *audio* ensemble, each a Diehl & Cook
(2015) winner-take-all ensemble (raster input -> power-law STDP onto ``exc_<modality>`` ->
one-to-one ``exc_inh_<modality>`` -> ``inh_<modality>`` -> ``inh_exc_<modality>`` onto every other
excitatory neuron of the *same* ensemble). Two all-to-all projections join the ensembles, one in
each direction: ``image_to_audio`` (``exc_image`` -> ``exc_audio``) and ``audio_to_image``. They are
excitatory only (onto ``g_e``), plastic with the same power-law rule, and never reach the other
ensemble's inhibitory neurons, so they add drive without inhibiting the other ensemble.

Inputs are two sources named ``image`` and ``audio``: per-channel intensities in [0, 1] become
Poisson rates ``intensity * max_rate`` of that ensemble's parameters, drawn on the host into a
:class:`RasterInput` (``input_mode="raster"``) or on the device from a :class:`RateInput`
(``input_mode="rate"``, 3x faster per sample in :class:`DiehlCookNetwork`). A missing modality is a
silent input.

The training protocol (one compiled binary, many runs) is
:class:`hetero_brian.protocols.multimodal.MultimodalNetwork`.

References
----------
N. Rathi, K. Roy, "STDP-based unsupervised multimodal learning with cross-modal processing in spiking
neural network", IEEE Trans. Emerg. Topics Comput. Intell. (2018).
P. U. Diehl, M. Cook, Front. Comput. Neurosci. 9:99 (2015).
"""
import numpy as np
from brian2 import Quantity, ms, second
from pydantic import Field, model_validator

from ..config import QuantityField
from ..distributions import Constant, Uniform
from ..models.synapses import STDP, StaticSynapse
from .spec import NetworkSpec, Population, Projection, RasterInput, RateInput
from .connectivity import all_to_all, one_to_one
from .diehl_cook import DiehlCookParameters

MODALITIES = ("image", "audio")
CROSS = {"image_to_audio": ("image", "audio"), "audio_to_image": ("audio", "image")}


def cross_modal_synapse(w_max=0.5, eta_plus=0.02, x_target=0.2, mu=0.2, initial_max=0.05, tau_pre=20 * ms):
    """Excitatory plastic cross-modal synapse: power-law STDP onto ``g_e``, weights in ``[0, w_max]``.

    ``dw = w_max eta_plus (x_pre - x_target)(1 - w / w_max)^mu`` at each postsynaptic spike
    (nearest-spike presynaptic trace with time constant ``tau_pre``, no pre-spike depression), so a
    link from a neuron that fired within about ``tau_pre`` before grows and a link from a silent one
    shrinks. Winners of a Diehl & Cook ensemble fire a few spikes spread over the whole
    presentation, so a ``tau_pre`` of the order of the spike interval (tens of ms) is needed for
    co-active neurons to reach ``x_target``. Initial weights ``Uniform(0, initial_max)``.
    """
    if not 0 < initial_max <= w_max:
        raise ValueError(f"initial_max must lie in (0, w_max={w_max}]; got {initial_max!r}")
    if not isinstance(tau_pre, Quantity) or not tau_pre.has_same_dimensions(second) or not float(tau_pre) > 0:
        raise ValueError(f"tau_pre must be a positive time (e.g. 50*ms); got {tau_pre!r}")
    return STDP(weight=Uniform(0.0, float(initial_max)), w_max=float(w_max), rule="power_law",
                tau_pre=Constant(tau_pre), tau_post=Constant(20 * ms), eta_plus=float(eta_plus), eta_minus=0.0,
                mu=float(mu), x_target=float(x_target), pairing="nearest", traces="synapse", target="g_e")


class MultimodalParameters(DiehlCookParameters):
    """Parameters of the two ensembles and of the cross-modal links.

    The fields of :class:`DiehlCookParameters` are shared by both ensembles (size, rates, one
    presentation protocol, neuron models, input rule); only the total input weight differs per
    ensemble. A :class:`~hetero_brian.config.StrictModel`: scenario configurations derive from it.

    Parameters
    ----------
    image_total_weight, audio_total_weight : float
        Sum of each excitatory neuron's input weights after normalisation, per ensemble (the
        inherited ``total_weight`` is unused).
    cross_w_max : float
        Upper bound of a cross-modal weight (dimensionless conductance jump).
    cross_eta_plus, cross_x_target, cross_mu : float
        Power-law rule of the cross-modal synapses (see :func:`cross_modal_synapse`).
    cross_initial_max : float
        Initial cross weights are ``Uniform(0, cross_initial_max)``.
    cross_total_weight : float
        Sum of each postsynaptic neuron's cross-modal input weights after each learning run (> 0).
    cross_tau_pre : brian2.Quantity
        Presynaptic trace time constant of the cross-modal rule (20 ms as the input synapses).

    Notes
    -----
    The cross-modal defaults here are the original ones; on MNIST + FSDD with 100 neurons per
    ensemble, ``cross_eta_plus=0.2``, ``cross_x_target=0.1``, ``cross_total_weight=5``,
    ``cross_tau_pre=100 ms`` and three passes over the cross pairs concentrate the links about
    twice as well (``scenarios/multimodal_digits.py``, docs/results/multimodal.md).
    """

    image_total_weight: float = Field(
        78.0, description="sum of each image neuron's input weights after normalisation (dimensionless)")
    audio_total_weight: float = Field(
        78.0, description="sum of each audio neuron's input weights after normalisation (dimensionless)")
    cross_w_max: float = Field(0.5, description="upper bound of a cross-modal weight (dimensionless conductance jump)")
    cross_eta_plus: float = Field(0.02, description="learning rate of the cross-modal power-law rule (dimensionless)")
    cross_x_target: float = Field(0.2, description="target presynaptic trace of the cross-modal rule (dimensionless)")
    cross_mu: float = Field(0.2, description="weight-dependence exponent of the cross-modal rule (dimensionless)")
    cross_initial_max: float = Field(
        0.05, description="initial cross weights are Uniform(0, cross_initial_max) (dimensionless)")
    cross_total_weight: float = Field(
        2.0, description="sum of each neuron's cross-modal input weights after each learning run (> 0)")
    cross_tau_pre: QuantityField(ms) = Field(
        "20 ms", description="presynaptic trace time constant of the cross-modal rule (time)")

    @model_validator(mode="after")
    def _check_cross(self):
        for name in ("image_total_weight", "audio_total_weight", "cross_w_max", "cross_total_weight",
                     "cross_initial_max"):
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"{name} must be > 0; got {getattr(self, name)!r}")
        for name in ("cross_eta_plus", "cross_x_target", "cross_mu"):
            if not float(getattr(self, name)) >= 0:
                raise ValueError(f"{name} must be >= 0; got {getattr(self, name)!r}")
        if not float(self.cross_tau_pre) > 0:
            raise ValueError(f"cross_tau_pre must be a positive time (e.g. 50*ms); got {self.cross_tau_pre!r}")
        self.cross_synapse()  # checks cross_initial_max against cross_w_max
        return self

    def ensemble(self, modality):
        """The :class:`DiehlCookParameters` of one ensemble (``"image"`` or ``"audio"``)."""
        if modality not in MODALITIES:
            raise ValueError(f"modality must be one of {MODALITIES}; got {modality!r}")
        shared = {name: getattr(self, name) for name in DiehlCookParameters.model_fields}
        return DiehlCookParameters(**dict(shared, total_weight=getattr(self, f"{modality}_total_weight")))

    @property
    def steps_per_sample(self):
        return self.steps_per_image

    def cross_synapse(self):
        return cross_modal_synapse(self.cross_w_max, self.cross_eta_plus, self.cross_x_target, self.cross_mu,
                                   self.cross_initial_max, self.cross_tau_pre)


def multimodal_spec(parameters, n_image_inputs, n_audio_inputs):
    """The two-ensemble network as a :class:`NetworkSpec` with rasters of ``images_per_run`` samples.

    Returns
    -------
    NetworkSpec
        Populations ``exc_image``, ``inh_image``, ``exc_audio``, ``inh_audio``; inputs ``image``,
        ``audio``; projections ``image_exc``, ``audio_exc`` (plastic input synapses),
        ``exc_inh_<m>``, ``inh_exc_<m>`` (winner-take-all within ensemble ``m``), ``image_to_audio``
        and ``audio_to_image`` (plastic, excitatory, between excitatory neurons only).
    """
    if not isinstance(parameters, MultimodalParameters):
        raise ValueError(f"parameters must be MultimodalParameters; got {type(parameters).__name__}")
    n_steps = parameters.steps_per_sample * parameters.images_per_run
    sizes = {"image": n_image_inputs, "audio": n_audio_inputs}
    populations, inputs, projections = [], [], []
    for modality in MODALITIES:
        p = parameters.ensemble(modality)
        n_inputs = sizes[modality]
        if isinstance(n_inputs, bool) or not isinstance(n_inputs, (int, np.integer)) or n_inputs < 1:
            raise ValueError(f"n_{modality}_inputs must be a positive integer; got {n_inputs!r}")
        n = int(p.n_excitatory)
        if n < 2:
            raise ValueError(f"{modality}.n_excitatory must be >= 2; got {n}")
        exc, inh = f"exc_{modality}", f"inh_{modality}"
        populations += [Population(exc, n, p.excitatory), Population(inh, n, p.inhibitory)]
        if p.input_mode == "rate":
            inputs.append(RateInput(modality, np.zeros((n_steps // p.row_steps, int(n_inputs))), p.row_steps * p.dt))
        else:
            inputs.append(RasterInput(modality, np.zeros((n_steps, int(n_inputs)), dtype=np.uint8), p.dt))
        synapse = p.input_synapse(p.total_weight if p.normalisation == "spike" else None)
        i_in, j_in = all_to_all(int(n_inputs), n)
        i_ei, j_ei = one_to_one(n)
        i_ie, j_ie = all_to_all(n, n, allow_self=False)
        projections += [
            Projection(f"{modality}_exc", modality, exc, synapse, i_in, j_in),
            Projection(f"exc_inh_{modality}", exc, inh, StaticSynapse(weight=_constant(p.weight_excitatory_inhibitory), target="g_e"), i_ei, j_ei),
            Projection(f"inh_exc_{modality}", inh, exc, StaticSynapse(weight=_constant(p.weight_inhibitory_excitatory), target="g_i"), i_ie, j_ie),
        ]
    cross = parameters.cross_synapse()
    for name, (source, target) in CROSS.items():
        i, j = all_to_all(parameters.ensemble(source).n_excitatory, parameters.ensemble(target).n_excitatory)
        projections.append(Projection(name, f"exc_{source}", f"exc_{target}", cross, i, j))
    return NetworkSpec(populations=tuple(populations), projections=tuple(projections), inputs=tuple(inputs),
                       dt=parameters.dt)


def _constant(value):
    return Constant(float(value)) if isinstance(value, (int, float, np.floating, np.integer)) else value


__all__ = ["MODALITIES", "CROSS", "cross_modal_synapse", "MultimodalParameters", "multimodal_spec"]
