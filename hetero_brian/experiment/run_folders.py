"""Run folders of ``hetero-brian run``: the --resume / --overwrite decisions, and the list of runs.

Every decision is taken before anything is written, so a refused run changes nothing on disk:

* no ``--out``: a fresh ``<root>/<scenario>-NNNN``;
* ``--out`` absent or empty: used;
* ``--out`` holding a run (``manifest.json``):

  - without a flag: refused;
  - ``--resume``: a complete run is left alone (a no-op that says so); a live run (its process is
    alive) is refused; a failed, interrupted or killed run is run again in the same folder with its
    recorded seed (a different ``--seed`` or configuration is refused), the earlier attempt's files
    moved into ``previous-attempts/<n>/``;
  - ``--overwrite``: a live run is refused; any other folder is moved aside to ``<out>.old-<time>``
    (never deleted) and the run starts in a fresh one;
* ``--out`` holding other files: refused unless ``--overwrite`` (moved aside) or ``--resume`` (used).

A running ``hetero-brian run`` holds an exclusive ``flock`` on its folder (:class:`FolderLock`, on the
directory itself, so it follows the folder and ends with the process, even after ``kill -9``).
Planning treats a locked folder as live, and every action takes the lock before it changes the
folder (the folder to move aside included), so of two runs racing for one ``--out`` with any mix of
``--resume`` and ``--overwrite``, exactly one proceeds and the other is refused before it writes.

:func:`list_runs` reads every run folder under a directory; a run whose manifest says "running" but
whose process is gone is shown as "interrupted".
"""
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from hetero_brian.errors import ConfigError, ResultsError
from hetero_brian.results.rundirs import MANIFEST_NAME, OutputDirectory, read_manifest

__all__ = ["RunPlan", "plan_run_folder", "prepare_run_folder", "recorded_run", "list_runs", "RunListing",
           "FolderLock", "folder_in_use"]

CONFIG_NAME = "config.yaml"
ATTEMPTS_NAME = "previous-attempts"


@dataclass
class RunPlan:
    """What to do with an ``--out`` folder: ``action`` is "create", "reuse", "move-aside" or "done"
    (a complete run asked to resume); ``seed`` is the recorded seed when resuming."""

    path: Path
    action: str
    seed: int = None
    #: The :class:`FolderLock` :func:`prepare_run_folder` took on the run folder; the run releases it.
    lock: object = field(default=None, repr=False, compare=False)


def _in_use_error(path):
    return ResultsError(f"output directory '{path}' is in use by another hetero-brian process; "
                        "wait for it or choose another --out")


class FolderLock:
    """Exclusive, non-blocking ``flock`` on a directory's own file descriptor.

    The lock belongs to the directory (its inode): it follows a rename and ends when the holding
    process ends, however it ends. Without ``fcntl`` (Windows) it does nothing.

    Raises
    ------
    ResultsError
        From :meth:`acquire`: another process holds the lock.
    """

    def __init__(self, path):
        self.path = Path(path)
        self._descriptor = None

    def acquire(self):
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return self
        descriptor = os.open(self.path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise _in_use_error(self.path) from None
        self._descriptor = descriptor
        return self

    def release(self):
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing the only descriptor releases the flock
            self._descriptor = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, kind, error, traceback):
        self.release()
        return False


def folder_in_use(path):
    """Whether another process holds the :class:`FolderLock` of directory ``path``."""
    try:
        with FolderLock(path):
            return False
    except ResultsError:
        return True
    except OSError:
        return False


def recorded_run(directory):
    """The ``config.yaml`` record of a run folder (scenario, seed, backend, config), or None."""
    path = Path(directory) / CONFIG_NAME
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or None
    except (OSError, yaml.YAMLError):
        return None


def _first_difference(recorded, wanted, path=""):
    if isinstance(recorded, dict) and isinstance(wanted, dict):
        for key in sorted(set(recorded) | set(wanted)):
            difference = _first_difference(recorded.get(key), wanted.get(key), f"{path}.{key}" if path else key)
            if difference:
                return difference
        return None
    return None if recorded == wanted else f"{path}: recorded {recorded!r}, now {wanted!r}"


def _manifest(directory):
    try:
        return read_manifest(directory) if (Path(directory) / MANIFEST_NAME).exists() else None
    except ResultsError:
        return None


