"""Run directories of standalone runs: manifests, fresh subdirectories and directory locks.

* :class:`RunManifest` / :func:`read_manifest`: ``manifest.json`` of a run directory (who runs
  there, since when, how it ended; a killed run reads as "interrupted"), written atomically;
* :class:`OutputDirectory`: an output directory that refuses to clobber an existing one unless
  asked (``overwrite`` moves it aside, ``resume`` reuses it);
* :func:`unique_subdir`: ``<root>/run-NNNN`` created atomically, never shared by two processes;
* :class:`directory_lock`: an exclusive ``fcntl.flock`` on ``<directory>/.lock``;
* :func:`process_alive` / :func:`socket_hostname`: liveness of the process named in a manifest.

Never imports brian2.

Examples
--------
>>> import tempfile
>>> root = tempfile.mkdtemp()
>>> run = unique_subdir(root)
>>> run.name
'run-0001'
>>> with RunManifest.start(run, info={"seed": 1}):
...     read_manifest(run).state
'running'
>>> read_manifest(run).state
'complete'
"""

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from hetero_brian.errors import ResultsError, SimulationInterrupted
from hetero_brian.results._common import _check_name, _json_default, _json_normalise
from hetero_brian.results.atomic import write_text_atomically

__all__ = [
    "MANIFEST_NAME",
    "RunManifest",
    "read_manifest",
    "process_alive",
    "socket_hostname",
    "OutputDirectory",
    "unique_subdir",
    "directory_lock",
]

_LOG = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
_MANIFEST_STATUSES = ("running", "complete", "failed", "interrupted")


def _write_json_atomically(path, payload, sync="full"):
    text = json.dumps(payload, indent=2, default=_json_default)
    write_text_atomically(path, text, if_exists="replace", sync=sync)


