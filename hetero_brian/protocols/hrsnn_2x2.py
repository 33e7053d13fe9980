"""The HRSNN 2x2 protocol: homogeneous or heterogeneous neurons x homogeneous or heterogeneous STDP.

Frame sequences (``(n_samples, n_channels, n_frames)``, intensities in [0, 1]) are rate-coded
(:func:`~hetero_brian.inputs.regular_encoder.regular_rate_encode` or Poisson) and presented back to
back to an HRSNN reservoir (:func:`~hetero_brian.network.hrsnn.hrsnn_spec`): ``frame_duration`` per
frame, then ``t_rest`` of silence, reset-free. Phase 1 presents ``n_stdp_samples`` training samples
with STDP on; phase 2 presents every training sample, then every test sample (each side in a
seeded random order), with plasticity frozen, all in one compiled binary (``stdp_training="fixed"``). With ``stdp_training="converged"``
STDP instead runs in chunks of ``n_stdp_samples`` training presentations until the ee weight
distribution stops changing (:mod:`hetero_brian.protocols.hrsnn_convergence`), and phase 2 alone, with
the reached weights, gives the features. Spike counts of every reservoir neuron in ``n_bins`` bins of each presentation
feed a standardised logistic (and a ridge) readout trained on the training samples and scored on
the test samples. The four cells of the 2x2 are four runs of one binary per seed (the homogeneous
cells set each distribution to its mean at run time, :func:`~hetero_brian.network.hrsnn.variant_parameters`).
The non-spiking baseline is a logistic regression on the very frames the encoder sees.

References
----------
B. Chakraborty, S. Mukhopadhyay, "Heterogeneous recurrent spiking neural network for
spatio-temporal classification", Front. Neurosci. 17:994517 (2023).
"""
import os
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Literal, Optional

import numpy as np
from brian2 import Hz, mV, ms, second, volt
from pydantic import Field

from ..analysis.energy import synaptic_operations_from_result
from ..analysis.features import period_boundaries
from ..config import DistributionField, QuantityField
from ..distributions import Gamma
from ..errors import ConfigError
from ..inputs import poisson_encode, regular_rate_encode, stimulus_sequence
from ..network.spec import SpikeInput
from ..network.hrsnn import HRSNNParameters, hrsnn_spec, variant_name, variant_parameters
from ..random import SeedStreams, fresh_seed
from ..readouts import LogisticReadout
from ..results import SpikeTrains, save
from ..network.recording import Recording
from ..simulate import Simulator
from ..results.atomic import write_json_atomically
from .hrsnn_convergence import convergence_metrics, train_cells
from .memory_capacity import shared_build_spec
from .hrsnn_features import features_path, load_features, readout_accuracies, reservoir_counts, save_features
from .stdp_convergence import ConvergenceOptions, check_convergence_options

VARIANTS = ((False, False), (True, False), (False, True), (True, True))
RECURRENT = ("ee", "ei", "ie", "ii")
METRICS = ("accuracy", "ridge_accuracy", "spikes_per_sample", "sops_per_sample", "mean_rate")
CONVERGENCE = ("chunks", "converged", "final_ks", "training_presentations")  # per cell, stdp_training="converged"


