"""Chaotic time series (Lorenz-63, Rössler) and their Gaussian population code as a spike raster.

References
----------
E. N. Lorenz, J. Atmos. Sci. 20:130 (1963). O. E. Rössler, Phys. Lett. A 57:397 (1976).
"""
import numpy as np
from scipy.integrate import solve_ivp

from hetero_brian.inputs.encoders import poisson_encode
from hetero_brian.inputs.stimulus import to_dense_raster

SERIES = ("lorenz", "rossler")


def _lorenz(_, x):
    return [10.0 * (x[1] - x[0]), x[0] * (28.0 - x[2]) - x[1], x[0] * x[1] - 8.0 / 3.0 * x[2]]


def _rossler(_, x):
    return [-x[1] - x[2], x[0] + 0.2 * x[1], 0.2 + x[2] * (x[0] - 5.7)]


def chaotic_series(name, n_points, step, transient=1000):
    """``n_points`` samples of the Lorenz-63 (10, 28, 8/3) or Rössler (0.2, 0.2, 5.7) flow.

    Integrated with scipy's ``solve_ivp`` (DOP853, rtol 1e-9) in the system's own time units,
    ``step`` apart (:func:`series_step` gives about 1/20 of a Lyapunov time), after ``transient``
    discarded steps.

    Returns
    -------
    numpy.ndarray, shape (n_points, 3)
    """
    if name == "lorenz":
        rhs, start = _lorenz, [1.0, 1.0, 1.0]
    elif name == "rossler":
        rhs, start = _rossler, [1.0, 1.0, 0.0]
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


def population_code_raster(series, n_channels_per_variable, max_rate, dt, t_step, rng):
    """Population code: each variable (scaled to [0, 1]) drives Gaussian tuning curves -> Poisson raster.

    Parameters
    ----------
    series : numpy.ndarray, shape (n_points, n_variables)
    n_channels_per_variable : int
        Tuning curves per variable (centres evenly in [0, 1], width the spacing), >= 2.
    max_rate : float
        Hz at the centre of a tuning curve.
    dt, t_step : float
        Seconds: raster resolution and duration of each series point.
    rng : numpy.random.Generator

    Returns
    -------
    raster : numpy.ndarray, shape (n_dt_steps, n_variables * n_channels_per_variable)
        0/1 spikes per time step and channel.
    scaled : numpy.ndarray, shape (n_points, n_variables)
        The series scaled to [0, 1] per variable.
    """
    scaled = (series - series.min(axis=0)) / np.ptp(series, axis=0)
    centres = np.linspace(0, 1, n_channels_per_variable)
    width = 1.0 / (n_channels_per_variable - 1)
    rates = np.exp(-0.5 * ((scaled[:, :, None] - centres) / width) ** 2).reshape(len(series), -1)
    rates = max_rate * rates.T
    spikes = poisson_encode(rates, dt, rng, frame_duration=t_step)
    return to_dense_raster(spikes.indices, spikes.times, rates.shape[0], dt, spikes.duration), scaled
