"""Atomic training checkpoints: written to a temporary file in the same folder, then ``os.replace``.

A kill during a write leaves the previous checkpoint intact (``os.replace`` is atomic on POSIX
and Windows within one file system); a stray temporary file is ignored and overwritten.
"""
import os
from pathlib import Path

from ..errors import ConfigError, ResultsError
from ._torch import torch

__all__ = ["CHECKPOINT_FORMAT", "save_checkpoint", "load_checkpoint"]

CHECKPOINT_FORMAT = "hetero_brian.training.checkpoint/1"


def save_checkpoint(path, state):
    """Write ``state`` (a dict of tensors, numbers, strings, lists) to ``path`` atomically.

    Parameters
    ----------
    path : str or pathlib.Path
    state : dict
        Saved with ``torch.save``; the format tag is added.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise ConfigError(f"checkpoint folder {str(path.parent)!r} does not exist")
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(temporary, "wb") as handle:
        torch.save({"format": CHECKPOINT_FORMAT, **state}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def load_checkpoint(path):
    """Read a checkpoint written by :func:`save_checkpoint`.

    Raises
    ------
    ResultsError
        When the file is missing, unreadable or not such a checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise ResultsError(f"checkpoint {str(path)!r} does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for corrupt files
        raise ResultsError(f"checkpoint {str(path)!r} cannot be read: {error}") from error
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ResultsError(f"{str(path)!r} is not a hetero_brian training checkpoint ({CHECKPOINT_FORMAT})")
    return state
