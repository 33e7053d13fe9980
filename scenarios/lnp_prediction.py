"""Lyapunov Noise Pruning against activity pruning: chaotic time-series prediction with an HRSNN.

A heterogeneous E/I reservoir of LIF neurons (gamma-distributed membrane time constants, HRSNN)
is driven by a population code of the Lorenz-63 and Rössler series (each variable scaled to
[0, 1] and encoded by ``n_channels_per_variable`` Gaussian tuning curves feeding Poisson spikes,
one series point every ``t_step``). A ridge readout of the exponentially filtered spike counts
predicts the next point of the series (all three variables); the score is the NRMSE on the last
``test_fraction`` of each series. Three networks are compared:

* **dense**: the untrained reservoir;
* **LNP** (Chakraborty et al. 2024): noise pruning of the untrained recurrent synapses with keep
  probabilities from the noise-driven covariance (Moore & Chaudhuri 2020) scaled by Lyapunov
  factors, then removal of the ``neuron_fraction`` of neurons with the lowest betweenness
  centrality (``hetero_brian.analysis.lnp.lyapunov_noise_prune``, ``rescale=False``: weights keep their values,
  which suits random networks whose weights are one value per projection);
* **AP**: activity pruning of the dense network after its run (lowest-rate neurons removed, then
  the synapses with the lowest rate x |weight|), at the sparsities LNP reached.

The recurrent network is seen as one population of signed weights (inhibitory negative), in units
of the distance from rest to threshold; the spectrum of its rate Jacobian ``diag(1/tau)(-I + W)``
(largest real part = the linearisation's largest Lyapunov exponent) is reported for each network.

References
----------
B. Chakraborty, B. Kang, H. Kumar, S. Mukhopadhyay, "Sparse spiking neural network: exploiting
heterogeneity in timescales for pruning recurrent SNN", ICLR 2024, arXiv:2403.03409.
J. Moore, R. Chaudhuri, NeurIPS 2020, arXiv:2011.07334.
E. N. Lorenz, J. Atmos. Sci. 20:130 (1963). O. E. Rössler, Phys. Lett. A 57:397 (1976).
"""
import time
from pathlib import Path
from typing import Literal

import numpy as np
from brian2 import mV, ms, second

from hetero_brian.config import DistributionField, QuantityField, StrictModel
from hetero_brian.errors import ConfigError

SERIES = ("lorenz", "rossler")


class Config(StrictModel):
    n_neurons: int = 200
    n_points: int = 1000
    t_step: QuantityField(ms) = "10 ms"
    dt: QuantityField(ms) = "0.5 ms"
    n_channels_per_variable: int = 10
    max_rate: QuantityField() = "200 Hz"
    tau_m: DistributionField(ms) = {"distribution": "gamma", "mean": "20 ms", "cv": 0.5}
    p_recurrent: float = 0.2
    p_input: float = 0.3
    weight_scale: float = 4.0
    readout_tau: QuantityField(ms) = "20 ms"
    ridge: float = 1.0
    washout: int = 50
    test_fraction: float = 0.3
    target_sparsity: float = 0.5
    neuron_fraction: float = 0.1
    lyapunov_weighting: Literal["none", "sensitivity", "participation"] = "sensitivity"
    plots: bool = True


def _check(config):
    if config.n_neurons < 10:
        raise ConfigError(f"n_neurons must be >= 10; got {config.n_neurons}")
    if config.n_points < 2 * config.washout + 20:
        raise ConfigError(f"n_points ({config.n_points}) must exceed 2 * washout + 20 ({2 * config.washout + 20})")
    for name in ("test_fraction", "target_sparsity"):
        if not 0 < getattr(config, name) < 1:
            raise ConfigError(f"{name} must be in (0, 1); got {getattr(config, name)}")
    if not 0 <= config.neuron_fraction < 1:
        raise ConfigError(f"neuron_fraction must be in [0, 1); got {config.neuron_fraction}")
    if config.ridge <= 0 or config.n_channels_per_variable < 2:
        raise ConfigError("ridge must be > 0 and n_channels_per_variable >= 2; got "
                          f"ridge={config.ridge}, n_channels_per_variable={config.n_channels_per_variable}")


