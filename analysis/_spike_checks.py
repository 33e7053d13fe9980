"""Time-argument checks shared by the spike-statistics modules of :mod:`hetero_brian.analysis`.

A leaf module (numpy only), so each can import it without an import cycle.
"""
import numpy as np

from hetero_brian.analysis._units import to_si


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
