"""Train and test a Diehl & Cook network: one compiled binary, many runs, state carried between them.

One standalone binary is built for a raster of ``images_per_run`` presentations (each ``t_present``
of Poisson input then ``t_rest`` of silence). :class:`DiehlCookNetwork` runs it again and again: each
run gets a new raster (or rate rows, ``input_mode="rate"``), the current weights, the pruning mask,
the adaptive thresholds ``theta`` and the plasticity switch; after a learning run it takes the final
weights and thresholds from the run (``Simulator.run(final_state=...)``: the model's own threshold
dynamics, no second copy here) and normalises the weights. The membrane, conductances and STDP traces
restart from rest at every run, which is what the rest period does between images.

Weight normalisation (per excitatory neuron, the sum of its input weights is ``total_weight``, 78 in
Diehl & Cook) is done in one of two ways, ``normalisation``:

* ``"run"`` -- exactly, host-side, after every run (so after every ``images_per_run`` images;
  ``images_per_run=1`` is Diehl & Cook's per-image normalisation);
* ``"spike"`` -- additionally inside the binary, at each postsynaptic spike
  (:class:`~hetero_brian.network.diehl_cook.MaskedSTDP` with ``total_weight``).

Pruning: the plastic synapse carries a per-synapse ``mask`` (a run argument), so the same binary
serves the dense and every pruned network (``hetero_brian.analysis.pruning`` computes the masks and
quantised weights).

References
----------
P. U. Diehl, M. Cook, "Unsupervised learning of digit recognition using spike-timing-dependent
plasticity", Front. Comput. Neurosci. 9:99 (2015).
N. Rathi, P. Panda, K. Roy, "STDP-based pruning of connections and weight quantization in spiking
neural networks for energy-efficient recognition", IEEE TCAD 38:668 (2019).
"""
from dataclasses import dataclass

import numpy as np
from brian2 import volt

from ..network.diehl_cook import INPUT_NAME, DiehlCookParameters
from ..random import as_generator
from ..results import SpikeTrains
from ..network.recording import Recording
from ..simulate import Simulator, final_value
from .presentation import normalised_weights, presentation_raster, presentation_rates, window_counts


@dataclass
class Presentation:
    """Responses to a sequence of images (one entry per image, in the order given).

    Attributes
    ----------
    counts : ndarray of int, shape (n_images, n_excitatory)
        Excitatory spikes during each image's (last) presentation.
    n_presentations : ndarray of int, shape (n_images,)
        How often each image was shown (> 1 when it evoked fewer than ``min_spikes`` spikes).
    input_spikes, excitatory_spikes, inhibitory_spikes : hetero_brian.results.SpikeTrains
        Spikes of every run, times shifted onto the network's continuous clock (s).
    t_start, t_stop : float
        Window of these runs on that clock (s).
    boundaries : ndarray, shape (n_images, 2)
        ``[start, stop)`` of each image's last presentation on that clock (s).
    """

    counts: np.ndarray
    n_presentations: np.ndarray
    input_spikes: SpikeTrains
    excitatory_spikes: SpikeTrains
    inhibitory_spikes: SpikeTrains
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
        self.w_max = float(self.spec.projections[0].synapse.w_max.value_si)
        self.normalise()
        return self

    def __exit__(self, kind, error, traceback):
        return self.simulator.__exit__(kind, error, traceback)

    # -- state ------------------------------------------------------------------------------------
    def normalise(self):
        """Scale each neuron's kept input weights to sum to ``total_weight`` (clipped at ``w_max``)."""
        self.weights = normalised_weights(np.where(self.mask, self.weights, 0.0), self.j, self.parameters.n_excitatory,
                                          float(self.parameters.total_weight), self.w_max)

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
    def _run_batch(self, images, boosts, learn, rng):
        p = self.parameters
        n_real = len(images)
        padded = list(images) + [np.zeros(self.n_inputs)] * (p.images_per_run - n_real)
        padded_boosts = list(boosts) + [0.0] * (p.images_per_run - n_real)
        intensities = np.asarray(padded, dtype=float).reshape(len(padded), -1) / 255.0
        parameters = {"input_exc.weight": self.weights, "input_exc.mask": self.mask.astype(float),
                      "exc.theta": self.theta * volt, "input_exc.plastic": 1.0 if learn else 0.0}
        if not learn:
            parameters["exc.theta_plus"] = np.zeros(p.n_excitatory) * volt
        final_state = {"exc": ("theta",)} if learn else None
        if p.input_mode == "rate":
            values, boundaries = presentation_rates(p, intensities, padded_boosts)
            result = self.simulator.run(parameters=parameters, inputs={INPUT_NAME: values},
                                        noise_seed=int(rng.integers(2**31 - 1)), final_state=final_state)
        else:
            n_steps = self.spec.inputs[0].raster.shape[0]
            raster, boundaries = presentation_raster(p, intensities, padded_boosts, n_steps, rng)
            result = self.simulator.run(parameters=parameters, inputs={INPUT_NAME: raster}, final_state=final_state)
        counts = window_counts(result.spikes["exc"], boundaries, p.n_excitatory)
        if learn:
            self.weights = np.asarray(result.synapses["input_exc"].w, dtype=float).copy()
            self.theta = final_value(result, "exc", "theta").copy()
            self.normalise()
        self.n_runs += 1
        return result, counts[:n_real], boundaries[:n_real]

    def present(self, images, learn, rng):
        """Show ``images`` (array ``(n_images, ...)`` of 0-255 intensities) in batches of ``images_per_run``.

        Parameters
        ----------
        images : array_like
        learn : bool
            Plasticity and threshold adaptation on (training) or off (labelling and testing; the
            thresholds are then left as they were before the call).
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
        sizes = {INPUT_NAME: self.n_inputs, "exc": p.n_excitatory, "inh": p.n_excitatory}
        joined = {name: SpikeTrains(np.concatenate(ids) if ids else np.zeros(0, np.int64),
                                    np.concatenate(times) if times else np.zeros(0), sizes[name])
                  for name, (ids, times) in spikes.items()}
        return Presentation(counts=counts, n_presentations=shown, input_spikes=joined[INPUT_NAME],
                            excitatory_spikes=joined["exc"], inhibitory_spikes=joined["inh"],
                            t_start=t_start, t_stop=self.simulated_time, boundaries=boundaries)


__all__ = ["DiehlCookNetwork", "Presentation"]
