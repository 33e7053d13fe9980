"""Next-step prediction from spike trains: exponentially filtered counts and a ridge readout's NRMSE."""
import numpy as np


def filtered_step_counts(spike_trains, n_points, t_step, tau):
    """Exponentially filtered spike counts of every neuron per time step.

    Parameters
    ----------
    spike_trains : sequence of SpikeTrains
        Populations whose neurons are stacked as columns, in order (spike times in seconds).
    n_points : int
        Number of steps; spikes after the last step count in it.
    t_step, tau : float
        Seconds: step length and filter time constant.

    Returns
    -------
    numpy.ndarray, shape (n_points, total number of neurons)

    Notes
    -----
    ``x[t] = c[t] + exp(-t_step / tau) x[t - 1]`` with ``c[t]`` the spikes in step ``t``.
    """
    blocks = []
    decay = np.exp(-t_step / tau)
    for trains in spike_trains:
        step = np.minimum((trains.timestamps / t_step).astype(int), n_points - 1)
        counts = np.zeros((n_points, trains.n_neurons))
        np.add.at(counts, (step, trains.node_ids), 1.0)
        filtered = np.zeros_like(counts)
        for t in range(n_points):
            filtered[t] = counts[t] + (decay * filtered[t - 1] if t else 0.0)
        blocks.append(filtered)
    return np.hstack(blocks)


def prediction_nrmse(features, target, washout, test_fraction, ridge):
    """Ridge readout predicting ``target[t + 1]`` from ``features[t]``; NRMSE on the test part.

    Parameters
    ----------
    features : numpy.ndarray, shape (n_points, n_features)
    target : numpy.ndarray, shape (n_points, n_outputs)
    washout : int
        Leading steps left out.
    test_fraction : float
        Last fraction of the remaining steps used for the score (the rest trains the readout).
    ridge : float
        L2 penalty on the standardised features and the bias column alike.

    Returns
    -------
    float
        Mean over outputs of RMSE / std of the test target.
    """
    x, y = features[washout:-1], target[washout + 1:]
    n_train = int(round((1 - test_fraction) * len(x)))
    mean, scale = x[:n_train].mean(axis=0), x[:n_train].std(axis=0) + 1e-9
    x = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    gram = x[:n_train].T @ x[:n_train] + ridge * np.eye(x.shape[1])
    coefficients = np.linalg.solve(gram, x[:n_train].T @ y[:n_train])
    error = x[n_train:] @ coefficients - y[n_train:]
    return float(np.mean(np.sqrt(np.mean(error ** 2, axis=0)) / y[n_train:].std(axis=0)))