class HRSNNRunConfig(HRSNNParameters, ConvergenceOptions):
    """The reservoir (every :class:`HRSNNParameters` field) plus presentation and readout options.

    Inherits the reservoir's fields, so one validated object holds them all and the command-line
    keys stay flat (``n_neurons``, ``tau_m.cv``); the defaults here are the spoken-digit ones. The
    two heterogeneity switches must stay on: the 2x2 builds the fully heterogeneous network and
    ``variants`` chooses the cells.

    ``shuffle`` presents the training and the test samples in a seeded random order (the STDP
    samples are always a random draw of training samples); ``save_features`` writes the spike-count
    features of every seed with the run (:mod:`hetero_brian.protocols.hrsnn_features`), and
    ``features_from`` (a folder of an earlier run with the same seed, data and name) fits the
    readouts on those features instead of simulating. ``stdp_training`` and the convergence keys
    (:class:`~hetero_brian.protocols.stdp_convergence.ConvergenceOptions`; a chunk: ``n_stdp_samples``
    presentations) choose fixed or converged STDP training.
    """

    n_seeds: int = Field(5, description="independent seeds (networks) per variant")
    variants: list[Literal["HoNHoS", "HeNHoS", "HoNHeS", "HeNHeS"]] = Field(
        ["HoNHoS", "HeNHoS", "HoNHeS", "HeNHeS"],
        description="cells of the 2x2 (HoN/HeN: homo/heterogeneous neurons; HoS/HeS: STDP)")
    n_stdp_samples: int = Field(
        100, description="training samples presented with STDP on before the weights are frozen")
    frame_duration: QuantityField(ms) = Field("5 ms", description="presentation time of one input frame (time)")
    t_rest: QuantityField(ms) = Field("30 ms", description="silent time between two samples (time)")
    max_rate: QuantityField(Hz) = Field(
        "400 Hz", description="input rate of a feature at its maximum value (frequency)")
    encoding: Literal["regular", "poisson"] = Field(
        "regular", description="input spikes: 'regular' (evenly spaced) or 'poisson'")
    dt: QuantityField(ms) = Field("1 ms", description="simulation time step (time)")
    tau_m: DistributionField(ms) = Field(
        Gamma(20 * ms, 0.4), description="membrane time constant per neuron (a distribution of time)")
    weight_ee: QuantityField(mV) = Field(
        "0.5 mV", description="initial excitatory-to-excitatory weight (voltage jump of I_syn)")
    w_max_ee: QuantityField(mV) = Field("1 mV", description="upper bound of the plastic ee weights (voltage)")
    weight_input: QuantityField(mV) = Field("4 mV", description="input-to-excitatory weight (voltage jump of I_syn)")
    n_bins: int = Field(5, description="time bins per sample of the spike-count features")
    readout_c: float = Field(0.1, description="inverse regularisation strength C of the logistic-regression readout")
    ridge_alpha: float = Field(100.0, description="regularisation strength alpha of the ridge readout")
    n_saved_samples: int = Field(20, description="samples whose spikes are saved with the run (for figures)")
    build_root: Optional[str] = Field(
        None, description="folder of the compiled C++ builds (None: the default build cache)")
    shuffle: bool = Field(True, description="present training and test samples in a seeded random order")
    save_features: bool = Field(True, description="write the spike-count features of every seed with the run")
    features_from: Optional[str] = Field(
        None, description="folder of an earlier run whose saved features are fitted instead of simulating")


def check_run_config(config):
    """Raise :class:`ConfigError` naming the first bad presentation or readout option."""
    for name, minimum in (("n_seeds", 1), ("n_stdp_samples", 0), ("n_bins", 1), ("n_saved_samples", 0)):
        if getattr(config, name) < minimum:
            raise ConfigError(f"{name} must be >= {minimum}; got {getattr(config, name)!r}")
    if not config.variants or len(set(config.variants)) != len(config.variants):
        raise ConfigError(f"variants must list distinct cells of the 2x2; got {config.variants!r}")
    for name in ("readout_c", "ridge_alpha"):
        if not getattr(config, name) > 0:
            raise ConfigError(f"{name} must be > 0; got {getattr(config, name)!r}")
    if not (config.heterogeneous_neurons and config.heterogeneous_stdp):
        raise ConfigError("heterogeneous_neurons and heterogeneous_stdp must stay true in the 2x2 "
                          "(it builds the heterogeneous network); choose the cells with 'variants'")
    check_convergence_options(config)
    if config.stdp_training == "converged" and config.n_stdp_samples < 1:
        raise ConfigError(f"stdp_training='converged' trains in chunks of n_stdp_samples; n_stdp_samples must be >= 1, "
                          f"got {config.n_stdp_samples!r}")
    if config.stdp_training == "converged" and config.input_plastic:
        raise ConfigError("stdp_training='converged' carries the ee weights only; input_plastic must be false")


def encode_frames(frames, config, rng, phase):
    """Spike trains of every sample of ``frames`` (regular or Poisson code, ``max_rate`` at 1)."""
    max_rate, frame_duration, dt = float(config.max_rate / Hz), float(config.frame_duration / second), float(config.dt / second)
    if config.encoding == "regular":
        return [regular_rate_encode(sample, max_rate, frame_duration, dt, phase) for sample in frames]
    return [poisson_encode(max_rate * sample, dt, rng, frame_duration=frame_duration) for sample in frames]


def baseline_accuracy(train_frames, train_labels, test_frames, test_labels, c):
    """Non-spiking baseline: standardised logistic regression on the flattened frames."""
    readout = LogisticReadout(C=c, max_iter=3000)
    readout.fit(train_frames.reshape(len(train_frames), -1), train_labels)
    return float(readout.score(test_frames.reshape(len(test_frames), -1), test_labels))


