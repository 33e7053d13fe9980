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

Training protocol (host side, one compiled binary, as in :class:`DiehlCookNetwork`): each run gets
new rasters, the current weights, thresholds ``theta`` and the plasticity switches; afterwards the
weights are read back, ``theta`` advanced from the spikes (closed form), and each neuron's input
weights rescaled to ``total_weight``. Cross-modal weights are rescaled per postsynaptic neuron to
``cross_total_weight`` (when their sum is positive) and clipped to ``[0, cross_w_max]``; setting them
to zero (``links=False``) gives the same network without cross-modal links, from the same binary.

References
----------
N. Rathi, K. Roy, "STDP-based unsupervised multimodal learning with cross-modal processing in spiking
neural network", IEEE Trans. Emerg. Topics Comput. Intell. (2018).
P. U. Diehl, M. Cook, Front. Comput. Neurosci. 9:99 (2015).
"""
from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, ms, second, volt

from ..distributions import Constant, Uniform
from ..models.synapses import STDP, StaticSynapse
from ..random import as_generator
from .spec import NetworkSpec, Population, Projection, RasterInput, RateInput
from .connectivity import all_to_all, one_to_one
from .diehl_cook import DiehlCookParameters, diehl_cook_synapse, presentation_rates

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


@dataclass(frozen=True, eq=False)
class MultimodalParameters:
    """Parameters of the two ensembles and of the cross-modal links.

    Parameters
    ----------
    image, audio : DiehlCookParameters
        One ensemble each (size, ``max_rate``, ``total_weight``, neuron models, input synapse). The
        presentation protocol (``t_present``, ``t_rest``, ``dt``, ``images_per_run``, ``min_spikes``,
        ``rate_increment``, ``max_presentations``) is the image ensemble's and must equal the audio one's.
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

    image: DiehlCookParameters = field(default_factory=DiehlCookParameters)
    audio: DiehlCookParameters = field(default_factory=DiehlCookParameters)
    cross_w_max: float = 0.5
    cross_eta_plus: float = 0.02
    cross_x_target: float = 0.2
    cross_mu: float = 0.2
    cross_initial_max: float = 0.05
    cross_total_weight: float = 2.0
    cross_tau_pre: Quantity = field(default_factory=lambda: 20 * ms)

    def __post_init__(self):
        for name in MODALITIES:
            if not isinstance(getattr(self, name), DiehlCookParameters):
                raise ValueError(f"{name} must be DiehlCookParameters; got {type(getattr(self, name)).__name__}")
        for name in ("t_present", "t_rest", "dt", "images_per_run", "min_spikes", "rate_increment",
                     "max_presentations", "input_mode"):
            if getattr(self.image, name) != getattr(self.audio, name):
                raise ValueError(f"image.{name} ({getattr(self.image, name)!r}) and audio.{name} "
                                 f"({getattr(self.audio, name)!r}) must be equal (one presentation protocol)")
        for name in ("cross_w_max", "cross_total_weight", "cross_initial_max"):
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"{name} must be > 0; got {getattr(self, name)!r}")
        for name in ("cross_eta_plus", "cross_x_target", "cross_mu"):
            if not float(getattr(self, name)) >= 0:
                raise ValueError(f"{name} must be >= 0; got {getattr(self, name)!r}")
        tau = self.cross_tau_pre
        if not isinstance(tau, Quantity) or not tau.has_same_dimensions(second) or not float(tau) > 0:
            raise ValueError(f"cross_tau_pre must be a positive time (e.g. 50*ms); got {tau!r}")
        self.cross_synapse()  # checks cross_initial_max against cross_w_max

    def ensemble(self, modality):
        if modality not in MODALITIES:
            raise ValueError(f"modality must be one of {MODALITIES}; got {modality!r}")
        return getattr(self, modality)

    @property
    def steps_per_sample(self):
        return self.image.steps_per_image

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
    n_steps = parameters.steps_per_sample * parameters.image.images_per_run
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
        synapse = diehl_cook_synapse(**p.synapse)
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
                       dt=parameters.image.dt)


def _constant(value):
    return Constant(float(value)) if isinstance(value, (int, float, np.floating, np.integer)) else value


