"""HRSNN on spoken digits (FSDD): heterogeneous neurons and STDP, 2x2 over seeds, with a baseline.

Each recording of the Free Spoken Digit Dataset becomes a log-mel spectrogram resampled to a fixed
number of frames and scaled to [0, 1] with training-set percentiles; every mel channel drives one
input neuron through a deterministic rate code (an integrate-and-fire encoder, ``max_rate`` at full
scale). The samples are presented back to back (``frame_duration`` per frame, then ``t_rest`` of
silence, reset-free: the rest lets the reservoir state decay, it is not reset) to an E/I reservoir
(:func:`hetero_brian.network.hrsnn.hrsnn_spec`). Phase 1 presents ``n_stdp_samples`` training
samples with STDP on; phase 2 presents every training and test sample with plasticity frozen,
all in one compiled binary. Spike counts of every reservoir neuron in ``n_bins`` bins of each
presentation feed a standardised logistic (and a ridge) readout trained on the training split
(takes 5-49) and scored on the test split (takes 0-4). The four cells of the 2x2 (homogeneous or
heterogeneous neurons x homogeneous or heterogeneous STDP) are four runs of one binary per seed.
The non-spiking baseline is a logistic regression on the very frames the encoder sees.

References
----------
B. Chakraborty, S. Mukhopadhyay, "Heterogeneous recurrent spiking neural network for
spatio-temporal classification", Front. Neurosci. 17:994517 (2023).
Z. Jackson et al., Free Spoken Digit Dataset, https://github.com/Jakobovski/free-spoken-digit-dataset
"""
import json
import os
import shutil
import time
from pathlib import Path
from typing import Literal, Optional

import numpy as np
from brian2 import Hz, mV, ms

from hetero_brian.config import QuantityField, StrictModel
from hetero_brian.errors import ConfigError

VARIANTS = ((False, False), (True, False), (False, True), (True, True))
RECURRENT = ("ee", "ei", "ie", "ii")


class HRSNNRunConfig(StrictModel):
    """Reservoir, presentation and readout options shared by the HRSNN scenarios."""

    n_seeds: int = 5
    variants: list[Literal["HoNHoS", "HeNHoS", "HoNHeS", "HeNHeS"]] = ["HoNHoS", "HeNHoS", "HoNHeS", "HeNHeS"]
    n_stdp_samples: int = 100
    frame_duration: QuantityField(ms) = "5 ms"
    t_rest: QuantityField(ms) = "30 ms"
    max_rate: QuantityField(Hz) = "400 Hz"
    encoding: Literal["regular", "poisson"] = "regular"
    dt: QuantityField(ms) = "1 ms"
    n_neurons: int = 500
    neuron_model: Literal["lif", "adaptive_lif"] = "lif"
    tau_m: QuantityField(ms) = "20 ms"
    tau_m_cv: float = 0.4
    tau_adapt: QuantityField(ms) = "150 ms"
    tau_adapt_cv: float = 0.3
    beta: QuantityField(mV) = "1 mV"
    tau_syn: QuantityField(ms) = "5 ms"
    weight_ee: QuantityField(mV) = "0.5 mV"
    w_max_ee: QuantityField(mV) = "1 mV"
    weight_ei: QuantityField(mV) = "1 mV"
    weight_ie: QuantityField(mV) = "3 mV"
    weight_ii: QuantityField(mV) = "3 mV"
    weight_input: QuantityField(mV) = "4 mV"
    tau_pre: QuantityField(ms) = "20 ms"
    tau_post: QuantityField(ms) = "20 ms"
    tau_stdp_cv: float = 0.5
    eta_plus: float = 0.01
    eta_minus: float = 0.0105
    eta_cv: float = 0.5
    input_plastic: bool = False
    p_recurrent: float = 0.1
    p_input: float = 0.2
    n_bins: int = 5
    readout_c: float = 0.1
    ridge_alpha: float = 100.0
    n_saved_samples: int = 20
    build_root: Optional[str] = None


def _check_run_config(config):
    for name, minimum in (("n_seeds", 1), ("n_stdp_samples", 0), ("n_bins", 1), ("n_saved_samples", 0)):
        if getattr(config, name) < minimum:
            raise ConfigError(f"{name} must be >= {minimum}; got {getattr(config, name)!r}")
    if not config.variants or len(set(config.variants)) != len(config.variants):
        raise ConfigError(f"variants must list distinct cells of the 2x2; got {config.variants!r}")
    for name in ("readout_c", "ridge_alpha"):
        if not getattr(config, name) > 0:
            raise ConfigError(f"{name} must be > 0; got {getattr(config, name)!r}")


