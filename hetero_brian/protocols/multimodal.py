"""Train and test the two-ensemble multimodal network: one compiled binary, state carried between runs.

Host-side protocol, as in :class:`~hetero_brian.protocols.diehl_cook.DiehlCookNetwork`: each run gets
new rasters (or rate rows), the current weights, thresholds ``theta`` and the plasticity switches;
afterwards the learned weights and thresholds are taken from the run's final state, and each neuron's
input weights rescaled to ``total_weight``. Cross-modal weights are rescaled per postsynaptic neuron to
``cross_total_weight`` (when their sum is positive) and clipped to ``[0, cross_w_max]``; setting them
to zero (``clear_cross_weights``) gives the same network without cross-modal links, from the same binary.

References
----------
N. Rathi, K. Roy, "STDP-based unsupervised multimodal learning with cross-modal processing in spiking
neural network", IEEE Trans. Emerg. Topics Comput. Intell. (2018).
P. U. Diehl, M. Cook, Front. Comput. Neurosci. 9:99 (2015).
"""
from dataclasses import dataclass

import numpy as np
from brian2 import volt

from ..network.multimodal import CROSS, MODALITIES, multimodal_spec
from ..random import as_generator
from ..network.recording import Recording
from ..simulate import Simulator, final_value
from .presentation import normalised_weights, presentation_raster, presentation_rates, window_counts


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
        self.spec = multimodal_spec(parameters, n_image_inputs, n_audio_inputs)
        self.parameters = parameters
        self.ensembles = {m: parameters.ensemble(m) for m in MODALITIES}
        self.n_inputs = {"image": int(n_image_inputs), "audio": int(n_audio_inputs)}
        self.n_steps = parameters.steps_per_sample * parameters.images_per_run
        duration = self.n_steps * parameters.dt
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
        self.theta = {m: np.full(self.ensembles[m].n_excitatory, float(self.ensembles[m].initial_theta))
                      for m in MODALITIES}
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
            self.weights[name] = normalised_weights(self.weights[name], self.connectivity[name][1],
                                                    self.ensembles[m].n_excitatory,
                                                    float(self.ensembles[m].total_weight), self.w_max[name])
        if cross:
            for name in CROSS:
                target = self.ensembles[CROSS[name][1]]
                self.weights[name] = normalised_weights(self.weights[name], self.connectivity[name][1],
                                                        target.n_excitatory, float(self.parameters.cross_total_weight),
                                                        self.cross_w_max)

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

    def _run_batch(self, data, boosts, learn_inputs, learn_cross, rng):
        """One run; ``boosts[m]``: extra maximum rate (Hz) of each sample's modality ``m``."""
        per_run = self.parameters.images_per_run
        n_real = len(boosts["image"])
        rate_mode = self.parameters.input_mode == "rate"
        rasters, boundaries = {}, None
        for m in MODALITIES:
            padded_boosts = list(boosts[m]) + [0.0] * (per_run - n_real)
            rows = np.zeros((per_run, self.n_inputs[m]))
            if data[m] is not None:
                rows[:n_real] = data[m]
            if rate_mode:
                rasters[m], boundaries = presentation_rates(self.ensembles[m], rows, padded_boosts)
            else:
                rasters[m], boundaries = presentation_raster(self.ensembles[m], rows, padded_boosts,
                                                             self.n_steps, rng)
        parameters = {f"{name}.weight": values for name, values in self.weights.items()}
        for m in MODALITIES:
            parameters[f"{m}_exc.plastic"] = 1.0 if learn_inputs else 0.0
            parameters[f"exc_{m}.theta"] = self.theta[m] * volt
            if not learn_inputs:
                parameters[f"exc_{m}.theta_plus"] = np.zeros_like(self.theta[m]) * volt
        for name in CROSS:
            parameters[f"{name}.plastic"] = 1.0 if learn_cross else 0.0
        noise = {"noise_seed": int(rng.integers(2**31 - 1))} if rate_mode else {}
        final_state = {f"exc_{m}": ("theta",) for m in MODALITIES} if learn_inputs else None
        result = self.simulator.run(parameters=parameters, inputs=rasters, final_state=final_state, **noise)
        counts = {m: window_counts(result.spikes[f"exc_{m}"], boundaries, self.ensembles[m].n_excitatory)[:n_real]
                  for m in MODALITIES}
        if learn_inputs:
            for m in MODALITIES:
                self.theta[m] = final_value(result, f"exc_{m}", "theta").copy()
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
        p = self.parameters
        rng = as_generator(rng)
        counts = {m: np.zeros((n_samples, self.ensembles[m].n_excitatory), dtype=np.int64) for m in MODALITIES}
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


__all__ = ["MultimodalNetwork", "MultimodalPresentation"]
