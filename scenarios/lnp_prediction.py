"""Lyapunov Noise Pruning against activity pruning: chaotic time-series prediction with an HRSNN.

A heterogeneous E/I reservoir of LIF neurons (gamma-distributed membrane time constants, HRSNN) is driven by a
population code of the Lorenz-63 and Rössler series (each variable scaled to [0, 1] and encoded by
``n_channels_per_variable`` Gaussian tuning curves feeding Poisson spikes, one series point every ``t_step``). A ridge
readout of the exponentially filtered spike counts predicts the next point of the series (all three variables); the
score is the NRMSE on the last ``test_fraction`` of each series. Three networks are compared:

* **dense**: the untrained reservoir;
* **LNP** (Chakraborty et al. 2024): noise pruning of the untrained recurrent synapses with keep probabilities from
  the noise-driven covariance (Moore & Chaudhuri 2020) scaled by Lyapunov factors, then removal of the
  ``neuron_fraction`` of neurons with the lowest betweenness centrality
  (``hetero_brian.analysis.lnp.lyapunov_noise_prune``, ``rescale=False``: weights keep their values, which suits
  random networks whose weights are one value per projection);
* **AP**: activity pruning of the dense network after its run (lowest-rate neurons removed, then the synapses with the
  lowest rate x |weight|), at the sparsities LNP reached.

The recurrent network is seen as one population of signed weights (inhibitory negative), in units of the distance from
rest to threshold; the spectrum of its rate Jacobian ``diag(1/tau)(-I + W)`` (largest real part = the linearisation's
largest Lyapunov exponent) is reported for each network.

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
from pydantic import Field
from brian2 import ms

from hetero_brian.analysis.figures_hrsnn import plot_pruning_comparison
from hetero_brian.analysis.lnp import lyapunov_noise_prune, spectrum
from hetero_brian.analysis.pruning import activity_prune
from hetero_brian.config import DistributionField, QuantityField, StrictModel
from hetero_brian.errors import ConfigError
from hetero_brian.experiment.checks import figure_bytes
from hetero_brian.inputs.time_series import SERIES, chaotic_series, population_code_raster, series_step
from hetero_brian.models.neurons import LIF
from hetero_brian.network.builder import sample_network_parameters
from hetero_brian.network.spec import RasterInput
from hetero_brian.network.pruning import pruned_spec, signed_network
from hetero_brian.network.reservoir import default_synapses, reservoir_spec
from hetero_brian.protocols.series_prediction import prediction_scores
from hetero_brian.random import SeedStreams
from hetero_brian.results.atomic import write_json_atomically


class Config(StrictModel):
    n_neurons: int = Field(200, description="reservoir neurons")
    n_points: int = Field(1000, description="points of the chaotic series")
    t_step: QuantityField(ms) = Field("10 ms", description="time each series point is presented")
    dt: QuantityField(ms) = Field("0.5 ms", description="integration time step")
    n_channels_per_variable: int = Field(10, description="input channels per series variable (rate coding)")
    max_rate: QuantityField() = Field("200 Hz", description="largest input rate")
    tau_m: DistributionField(ms) = Field({"distribution": "gamma", "mean": "20 ms", "cv": 0.5}, description="membrane time constant of each neuron (a distribution)")
    p_recurrent: float = Field(0.2, description="probability of a recurrent synapse")
    p_input: float = Field(0.3, description="probability of an input synapse")
    weight_scale: float = Field(4.0, description="scale of the recurrent weights")
    readout_tau: QuantityField(ms) = Field("20 ms", description="time constant of the filtered spike trains read out")
    ridge: float = Field(1.0, description="ridge regularisation of the read-out")
    washout: int = Field(50, description="initial points discarded")
    test_fraction: float = Field(0.3, description="fraction of points kept for testing")
    target_sparsity: float = Field(0.5, description="fraction of synapses pruned")
    neuron_fraction: float = Field(0.1, description="fraction of neurons pruned")
    lyapunov_weighting: Literal["none", "sensitivity", "participation"] = Field("sensitivity", description="how Lyapunov-noise pruning weighs the neurons")
    plots: bool = Field(True, description="write the figures")


def _check(config):
    problems = [problem for bad, problem in (
        (config.n_neurons < 10, f"n_neurons must be >= 10; got {config.n_neurons}"),
        (config.n_points < 2 * config.washout + 20, f"n_points ({config.n_points}) must exceed 2 * washout + 20 ({2 * config.washout + 20})"),
        *((not 0 < getattr(config, name) < 1, f"{name} must be in (0, 1); got {getattr(config, name)}") for name in ("test_fraction", "target_sparsity")),
        (not 0 <= config.neuron_fraction < 1, f"neuron_fraction must be in [0, 1); got {config.neuron_fraction}"),
        (config.ridge <= 0 or config.n_channels_per_variable < 2, f"ridge must be > 0 and n_channels_per_variable >= 2; got ridge={config.ridge}, n_channels_per_variable={config.n_channels_per_variable}")) if bad]
    if problems:
        raise ConfigError(problems[0])


def disk_bytes(config):
    """Most bytes written: ``lnp_report.json`` (leading eigenvalues, parameters) and the figure."""
    return (64 << 10) + config.plots * figure_bytes(8, 3.2)


def run(config, output, backend="auto", seed=None):
    """Dense, LNP-pruned and activity-pruned reservoirs on both series; return the metrics."""
    _check(config)
    output = Path(output)
    streams = SeedStreams(seed)
    input_rng = streams.generator("input")
    rasters, targets = {}, {}
    for name in SERIES:
        rasters[name], targets[name] = population_code_raster(
            chaotic_series(name, config.n_points, series_step(name)), config.n_channels_per_variable,
            float(config.max_rate), float(config.dt), float(config.t_step), input_rng)
    spec = reservoir_spec(config.n_neurons, RasterInput("drive", rasters["lorenz"], config.dt), streams,
                          neuron=LIF(tau_m=config.tau_m), synapses=default_synapses(False, weight_scale=config.weight_scale),
                          p_recurrent=config.p_recurrent, p_input=config.p_input, dt=config.dt)
    metrics = {}
    start = time.perf_counter()
    dense, rates = prediction_scores(spec, rasters, targets, config, backend, streams.master_seed)
    i, j, w, n_exc = signed_network(spec)
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
        scores = dense if variant == "dense" else prediction_scores(variant_spec, rasters, targets, config, backend,
                                                                     streams.master_seed, tau[kept])[0]
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
        plot_pruning_comparison(metrics, SERIES, output / "lnp_prediction.png")
    write_json_atomically(output / "lnp_report.json", lnp.report())
    return metrics


def main(argv=None):
    from hetero_brian.cli import scenario_main

    return scenario_main(__name__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