def plan_run_folder(out, scenario, config_record, seed, overwrite=False, resume=False):
    """Decide what ``hetero-brian run --out OUT`` does, without writing anything.

    Parameters
    ----------
    out : str or path-like
    scenario : str
    config_record : dict
        The resolved configuration (``Config.model_dump(mode="json")``).
    seed : int or None
        ``--seed``.
    overwrite, resume : bool

    Returns
    -------
    RunPlan

    Raises
    ------
    ResultsError
        The folder is a file, a live run, or holds files and no flag allows touching them.
    ConfigError
        ``--resume`` with another scenario, seed or configuration than the recorded run.
    """
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise ResultsError(f"output directory '{path}' exists and is not a directory")
    if not path.is_dir() or not any(path.iterdir()):
        return RunPlan(path, "create")
    manifest = _manifest(path)
    if manifest is not None and manifest.state == "running":
        raise ResultsError(f"output directory '{path}' holds a live run (pid {manifest.pid} on {manifest.host}, "
                           f"since {manifest.start_time}); wait for it or choose another --out")
    if folder_in_use(path):
        raise _in_use_error(path)
    if overwrite:
        return RunPlan(path, "move-aside")
    if not resume:
        raise ResultsError(f"output directory '{path}' exists and is not empty; pass --overwrite (moves it aside) "
                           "or --resume")
    record = recorded_run(path)
    if manifest is None or record is None:
        return RunPlan(path, "reuse", seed)
    if record.get("scenario") != scenario:
        raise ConfigError(f"--resume: '{path}' holds a run of scenario {record.get('scenario')!r}, not {scenario!r}")
    recorded_seed = record.get("seed")
    if seed is not None and recorded_seed is not None and seed != recorded_seed:
        raise ConfigError(f"--resume: --seed {seed} differs from the recorded seed {recorded_seed} of '{path}'; "
                          "omit --seed to reuse it")
    difference = _first_difference(record.get("config"), config_record)
    if difference:
        raise ConfigError(f"--resume: the configuration differs from the run recorded in '{path}' ({difference})")
    return RunPlan(path, "done" if manifest.state == "complete" else "reuse", recorded_seed)


def _claim(plan, path):
    """Claim a fresh run folder: take its :class:`FolderLock` (kept in ``plan.lock``), then create its
    ``config.yaml`` with ``O_EXCL`` (atomic): of two processes that planned the same empty ``--out``
    at the same instant, the second is refused here before it writes anything (the runner then
    replaces the empty claim with the run record)."""
    claimed_elsewhere = ResultsError(f"output directory '{path}' was just claimed by another run; choose another --out")
    try:
        lock = FolderLock(path).acquire()
    except ResultsError:
        raise claimed_elsewhere from None
    try:
        descriptor = os.open(path / CONFIG_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        lock.release()
        raise claimed_elsewhere from None
    os.close(descriptor)
    plan.lock = lock
    return path


def prepare_run_folder(plan):
    """Carry out a :class:`RunPlan` ("create", "reuse" or "move-aside"); returns the folder path.

    Raises
    ------
    ResultsError
        Another process claimed the fresh folder first.

    A fresh folder is claimed atomically (see :func:`_claim`), so two runs never share it; the
    folder's :class:`FolderLock` is left held in ``plan.lock`` for the run to release.
    Reusing the folder of a failed or interrupted run first moves that attempt's files into
    ``<out>/previous-attempts/<n>/`` (never deleted), so the new attempt starts clean."""
    if plan.action == "move-aside":
        with FolderLock(plan.path):  # refused while another process runs there
            path = Path(OutputDirectory.create(plan.path, overwrite=True).path)
        return _claim(plan, path)
    path = Path(OutputDirectory.create(plan.path, resume=True).path)
    if plan.action == "create":
        return _claim(plan, path)
    plan.lock = FolderLock(path).acquire()
    manifest = _manifest(path)
    if manifest is not None and manifest.state in ("running", "complete"):  # changed since planning
        plan.lock.release()
        raise ResultsError(f"output directory '{path}' changed while this run was planned (now "
                           f"{manifest.state}); run the command again")
    if plan.action == "reuse" and (path / MANIFEST_NAME).exists():
        attempts = path / ATTEMPTS_NAME
        attempts.mkdir(exist_ok=True)
        number = 1 + max((int(entry.name) for entry in attempts.iterdir() if entry.name.isdigit()), default=0)
        target = attempts / str(number)
        target.mkdir()
        for entry in list(path.iterdir()):
            if entry.name not in (ATTEMPTS_NAME, ".lock"):
                os.rename(entry, target / entry.name)
    return path


@dataclass
class RunListing:
    """One run folder: its path, status (with dead "running" runs read as "interrupted"), scenario,
    seed, start time and message."""

    path: Path
    status: str
    scenario: str = None
    seed: int = None
    start_time: str = None
    message: str = None


def list_runs(root):
    """Run folders at or below ``root`` (those with a manifest and a config record), sorted by path."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"no such directory: '{root}'")
    listings = []
    for manifest_path in sorted(root.rglob(MANIFEST_NAME)):
        folder = manifest_path.parent
        record = recorded_run(folder)
        if record is None:
            continue  # a standalone build's results/<label> folder, not a scenario run
        try:
            manifest = read_manifest(folder)
        except ResultsError as error:
            listings.append(RunListing(folder, "unreadable", record.get("scenario"), record.get("seed"), message=str(error)))
            continue
        state = manifest.state
        message = manifest.message
        if manifest.status == "running" and state == "interrupted":
            message = f"process {manifest.pid} is gone (killed?)"
        listings.append(RunListing(folder, state, record.get("scenario"), record.get("seed"), manifest.start_time, message))
    return listings
