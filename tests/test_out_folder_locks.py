"""Two processes racing for one ``--out`` (issue 21): a run holds an exclusive lock on its folder from
its claim to its end, so ``--overwrite`` and ``--resume`` from another process are refused even in the
instant between the claim and the manifest, and nothing of the live run is moved or changed."""
import os
import subprocess
import sys
import time

import pytest

from hetero_brian.cli import main
from hetero_brian.errors import ResultsError
from hetero_brian.experiment.run_folders import FolderLock, folder_in_use, plan_run_folder, prepare_run_folder

SHORT = ["--set", "n_neurons=40", "--set", "n_inputs=40", "--backend", "runtime:numpy", "--set", "duration=50 ms"]


@pytest.fixture
def claimed_elsewhere(tmp_path):
    """``tmp_path/run`` claimed by another process (its ``config.yaml`` claim written, its lock held, no
    manifest yet: the moment between a run's claim and its first record)."""
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.yaml").write_text("claimed\n")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from hetero_brian.experiment.run_folders import FolderLock; "
         "lock = FolderLock(sys.argv[1]).acquire(); print('held', flush=True); time.sleep(120)", str(out)],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    yield out, holder
    holder.kill()
    holder.wait()


def _snapshot(folder):
    return {path.relative_to(folder): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


@pytest.mark.parametrize("flag", ["--overwrite", "--resume"])
def test_overwrite_or_resume_of_a_freshly_claimed_folder_is_refused_and_changes_nothing(
        flag, claimed_elsewhere, capsys):
    claimed_elsewhere, _ = claimed_elsewhere
    before = _snapshot(claimed_elsewhere)
    assert folder_in_use(claimed_elsewhere)
    assert main(["run", "demo", *SHORT, "--out", str(claimed_elsewhere), flag]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "in use by another hetero-brian process" in error, error
    assert _snapshot(claimed_elsewhere) == before
    assert not list(claimed_elsewhere.parent.glob("run.old-*"))  # nothing moved aside


def test_the_lock_ends_with_its_holder_so_a_killed_run_can_be_overwritten(claimed_elsewhere):
    claimed_elsewhere, holder = claimed_elsewhere
    os.kill(holder.pid, 9)
    deadline = time.monotonic() + 30
    while folder_in_use(claimed_elsewhere) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not folder_in_use(claimed_elsewhere)
    plan = plan_run_folder(claimed_elsewhere, "demo", {}, None, overwrite=True)
    assert plan.action == "move-aside"
    assert prepare_run_folder(plan) == claimed_elsewhere and plan.lock is not None
    plan.lock.release()
    assert [path.read_text() for path in claimed_elsewhere.parent.glob("run.old-*/config.yaml")] == ["claimed\n"]


def test_a_plan_made_before_another_process_locked_the_folder_is_refused_when_carried_out(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "stale.txt").write_text("a finished run's file\n")
    plan = plan_run_folder(out, "demo", {}, None, overwrite=True)  # planned while the folder was free
    with FolderLock(out):  # then another run takes it
        with pytest.raises(ResultsError, match="in use by another hetero-brian process"):
            prepare_run_folder(plan)
    assert (out / "stale.txt").read_text() == "a finished run's file\n"


def test_a_run_releases_its_lock_when_it_ends(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "demo", *SHORT, "--seed", "3", "--out", str(out)]) == 0
    assert not folder_in_use(out)
    assert main(["run", "demo", *SHORT, "--seed", "4", "--out", str(out), "--overwrite"]) == 0
    assert len(list(tmp_path.glob("run.old-*"))) == 1
