"""STDP of the HRSNN 2x2 trained to convergence on the training side, in chunks of presentations.

``stdp_training="converged"`` of :func:`hetero_brian.protocols.hrsnn_2x2.run_2x2`. Chunk ``c``
presents ``n_stdp_samples`` training samples (back to back, ``frame_duration`` per frame and
``t_rest`` of silence, as in the fixed protocol) with STDP on, starting from the excitatory-to-excitatory
weights the previous chunk ended with. The samples follow a seeded random order of the training side
only: consecutive permutations of the training indices (epochs), cut into chunks
(:func:`training_chunk_order`); test samples are never presented with STDP on. Training stops by the
criterion of :func:`hetero_brian.protocols.stdp_convergence.train_to_convergence` (the
Kolmogorov-Smirnov distance between successive ee weight distributions below the two-sample 5 %
critical value, or ``convergence_threshold``, for ``convergence_patience`` chunks) or after
``max_chunks`` chunks (recorded as not converged). The chunks are runs of one build with a
:class:`~hetero_brian.network.spec.RasterInput` (the chunk's spikes are run arguments); each starts
from the initial membrane and trace values. The features are then taken as in the fixed protocol
(every training and test sample, plasticity off) with the reached weights.

References
----------
B. Chakraborty, S. Mukhopadhyay, "Heterogeneous recurrent spiking neural network for
spatio-temporal classification", Front. Neurosci. 17:994517 (2023).
"""
import time

import numpy as np
from brian2 import second

from ..inputs import stimulus_sequence, to_dense_raster
from ..network.hrsnn import hrsnn_spec, variant_parameters
from ..network.recording import Recording
from ..network.spec import RasterInput
from ..random import SeedStreams
from ..simulate import Simulator
from .stdp_convergence import train_to_convergence


def training_chunk_order(n_train, chunk_size, n_chunks, rng):
    """Training indices presented in each chunk: seeded permutations of ``range(n_train)``, one after another.

    Parameters
    ----------
    n_train : int
        Training samples (indices ``0 .. n_train - 1``; the test side is never drawn).
    chunk_size : int
        Presentations per chunk.
    n_chunks : int
        Chunks to plan (the most training can use).
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray of int, shape (n_chunks, chunk_size)
        Every training sample is presented once before any is presented again (an epoch), and so on.
    """
    if n_train < 1 or chunk_size < 1 or n_chunks < 1:
        raise ValueError(f"need n_train, chunk_size, n_chunks >= 1; got {n_train}, {chunk_size}, {n_chunks}")
    needed = chunk_size * n_chunks
    epochs = [rng.permutation(n_train) for _ in range(-(-needed // n_train))]
    return np.concatenate(epochs)[:needed].reshape(n_chunks, chunk_size)


def chunk_raster(encoded, config, n_frames):
    """The 0/1 raster ``(n_steps, n_channels)`` of encoded samples presented back to back (one chunk)."""
    stimulus, _ = stimulus_sequence(encoded, config.frame_duration * n_frames, config.t_rest, dt=config.dt)
    period = float((config.frame_duration * n_frames + config.t_rest) / second)
    return to_dense_raster(stimulus.indices, stimulus.times, stimulus.n_channels, float(config.dt / second),
                           len(encoded) * period)


def train_cells(config, train_frames, encode, run_seed, variants, switches, backend, label, reference_spec):
    """Train the ee weights of every cell to convergence; the weights and the convergence record per cell.

    Parameters
    ----------
    config : HRSNNRunConfig
        ``n_stdp_samples`` (presentations per chunk), the keys of
        :class:`~hetero_brian.protocols.stdp_convergence.ConvergenceOptions`, the presentation options.
    train_frames : numpy.ndarray, shape (n_train, n_channels, n_frames)
    encode : callable
        ``encode(frames, rng)`` -> the encoded samples (the fixed protocol's encoder, its phases).
    run_seed : int
        The seed of the network (connectivity and parameters, as ``reference_spec``) and of the order.
    variants : list of str
    switches : callable
        ``switches(variant)`` -> ``(heterogeneous_neurons, heterogeneous_stdp)``.
    backend : str
    label : str
    reference_spec : NetworkSpec
        The feature network: the chunk network must have its connectivity (checked).

    Returns
    -------
    dict of str -> (numpy.ndarray, dict)
        Per cell: the ee weights reached (volt, SI floats) and the state of
        :func:`~hetero_brian.protocols.stdp_convergence.train_to_convergence` plus
        ``training_presentations``, ``training_indices`` (per chunk run, into the training side)
        and ``training_wall_time_s``.
    """
    n_train, n_frames, chunk_size = len(train_frames), train_frames.shape[2], config.n_stdp_samples
    rng = SeedStreams(run_seed).generator("stdp-chunks")
    order = training_chunk_order(n_train, chunk_size, config.max_chunks, rng)
    encode_rng = SeedStreams(run_seed).generator("stdp-chunk-spikes")
    rasters = [chunk_raster(encode(train_frames[indices], encode_rng), config, n_frames) for indices in order]
    spec = hrsnn_spec(config, RasterInput("stim", rasters[0], config.dt), run_seed)
    for chunk_projection, projection in zip(spec.projections, reference_spec.projections):
        if not (np.array_equal(chunk_projection.i, projection.i) and np.array_equal(chunk_projection.j, projection.j)):
            raise RuntimeError(f"connectivity of {projection.name} differs between the chunk and the feature network")
    trained = {}
    start = time.perf_counter()
    with Simulator(spec, len(rasters[0]) * config.dt, backend=backend, seed=run_seed, recording=Recording(spikes=()),
                   build_root=config.build_root) as simulator:
        print(f"{label}: STDP chunk network built, {time.perf_counter() - start:.0f} s", flush=True)
        for variant in variants:
            start = time.perf_counter()
            weights, state = train_to_convergence(
                simulator, variant_parameters(spec, *switches(variant)), lambda chunk: rasters[chunk - 1],
                config.convergence_threshold, config.convergence_patience, config.max_chunks, float(config.w_max_ee),
                f"{label} {variant}", input_name="stim")
            state.update(training_presentations=state["chunks"] * chunk_size,
                         training_indices=order[:state["chunks"]].tolist(),
                         training_wall_time_s=time.perf_counter() - start)
            print(f"{label} {variant}: {'converged at chunk ' + str(state['converged_at']) if state['converged'] else 'NOT converged'}"
                  f" ({state['training_presentations']} presentations, last KS {state['ks'][-1]:.4f}, threshold "
                  f"{state['threshold']:.4f}), {state['training_wall_time_s']:.0f} s", flush=True)
            trained[variant] = (weights, state)
    return trained


def convergence_metrics(state):
    """The per-cell summary kept with the accuracy: chunks, converged (0/1), final KS, presentations."""
    return {"chunks": state["chunks"], "converged": float(state["converged"]), "final_ks": state["ks"][-1],
            "training_presentations": state["training_presentations"]}


__all__ = ["chunk_raster", "convergence_metrics", "train_cells", "training_chunk_order"]