def chaotic_series(name, n_points, step, transient=1000):
    """``n_points`` samples of the Lorenz-63 (10, 28, 8/3) or Rössler (0.2, 0.2, 5.7) flow.

    Integrated with scipy's ``solve_ivp`` (DOP853, rtol 1e-9) in the system's own time units,
    ``step`` apart (0.02 for Lorenz, 0.1 for Rössler by default of :func:`series_step`), after
    ``transient`` discarded steps. Returns an array ``(n_points, 3)``.
    """
    from scipy.integrate import solve_ivp

    if name == "lorenz":
        def rhs(_, x):
            return [10.0 * (x[1] - x[0]), x[0] * (28.0 - x[2]) - x[1], x[0] * x[1] - 8.0 / 3.0 * x[2]]
        start = [1.0, 1.0, 1.0]
    elif name == "rossler":
        def rhs(_, x):
            return [-x[1] - x[2], x[0] + 0.2 * x[1], 0.2 + x[2] * (x[0] - 5.7)]
        start = [1.0, 1.0, 0.0]
    else:
        raise ValueError(f"name must be one of {SERIES}; got {name!r}")
    if n_points < 2 or step <= 0:
        raise ValueError(f"need n_points >= 2 and step > 0; got n_points={n_points}, step={step}")
    times = step * np.arange(transient + n_points)
    solution = solve_ivp(rhs, (0.0, times[-1]), start, t_eval=times, method="DOP853", rtol=1e-9, atol=1e-9)
    return solution.y.T[transient:]


def series_step(name):
    """Sampling step of each series in its own time units (about 1/20 of a Lyapunov time)."""
    return {"lorenz": 0.02, "rossler": 0.1}[name]


def encode(series, config, rng):
    """Population code: each variable (scaled to [0, 1]) drives Gaussian tuning curves -> raster."""
    from hetero_brian.inputs import poisson_encode, to_dense_raster

    scaled = (series - series.min(axis=0)) / np.ptp(series, axis=0)
    centres = np.linspace(0, 1, config.n_channels_per_variable)
    width = 1.0 / (config.n_channels_per_variable - 1)
    rates = np.exp(-0.5 * ((scaled[:, :, None] - centres) / width) ** 2).reshape(len(series), -1)
    rates = float(config.max_rate) * rates.T
    spikes = poisson_encode(rates, float(config.dt), rng, frame_duration=float(config.t_step))
    return to_dense_raster(spikes.indices, spikes.times, rates.shape[0], float(config.dt), spikes.duration), scaled


def signed_network(spec):
    """The recurrent synapses as one population: ``(i, j, w, n_exc, tau)``, w signed in threshold units."""
    n_exc = spec.population("exc").n_neurons
    offsets = {"exc": 0, "inh": n_exc}
    i, j, w = [], [], []
    threshold = 15 * mV
    for projection in spec.projections:
        if projection.source not in offsets:
            continue
        synapse = projection.synapse
        i.append(np.asarray(projection.i) + offsets[projection.source])
        j.append(np.asarray(projection.j) + offsets[projection.target])
        w.append(np.full(projection.n_synapses, synapse.sign * float(synapse.weight.mean / threshold)))
    return np.concatenate(i), np.concatenate(j), np.concatenate(w), n_exc


def pruned_spec(spec, kept_neurons, synapse_mask):
    """A new spec with the kept neurons (original indices) and the kept recurrent synapses."""
    from dataclasses import replace

    from hetero_brian.network.spec import NetworkSpec, Projection

    n_exc = spec.population("exc").n_neurons
    kept_neurons = np.sort(np.asarray(kept_neurons))
    kept = {"exc": kept_neurons[kept_neurons < n_exc], "inh": kept_neurons[kept_neurons >= n_exc] - n_exc}
    new_index = {name: np.full(spec.population(name).n_neurons, -1) for name in ("exc", "inh")}
    for name in kept:
        if kept[name].size == 0:
            raise ConfigError(f"pruning removed every {name} neuron; lower neuron_fraction")
        new_index[name][kept[name]] = np.arange(kept[name].size)
    projections, offset = [], 0
    for projection in spec.projections:
        i, j = np.asarray(projection.i), np.asarray(projection.j)
        if projection.source in new_index:
            alive = synapse_mask[offset:offset + i.size]
            offset += i.size
            alive = alive & (new_index[projection.source][i] >= 0) & (new_index[projection.target][j] >= 0)
            i = new_index[projection.source][i[alive]]
        else:
            alive = new_index[projection.target][j] >= 0
            i = i[alive]
        j = new_index[projection.target][j[alive]]
        if i.size == 0:
            continue  # Brian2 cannot connect an empty projection; it has no effect anyway
        projections.append(Projection(projection.name, projection.source, projection.target, projection.synapse, i, j))
    populations = tuple(replace(p, n_neurons=int(kept[p.name].size)) for p in spec.populations)
    return NetworkSpec(populations=populations, projections=tuple(projections), inputs=spec.inputs, dt=spec.dt,
                       shared_constants=spec.shared_constants)


