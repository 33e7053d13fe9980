"""The one atomic file writer of the package.

:func:`write_atomically` fills a temporary file in the target's own folder, fsyncs it, and only
then makes it visible under the target name, so a reader (or a killed writer) sees either no file,
the previous complete file, or the new complete file, never a partial one. What happens when the
target already exists is explicit (``if_exists``):

* ``"refuse"``: never replace. The temporary file is hard-linked to the target, which fails with
  :class:`FileExistsError` when a file of that name appeared meanwhile (no check-then-write race).
* ``"replace"``: ``os.replace`` the target (the usual write-temporary-then-rename).
* ``"keep-previous"``: like ``"replace"``, but first hard-link the old file to
  ``<name>.old-<timestamp>`` (falls back to a rename where links are not supported), so the old
  contents are never lost and ``path`` always names a complete file.

How much reaches the disk before the function returns is explicit too (``sync``):

* ``"full"`` (default): the file's contents and the folder entry (the rename) are fsynced: the new
  file survives a crash of the machine.
* ``"file"``: the contents are fsynced, the rename is not: after a crash of the machine ``path``
  holds the new file or the previous one (never a partial file).
* ``"none"``: nothing is fsynced: a killed process still leaves the complete file (the kernel has
  it), a crash of the machine may leave the previous file, no file, or an empty one.

Temporary files are named ``<name>.tmp-<pid>-<random><suffix>`` (the target's suffix is kept, so
writers that choose a format from the file name, such as matplotlib and ``numpy.savez``, work).

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "note.txt")
>>> _ = write_text_atomically(path, "first")
>>> _ = write_text_atomically(path, "second", if_exists="replace")
>>> open(path).read()
'second'
"""

import json
import logging
import os
import secrets
import time
from pathlib import Path

__all__ = ["IF_EXISTS_CHOICES", "SYNC_CHOICES", "write_atomically", "write_text_atomically", "write_json_atomically", "aside_name", "fsync_directory"]

IF_EXISTS_CHOICES = ("refuse", "replace", "keep-previous")
SYNC_CHOICES = ("full", "file", "none")
_LOG = logging.getLogger(__name__)


def fsync_directory(directory):
    """Flush a folder's entries to disk (makes a rename durable); silently skipped where the
    platform cannot open folders."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def aside_name(path):
    """A free name ``<name>.old-<YYYYmmddTHHMMSS>[-<k>]`` beside ``path`` for its previous version."""
    path = Path(path)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    candidate = path.with_name(f"{path.name}.old-{stamp}")
    counter = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.old-{stamp}-{counter}")
        counter += 1
    return candidate


def _temporary_name(path):
    return path.with_name(f"{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}{path.suffix}")


def _fsync_file(path):
    with open(path, "rb+") as stream:
        os.fsync(stream.fileno())


def write_atomically(path, write, if_exists="refuse", sync="full"):
    """Create ``path`` atomically with the contents that ``write`` puts into a temporary file.

    Parameters
    ----------
    path : str or path-like
        Target file; its folder must exist.
    write : callable
        ``write(temporary_path)`` creates and fills the file at ``temporary_path`` (a
        :class:`pathlib.Path` in the target's folder that does not exist yet). It may open the
        file by name (h5py, matplotlib, numpy) or as a stream.
    if_exists : {"refuse", "replace", "keep-previous"}
        What to do when ``path`` exists: see the module docstring.
    sync : {"full", "file", "none"}
        What is fsynced before returning: see the module docstring.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    FileExistsError
        ``if_exists="refuse"`` and ``path`` exists (checked before writing, and again atomically
        when the file is published).
    OSError
        Writing, syncing or renaming failed; no temporary file is left behind. Exceptions raised
        by ``write`` propagate unchanged, also after removing the temporary file.
    """
    if if_exists not in IF_EXISTS_CHOICES:
        raise ValueError(f"if_exists must be one of {IF_EXISTS_CHOICES}; got {if_exists!r}")
    if sync not in SYNC_CHOICES:
        raise ValueError(f"sync must be one of {SYNC_CHOICES}; got {sync!r}")
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if if_exists == "refuse" and os.path.lexists(path):
        raise FileExistsError(f"'{path}' already exists and is never replaced")
    temporary = _temporary_name(path)
    try:
        write(temporary)
        if sync != "none":
            _fsync_file(temporary)
        if if_exists == "refuse":
            os.link(temporary, path)  # fails instead of replacing a file that appeared meanwhile
        else:
            if if_exists == "keep-previous" and path.exists():
                aside = aside_name(path)
                try:
                    os.link(path, aside)
                except OSError:
                    os.replace(path, aside)
                _LOG.info("kept the previous file '%s' as '%s'", path, aside)
            os.replace(temporary, path)
        if sync == "full":
            fsync_directory(directory)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def write_text_atomically(path, text, if_exists="refuse", encoding="utf-8", sync="full"):
    """Write the string ``text`` to ``path`` with :func:`write_atomically`; returns ``path``."""

    def write(temporary):
        with open(temporary, "x", encoding=encoding) as stream:
            stream.write(text)

    return write_atomically(path, write, if_exists, sync)


def write_json_atomically(path, payload, if_exists="refuse", default=float):
    """Write ``payload`` as indented JSON to ``path`` with :func:`write_atomically`; returns ``path``.

    ``default`` converts values JSON cannot hold (numpy scalars: ``float``).
    """
    return write_text_atomically(path, json.dumps(payload, indent=2, default=default) + "\n", if_exists)
