"""hetero_brian: heterogeneous recurrent spiking networks with unsupervised STDP on Brian2.

The flow is one-way: distributions -> models -> network specs and builders -> backends / simulate
-> saved results -> analysis -> plots (docs/architecture.md). The names a quick start needs are
available here and are loaded on first use, so ``import hetero_brian`` stays cheap (Brian2 is
imported only by the modules that need it)::

    from hetero_brian import Gamma, LIF, STDP, PoissonInput, SeedStreams, Simulator, reservoir_spec

(The function :func:`hetero_brian.simulate.simulate` is not among them: its module has the same
name, and importing the module would shadow it here.)
"""
import importlib

from ._version import __version__

#: quick-start name -> module that defines it
_QUICK_START = {
    "Constant": "hetero_brian.distributions",
    "Gamma": "hetero_brian.distributions",
    "LogNormal": "hetero_brian.distributions",
    "Normal": "hetero_brian.distributions",
    "LIF": "hetero_brian.models.neurons",
    "AdaptiveLIF": "hetero_brian.models.neurons",
    "STDP": "hetero_brian.models.synapses",
    "StaticSynapse": "hetero_brian.models.synapses",
    "PoissonInput": "hetero_brian.network.spec",
    "RasterInput": "hetero_brian.network.spec",
    "NetworkSpec": "hetero_brian.network.spec",
    "reservoir_spec": "hetero_brian.network.reservoir",
    "default_synapses": "hetero_brian.network.reservoir",
    "SeedStreams": "hetero_brian.random",
    "Recording": "hetero_brian.simulate",
    "Simulator": "hetero_brian.simulate",
    "SpikeTrains": "hetero_brian.results",
    "load": "hetero_brian.results",
    "save": "hetero_brian.results",
}

__all__ = ["__version__", *_QUICK_START]


def __getattr__(name):
    module = _QUICK_START.get(name)
    if module is None:
        raise AttributeError(f"module 'hetero_brian' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_QUICK_START))
