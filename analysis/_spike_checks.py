"""Spike and time-argument checks shared by the spike-statistics modules of :mod:`hetero_brian.analysis`.

A leaf module (numpy and the results records only), so each can import it without an import cycle.
"""
import numpy as np

from hetero_brian.units import to_si
from hetero_brian.results import SpikeTrains


def _spike_trains(spikes):
    """``spikes`` itself when it is a :class:`~hetero_brian.results.SpikeTrains`; a clear error otherwise."""
    if not isinstance(spikes, SpikeTrains):
        raise TypeError(f"spikes must be a hetero_brian.results.SpikeTrains (node_ids, timestamps in s, "
                        f"n_neurons); got {type(spikes).__name__}")
    return spikes


def _window(t_start, t_stop):
    t_start = float(to_si(t_start, "second", "t_start"))
    t_stop = float(to_si(t_stop, "second", "t_stop"))
    if not (np.isfinite(t_start) and np.isfinite(t_stop)) or t_stop <= t_start:
        raise ValueError(f"t_stop must be > t_start (both finite); got t_start={t_start} s, "
                         f"t_stop={t_stop} s")
    return t_start, t_stop


def _positive_time(value, name):
    value = float(to_si(value, "second", name))
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite time > 0 s; got {value} s")
    return value
