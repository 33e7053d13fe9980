"""Side products of a run as ``.npz`` files: written once, atomically, never replaced.

For arrays that do not fit a :class:`~hetero_brian.results.records.SimulationResult` (trained weights
to resume from, spike counts for offline analysis).

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> path = save_arrays(os.path.join(tempfile.mkdtemp(), "counts.npz"), counts=np.arange(3))
>>> np.load(path)["counts"].tolist()
[0, 1, 2]
"""

from pathlib import Path

import numpy as np

from hetero_brian.errors import ResultsError
from hetero_brian.results.atomic import write_atomically

__all__ = ["save_arrays"]


def save_arrays(path, **arrays):
    """Write named arrays to a new ``.npz`` file (compressed) atomically; never replaces a file.

    Parameters
    ----------
    path : str or path-like
        Target file, ending in ``.npz``; its folder must exist.
    **arrays : array_like
        The arrays, stored under their keyword names.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ResultsError
        ``path`` exists, its directory is missing, or writing fails (no partial file is left).
    """
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"path must end in .npz; got '{path}'")
    if not path.parent.is_dir():
        raise ResultsError(f"cannot save arrays to '{path}': directory '{path.parent}' does not exist")
    if path.exists():
        raise ResultsError(f"'{path}' already exists; results are never replaced")

    def write(temporary):
        with open(temporary, "xb") as stream:
            np.savez_compressed(stream, **arrays)

    try:
        write_atomically(path, write, "refuse")
    except OSError as error:
        raise ResultsError(f"could not write '{path}': {error}") from error
    return path