def hrsnn_parameters(config):
    """:class:`~hetero_brian.network.hrsnn.HRSNNParameters` of a config (both switches on)."""
    from hetero_brian.network.hrsnn import HRSNNParameters

    names = ("n_neurons", "neuron_model", "tau_m", "tau_m_cv", "tau_adapt", "tau_adapt_cv", "beta", "tau_syn",
             "weight_ee", "w_max_ee", "weight_ei", "weight_ie", "weight_ii", "weight_input", "tau_pre",
             "tau_post", "tau_stdp_cv", "eta_plus", "eta_minus", "eta_cv", "input_plastic", "p_recurrent",
             "p_input", "dt")
    try:
        return HRSNNParameters(**{name: getattr(config, name) for name in names})
    except ValueError as error:
        raise ConfigError(f"invalid reservoir configuration: {error}") from error


def regular_rate_encode(frames, max_rate, frame_duration, dt, phase):
    """Deterministic rate code: an integrate-and-fire encoder per channel.

    Parameters
    ----------
    frames : numpy.ndarray, shape (n_channels, n_frames)
        Intensities in [0, 1]; frame ``k`` lasts ``[k frame_duration, (k + 1) frame_duration)``.
    max_rate : float
        Hz at intensity 1 (``max_rate * dt <= 1``).
    frame_duration, dt : float
        Seconds (``frame_duration`` a multiple of ``dt``).
    phase : numpy.ndarray, shape (n_channels,)
        Initial accumulator value of each channel in [0, 1).

    Returns
    -------
    EncodedSpikes
        Duration ``n_frames * frame_duration``.

    Notes
    -----
    ``a_c(k) = phase_c + dt sum_{m <= k} max_rate z_c(m)``; channel ``c`` spikes at step ``k`` when
    ``floor(a_c)`` increases, so over any interval it emits ``max_rate z T`` spikes up to +-1,
    without the Poisson count noise (variance ``max_rate z T``).
    """
    from hetero_brian.inputs import EncodedSpikes

    frames = np.asarray(frames, dtype=float)
    if frames.ndim != 2 or frames.min() < 0 or frames.max() > 1 or not np.all(np.isfinite(frames)):
        raise ValueError(f"frames must be a finite (n_channels, n_frames) array in [0, 1]; got shape {frames.shape}")
    if max_rate * dt > 1:
        raise ValueError(f"max_rate * dt must be <= 1; got {max_rate:g} Hz x {dt:g} s")
    steps = int(round(frame_duration / dt))
    if steps < 1 or abs(steps * dt - frame_duration) > 1e-9 * frame_duration + 1e-12:
        raise ValueError(f"frame_duration ({frame_duration:g} s) must be a positive multiple of dt ({dt:g} s)")
    increments = np.repeat(frames, steps, axis=1) * (max_rate * dt)
    accumulated = np.floor(np.cumsum(increments, axis=1) + phase[:, None] + 1e-9)  # 1e-9: rounding of the sums
    previous = np.concatenate([np.floor(phase + 1e-9)[:, None], accumulated[:, :-1]], axis=1)
    step_index, channel = np.nonzero((accumulated > previous).T)
    return EncodedSpikes(channel, step_index * dt, frames.shape[0], frames.shape[1] * frame_duration)


def _encode(frames, config, rng, phase):
    from brian2 import Hz, second

    from hetero_brian.inputs import poisson_encode

    max_rate, frame_duration, dt = float(config.max_rate / Hz), float(config.frame_duration / second), float(config.dt / second)
    if config.encoding == "regular":
        return [regular_rate_encode(sample, max_rate, frame_duration, dt, phase) for sample in frames]
    return [poisson_encode(max_rate * sample, dt, rng, frame_duration=frame_duration) for sample in frames]


def baseline_accuracy(train_frames, train_labels, test_frames, test_labels, c, seed):
    """Non-spiking baseline: standardised logistic regression on the flattened frames."""
    from hetero_brian.readouts import LogisticReadout

    readout = LogisticReadout(C=c, max_iter=3000, random_state=seed)
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