def _check_data(frames, labels, name):
    frames, labels = np.asarray(frames), np.asarray(labels)
    if frames.ndim != 3 or len(frames) == 0:
        raise ValueError(f"{name}_frames must have shape (n_samples, n_channels, n_frames); got {frames.shape}")
    if labels.shape != (len(frames),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{name}_labels must be {len(frames)} integers; got shape {labels.shape}, dtype {labels.dtype}")
    if labels.min() < 0:
        raise ValueError(f"{name}_labels must be >= 0; got {labels.min()}")


def _restricted(result, t_start, t_stop):
    """The result with spikes kept only in ``[t_start, t_stop)`` (a small file to save)."""
    spikes = {}
    for name, trains in result.spikes.items():
        keep = (trains.timestamps >= t_start) & (trains.timestamps < t_stop)
        spikes[name] = SpikeTrains(trains.node_ids[keep], trains.timestamps[keep], trains.n_neurons)
    return replace(result, spikes=spikes)


def seed_list(seed, n_seeds):
    """The per-repetition master seeds derived from ``seed`` (stream ``hrsnn-seed-<k>``)."""
    streams = SeedStreams(seed)
    return [streams.integer_seed(f"hrsnn-seed-{k}") for k in range(n_seeds)]


def presentation_order(n_train, n_test, n_stdp, rng, shuffle=True):
    """Indices into ``concatenate([train, test])`` of every presentation, in presentation order.

    The first ``n_stdp`` presentations (STDP on) are training samples drawn without replacement;
    then every training sample, then every test sample, each block in a random order when
    ``shuffle`` (else in the data set's order). Test samples are never presented with STDP on.

    Returns
    -------
    numpy.ndarray of int, shape (n_stdp + n_train + n_test,)
    """
    stdp = rng.permutation(n_train)[:n_stdp]
    train = rng.permutation(n_train) if shuffle else np.arange(n_train)
    test = n_train + (rng.permutation(n_test) if shuffle else np.arange(n_test))
    return np.concatenate([stdp, train, test])


def activity_metrics(result, boundaries, first_test):
    """Spikes and recurrent synaptic operations per test period (presentation + rest) of one run."""
    periods = period_boundaries(boundaries)[first_test:]
    sops = synaptic_operations_from_result(result, synapse_names=RECURRENT, sample_boundaries=periods).total
    spikes = sum(np.histogram(result.spikes[name].timestamps, bins=periods)[0] for name in ("exc", "inh"))
    return {
        "spikes_per_sample": float(np.mean(spikes)),
        "sops_per_sample": float(np.mean(sops)),
        "mean_rate": float(np.sum(spikes) / (result.spikes["exc"].n_neurons + result.spikes["inh"].n_neurons)
                           / (periods[-1] - periods[0])),
    }


def _check_inputs(config, train_frames, train_labels, test_frames, test_labels):
    check_run_config(config)
    _check_data(train_frames, train_labels, "train")
    _check_data(test_frames, test_labels, "test")
    unseen = sorted(set(np.unique(test_labels).tolist()) - set(np.unique(train_labels).tolist()))
    if unseen:
        raise ConfigError(f"test labels {unseen} never occur in the training labels")
    if train_frames.shape[1:] != test_frames.shape[1:]:
        raise ValueError(f"train and test frames differ in shape: {train_frames.shape[1:]} vs {test_frames.shape[1:]}")
    if config.n_stdp_samples > len(train_frames):
        raise ConfigError(f"n_stdp_samples ({config.n_stdp_samples}) exceeds the {len(train_frames)} training samples")


def summarise(per_seed, baseline, n_train, n_test, n_seeds):
    """Flat metrics: ``<metric>_<variant>_mean`` / ``_std`` (ddof 1) over seeds, the baseline, sizes.

    The :data:`CONVERGENCE` keys are summarised too where every row has them (converged training).
    """
    summary = {"baseline_accuracy": baseline, "n_train": n_train, "n_test": n_test, "n_seeds": n_seeds}
    for variant, rows in per_seed.items():
        for key in METRICS + tuple(key for key in CONVERGENCE if all(key in row for row in rows)):
            values = np.array([row[key] for row in rows])
            summary[f"{key}_{variant}_mean"] = float(values.mean())
            summary[f"{key}_{variant}_std"] = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return summary


def _save_first_samples(result, metrics, boundaries, first, config, variant, path):
    """Save the spikes of the first ``n_saved_samples`` test presentations, with the run's metrics."""
    last = min(first + config.n_saved_samples, len(boundaries)) - 1
    saved = _restricted(result, boundaries[first, 0], boundaries[last, 1])
    saved.metrics.update({key: value for key, value in metrics.items() if key != "seed"})
    saved.provenance["variant"] = variant
    save(saved, path)


def simulate_seed(config, train_frames, test_frames, output, backend, run_seed, name, variants, timings, save_first,
                  label, shared_build=False):
    """Present every sample to one seed's network in each cell; counts (sample order), activity, convergence states.

    ``timings`` (dict with ``encode``, ``build``, ``runs``, ``stdp_chunks``) accumulates seconds. ``shared_build`` builds the
    network with its distributions at their defaults and runs the configured samples as run arguments
    (:func:`~hetero_brian.protocols.memory_capacity.shared_build_spec`): the same spikes, and
    configurations that differ only in their distributions (a tuning study) share one compiled network.
    """
    start = time.perf_counter()
    converged = config.stdp_training == "converged"  # then STDP runs in chunks before, not in this build
    n_train, n_stdp = len(train_frames), 0 if converged else config.n_stdp_samples
    period = float((config.frame_duration * train_frames.shape[2] + config.t_rest) / second)
    rng = SeedStreams(run_seed).generator("input")
    phase = rng.random(train_frames.shape[1])
    order = presentation_order(n_train, len(test_frames), n_stdp, rng, config.shuffle)
    frames = np.concatenate([train_frames, test_frames])[order]
    stimulus, boundaries = stimulus_sequence(encode_frames(frames, config, rng, phase),
                                             config.frame_duration * train_frames.shape[2], config.t_rest, dt=config.dt)
    source = SpikeInput("stim", stimulus.n_channels, stimulus.indices, stimulus.times * second)
    if shared_build:
        spec, build_spec, sampled = shared_build_spec(config, source, run_seed)
    else:
        spec, sampled = hrsnn_spec(config, source, run_seed), None
        build_spec = spec
    frozen = {"ee.plastic": 0, **({"input_exc.plastic": 0} if config.input_plastic else {})}
    phases = [(n_stdp * period * second, {}), ((len(frames) - n_stdp) * period * second, frozen)]
    if n_stdp == 0:
        phases = phases[1:]
    timings["encode"] += time.perf_counter() - start
    print(f"{label}: encoded {len(frames)} presentations ({n_stdp} with STDP), {time.perf_counter() - start:.0f} s",
          flush=True)
    trained = {}
    if converged:
        start = time.perf_counter()
        trained = train_cells(config, train_frames, lambda samples, chunk_rng: encode_frames(samples, config, chunk_rng, phase),
                              run_seed, variants, _switches, backend, label, spec)
        timings["stdp_chunks"] += time.perf_counter() - start
    counts, activity = {}, {}
    start = time.perf_counter()
    with Simulator(build_spec, phases, backend=backend, seed=run_seed, recording=Recording(spikes=("exc", "inh")),
                   build_root=config.build_root) as simulator:
        timings["build"] += time.perf_counter() - start
        print(f"{label}: network built, {time.perf_counter() - start:.0f} s", flush=True)
        for variant in variants:
            start = time.perf_counter()
            parameters = variant_parameters(spec, *_switches(variant))
            if variant in trained:
                parameters["ee.w"] = trained[variant][0] * volt
            result = simulator.run(parameters=parameters, sampled=sampled,
                                   label=f"{name}-{variant}-{run_seed}-{time.time_ns()}")
            timings["runs"] += time.perf_counter() - start
            print(f"{label} {variant}: simulated {len(frames) * period:.0f} s of network time, "
                  f"{time.perf_counter() - start:.0f} s", flush=True)
            run_directory = result.provenance.get("backend", {}).get("build_directory")
            if run_directory:
                shutil.rmtree(os.path.join(run_directory, "results", result.provenance["run_label"]), ignore_errors=True)
            presented = reservoir_counts(result, boundaries[n_stdp:], config.n_bins)
            counts[variant] = np.empty_like(presented)
            counts[variant][order[n_stdp:]] = presented
            activity[variant] = activity_metrics(result, boundaries, n_stdp + n_train)
            if save_first and config.n_saved_samples:
                _save_first_samples(result, activity[variant], boundaries, n_stdp + n_train, config, variant,
                                    output / f"{name}_{variant}_seed{run_seed}.h5")
    return counts, activity, {variant: state for variant, (_, state) in trained.items()}


def _switches(variant):
    """``(heterogeneous_neurons, heterogeneous_stdp)`` of a cell name."""
    return next(switches for switches in VARIANTS if variant_name(*switches) == variant)


def run_2x2(config, train_frames, train_labels, test_frames, test_labels, output, backend="auto", seed=None,
            name="hrsnn"):
    """Run the HRSNN 2x2 over ``config.n_seeds`` seeds.

    Parameters
    ----------
    config : HRSNNRunConfig
    train_frames, test_frames : numpy.ndarray, shape (n_samples, n_channels, n_frames)
        Intensities in [0, 1] (the input of both the reservoir and the baseline).
    train_labels, test_labels : numpy.ndarray of int
    output : pathlib.Path
        Folder for the per-seed table (``<name>_runs.json``, rewritten atomically after every seed),
        the saved results of the first seed (``<name>_<variant>_seed<seed>.h5``, with the activity
        metrics) and the feature cache of every seed (``<name>_features_seed<seed>.npz``).
    backend : str
    seed : int, optional
        Master seed; the per-seed master seeds are derived from it (:func:`seed_list`).
    name : str
        Prefix of the output files.

    Returns
    -------
    summary : dict
        ``accuracy_<variant>_mean`` / ``_std``, ``ridge_accuracy_...``, ``spikes_per_sample_...``,
        ``sops_per_sample_...``, ``mean_rate_...`` for the chosen variants (with converged training also
        ``chunks_...``, ``converged_...`` (fraction of seeds), ``final_ks_...``,
        ``training_presentations_...``); ``baseline_accuracy``; ``wall_time_<part>`` timings.
    per_seed : dict of str -> list of dict
        The metrics of every seed, per variant (the input of
        :func:`hetero_brian.analysis.figures_hrsnn.plot_2x2`).
    """
    _check_inputs(config, train_frames, train_labels, test_frames, test_labels)
    output = Path(output)
    seed = fresh_seed() if seed is None else seed
    n_train, n_test = len(train_frames), len(test_frames)
    baseline = baseline_accuracy(train_frames, train_labels, test_frames, test_labels, config.readout_c)
    variants = [variant_name(*variant) for variant in VARIANTS if variant_name(*variant) in config.variants]
    per_seed = {variant: [] for variant in variants}
    timings = {"encode": 0.0, "stdp_chunks": 0.0, "build": 0.0, "runs": 0.0, "readout": 0.0}
    seeds = seed_list(seed, config.n_seeds)
    for number, run_seed in enumerate(seeds):
        label = f"{name} seed {number + 1}/{len(seeds)}"
        if config.features_from:
            counts, activity = load_features(features_path(config.features_from, name, run_seed), variants,
                                             train_labels, test_labels)
            states = {}  # the cache holds no convergence record
            print(f"{label}: features read from {config.features_from}", flush=True)
        else:
            counts, activity, states = simulate_seed(config, train_frames, test_frames, output, backend, run_seed, name,
                                                     variants, timings, number == 0, label)
            if config.save_features:
                save_features(features_path(output, name, run_seed), counts, activity, train_labels, test_labels)
        for variant in variants:
            start = time.perf_counter()
            metrics = {**readout_accuracies(counts[variant], train_labels, test_labels, config),
                       **activity[variant], "seed": run_seed}
            if variant in states:  # the summary next to the accuracy, the history beside it (no training indices)
                metrics.update(convergence_metrics(states[variant]),
                               convergence={k: v for k, v in states[variant].items() if k != "training_indices"})
            timings["readout"] += time.perf_counter() - start
            print(f"{label} {variant}: accuracy {metrics['accuracy']:.3f} (ridge {metrics['ridge_accuracy']:.3f}), "
                  f"{metrics['spikes_per_sample']:.0f} spikes per sample; readouts {time.perf_counter() - start:.0f} s",
                  flush=True)
            per_seed[variant].append(metrics)
        # rewritten after every seed, atomically: a killed run keeps its finished seeds
        write_json_atomically(output / f"{name}_runs.json", {"per_seed": per_seed, "status": f"{number + 1} of {config.n_seeds} seeds"}, if_exists="replace")
    summary = summarise(per_seed, baseline, n_train, n_test, config.n_seeds)
    summary.update({f"wall_time_{key}": value for key, value in timings.items()})
    write_json_atomically(output / f"{name}_runs.json", {"per_seed": per_seed, "summary": summary, "status": "complete"},
                          if_exists="replace")
    return summary, per_seed
