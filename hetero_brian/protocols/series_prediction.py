"""Time-series prediction runs: one build of a reservoir, one run per series, a ridge readout's NRMSE each."""
import numpy as np
from brian2 import second

from ..analysis.prediction import filtered_step_counts, prediction_nrmse
from ..network.recording import Recording
from ..simulate import Simulator


def prediction_scores(spec, rasters, targets, config, backend, seed, tau=None):
    """Run ``spec`` on every series (one build); NRMSE per series and mean rates (Hz).

    Parameters
    ----------
    spec : NetworkSpec
        A reservoir (populations ``exc`` and ``inh``) with a raster input named ``drive``.
    rasters : dict of str -> numpy.ndarray
        Per series, the 0/1 input raster (time steps x channels), all of one shape.
    targets : dict of str -> numpy.ndarray, shape (n_points, n_outputs)
        Per series, the values to predict one step ahead.
    config : object
        With ``dt``, ``n_points``, ``t_step``, ``readout_tau`` (quantities) and ``washout``,
        ``test_fraction``, ``ridge`` (see :func:`hetero_brian.analysis.prediction.prediction_nrmse`).
    backend : str or Backend
    seed : int
        Simulation seed (the same for every series).
    tau : numpy.ndarray, optional
        Seconds, ``exc`` then ``inh``: overrides the sampled membrane time constants, so a pruned
        network keeps the time constants its neurons had in the dense one.

    Returns
    -------
    scores : dict of str -> float
    rates : numpy.ndarray
        Mean rate of every neuron over the series (Hz), ``exc`` then ``inh``.
    """
    duration = next(iter(rasters.values())).shape[0] * config.dt
    scores, rates = {}, None
    with Simulator(spec, duration, backend=backend, seed=seed, recording=Recording(spikes=("exc", "inh"))) as sim:
        for name, raster in rasters.items():
            parameters = None
            if tau is not None:
                n_exc = spec.population("exc").n_neurons
                parameters = {"exc.tau_m": tau[:n_exc] * second, "inh.tau_m": tau[n_exc:] * second}
            result = sim.run(inputs={"drive": raster}, parameters=parameters)
            features = filtered_step_counts([result.spikes["exc"], result.spikes["inh"]], config.n_points,
                                            float(config.t_step), float(config.readout_tau))
            scores[name] = prediction_nrmse(features, targets[name], config.washout, config.test_fraction, config.ridge)
            counts = np.concatenate([np.bincount(result.spikes[p].node_ids, minlength=result.spikes[p].n_neurons)
                                     for p in ("exc", "inh")]) / float(duration)
            rates = counts if rates is None else rates + counts
    return scores, rates / len(rasters)