def features(result, n_points, config):
    """Exponentially filtered spike counts of every neuron per series step, shape (n_points, n_neurons)."""
    blocks = []
    decay = np.exp(-float(config.t_step) / float(config.readout_tau))
    for name in ("exc", "inh"):
        trains = result.spikes[name]
        step = np.minimum((trains.timestamps / float(config.t_step)).astype(int), n_points - 1)
        counts = np.zeros((n_points, trains.n_neurons))
        np.add.at(counts, (step, trains.node_ids), 1.0)
        filtered = np.zeros_like(counts)
        for t in range(n_points):
            filtered[t] = counts[t] + (decay * filtered[t - 1] if t else 0.0)
        blocks.append(filtered)
    return np.hstack(blocks)


def prediction_nrmse(feature_matrix, target, config):
    """Ridge readout predicting ``target[t + 1]`` from ``features[t]``; NRMSE on the test part."""
    x, y = feature_matrix[config.washout:-1], target[config.washout + 1:]
    n_train = int(round((1 - config.test_fraction) * len(x)))
    mean, scale = x[:n_train].mean(axis=0), x[:n_train].std(axis=0) + 1e-9
    x = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    gram = x[:n_train].T @ x[:n_train] + config.ridge * np.eye(x.shape[1])
    coefficients = np.linalg.solve(gram, x[:n_train].T @ y[:n_train])
    error = x[n_train:] @ coefficients - y[n_train:]
    return float(np.mean(np.sqrt(np.mean(error ** 2, axis=0)) / y[n_train:].std(axis=0)))


def simulate_variant(spec, rasters, targets, config, backend, seed, n_points, tau=None):
    """Run ``spec`` on every series (one build); NRMSE per series and mean rates (Hz).

    ``tau`` (s, exc then inh) overrides the sampled membrane time constants, so a pruned network
    keeps the time constants its neurons had in the dense one.
    """
    from hetero_brian.simulate import Recording, Simulator

    duration = next(iter(rasters.values())).shape[0] * config.dt
    scores, rates = {}, None
    with Simulator(spec, duration, backend=backend, seed=seed, recording=Recording(spikes=("exc", "inh"))) as sim:
        for name, raster in rasters.items():
            parameters = None
            if tau is not None:
                n_exc = spec.population("exc").n_neurons
                parameters = {"exc.tau_m": tau[:n_exc] * second, "inh.tau_m": tau[n_exc:] * second}
            result = sim.run(inputs={"drive": raster}, parameters=parameters)
            scores[name] = prediction_nrmse(features(result, n_points, config), targets[name], config)
            counts = [np.bincount(result.spikes[p].node_ids, minlength=result.spikes[p].n_neurons) for p in ("exc", "inh")]
            rates = np.concatenate(counts) / float(duration) if rates is None else rates + np.concatenate(counts) / float(duration)
    return scores, rates / len(rasters)