def _write_json(path, payload):
    """Write ``payload`` atomically (temporary file, then rename): a killed run keeps its finished seeds."""
    temporary = Path(f"{path}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2)
    os.replace(temporary, path)


def _restricted(result, t_start, t_stop):
    """The result with spikes kept only in ``[t_start, t_stop)`` (a small file to save)."""
    from dataclasses import replace

    from hetero_brian.results import SpikeTrains

    spikes = {}
    for name, trains in result.spikes.items():
        keep = (trains.timestamps >= t_start) & (trains.timestamps < t_stop)
        spikes[name] = SpikeTrains(trains.node_ids[keep], trains.timestamps[keep], trains.n_neurons)
    return replace(result, spikes=spikes)


def _seed_list(seed, n_seeds):
    from hetero_brian.random import SeedStreams

    streams = SeedStreams(seed)
    return [streams.integer_seed(f"hrsnn-seed-{k}") for k in range(n_seeds)]


def _evaluate(result, boundaries, n_stdp, n_train, train_labels, test_labels, config, seed):
    """Readout accuracies, spikes and synaptic operations per test sample of one run."""
    from hetero_brian.analysis.energy import synaptic_operations_from_result
    from hetero_brian.analysis.features import binned_spike_counts, period_boundaries
    from hetero_brian.readouts import LogisticReadout, RidgeReadout

    blocks = []
    for name in ("exc", "inh"):
        trains = result.spikes[name]
        blocks.append(binned_spike_counts(trains.node_ids, trains.timestamps, trains.n_neurons, boundaries,
                                          config.n_bins).reshape(len(boundaries), -1))
    features = np.log1p(np.concatenate(blocks, axis=1))
    train = features[n_stdp:n_stdp + n_train]
    test = features[n_stdp + n_train:]
    logistic = LogisticReadout(C=config.readout_c, max_iter=3000, random_state=seed).fit(train, train_labels)
    ridge = RidgeReadout(alpha=config.ridge_alpha).fit(train, train_labels)
    periods = period_boundaries(boundaries)[n_stdp + n_train:]
    sops = synaptic_operations_from_result(result, synapse_names=RECURRENT, sample_boundaries=periods).total
    spikes = sum(np.histogram(result.spikes[name].timestamps, bins=periods)[0] for name in ("exc", "inh"))
    return {
        "accuracy": float(logistic.score(test, test_labels)),
        "ridge_accuracy": float(ridge.score(test, test_labels)),
        "spikes_per_sample": float(np.mean(spikes)),
        "sops_per_sample": float(np.mean(sops)),
        "mean_rate": float(np.sum(spikes) / (result.spikes["exc"].n_neurons + result.spikes["inh"].n_neurons)
                           / (periods[-1] - periods[0])),
    }


def run_2x2(config, train_frames, train_labels, test_frames, test_labels, output, backend="auto", seed=None,
            name="hrsnn"):
    """Run the HRSNN 2x2 over ``config.n_seeds`` seeds and return the flat metrics.

    Parameters
    ----------
    config : HRSNNRunConfig
    train_frames, test_frames : numpy.ndarray, shape (n_samples, n_channels, n_frames)
        Intensities in [0, 1] (the input of both the reservoir and the baseline).
    train_labels, test_labels : numpy.ndarray of int
    output : pathlib.Path
        Folder for the per-seed table (``<name>_runs.json``), the figure and the saved results.
    backend : str
    seed : int, optional
        Master seed; the per-seed master seeds are derived from it.
    name : str
        Prefix of the output files.

    Returns
    -------
    dict
        ``accuracy_<variant>_mean`` / ``_std``, ``ridge_accuracy_...``, ``spikes_per_sample_...``,
        ``sops_per_sample_...``, ``mean_rate_...`` for the variants ``HoNHoS``, ``HeNHoS``,
        ``HoNHeS``, ``HeNHeS``; ``baseline_accuracy``; timings.
    """
    from brian2 import second

    from hetero_brian.inputs import stimulus_sequence
    from hetero_brian.network.spec import SpikeInput
    from hetero_brian.network.hrsnn import hrsnn_spec, variant_name, variant_parameters
    from hetero_brian.random import SeedStreams, fresh_seed
    from hetero_brian.results import save
    from hetero_brian.simulate import Recording, Simulator

    _check_run_config(config)
    _check_data(train_frames, train_labels, "train")
    _check_data(test_frames, test_labels, "test")
    unseen = sorted(set(np.unique(test_labels).tolist()) - set(np.unique(train_labels).tolist()))
    if unseen:
        raise ConfigError(f"test labels {unseen} never occur in the training labels")
    if train_frames.shape[1:] != test_frames.shape[1:]:
        raise ValueError(f"train and test frames differ in shape: {train_frames.shape[1:]} vs {test_frames.shape[1:]}")
    output = Path(output)
    seed = fresh_seed() if seed is None else seed
    parameters = hrsnn_parameters(config)
    n_train, n_test = len(train_frames), len(test_frames)
    if config.n_stdp_samples > n_train:
        raise ConfigError(f"n_stdp_samples ({config.n_stdp_samples}) exceeds the {n_train} training samples")
    period = float((config.frame_duration * train_frames.shape[2] + config.t_rest) / second)
    baseline = baseline_accuracy(train_frames, train_labels, test_frames, test_labels, config.readout_c, seed)
    variants = [variant for variant in VARIANTS if variant_name(*variant) in config.variants]
    per_seed = {variant_name(*variant): [] for variant in variants}
    timings = {"encode": 0.0, "build": 0.0, "runs": 0.0, "readout": 0.0}
    for number, run_seed in enumerate(_seed_list(seed, config.n_seeds)):
        streams = SeedStreams(run_seed)
        start = time.perf_counter()
        rng = streams.generator("input")
        phase = rng.random(train_frames.shape[1])
        stdp_order = rng.permutation(n_train)[:config.n_stdp_samples]
        frames = np.concatenate([train_frames[stdp_order], train_frames, test_frames])
        stimulus, boundaries = stimulus_sequence(_encode(frames, config, rng, phase), config.frame_duration * train_frames.shape[2],
                                                 config.t_rest, dt=config.dt)
        source = SpikeInput("stim", stimulus.n_channels, stimulus.indices, stimulus.times * second)
        spec = hrsnn_spec(parameters, source, streams.generator("structure"))
        n_stdp = config.n_stdp_samples
        frozen = {"ee.plastic": 0, **({"input_exc.plastic": 0} if config.input_plastic else {})}
        phases = [(n_stdp * period * second, {}), ((len(frames) - n_stdp) * period * second, frozen)]
        if n_stdp == 0:
            phases = phases[1:]
        timings["encode"] += time.perf_counter() - start
        start = time.perf_counter()
        with Simulator(spec, phases, backend=backend, seed=run_seed, recording=Recording(spikes=("exc", "inh")),
                       build_root=config.build_root) as simulator:
            timings["build"] += time.perf_counter() - start
            for heterogeneous_neurons, heterogeneous_stdp in variants:
                variant = variant_name(heterogeneous_neurons, heterogeneous_stdp)
                start = time.perf_counter()
                result = simulator.run(parameters=variant_parameters(spec, heterogeneous_neurons, heterogeneous_stdp),
                                       label=f"{name}-{variant}-{run_seed}-{time.time_ns()}")
                timings["runs"] += time.perf_counter() - start
                run_directory = result.provenance.get("backend", {}).get("build_directory")
                if run_directory:
                    shutil.rmtree(os.path.join(run_directory, "results", result.provenance["run_label"]), ignore_errors=True)
                start = time.perf_counter()
                metrics = _evaluate(result, boundaries, n_stdp, n_train, train_labels, test_labels, config, run_seed)
                timings["readout"] += time.perf_counter() - start
                metrics["seed"] = run_seed
                per_seed[variant].append(metrics)
                if number == 0 and config.n_saved_samples:
                    first = n_stdp + n_train
                    last = min(first + config.n_saved_samples, len(boundaries)) - 1
                    saved = _restricted(result, boundaries[first, 0], boundaries[last, 1])
                    saved.metrics.update({key: value for key, value in metrics.items() if key != "seed"})
                    saved.provenance["variant"] = variant
                    save(saved, output / f"{name}_{variant}_seed{run_seed}.h5")
        _write_json(output / f"{name}_runs.json", {"per_seed": per_seed, "status": f"{number + 1} of {config.n_seeds} seeds"})
    summary = {"baseline_accuracy": baseline, "n_train": n_train, "n_test": n_test, "n_seeds": config.n_seeds}
    for variant, rows in per_seed.items():
        for key in ("accuracy", "ridge_accuracy", "spikes_per_sample", "sops_per_sample", "mean_rate"):
            values = np.array([row[key] for row in rows])
            summary[f"{key}_{variant}_mean"] = float(values.mean())
            summary[f"{key}_{variant}_std"] = float(values.std(ddof=1)) if values.size > 1 else 0.0
    summary.update({f"wall_time_{key}": value for key, value in timings.items()})
    _write_json(output / f"{name}_runs.json", {"per_seed": per_seed, "summary": summary, "status": "complete"})
    plot_2x2(per_seed, baseline, output / f"{name}.png", title=name)
    return summary


def plot_2x2(per_seed, baseline, path, title=""):
    """Accuracy, spikes and synaptic operations per sample of the four variants (mean, std, seeds)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hetero_brian.analysis.plots import save_figure

    variants = list(per_seed)
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    panels = (("accuracy", "test accuracy"), ("spikes_per_sample", "spikes per sample"),
              ("sops_per_sample", "synaptic ops per sample"))
    for ax, (key, label) in zip(axes, panels):
        values = [np.array([row[key] for row in per_seed[v]]) for v in variants]
        x = np.arange(len(variants))
        ax.bar(x, [v.mean() for v in values], yerr=[v.std(ddof=1) if v.size > 1 else 0 for v in values],
               color=["0.7", "tab:blue", "tab:orange", "tab:green"], capsize=4)
        for position, v in zip(x, values):
            ax.plot(np.full(v.size, position), v, "k.", markersize=4)
        if key == "accuracy":
            ax.axhline(baseline, color="k", linestyle="--", label="log-mel + logistic")
            low = min(min(v.min() for v in values), baseline)
            ax.set_ylim(max(0.0, low - 0.05), 1.0)
            ax.legend(loc="lower right", fontsize=8)
        ax.set_xticks(x)
        ax.set_xticklabels(variants)
        ax.set_ylabel(label)
    fig.suptitle(f"{title}: homogeneous (Ho) / heterogeneous (He) neurons (N) and STDP (S)")
    fig.tight_layout()
    save_figure(fig, path, overwrite=True)
    plt.close(fig)
    return path


# --- FSDD ----------------------------------------------------------------------------------------


class Config(HRSNNRunConfig):
    """FSDD options (data and front end) on top of the shared HRSNN options."""

    data_path: str = "../shared/data/fsdd"
    n_train: Optional[int] = None
    n_test: Optional[int] = None
    n_mels: int = 20
    n_frames: int = 20
    low_percentile: float = 5.0
    high_percentile: float = 99.5


def _subset(dataset, n, rng, name):
    if n is None:
        return dataset
    if not 10 <= n <= len(dataset):
        raise ConfigError(f"{name} must be between 10 and {len(dataset)}; got {n}")
    from hetero_brian.inputs import stratified_subset

    return dataset.subset(stratified_subset(dataset.labels, int(np.ceil(n / dataset.n_classes)), rng)[:n])


def log_mel_frames(dataset, n_mels, n_frames):
    """Log-mel spectrograms resampled (linear interpolation) to ``n_frames`` frames: (n, n_mels, n_frames)."""
    from hetero_brian.inputs import log_mel_spectrogram

    out = np.empty((len(dataset), n_mels, n_frames))
    for k, signal in enumerate(dataset.samples):
        spectrogram = log_mel_spectrogram(signal, dataset.sample_rate, n_mels=n_mels)
        positions = np.linspace(0, spectrogram.shape[1] - 1, n_frames)
        columns = np.arange(spectrogram.shape[1])
        out[k] = np.array([np.interp(positions, columns, row) for row in spectrogram])
    return out


def scale_frames(train, test, low_percentile, high_percentile):
    """Scale both sets to [0, 1] with the training set's percentiles (values clipped)."""
    low, high = np.percentile(train, [low_percentile, high_percentile])
    if not high > low:
        raise ValueError(f"the training features are constant between the percentiles {low_percentile} and {high_percentile}")
    return (np.clip((train - low) / (high - low), 0, 1), np.clip((test - low) / (high - low), 0, 1))


def run(config, output, backend="auto", seed=None):
    """Read FSDD, build the frames and run :func:`run_2x2`."""
    from hetero_brian.inputs import read_fsdd
    from hetero_brian.random import SeedStreams, fresh_seed

    seed = fresh_seed() if seed is None else seed
    if not 0 <= config.low_percentile < config.high_percentile <= 100:
        raise ConfigError(f"need 0 <= low_percentile < high_percentile <= 100; got {config.low_percentile}, {config.high_percentile}")
    start = time.perf_counter()
    rng = SeedStreams(seed).generator("data")
    train = _subset(read_fsdd(config.data_path, split="train"), config.n_train, rng, "n_train")
    test = _subset(read_fsdd(config.data_path, split="test"), config.n_test, rng, "n_test")
    train_frames, test_frames = scale_frames(log_mel_frames(train, config.n_mels, config.n_frames),
                                             log_mel_frames(test, config.n_mels, config.n_frames),
                                             config.low_percentile, config.high_percentile)
    read_time = time.perf_counter() - start
    metrics = run_2x2(config, train_frames, train.labels, test_frames, test.labels, output, backend, seed, "hrsnn_fsdd")
    metrics["wall_time_read"] = read_time
    return metrics


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    main()
