"""Brian2's C++ standalone device: compile once, run many.

One build directory per network structure (``<build_root>/<structure key>-<slot>``): the key hashes
the model specs, sizes, recording, duration and versions; ``slot`` lets concurrent processes with
the same structure each hold their own directory (an exclusive lock per slot), so two processes
never share a build. Brian2 rewrites only the sources that changed and ``make`` recompiles only
those, so running the same structure again reuses the binary.

Everything that changes between runs of one binary goes through Brian2's ``run_args``: sampled
parameters, initial values, raster inputs (``TimedArray`` values) and the device seed, which is
read from a one-element variable right after the run arguments are applied. Each run writes its
own ``results/<label>`` directory with a manifest; a run that dies leaves a manifest that says so.

Results folders are reused (``reuse_results_folder``): the binary rewrites every array file at the
end of each run, so a collected complete run's folder is renamed to ``results/.spare``
(:meth:`discard_run`) and the next run renames it to its own label and writes into it. Measured
(docs/performance.md, "Sweep per-run overhead"): a fifth less CPU per run than a new folder deleted
after each run; but on ext4 a rewritten file goes to disk at once (``auto_da_alloc``), about 14 MB per
run at 1k neurons, where a folder deleted a moment after its run never reaches the disk. Only a
complete run without a stop marker becomes the spare; a failed, killed or stopped run's folder keeps
its label and is never written into again.
"""
import functools
import os
import shlex
import signal
import subprocess
import time

import brian2
import numpy as np
from brian2 import NeuronGroup, prefs

from ..errors import ResultsError, SimulationError, SimulationInterrupted
from ..results.rundirs import MANIFEST_NAME, RunManifest, directory_lock, read_manifest
from .base import Backend, register
from .interrupts import compile_was_interrupted

MAX_SLOTS = 64
#: Compiler output of the last build, in the project folder.
MAKE_LOG = "make.log"
#: File the binary writes into its results folder when a Ctrl-C stopped a run phase: the clock time
#: (s) it stopped at. Its later phases are then not run.
STOPPED_AT_FILE = "hetero_brian_stopped_at.txt"
#: Folder under ``results/`` holding the last collected complete run's files, for the next run to reuse.
SPARE_RESULTS = ".spare"


def _binary_stamp(directory):
    path = os.path.join(directory, "main")
    return os.stat(path).st_mtime_ns if os.path.exists(path) else None


