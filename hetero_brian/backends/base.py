"""The backend interface: one small class per Brian2 device, chosen by name.

A backend owns everything device-specific: activating the device (and restoring the previous one
afterwards), where generated code is built, how a prepared network is executed, and how values are
changed between runs of one build. Never call ``set_device`` anywhere else.
"""
import copy
import importlib
import os
import platform
from abc import ABC, abstractmethod

import brian2

from ..errors import ConfigError

# the one clock every object of a build runs on; the backend names it and the builder receives it
CLOCK_NAME = "hetero_brian_clock"

_REGISTRY = {}


def register(cls):
    """Class decorator adding a backend to the registry under ``cls.name``."""
    _REGISTRY[cls.name] = cls
    return cls


def available_backends():
    """Names of the registered backends."""
    return sorted(_REGISTRY)


def get_backend(name, build_root=None, threads=None):
    """Instantiate a backend by name.

    Parameters
    ----------
    name : {"runtime", "runtime:numpy", "runtime:cython", "cpp_standalone", "cuda_standalone", "auto"}
        ``runtime`` uses cython when it can compile, numpy otherwise (``runtime:numpy`` forces
        numpy: no compilation at all, fine for small networks). ``"auto"`` picks ``cpp_standalone`` when a C++ compiler is found, ``runtime`` otherwise.
    build_root : str or Path, optional
        Root of the build directories of standalone backends (default
        ``$HETERO_BRIAN_BUILD_ROOT`` or ``~/.cache/hetero_brian/builds``).
    threads : int, optional
        OpenMP threads of the C++ backend (default 0: off).
    """
    if isinstance(name, Backend):
        return name
    name, _, option = str(name).partition(":")
    if option:
        if name != "runtime" or option not in ("numpy", "cython"):
            raise ConfigError(f"backend options exist only as 'runtime:numpy' or 'runtime:cython'; got {name}:{option}")
        return _REGISTRY["runtime"](build_root=build_root, threads=threads, target=option)
    if name == "auto":
        name = "cpp_standalone" if compiler_available() else "runtime"
    if name not in _REGISTRY:
        import difflib

        close = difflib.get_close_matches(str(name), _REGISTRY, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"unknown backend {name!r}; choose one of {available_backends()}{hint}")
    return _REGISTRY[name](build_root=build_root, threads=threads)


def compiler_available():
    """Whether a working C++ compiler is on the PATH (``g++``/``c++``/``clang++``)."""
    import shutil

    return any(shutil.which(candidate) for candidate in ("g++", "c++", "clang++"))


def default_build_root():
    """``$HETERO_BRIAN_BUILD_ROOT`` or ``~/.cache/hetero_brian/builds``."""
    configured = os.environ.get("HETERO_BRIAN_BUILD_ROOT")
    if configured:
        return os.path.abspath(configured)
    return os.path.join(os.path.expanduser("~"), ".cache", "hetero_brian", "builds")


def environment_versions():
    """Versions of the pieces that can change results (FAULTS.md case 18)."""
    import brian2
    import numpy

    from .._version import __version__

    return {
        "hetero_brian": __version__,
        "brian2": brian2.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


class BrianState:
    """The Brian2 preferences and device of one moment, to put back later.

    Brian2 keeps both in globals; a backend takes this snapshot before it changes anything
    (:meth:`Backend.activate`) and restores it when it is done (:meth:`Backend.deactivate`), so a
    run leaves no preference, device or device-stack entry behind.
    """

    def __init__(self):
        self._devices = importlib.import_module("brian2.devices.device")  # the module, not the device proxy
        self.preferences = {name: copy.copy(value) for name, value in brian2.prefs.prefs.items()}
        self.device = brian2.get_device()
        self.stack_depth = len(self._devices.previous_devices)

    def restore(self):
        """Reactivate the saved device, drop the device-stack entries pushed since, and put every
        saved preference back; preferences registered since (e.g. by importing brian2cuda) go
        back to their registered defaults."""
        try:
            self._devices.reset_device(self.device)
            del self._devices.previous_devices[self.stack_depth:]
        finally:
            preferences = brian2.prefs
            for name in set(preferences.prefs) - set(self.preferences):
                category, _, short_name = name.rpartition(".")
                preferences.prefs[name] = copy.copy(preferences.pref_register[category][0][short_name].default)
            preferences.prefs.update(self.preferences)


class Backend(ABC):
    """Interface of a simulation backend.

    Lifecycle (driven by :class:`hetero_brian.simulate.Simulator`): ``activate()`` before any
    Brian2 object is created; ``finalize(network, duration)`` once the objects and monitors exist
    (standalone: generate and compile); ``execute(...)`` for each run; ``deactivate()`` at the end,
    which restores the previous device and every Brian2 preference (:class:`BrianState`).
    Subclasses implement :meth:`_activate` and :meth:`_deactivate`.
    """

    name = None
    standalone = False
    clock_name = CLOCK_NAME  # the one clock every object of a build runs on

    def __init__(self, build_root=None, threads=None):
        self.build_root = str(build_root) if build_root is not None else default_build_root()
        threads = 0 if threads is None else threads
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
            raise ConfigError(f"threads must be a non-negative integer; got {threads!r}")
        self.threads = threads
        self.n_compilations = 0
        self.compile_time = 0.0
        self._saved_state = None

    def activate(self, structure_key):
        """Select the device; ``structure_key`` identifies the network structure (for caching).

        The Brian2 preferences and device are saved first and put back by :meth:`deactivate`."""
        self._saved_state = BrianState()
        try:
            self._activate(structure_key)
        except BaseException:
            self.deactivate()
            raise

    def deactivate(self):
        """Release the device and restore the preferences and device saved by :meth:`activate`."""
        saved, self._saved_state = getattr(self, "_saved_state", None), None
        try:
            self._deactivate()
        finally:
            if saved is not None:
                saved.restore()

    @abstractmethod
    def _activate(self, structure_key):
        """Set the preferences and device of this backend."""

    @abstractmethod
    def _deactivate(self):
        """Release what :meth:`_activate` took (build directories, device state)."""

    @abstractmethod
    def finalize(self, network, schedule, report):
        """Prepare a network for repeated execution (standalone: generate code and compile it).

        ``schedule`` is a list of phases ``(duration, assignments)``; ``assignments`` is a list of
        ``(object, variable, value)`` set before the phase runs (e.g. plasticity off for testing).
        """

    @abstractmethod
    def execute(self, network, schedule, report, values, seed, run_label):
        """Run the schedule once with ``values`` (dict VariableView/TimedArray -> array) and ``seed``."""

    def discard_run(self, run_label):
        """Delete what a finished run left on disk once its result is collected (nothing here)."""

    @staticmethod
    def run_schedule(network, schedule, report):
        """Apply each phase's assignments and run it (in standalone mode this writes the code).

        A phase that stopped early (Ctrl-C: Brian2 stops at the end of the current time step) ends
        the schedule: the later phases are not run."""
        end = float(network.t)
        for duration, assignments in schedule:
            for target, variable, value in assignments:
                setattr(target, variable, value)
            network.run(duration, report=report, namespace={})
            end += float(duration)
            if float(network.t) < end - 1e-9:  # stopped early (a time step is far longer than 1 ns)
                break

    def simulated_time(self, network, schedule):
        """Seconds actually simulated by the last :meth:`execute` (less than requested when stopped)."""
        return float(network.t)

    def describe(self):
        """Provenance of the backend (name, compiler, threads...)."""
        return {"backend": self.name, "threads": self.threads}
