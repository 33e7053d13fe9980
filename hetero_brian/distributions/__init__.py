"""Frozen, unit-carrying distributions for heterogeneous parameters.

Each heterogeneous parameter of a model (a membrane time constant, an STDP time constant, a
threshold...) is described by one of these distributions. They are sampled host-side with a
:class:`numpy.random.Generator` passed in, so every backend builds the same network.
A homogeneous network is the special case :class:`Constant` (:meth:`Distribution.at_mean`).

Every distribution is written as a plain mapping of quantity text and read back from it
(:meth:`Distribution.to_dict`, :func:`distribution_from_dict`, :func:`parse_distribution`): the form
of configuration files, provenance and results files alike.

Examples
--------
>>> import numpy as np
>>> from brian2 import ms
>>> tau_m = Gamma(20 * ms, cv=0.5)
>>> samples = tau_m.sample(1000, np.random.default_rng(1))
>>> samples.shape, float(tau_m.mean / ms)
((1000,), 20.0)
>>> tau_m.to_dict()
{'distribution': 'gamma', 'mean': '20.0 ms', 'cv': 0.5}
>>> distribution_from_dict({"distribution": "gamma", "mean": "20 ms", "cv": 0.5}) == tau_m
True
>>> tau_m.at_mean()
Constant(20. * msecond)
"""
from .base import Distribution, DistributionDescriptionError, distribution_from_dict, distribution_kinds
from .coercion import as_distribution, check_positive_samples, parse_distribution
from .laws import Constant, Gamma, LogNormal, Normal, Uniform

__all__ = [
    "Distribution",
    "Constant",
    "Uniform",
    "Normal",
    "LogNormal",
    "Gamma",
    "DistributionDescriptionError",
    "as_distribution",
    "check_positive_samples",
    "distribution_from_dict",
    "distribution_kinds",
    "parse_distribution",
]