@register
class CppStandaloneBackend(Backend):
    """C++ standalone device with cached builds and ``run_args`` for every run-time change.

    Parameters
    ----------
    build_root : str, optional
        Root of the build directories.
    make_args : sequence of str
        Extra arguments of ``make`` (default ``-j2``: Brian2 otherwise uses every core, and
        concurrent builds oversubscribe them).
    threads : int
        OpenMP threads (default 0: off). ENVIRONMENT.md measured 2-7x slow-downs with threads on
        shared cores; when on, ``OMP_WAIT_POLICY=PASSIVE`` is set for the runs.
    """

    name = "cpp_standalone"
    standalone = True
    device_name = "cpp_standalone"
    #: Whether ``default_seed`` is written into the generated ``main.cpp``. Off for cached builds:
    #: every run passes its seed as a run argument, and a seed in the sources would make each new
    #: build seed recompile ``main.cpp``. An exported project (run as ``./main`` without
    #: arguments) bakes it in.
    bake_default_seed = False
    #: Whether the generated ``main`` ends after a phase that Ctrl-C stopped (see :meth:`_stop_code`).
    stop_between_phases = True
    #: Whether :meth:`_make` runs ``make`` (interruptible by a SIGINT to Python alone) instead of
    #: Brian2's ``os.system`` call.
    make_in_subprocess = os.name == "posix"  # Windows keeps Brian2's nmake call
    #: Whether run arguments are written as files named per process (:meth:`_command_line`) instead
    #: of by Brian2's ``device.run`` (which hashes every array to name its file).
    own_run_argument_files = True
    #: Whether a collected complete run's folder is kept for the next run to write into (else deleted).
    reuse_results_folder = True

    def __init__(self, build_root=None, threads=None, make_args=("-j2",)):
        super().__init__(build_root, threads)
        self.make_args = list(make_args)
        self.directory = None
        self._lock = None
        self._device_set = False
        self._seed_holder = None
        self._last_complete = None  # label of the last run whose manifest says "complete"
        self._run_files = []  # files of the current run's arguments in static_arrays/
        self.default_seed = 0  # the Simulator sets its build seed's device seed here

    # -- device selection ----------------------------------------------------------------------
    def _acquire_directory(self, structure_key):
        os.makedirs(self.build_root, exist_ok=True)
        for slot in range(MAX_SLOTS):
            directory = os.path.join(self.build_root, f"{structure_key}-{slot}")
            os.makedirs(directory, exist_ok=True)
            lock = directory_lock(directory, timeout=0)
            try:
                lock.__enter__()
            except ResultsError:
                continue
            return directory, lock
        raise SimulationError(f"all {MAX_SLOTS} build slots of structure {structure_key} under {self.build_root} are busy")

    def _set_preferences(self):
        prefs.devices.cpp_standalone.openmp_threads = self.threads
        prefs.devices.cpp_standalone.extra_make_args_unix = list(self.make_args)

    def _activate(self, structure_key):
        self.directory, self._lock = self._acquire_directory(structure_key)
        self._set_preferences()
        brian2.set_device(self.device_name, directory=self.directory, build_on_run=False)
        self._device_set = True
        brian2.device.reinit()
        brian2.set_device(self.device_name, directory=self.directory, build_on_run=False)

    def _deactivate(self):
        """Reset the standalone device, delete the spare results folder and release the build
        directory's lock (the base then restores the previous device and preferences)."""
        try:
            if self.directory is not None and self._lock is not None:
                _remove_folder(os.path.join(self.directory, "results", SPARE_RESULTS))
            if self._device_set:
                brian2.device.reinit()
        finally:
            self._device_set = False
            self._seed_holder = None
            if self._lock is not None:  # exported projects hold no lock
                self._lock.__exit__(None, None, None)
                self._lock = None

    # -- build ----------------------------------------------------------------------------------
    def _seed_code(self):
        array = brian2.device.get_array_name(self._seed_holder.variables["run_seed"])
        threads = max(self.threads, 1)
        return (f"for (int _i = 0; _i < {threads}; _i++)\n"
                f"    brian::_random_generators[_i].seed((unsigned long) brian::{array}[0] + _i);")

    def _stop_code(self, network):
        """C++ run after every phase: if Ctrl-C stopped it, write the clock time to
        :data:`STOPPED_AT_FILE`, save the results and end, so later phases do not run (Brian2's own
        code resets the stop request at the start of the next phase and would run on)."""
        clocks = {obj.clock for obj in network.objects if hasattr(obj, "clock")}
        clock = min(clocks, key=lambda each: each.name) if clocks else brian2.defaultclock
        return ("if (Network::_globally_stopped)\n{\n"
                f"    std::ofstream _stopped_at((brian::results_dir + \"{STOPPED_AT_FILE}\").c_str());\n"
                "    _stopped_at.precision(17);\n"
                f"    _stopped_at << brian::{brian2.device.get_array_name(clock.variables['t'])}[0] << std::endl;\n"
                "    _stopped_at.close();\n"
                "    brian_end();\n"
                "    return 0;\n}")

    def _prepare_seed(self, network):
        """Add the one-element seed variable, apply run arguments, then re-seed from it."""
        clocks = {obj.clock for obj in network.objects if hasattr(obj, "clock")}
        timing = {"clock": clocks.pop()} if len(clocks) == 1 else {}  # no extra clock (see network.builder.build)
        self._seed_holder = NeuronGroup(1, "run_seed : integer (constant)", name="hetero_brian_seed_holder", **timing)
        network.add(self._seed_holder)
        if self.bake_default_seed:
            self._seed_holder.run_seed = int(self.default_seed)
        brian2.device.apply_run_args()
        brian2.device.insert_code("main", self._seed_code())

    def finalize(self, network, schedule, report):
        self._prepare_seed(network)
        if self.stop_between_phases:
            brian2.device.insert_code("after_network_run", self._stop_code(network))
        self.run_schedule(network, schedule, report)
        before = _binary_stamp(self.directory)
        start = time.perf_counter()
        try:
            brian2.device.build(directory=self.directory, compile=not self.make_in_subprocess, run=False,
                                with_output=False)
            if self.make_in_subprocess:
                self._make()
        except (SimulationInterrupted, SimulationError):  # from _make: already says what happened
            raise
        except Exception as error:
            if compile_was_interrupted(error):
                raise SimulationInterrupted(
                    f"compilation of {self.directory} interrupted (Ctrl-C); the next run rebuilds what is incomplete"
                ) from error
            log = os.path.join(self.directory, MAKE_LOG)
            raise SimulationError(
                f"compiling the C++ standalone project in {self.directory} failed ({error}); "
                f"see the compiler output there{' (' + log + ')' if os.path.exists(log) else ''}, "
                "or run with backend='runtime'"
            ) from error
        self.compile_time = time.perf_counter() - start
        if _binary_stamp(self.directory) != before:
            self.n_compilations += 1
        _release_static_arrays()

    # -- runs -------------------------------------------------------------------------------------
    def execute(self, network, schedule, report, values, seed, run_label):
        self._last_complete = None
        run_args = dict(values)
        run_args[self._seed_holder.run_seed] = int(seed)
        if self.own_run_argument_files:
            run_args = self._command_line(run_args)
        results_directory = os.path.join("results", run_label)
        absolute = os.path.join(self.directory, results_directory)
        self._results_folder(absolute, stale_output=report is not None)
        environment = {"OMP_WAIT_POLICY": "PASSIVE"} if self.threads else {}
        # one fsync per run (the final manifest's contents): see RunManifest.start for what survives a crash
        manifest = RunManifest.start(absolute, info={"backend": self.name, "seed": int(seed)}, durable=False)
        previous_environment = {key: os.environ.get(key) for key in environment}
        os.environ.update(environment)
        try:
            brian2.device.run(directory=self.directory, results_directory=results_directory,
                              with_output=report is not None, run_args=run_args)
        except Exception as error:
            manifest.finish("failed", str(error))
            raise SimulationError(
                f"the C++ standalone run in {absolute} failed ({error}); its manifest is marked 'failed'"
            ) from error
        finally:
            for key, value in previous_environment.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        manifest.finish("complete")
        self._last_complete = run_label
        self._remove_run_argument_files()
        return absolute

    def _results_folder(self, absolute, stale_output):
        """Create the run's folder ``absolute``: the spare folder renamed when there is one (the
        binary rewrites each of its array files), else a new one. Raises FileExistsError when
        ``absolute`` exists: a run never writes into another run's folder.

        The previous run's manifest goes at once (were this process killed before the new one is
        written, the folder would read as unfinished, never as the old complete run); so does its
        ``stdout.txt`` when ``stale_output`` (the binary's output then goes to the terminal)."""
        if os.path.lexists(absolute):
            raise FileExistsError(f"results folder {absolute} exists already; every run needs a new label")
        os.makedirs(os.path.dirname(absolute), exist_ok=True)
        try:
            os.rename(os.path.join(os.path.dirname(absolute), SPARE_RESULTS), absolute)
        except FileNotFoundError:
            os.mkdir(absolute)
            return
        for name in (MANIFEST_NAME, "stdout.txt") if stale_output else (MANIFEST_NAME,):
            try:
                os.remove(os.path.join(absolute, name))
            except FileNotFoundError:
                pass

    def _make(self):
        """Run ``make`` on the generated project as a child process this process waits for.

        Brian2 runs ``make`` through ``os.system``, whose C implementation ignores SIGINT in the
        caller while it waits, so a SIGINT sent to Python alone (``kill -INT <pid>``, a job
        scheduler) was lost until the build ended. Here a SIGINT reaches Python's handler
        (``KeyboardInterrupt``), which stops ``make`` and says the build was interrupted. The
        compiler output goes to :data:`MAKE_LOG` in the project folder.
        """
        options = prefs.devices.cpp_standalone
        command = shlex.split(options.make_cmd_unix) + list(options.extra_make_args_unix)
        log_path = os.path.join(self.directory, MAKE_LOG)
        with open(log_path, "w") as log:
            process = subprocess.Popen(command, cwd=self.directory, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
            try:
                status = process.wait()
            except KeyboardInterrupt:
                _stop_child(process)
                raise SimulationInterrupted(
                    f"compilation of {self.directory} interrupted (Ctrl-C); the next run rebuilds what is incomplete"
                ) from None
            except BaseException:
                _stop_child(process)
                raise
        if status != 0:
            with open(log_path, errors="replace") as log:
                lines = [line.strip() for line in log if line.strip()]
            errors = [line for line in lines if "error" in line.lower()] or lines or ["(no output)"]
            raise SimulationError(
                f"compiling the C++ standalone project in {self.directory} failed ({' '.join(command)} "
                f"exited with status {status}; first compiler error: {errors[0]}); full output: {log_path}; "
                "or run with backend='runtime'")

    def stopped_evidence(self, since):
        """Whether the binary of the current run wrote results after ``since`` (Unix time): it stopped."""
        results = os.path.join(self.directory, "results")
        for folder, _, files in os.walk(results):
            for name in files:
                try:
                    if os.stat(os.path.join(folder, name)).st_mtime >= since:
                        return True
                except OSError:
                    continue
        return False

    def simulated_time(self, network, schedule):
        """Seconds simulated by the last run: the clock time a stopped phase wrote
        (:data:`STOPPED_AT_FILE`); else, for one phase, Brian2's completed fraction of it; NaN when
        neither is known (a device without the stop code)."""
        results = getattr(brian2.device, "results_dir", None)
        path = os.path.join(results, STOPPED_AT_FILE) if results else None
        if path and os.path.exists(path):
            with open(path) as handle:
                return float(handle.read().split()[0])
        fraction = float(getattr(brian2.device, "_last_run_completed_fraction", 1.0))
        if len(schedule) == 1:
            return fraction * float(schedule[0][0])
        return float("nan")

    def _command_line(self, run_args):
        """``run_args`` as the command-line strings Brian2's ``device.run`` would make of them, with
        array values written to ``static_arrays/hetero_brian_run_<k>.dat``.

        Brian2 names each array file by the MD5 of its contents and writes it under a file lock, so
        that processes sharing a project can share the files; here one process holds the build
        folder and deletes the files after each run, so the hash (about 2 ms per MB of values, at
        every run) buys nothing.
        """
        from brian2.units.fundamentalunits import fail_for_dimension_mismatch

        arguments = []
        for index, (key, value) in enumerate(run_args.items()):
            fail_for_dimension_mismatch(key.dim, value)
            if isinstance(key, brian2.TimedArray):
                name, array = f"{key.name}.values", np.asarray(value, dtype=key.values.dtype)
                fits = array.shape == key.values.shape
            else:
                name, array = f"{key.group_name}.{key.name}", np.asarray(value, dtype=key.dtype)
                fits = array.ndim == 1 and (key.variable.dynamic or array.size == key.shape[0])
            if array.size == 1:  # one value: on the command line itself
                arguments.append(f"{name}={array.item()!r}")
                continue
            if not fits:
                raise TypeError(f"run argument {name}: shape {array.shape} does not fit the variable")
            file_name = f"hetero_brian_run_{index}.dat"
            self._run_files.append(file_name)
            array.tofile(os.path.join(self.directory, "static_arrays", file_name))
            arguments.append(f"{name}={os.path.join('static_arrays', file_name)}")
        return arguments

    def _remove_run_argument_files(self):
        """Delete the value files of this run's arguments from ``static_arrays``.

        Brian2 names its own by the hash of their contents and keeps them forever, so runs with new
        inputs or resampled parameters would otherwise fill the disk (about 60 MB per 10 MNIST images).
        """
        for name in self._run_files:
            try:
                os.remove(os.path.join(self.directory, "static_arrays", name))
            except FileNotFoundError:
                pass
        self._run_files = []
        for name in list(brian2.device.run_args_arrays):
            path = os.path.join(self.directory, "static_arrays", name)
            for leftover in (path, path + ".lock"):  # Brian2 also leaves its FileLock's file
                try:
                    os.remove(leftover)
                except FileNotFoundError:
                    pass
        brian2.device.run_args_arrays.clear()

    def discard_run(self, run_label):
        """Give up ``results/<run_label>`` of a completed run (its data are in the collected result).

        It becomes the spare folder the next run writes into (renamed to ``results/.spare``), or
        is deleted when reuse is off, there is a spare already or the binary stopped early (a stop
        marker in a reused folder would misstate the next run's simulated time). A failed or
        interrupted run's folder stays as it is.
        """
        results = os.path.join(self.directory, "results")
        path = os.path.join(results, run_label)
        if not os.path.isdir(path):
            return
        if run_label != self._last_complete and read_manifest(path).status != "complete":
            return
        spare = os.path.join(results, SPARE_RESULTS)
        if (not self.reuse_results_folder or os.path.lexists(spare)
                or os.path.exists(os.path.join(path, STOPPED_AT_FILE))):
            _remove_folder(path)
        else:
            os.rename(path, spare)

    def describe(self):
        return dict(super().describe(), build_directory=self.directory, n_compilations=self.n_compilations,
                    compile_time=self.compile_time, compiler=_compiler_version())


def _remove_folder(path):
    """Delete the flat folder ``path`` (a run's ~120 result files; nothing when it is missing): one
    unlink per file, without ``shutil.rmtree``'s per-entry checks, which it falls back to otherwise
    (a subfolder)."""
    import shutil

    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for name in os.listdir(descriptor):
                os.unlink(name, dir_fd=descriptor)
        finally:
            os.close(descriptor)
        os.rmdir(path)
    except FileNotFoundError:
        pass
    except OSError:
        shutil.rmtree(path, ignore_errors=True)


def _stop_child(process, grace=10.0):
    """SIGINT to ``process`` (make removes the half-written target), then SIGKILL after ``grace`` s."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@functools.lru_cache(maxsize=None)
def _compiler_version():
    """First line of ``g++ --version`` (asked once per process: every run's provenance records it)."""
    import subprocess

    try:
        output = subprocess.run(["g++", "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return output.splitlines()[0] if output else None


def _release_static_arrays():
    """Drop Brian2's Python copies of what the build wrote into ``static_arrays/`` (connectivity, per-element
    initial values) and its cached synapse indices: runs read the files, and one device builds once
    (memory, issue 20). Reading ``i``/``j`` from a synapse group then reads the last run's results folder."""
    import numpy as np

    device = brian2.get_device()  # not the brian2.device proxy: attributes set on it stay on the proxy
    device.static_arrays = {name: np.empty(0, dtype=array.dtype) for name, array in device.static_arrays.items()}
    for variable in list(device.array_cache):
        if getattr(variable, "name", None) in ("_synaptic_pre", "_synaptic_post"):
            device.array_cache[variable] = None
