"""Exceptions raised by hetero_brian.

Every message names the offending argument (or configuration key) and its value.
"""


class HeteroBrianError(Exception):
    """Base class of all hetero_brian errors."""


class UnitError(HeteroBrianError, ValueError):
    """A physical quantity has the wrong dimension or is a bare number."""


class ConfigError(HeteroBrianError, ValueError):
    """A configuration key or value is invalid."""


class ResultsError(HeteroBrianError):
    """A results file is missing, corrupt, foreign, incomplete or would be overwritten."""


class SimulationError(HeteroBrianError):
    """A simulation failed (NaN/Inf state, compiler failure, killed run...)."""


class DegenerateNetworkError(HeteroBrianError, ValueError):
    """A network is empty, silent or runaway where an analysis needs real activity."""


class SimulationInterrupted(HeteroBrianError):
    """A run was stopped by the user (SIGINT / Ctrl-C) before its requested end.

    ``result`` is the partial :class:`~hetero_brian.results.SimulationResult` (provenance
    ``status = "interrupted"``, ``t_stop`` = the time actually simulated in seconds) when one could
    be collected, else None (e.g. the compilation was interrupted).
    """

    def __init__(self, message, result=None):
        super().__init__(message)
        self.result = result
