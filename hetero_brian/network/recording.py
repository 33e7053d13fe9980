"""What a simulation records: spikes of named populations, sampled state variables, weight snapshots.

Pure specs (no Brian2 objects), read by :mod:`hetero_brian.simulate`, which creates the monitors.
"""
import dataclasses

from brian2 import Quantity

__all__ = ["StateRecord", "Recording"]


@dataclasses.dataclass(frozen=True, eq=False)
class StateRecord:
    """Record ``variables`` of ``owner`` (population or projection) for ``indices`` every ``interval``."""

    owner: str
    variables: tuple
    indices: tuple = (0,)
    interval: Quantity = None


@dataclasses.dataclass(frozen=True, eq=False)
class Recording:
    """What a simulation records.

    Parameters
    ----------
    spikes : tuple of str or "all"
        Populations (and inputs) whose spikes are recorded; ``"all"`` records every population
        (inputs excluded).
    states : tuple of StateRecord
        State variables to sample.
    weight_snapshots : tuple of str
        Plastic projections whose weights are sampled every ``weight_interval`` (all synapses).
    weight_interval : brian2.Quantity, optional
        Interval of weight snapshots.
    """

    spikes: object = "all"
    states: tuple = ()
    weight_snapshots: tuple = ()
    weight_interval: Quantity = None

    def describe(self):
        return {
            "spikes": self.spikes if isinstance(self.spikes, str) else list(self.spikes),
            "states": [
                {"owner": s.owner, "variables": list(s.variables), "indices": [int(k) for k in s.indices],
                 "interval": None if s.interval is None else float(s.interval)}
                for s in self.states
            ],
            "weight_snapshots": list(self.weight_snapshots),
            "weight_interval": None if self.weight_interval is None else float(self.weight_interval),
        }
