"""Job-array shards of a sweep: ``hetero-brian sweep FILE --shard I/N``.

On clusters that forbid a long-running scheduler, a sweep runs as a job array of ``N`` jobs, job ``I``
(1 <= I <= N) with ``--shard I/N``. The shards partition the tasks deterministically: task ``k`` of
the sweep file's task order (points x grid x seeds, see
:func:`hetero_brian.experiment.sweep.tasks_from_config`) belongs to shard ``k mod N + 1``, so every
task runs in exactly one shard, whatever the order the jobs start in. All shards write into the
same sweep directory (on a shared file system): each task its own folder, each shard its own lock
(``.shards/I-of-N/.lock``) and its own ``summary-shard-I-of-N.csv``. When every job has ended,
``hetero-brian sweep FILE --resume`` (no ``--shard``) merges them: it re-runs only the tasks that
are not complete and writes ``summary.csv`` over all tasks; it refuses while a shard still runs.

Example (Slurm)::

    #SBATCH --array=1-8
    hetero-brian sweep sweep.yaml --out /shared/sweep --shard $SLURM_ARRAY_TASK_ID/8 --workers 4
    # afterwards, once:
    hetero-brian sweep sweep.yaml --out /shared/sweep --resume
"""
import contextlib
import re
from pathlib import Path

from hetero_brian.errors import ConfigError
from hetero_brian.results.rundirs import directory_lock

SHARDS_FOLDER = ".shards"
_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(text):
    """``"I/N"`` -> ``(I, N)`` with ``1 <= I <= N``; a ``(I, N)`` pair is checked the same way.

    Raises
    ------
    ConfigError
        Naming ``--shard`` and the value.
    """
    if isinstance(text, (tuple, list)) and len(text) == 2:
        index, count = text
    else:
        match = _PATTERN.match(str(text))
        if match is None:
            raise ConfigError(f"--shard must be I/N with 1 <= I <= N (e.g. 2/8); got {text!r}")
        index, count = int(match[1]), int(match[2])
    if isinstance(index, bool) or isinstance(count, bool) or not (
            isinstance(index, int) and isinstance(count, int) and 1 <= index <= count):
        raise ConfigError(f"--shard must be I/N with 1 <= I <= N (shards count from 1); got {text!r}")
    return index, count


def shard_tasks(tasks, shard):
    """The tasks of shard ``(I, N)``: every ``N``-th task starting with task ``I - 1`` (in sweep order)."""
    index, count = parse_shard(shard)
    return [task for position, task in enumerate(tasks) if position % count == index - 1]


def shard_label(shard):
    """``"I-of-N"``: the suffix of a shard's lock folder and summary file."""
    index, count = parse_shard(shard)
    return f"{index}-of-{count}"


def shard_lock(directory, shard):
    """The lock a running shard holds (``<directory>/.shards/I-of-N/.lock``), taken without waiting."""
    folder = Path(directory) / SHARDS_FOLDER / shard_label(shard)
    folder.mkdir(parents=True, exist_ok=True)
    return directory_lock(folder, timeout=0)


def all_shard_locks(directory):
    """Hold every shard's lock (refused while any shard still runs): the merge's guard."""
    stack = contextlib.ExitStack()
    folder = Path(directory) / SHARDS_FOLDER
    with stack:
        for shard_folder in sorted(folder.iterdir()) if folder.is_dir() else ():
            if shard_folder.is_dir():
                stack.enter_context(directory_lock(shard_folder, timeout=0))
        return stack.pop_all()