def _process_start_ticks(pid):
    """Start time of a process in clock ticks since boot (Linux ``/proc``), or None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stream:
            fields = stream.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[19]) if fields[0] != "Z" else -1  # -1 marks a zombie (finished, not reaped)


def process_alive(pid, start_ticks=None):
    """Whether process ``pid`` runs on this host (and is the same process when ``start_ticks``,
    its start time from ``/proc``, is given; a zombie counts as dead)."""
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    ticks = _process_start_ticks(pid)
    if ticks == -1:
        return False
    return start_ticks is None or ticks is None or ticks == start_ticks


@dataclass
class RunManifest:
    """``manifest.json`` of a run directory: who runs there, since when, and how it ended.

    ``status`` is what was written ("running", "complete", "failed" or "interrupted"); :attr:`state` reads
    "interrupted" for a run whose manifest says "running" but whose process (on this host) is gone,
    i.e. a killed run (as ``hetero-brian runs`` shows it). Use :meth:`start` as a context manager: it writes "running" at once and
    "complete", "interrupted" (``KeyboardInterrupt``, :class:`SimulationInterrupted`) or "failed"
    (with the error) on exit.
    """

    directory: Path
    status: str
    pid: int
    host: str
    start_time: str
    end_time: str = None
    message: str = None
    info: dict = field(default_factory=dict)
    pid_start_ticks: int = None
    durable: bool = field(default=True, compare=False, repr=False)

    @classmethod
    def start(cls, directory, info=None, durable=True):
        """Write a "running" manifest for the current process into ``directory`` (must exist).

        ``durable=True`` fsyncs every write, file and folder (two fsyncs each). ``durable=False``
        (many short runs, e.g. a sweep's runs of one binary) fsyncs once per run: the "running"
        manifest is written without fsync, the final one with its contents fsynced but not the
        rename. Either way a killed process leaves a complete manifest (the kernel has it); after a
        crash of the machine a non-durable run directory may have no manifest or an empty one
        (unreadable: not a finished run) or still the "running" one (read as "interrupted"), and
        a "complete" manifest that is there is complete.

        Raises :class:`ResultsError` when the directory's manifest says another live process is
        running there (two runs never share a directory).
        """
        directory = Path(directory)
        if not directory.is_dir():
            raise ResultsError(f"cannot write a run manifest: directory '{directory}' does not exist")
        if (directory / MANIFEST_NAME).exists():
            try:
                previous = read_manifest(directory)
            except ResultsError:
                previous = None
            if previous is not None and previous.pid != os.getpid() and previous.state == "running":
                raise ResultsError(
                    f"run directory '{directory}' is in use by pid {previous.pid} on {previous.host} "
                    f"(running since {previous.start_time}); use a fresh directory (unique_subdir)"
                )
        manifest = cls(
            directory,
            "running",
            os.getpid(),
            socket_hostname(),
            _now(),
            info=_json_normalise(info or {}, "info"),
            pid_start_ticks=_process_start_ticks(os.getpid()),
            durable=durable,
        )
        manifest.write(sync="full" if durable else "none")
        return manifest

    def write(self, sync=None):
        """Write the manifest atomically (temporary file, fsync, rename); ``sync`` as in
        :func:`~hetero_brian.results.atomic.write_atomically` (default: "full" when durable, else "file")."""
        if self.status not in _MANIFEST_STATUSES:
            raise ValueError(f"status must be one of {_MANIFEST_STATUSES}; got {self.status!r}")
        payload = {
            key: getattr(self, key)
            for key in (
                "status",
                "pid",
                "host",
                "start_time",
                "end_time",
                "message",
                "info",
                "pid_start_ticks",
            )
        }
        _write_json_atomically(self.directory / MANIFEST_NAME, payload,
                               sync or ("full" if self.durable else "file"))

    def finish(self, status="complete", message=None):
        """Record the end of the run: ``status`` "complete", "failed" or "interrupted" (Ctrl-C), with an
        optional message."""
        if status not in ("complete", "failed", "interrupted"):
            raise ValueError(f"status must be 'complete', 'failed' or 'interrupted'; got {status!r}")
        self.status, self.message, self.end_time = status, message, _now()
        self.write()

    @property
    def state(self):
        """``status``, or "interrupted" when it says "running" but the process is gone (killed)."""
        if self.status == "running" and self.host == socket_hostname():
            if not process_alive(self.pid, self.pid_start_ticks):
                return "interrupted"
        return self.status

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if error is None:
            self.finish("complete")
        elif issubclass(kind, (KeyboardInterrupt, SimulationInterrupted)):
            self.finish("interrupted", str(error) or "interrupted (Ctrl-C)")
        else:
            self.finish("failed", f"{kind.__name__}: {error}")
        return False


def socket_hostname():
    """This machine's host name (recorded in manifests)."""
    import socket

    return socket.gethostname()


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def read_manifest(directory):
    """Read ``<directory>/manifest.json``; see :attr:`RunManifest.state` for killed runs.

    Raises
    ------
    ResultsError
        No manifest, or one that is not valid JSON or lacks a field.
    """
    path = Path(directory) / MANIFEST_NAME
    try:
        with open(path, encoding="utf-8") as stream:
            payload = json.load(stream)
        return RunManifest(
            Path(directory),
            payload["status"],
            int(payload["pid"]),
            payload["host"],
            payload["start_time"],
            payload.get("end_time"),
            payload.get("message"),
            payload.get("info") or {},
            payload.get("pid_start_ticks"),
        )
    except FileNotFoundError as error:
        raise ResultsError(
            f"run directory '{directory}' has no {MANIFEST_NAME} (not a run directory?)"
        ) from error
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ResultsError(f"run manifest '{path}' is unreadable or corrupt: {error!r}") from error


def _timestamp():
    return time.strftime("%Y%m%dT%H%M%S")


@dataclass
class OutputDirectory:
    """An output directory prepared with :meth:`create`; ``moved_aside`` is where an old one went."""

    path: Path
    moved_aside: Path = None

    @classmethod
    def create(cls, path, overwrite=False, resume=False):
        """Create ``path``, refusing an existing non-empty directory unless asked.

        Parameters
        ----------
        path : str or path-like
        overwrite : bool
            Move an existing non-empty directory aside to ``<path>.old-<timestamp>`` (never
            deleted) and start an empty one.
        resume : bool
            Use an existing directory as it is.

        Raises
        ------
        ResultsError
            ``path`` is a file, or a non-empty directory and neither flag is set.
        """
        if overwrite and resume:
            raise ValueError("overwrite and resume cannot both be True")
        path = Path(path)
        moved = None
        if path.exists() and not path.is_dir():
            raise ResultsError(f"output directory '{path}' exists and is not a directory")
        if path.is_dir() and any(path.iterdir()) and not resume:
            if not overwrite:
                raise ResultsError(
                    f"output directory '{path}' exists and is not empty; pass --overwrite (moves it "
                    "aside) or --resume"
                )
            moved = path.with_name(f"{path.name}.old-{_timestamp()}")
            counter = 1
            while True:
                try:
                    os.rename(path, moved)  # fails if `moved` is a non-empty directory
                    break
                except OSError:
                    if not moved.exists():
                        raise
                    moved = path.with_name(f"{path.name}.old-{_timestamp()}-{counter}")
                    counter += 1
            _LOG.info("moved the previous output directory '%s' aside to '%s'", path, moved)
        path.mkdir(parents=True, exist_ok=True)
        return cls(path, moved)

    def unique_subdir(self, prefix="run-"):
        """A fresh subdirectory (see :func:`unique_subdir`)."""
        return unique_subdir(self.path, prefix)

    def lock(self, timeout=None):
        """An exclusive lock on this directory (see :func:`directory_lock`)."""
        return directory_lock(self.path, timeout)


def unique_subdir(root, prefix="run-"):
    """Create and return ``<root>/<prefix>NNNN`` with the next free number.

    ``os.mkdir`` is atomic: when two processes race for the same number, one gets
    ``FileExistsError`` and takes the next, so no directory is ever shared.
    """
    root = Path(root)
    _check_name(prefix, "prefix")
    root.mkdir(parents=True, exist_ok=True)
    taken = [entry.name[len(prefix) :] for entry in root.iterdir() if entry.name.startswith(prefix)]
    number = max((int(t) for t in taken if t.isdigit()), default=0) + 1
    while True:
        candidate = root / f"{prefix}{number:04d}"
        try:
            os.mkdir(candidate)
            return candidate
        except FileExistsError:
            number += 1


class directory_lock:
    """Context manager: exclusive ``fcntl.flock`` on ``<directory>/.lock``.

    Parameters
    ----------
    directory : str or path-like
    timeout : float or None
        Seconds to wait; None waits forever. On timeout, :class:`ResultsError` names the directory
        and the pid written in the lock file by the holder.
    """

    def __init__(self, directory, timeout=None):
        self.path = Path(directory) / ".lock"
        self.timeout = timeout
        self._stream = None

    def __enter__(self):
        import fcntl

        try:
            stream = open(self.path, "a+", encoding="ascii")
        except OSError as error:
            raise ResultsError(f"cannot lock directory '{self.path.parent}': {error}") from error
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(stream.fileno(), fcntl.LOCK_EX | (0 if deadline is None else fcntl.LOCK_NB))
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    stream.seek(0)
                    holder = stream.read().strip() or "unknown"
                    stream.close()
                    raise ResultsError(
                        f"directory '{self.path.parent}' is locked by another process (pid {holder}); "
                        f"waited {self.timeout} s"
                    ) from None
                time.sleep(0.01)
        stream.seek(0)
        stream.truncate()
        stream.write(str(os.getpid()))
        stream.flush()
        self._stream = stream
        return self

    def __exit__(self, kind, error, traceback):
        import fcntl

        fcntl.flock(self._stream.fileno(), fcntl.LOCK_UN)
        self._stream.close()
        self._stream = None
        return False
