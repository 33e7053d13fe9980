"""The C++ build cache (``$HETERO_BRIAN_BUILD_ROOT`` or ``~/.cache/hetero_brian/builds``): size, cap, cleaning.

Each network structure compiles once into ``<root>/<structure key>-<slot>``; later runs of the same
structure reuse the binary. The cache is capped at ``$HETERO_BRIAN_CACHE_MAX_GB`` gigabytes
(default :data:`DEFAULT_CAP_GB`): :func:`prune_build_cache`, called before every ``hetero-brian run``,
deletes the least recently used builds beyond the cap. Builds in use (locked) are never deleted.
"""
import os
import shutil
import time
from pathlib import Path

from hetero_brian.errors import ConfigError, ResultsError
from hetero_brian.results.rundirs import directory_lock

__all__ = ["DEFAULT_CAP_GB", "build_root", "cache_cap_bytes", "folder_size", "cache_builds", "prune_build_cache",
           "clean_build_cache"]

DEFAULT_CAP_GB = 5.0


def build_root():
    """The cache folder (same rule as :func:`hetero_brian.backends.base.default_build_root`)."""
    configured = os.environ.get("HETERO_BRIAN_BUILD_ROOT")
    if configured:
        return Path(configured).absolute()
    return Path.home() / ".cache" / "hetero_brian" / "builds"


def cache_cap_bytes():
    """The cap in bytes, from ``$HETERO_BRIAN_CACHE_MAX_GB`` (a positive number) or the default."""
    text = os.environ.get("HETERO_BRIAN_CACHE_MAX_GB")
    try:
        gigabytes = DEFAULT_CAP_GB if text is None else float(text)
    except ValueError:
        gigabytes = float("nan")
    if not gigabytes > 0:
        raise ConfigError(f"HETERO_BRIAN_CACHE_MAX_GB: got {text!r}; it must be a positive number of gigabytes")
    return int(gigabytes * 1e9)


def folder_size(path):
    """Bytes of the files under ``path`` (links not followed)."""
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                pass
    return total


def cache_builds(root=None):
    """``[(path, bytes, last use as a Unix time)]`` of every build folder, least recently used first."""
    root = build_root() if root is None else Path(root)
    if not root.is_dir():
        return []
    builds = []
    for entry in root.iterdir():
        if entry.is_dir():
            builds.append((entry, folder_size(entry), entry.stat().st_mtime))
    return sorted(builds, key=lambda build: build[2])


def _remove_unless_locked(path):
    try:
        with directory_lock(path, timeout=0):
            shutil.rmtree(path, ignore_errors=True)
        return True
    except ResultsError:
        return False  # in use by a running simulation


def prune_build_cache(root=None, cap_bytes=None):
    """Delete the least recently used builds until the cache holds at most ``cap_bytes``; returns the
    number deleted."""
    cap_bytes = cache_cap_bytes() if cap_bytes is None else cap_bytes
    builds = cache_builds(root)
    total = sum(size for _, size, _ in builds)
    removed = 0
    for path, size, _ in builds:
        if total <= cap_bytes:
            break
        if _remove_unless_locked(path):
            total -= size
            removed += 1
    return removed


def clean_build_cache(root=None):
    """Delete every build not in use; returns ``(deleted, kept because in use)``."""
    deleted = kept = 0
    for path, _, _ in cache_builds(root):
        if _remove_unless_locked(path):
            deleted += 1
        else:
            kept += 1
    return deleted, kept


def describe_age(seconds_since_epoch):
    """``"3.2 h ago"``-style text."""
    hours = (time.time() - seconds_since_epoch) / 3600
    return f"{hours * 60:.0f} min ago" if hours < 1 else f"{hours:.1f} h ago"
