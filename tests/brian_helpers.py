"""Helpers for tests that run Brian2 networks (imported by test modules, not a fixture file)."""
from dataclasses import dataclass

import numpy as np
from brian2 import TimedArray, prefs, volt

from hetero_brian.models.base import NeuronSpec


def use_numpy_target():
    """Runtime device with the numpy target: no compilation, fine for small test networks.

    Global, but only for the calling test: conftest's autouse fixture restores the preferences."""
    prefs.codegen.target = "numpy"


@dataclass(frozen=True, eq=False)
class ForcedSpikes(NeuronSpec):
    """Test-only neuron spec: spikes exactly where ``raster[step, neuron]`` is 1.

    It carries the variables synapses write to (``I_syn``, ``g_e``, ``g_i``) so it can stand on
    either side of a plastic projection, and accepts extra equations (neuron-level traces).
    """

    raster: np.ndarray
    dt: object

    PARAMETERS = {}
    STATE = {"I_syn": volt, "g_e": 1, "g_i": 1}
    SYNAPTIC_TARGETS = ("I_syn", "g_e", "g_i")
    method = "exact"
    refractory = False

    def namespace(self):
        return {"forced_raster": TimedArray(np.asarray(self.raster, dtype=float), dt=self.dt)}

    def equations(self, extra="", shared=()):
        return "I_syn : volt\ng_e : 1\ng_i : 1\n" + extra

    def threshold(self):
        return "forced_raster(t, i) > 0.5"

    def reset(self, extra=""):
        return extra

    def initial_values(self, sampled):
        return {}


def raster_from_steps(n_steps, n_neurons, steps_by_neuron):
    """uint8 raster with a 1 at ``(step, neuron)`` for each step listed per neuron."""
    raster = np.zeros((n_steps, n_neurons), dtype=np.uint8)
    for neuron, steps in enumerate(steps_by_neuron):
        raster[np.asarray(steps, dtype=int), neuron] = 1
    return raster