def run(config, output, backend="auto", seed=None):
    from hetero_brian.analysis.lnp import lyapunov_noise_prune, spectrum
    from hetero_brian.analysis.pruning import activity_prune
    from hetero_brian.models.neurons import LIF
    from hetero_brian.network.spec import RasterInput
    from hetero_brian.network.reservoir import default_synapses, reservoir_spec
    from hetero_brian.random import SeedStreams

    _check(config)
    output = Path(output)
    streams = SeedStreams(seed)
    input_rng = streams.generator("input")
    rasters, targets = {}, {}
    for name in SERIES:
        series = chaotic_series(name, config.n_points, series_step(name))
        rasters[name], targets[name] = encode(series, config, input_rng)
    drive = RasterInput("drive", rasters["lorenz"], config.dt)
    spec = reservoir_spec(config.n_neurons, drive, streams.generator("structure"),
                          neuron=LIF(tau_m=config.tau_m.build()), synapses=default_synapses(False, weight_scale=config.weight_scale),
                          p_recurrent=config.p_recurrent, p_input=config.p_input, dt=config.dt)
    metrics = {}
    start = time.perf_counter()
    dense, rates = simulate_variant(spec, rasters, targets, config, backend, streams.master_seed, config.n_points)
    i, j, w, n_exc = signed_network(spec)
    from hetero_brian.network.builder import sample_network_parameters

    sampled = sample_network_parameters(spec, SeedStreams(streams.master_seed))
    tau = np.concatenate([np.asarray(sampled[name]["tau_m"], dtype=float) for name in ("exc", "inh")])
    lnp = lyapunov_noise_prune(i, j, w, config.n_neurons, tau, streams.generator("pruning"),
                               target_sparsity=config.target_sparsity, neuron_fraction=config.neuron_fraction,
                               lyapunov_weighting=config.lyapunov_weighting, rescale=False,
                               betweenness_method="csgraph")
    ap = activity_prune(i, j, w, config.n_neurons, rates, synapse_sparsity=lnp.synapse_sparsity,
                        neuron_fraction=lnp.neuron_sparsity)
    variants = {"dense": (spec, np.arange(config.n_neurons), np.ones(w.size, bool)),
                "lnp": (pruned_spec(spec, lnp.kept_neurons, lnp.synapse_mask), lnp.kept_neurons, lnp.synapse_mask),
                "ap": (pruned_spec(spec, ap.kept_neurons, ap.synapse_mask), ap.kept_neurons, ap.synapse_mask)}
    for variant, (variant_spec, kept, mask) in variants.items():
        scores = dense if variant == "dense" else simulate_variant(variant_spec, rasters, targets, config, backend,
                                                                    streams.master_seed, config.n_points, tau[kept])[0]
        new_index = np.full(config.n_neurons, -1)
        new_index[kept] = np.arange(kept.size)
        alive = mask & (new_index[i] >= 0) & (new_index[j] >= 0)
        spectrum_after = spectrum(new_index[i[alive]], new_index[j[alive]], w[alive], kept.size, tau[kept])
        for name in SERIES:
            metrics[f"{variant}_nrmse_{name}"] = scores[name]
        metrics[f"{variant}_nrmse"] = float(np.mean([scores[name] for name in SERIES]))
        metrics[f"{variant}_synapse_sparsity"] = 1.0 - alive.sum() / w.size
        metrics[f"{variant}_neuron_sparsity"] = 1.0 - kept.size / config.n_neurons
        metrics[f"{variant}_largest_real_part"] = float(spectrum_after.largest_real_part)
        metrics[f"{variant}_connectivity_radius"] = float(spectrum_after.connectivity_radius)
    metrics["lnp_nrmse_ratio_to_dense"] = metrics["lnp_nrmse"] / metrics["dense_nrmse"]
    metrics["ap_nrmse_ratio_to_dense"] = metrics["ap_nrmse"] / metrics["dense_nrmse"]
    metrics["wall_time"] = time.perf_counter() - start
    if config.plots:
        _plot(output, metrics)
    import json

    with open(output / "lnp_report.json", "w", encoding="utf-8") as handle:
        json.dump(lnp.report(), handle, indent=2, default=float)
    return metrics


def _plot(output, metrics):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hetero_brian.analysis.plots import save_figure

    names = ["dense", "lnp", "ap"]
    figure, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    width = 0.35
    for offset, series in enumerate(SERIES):
        axes[0].bar(np.arange(3) + offset * width, [metrics[f"{n}_nrmse_{series}"] for n in names], width, label=series)
    axes[0].set_xticks(np.arange(3) + width / 2, names)
    axes[0].set_ylabel("NRMSE (next step)")
    axes[0].legend()
    axes[1].bar(np.arange(3) - width / 2, [metrics[f"{n}_synapse_sparsity"] for n in names], width, label="synapses")
    axes[1].bar(np.arange(3) + width / 2, [metrics[f"{n}_neuron_sparsity"] for n in names], width, label="neurons")
    axes[1].set_xticks(np.arange(3), names)
    axes[1].set_ylabel("sparsity")
    axes[1].legend()
    figure.tight_layout()
    save_figure(figure, output / "lnp_prediction.png", overwrite=True)
    plt.close(figure)


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