@dataclass
class MultimodalPresentation:
    """Responses to paired samples: ``counts[modality]`` int array ``(n_samples, n_excitatory)``
    (spikes of that ensemble during each sample's last presentation) and ``n_presentations``."""

    counts: dict
    n_presentations: np.ndarray


class MultimodalNetwork:
    """Build once, then train and test the two-ensemble network on paired samples.

    Parameters
    ----------
    parameters : MultimodalParameters
    n_image_inputs, n_audio_inputs : int
        Channels of each modality.
    backend : str or backend object
        ``"cpp_standalone"``, ``"runtime"``, ``"auto"`` or a backend instance.
    seed : int, optional
        Master seed (heterogeneous parameters, initial weights).
    build_root : str, optional

    Attributes
    ----------
    weights : dict of str -> ndarray
        Current weights of ``image_exc``, ``audio_exc``, ``image_to_audio``, ``audio_to_image``.
    theta : dict of str -> ndarray (V)
        Adaptive thresholds per ensemble.
    """

    def __init__(self, parameters, n_image_inputs, n_audio_inputs, backend="auto", seed=None, build_root=None):
        from ..simulate import Recording, Simulator

        self.spec = multimodal_spec(parameters, n_image_inputs, n_audio_inputs)
        self.parameters = parameters
        self.n_inputs = {"image": int(n_image_inputs), "audio": int(n_audio_inputs)}
        self.n_steps = parameters.steps_per_sample * parameters.image.images_per_run
        duration = self.n_steps * parameters.image.dt
        self.simulator = Simulator(self.spec, duration, backend=backend, seed=seed,
                                   recording=Recording(spikes=tuple(f"exc_{m}" for m in MODALITIES)),
                                   build_root=build_root)
        projections = {p.name: p for p in self.spec.projections}
        self.connectivity = {name: (np.asarray(projections[name].i), np.asarray(projections[name].j))
                             for name in ("image_exc", "audio_exc", *CROSS)}
        self.cross_w_max = float(parameters.cross_w_max)

    def __enter__(self):
        self.simulator.__enter__()
        sampled = self.simulator.built.sampled
        self.weights = {name: np.asarray(sampled[name]["weight"], dtype=float).copy() for name in self.connectivity}
        self.theta, self.theta_plus, self.tau_theta = {}, {}, {}
        for m in MODALITIES:
            p = self.parameters.ensemble(m)
            self.theta[m] = np.full(p.n_excitatory, float(p.initial_theta))
            self.theta_plus[m] = np.asarray(sampled[f"exc_{m}"]["theta_plus"], dtype=float)
            self.tau_theta[m] = np.asarray(sampled[f"exc_{m}"]["tau_theta"], dtype=float)
        projections = {p.name: p for p in self.spec.projections}
        self.w_max = {f"{m}_exc": float(projections[f"{m}_exc"].synapse.w_max.value_si) for m in MODALITIES}
        self.normalise(cross=True)
        return self

    def __exit__(self, kind, error, traceback):
        return self.simulator.__exit__(kind, error, traceback)

    def normalise(self, cross=True):
        """Rescale each neuron's input weights to ``total_weight`` and (``cross``) its cross-modal
        weights to ``cross_total_weight`` (a neuron whose weights are all 0 keeps them), then clip."""
        for m in MODALITIES:
            name = f"{m}_exc"
            self.weights[name] = _normalised(self.weights[name], self.connectivity[name][1],
                                             float(self.parameters.ensemble(m).total_weight), self.w_max[name])
        if cross:
            for name in CROSS:
                self.weights[name] = _normalised(self.weights[name], self.connectivity[name][1],
                                                 float(self.parameters.cross_total_weight), self.cross_w_max)

    def clear_cross_weights(self):
        """Remove the cross-modal links (all cross weights 0; the structure stays)."""
        for name in CROSS:
            self.weights[name] = np.zeros_like(self.weights[name])

    def set_cross_weights(self, weights):
        """Load cross-modal weights ``{name: array}``; each must lie in ``[0, cross_w_max]``."""
        for name in CROSS:
            values = np.asarray(weights[name], dtype=float)
            if values.shape != self.weights[name].shape:
                raise ValueError(f"weights[{name!r}] must have shape {self.weights[name].shape}; got {values.shape}")
            if not np.all(np.isfinite(values)) or values.min() < 0 or values.max() > self.cross_w_max * (1 + 1e-12):
                raise ValueError(f"weights[{name!r}] must lie in [0, cross_w_max={self.cross_w_max}]")
            self.weights[name] = values.copy()

    def _raster(self, modality, intensities, boosts, rng):
        from ..inputs import poisson_encode, stimulus_sequence, to_dense_raster

        p = self.parameters.ensemble(modality)
        dt, t_present = float(p.dt), float(p.t_present)
        samples = [poisson_encode(np.asarray(row, dtype=float) * (float(p.max_rate) + boost), dt, rng, duration=t_present)
                   for row, boost in zip(intensities, boosts)]
        stimulus, boundaries = stimulus_sequence(samples, t_present, float(p.t_rest), dt=dt)
        raster = to_dense_raster(stimulus.indices, stimulus.times, self.n_inputs[modality], dt, self.n_steps * dt)
        return raster, boundaries

    def _run_batch(self, data, boosts, learn_inputs, learn_cross, rng):
        """One run; ``boosts[m]``: extra maximum rate (Hz) of each sample's modality ``m``."""
        per_run = self.parameters.image.images_per_run
        n_real = len(boosts["image"])
        rate_mode = self.parameters.image.input_mode == "rate"
        rasters, boundaries = {}, None
        for m in MODALITIES:
            padded_boosts = list(boosts[m]) + [0.0] * (per_run - n_real)
            rows = np.zeros((per_run, self.n_inputs[m]))
            if data[m] is not None:
                rows[:n_real] = data[m]
            if rate_mode:
                rasters[m], boundaries = presentation_rates(self.parameters.ensemble(m), rows, padded_boosts)
            else:
                rasters[m], boundaries = self._raster(m, rows, padded_boosts, rng)
        parameters = {f"{name}.weight": values for name, values in self.weights.items()}
        for m in MODALITIES:
            parameters[f"{m}_exc.plastic"] = 1.0 if learn_inputs else 0.0
            parameters[f"exc_{m}.theta"] = self.theta[m] * volt
            if not learn_inputs:
                parameters[f"exc_{m}.theta_plus"] = np.zeros_like(self.theta[m]) * volt
        for name in CROSS:
            parameters[f"{name}.plastic"] = 1.0 if learn_cross else 0.0
        noise = {"noise_seed": int(rng.integers(2**31 - 1))} if rate_mode else {}
        result = self.simulator.run(parameters=parameters, inputs=rasters, **noise)
        counts = {}
        duration = float(self.simulator.duration)
        for m in MODALITIES:
            spikes = result.spikes[f"exc_{m}"]
            sample = np.searchsorted(boundaries[:, 0], spikes.timestamps, side="right") - 1
            inside = (sample >= 0) & (spikes.timestamps < boundaries[np.maximum(sample, 0), 1])
            table = np.zeros((per_run, self.parameters.ensemble(m).n_excitatory), dtype=np.int64)
            np.add.at(table, (sample[inside], spikes.node_ids[inside]), 1)
            counts[m] = table[:n_real]
            if learn_inputs:
                decay = np.exp(-(duration - spikes.timestamps) / self.tau_theta[m][spikes.node_ids])
                increments = np.bincount(spikes.node_ids, self.theta_plus[m][spikes.node_ids] * decay,
                                         minlength=self.theta[m].size)
                self.theta[m] = self.theta[m] * np.exp(-duration / self.tau_theta[m]) + increments
        if learn_inputs:
            for m in MODALITIES:
                self.weights[f"{m}_exc"] = np.asarray(result.synapses[f"{m}_exc"].w, dtype=float).copy()
        if learn_cross:
            for name in CROSS:
                self.weights[name] = np.asarray(result.synapses[name].w, dtype=float).copy()
        if learn_inputs or learn_cross:
            self.normalise(cross=learn_cross)
        return counts

    def present(self, image=None, audio=None, learn_inputs=False, learn_cross=False, rng=None, progress=None):
        """Show paired samples (row ``k`` of ``image`` with row ``k`` of ``audio``) in batches.

        Parameters
        ----------
        image, audio : array_like or None
            Intensities in [0, 1], shape ``(n_samples, n_<modality>_inputs)``; ``None``: that
            modality is missing (silent input). At least one must be given.
        learn_inputs : bool
            Input STDP and threshold adaptation of both ensembles on.
        learn_cross : bool
            Cross-modal STDP on.
        rng : numpy.random.Generator or int
            Source of the Poisson input spikes.
        progress : callable, optional
            Called as ``progress(n_done, n_samples)`` after each run (``n_done``: samples whose
            presentations are finished); it does not change what is simulated.

        Returns
        -------
        MultimodalPresentation
            A sample is shown again (at most ``max_presentations`` times in all) while an ensemble
            whose modality is present made fewer than ``min_spikes`` spikes; each modality's rate
            grows by ``rate_increment`` for every presentation on which *its own* ensemble stayed
            below ``min_spikes`` (Diehl & Cook's rule applied per ensemble), so one ensemble's
            input never depends on the other ensemble's activity. The counts are those of the
            last presentation.
        """
        if progress is not None and not callable(progress):
            raise ValueError(f"progress must be None or a callable progress(n_done, n_samples); got {progress!r}")
        data = {}
        for m, values in (("image", image), ("audio", audio)):
            if values is None:
                data[m] = None
                continue
            values = np.asarray(values, dtype=float)
            if values.ndim != 2 or values.shape[1] != self.n_inputs[m]:
                raise ValueError(f"{m} must have shape (n_samples, {self.n_inputs[m]}); got {values.shape}")
            if values.size and (not np.all(np.isfinite(values)) or values.min() < 0 or values.max() > 1):
                raise ValueError(f"{m} must hold intensities in [0, 1]")
            data[m] = values
        present = [m for m in MODALITIES if data[m] is not None]
        if not present:
            raise ValueError("present needs at least one modality; got image=None and audio=None")
        lengths = {data[m].shape[0] for m in present}
        if len(lengths) != 1:
            raise ValueError(f"image and audio must have the same number of samples (paired); got {sorted(lengths)}")
        n_samples = lengths.pop()
        p = self.parameters.image
        rng = as_generator(rng)
        counts = {m: np.zeros((n_samples, self.parameters.ensemble(m).n_excitatory), dtype=np.int64) for m in MODALITIES}
        shown = np.zeros(n_samples, dtype=np.int64)
        too_quiet = {m: np.zeros(n_samples, dtype=np.int64) for m in MODALITIES}  # presentations below min_spikes
        queue = list(range(n_samples))
        while queue:
            batch, queue = queue[:p.images_per_run], queue[p.images_per_run:]
            boosts = {m: too_quiet[m][batch] * float(p.rate_increment) for m in MODALITIES}
            chunk = {m: (None if data[m] is None else data[m][batch]) for m in MODALITIES}
            batch_counts = self._run_batch(chunk, boosts, learn_inputs, learn_cross, rng)
            for m in MODALITIES:
                counts[m][batch] = batch_counts[m]
            shown[batch] += 1
            quiet = np.zeros(len(batch), dtype=bool)
            for m in present:
                below = batch_counts[m].sum(axis=1) < p.min_spikes
                too_quiet[m][batch] += below
                quiet |= below
            retry = [k for k, q in zip(batch, quiet) if q and shown[k] < p.max_presentations]
            queue = retry + queue
            if progress is not None:
                progress(n_samples - len(queue), n_samples)
        return MultimodalPresentation(counts=counts, n_presentations=shown)


def _normalised(weights, post, total, w_max):
    sums = np.bincount(post, weights, minlength=int(post.max()) + 1)
    factor = np.divide(total, sums, out=np.ones_like(sums), where=sums > 0)
    return np.clip(weights * factor[post], 0.0, w_max)


__all__ = ["MODALITIES", "CROSS", "cross_modal_synapse", "MultimodalParameters", "multimodal_spec",
           "MultimodalNetwork", "MultimodalPresentation"]
