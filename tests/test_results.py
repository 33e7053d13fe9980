"""Tests of hetero_brian.results: round trip, atomic saves, refusals, run directories."""

import collections
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from hetero_brian.errors import ResultsError
from hetero_brian.results import (
    PopulationRecord,
    SimulationResult,
    SpikeTrains,
    SynapseTable,
    Trace,
    hdf5,
    load,
    result_equal,
    rundirs,
    save,
    summary,
)
from hetero_brian.results.nwb import to_nwb
from hetero_brian.results.rundirs import (
    OutputDirectory,
    RunManifest,
    directory_lock,
    read_manifest,
    unique_subdir,
)

REPOSITORY = Path(__file__).resolve().parents[1]


def make_result(seed=0, n_spikes=1000):
    rng = np.random.default_rng(seed)
    return SimulationResult(
        spikes={
            "excitatory": SpikeTrains(rng.integers(0, 80, n_spikes), np.sort(rng.random(n_spikes)), 80),
            "inhibitory-ä抑制": SpikeTrains(np.array([3, 1, 3]), np.array([0.5, 0.1, 0.2]), 20),
            "silent": SpikeTrains([], [], 0),
        },
        synapses={
            "E→E": SynapseTable(
                "excitatory",
                "excitatory",
                rng.integers(0, 80, 500),
                rng.integers(0, 80, 500),
                rng.random(500),
                {
                    "tau_pre": rng.uniform(0.01, 0.03, 500),
                    "mask": rng.random(500) > 0.5,
                    "delay_steps": rng.integers(0, 10, 500).astype(np.int32),
                },
            ),
            "empty": SynapseTable("silent", "silent", [], [], []),
        },
        traces={
            "v": Trace(
                "excitatory", "v", "V", np.arange(50) * 1e-4, [0, 5, 7], rng.normal(-0.065, 0.002, (50, 3))
            ),
            "w_snapshots": Trace("E→E", "w", "1", [0.0, 0.5, 1.0], np.arange(4), rng.random((3, 4))),
            "nothing": Trace("silent", "v", "V", [], [], np.zeros((0, 0))),
        },
        populations={
            "excitatory": PopulationRecord(
                80,
                {"tau_m": rng.gamma(4.0, 0.005, 80), "v_threshold": np.full(80, -0.05)},
                {"tau_m": "s", "v_threshold": "V"},
            ),
            "silent": PopulationRecord(0),
        },
        provenance={
            "master_seed": np.int64(1234),
            "dt": np.float64(1e-4),
            "t_start": 0.0,
            "t_stop": 1.0,
            "specs": {"tau_m": {"distribution": "gamma", "mean": 0.02, "cv": 0.5}, "sizes": (80, 20)},
            "versions": {"brian2": "2.9.0"},
            "note": "ünïcode ✓",
            "weights": np.arange(3.0),
        },
        metrics={"accuracy": np.float32(0.75), "undefined": float("nan"), "n_samples": 10},
    )


def test_round_trip_every_part(tmp_path):
    original = make_result()
    path = save(original, tmp_path / "run.h5")
    loaded = load(path)
    assert result_equal(loaded, original)
    assert loaded.synapses["E→E"].extra["mask"].dtype == np.bool_
    assert loaded.synapses["E→E"].extra["delay_steps"].dtype == np.int32
    assert loaded.provenance["master_seed"] == 1234 and loaded.provenance["specs"]["sizes"] == [80, 20]
    assert loaded.populations["silent"].n_neurons == 0 and loaded.spikes["silent"].node_ids.size == 0
    # the equality is not trivially true: one changed element breaks it
    changed = load(path)
    changed.traces["v"].values[10, 1] += 1e-12
    assert not result_equal(changed, original)


def test_file_layout_is_sonata_like(tmp_path):
    original = make_result()
    path = save(original, tmp_path / "run.h5")
    with h5py.File(path, "r") as handle:
        assert handle.attrs["format"] == "hetero_brian.results"
        assert handle.attrs["format_version"] == 2 and handle.attrs["status"] == "complete"
        group = handle["spikes/excitatory"]
        assert group.attrs["n_neurons"] == 80 and group["timestamps"].attrs["units"] == "s"
        np.testing.assert_array_equal(group["node_ids"][()], original.spikes["excitatory"].node_ids)
        assert group["node_ids"].dtype == np.uint64 and group["timestamps"].dtype == np.float64
        assert set(handle["synapses/E→E"]) == {"i", "j", "w", "tau_pre", "mask", "delay_steps"}
        assert handle["synapses/E→E"].attrs["source"] == "excitatory"
        assert "master_seed" in handle.attrs["provenance"]


def test_compression_for_large_arrays(tmp_path):
    original = make_result(n_spikes=50_000)
    path = save(original, tmp_path / "run.h5", compression="gzip")
    with h5py.File(path, "r") as handle:
        assert handle["spikes/excitatory/timestamps"].compression == "gzip"
        assert handle["traces/v/values"].compression is None  # small arrays stay plain
    assert load(path) == original


def test_refuses_to_overwrite(tmp_path):
    path = save(make_result(seed=1), tmp_path / "run.h5")
    with pytest.raises(ResultsError, match="already exists.*overwrite"):
        save(make_result(seed=2), path)
    assert load(path) == make_result(seed=1)


def test_overwrite_keeps_the_old_file_aside(tmp_path):
    path = save(make_result(seed=1), tmp_path / "run.h5")
    save(make_result(seed=2), path, overwrite=True)
    assert load(path) == make_result(seed=2)
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("run.h5.old-")]
    assert len(aside) == 1 and load(aside[0]) == make_result(seed=1)
    save(make_result(seed=3), path, overwrite=True)  # same second: a second, distinct aside name
    assert len([p for p in tmp_path.iterdir() if ".old-" in p.name]) == 2


def test_missing_corrupt_truncated_foreign_files(tmp_path):
    with pytest.raises(ResultsError, match="does not exist"):
        load(tmp_path / "absent.h5")
    corrupt = tmp_path / "corrupt.h5"
    corrupt.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ResultsError, match="corrupt.h5.*not an HDF5 file"):
        load(corrupt)
    complete = save(make_result(n_spikes=20_000), tmp_path / "complete.h5")
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(complete.read_bytes()[: complete.stat().st_size // 2])
    with pytest.raises(ResultsError, match="truncated.h5.*(corrupt|truncated)"):
        load(truncated)
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as handle:
        handle["data"] = np.arange(3)
    with pytest.raises(ResultsError, match="foreign.h5.*not a hetero_brian results file"):
        load(foreign)
    with h5py.File(foreign, "a") as handle:
        handle.attrs["format"] = "sonata"
    with pytest.raises(ResultsError, match="'sonata'"):
        load(foreign)


def test_unfinished_status_is_refused(tmp_path):
    path = save(make_result(), tmp_path / "run.h5")
    with h5py.File(path, "a") as handle:
        handle.attrs["status"] = "running"
    with pytest.raises(ResultsError, match="status is 'running'"):
        load(path)


def test_disk_space_is_checked_first(tmp_path, monkeypatch):
    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(hdf5.shutil, "disk_usage", lambda directory: usage(10**6, 10**6 - 1000, 1000))
    big = make_result(n_spikes=100_000)
    with pytest.raises(ResultsError, match=r"about 1\.\d MB needed, 0\.0 MB free"):
        save(big, tmp_path / "run.h5")
    assert list(tmp_path.iterdir()) == []
    # the estimate bounds the real size
    monkeypatch.undo()
    path = save(big, tmp_path / "run.h5")
    assert path.stat().st_size <= hdf5.estimate_size(big)


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    path = save(make_result(seed=1), tmp_path / "run.h5")

    def failing_write(handle, result, compression):
        handle.create_group("spikes")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(hdf5, "_write", failing_write)
    with pytest.raises(ResultsError, match="No space left"):
        save(make_result(seed=2), path, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.h5"]
    assert load(path) == make_result(seed=1)


KILLED_WRITER = textwrap.dedent("""
    import sys, time
    import numpy as np
    from hetero_brian import results
    from hetero_brian.results import hdf5
    original = hdf5._write_array
    calls = []
    def slow_write_array(group, name, array, compression, units=None):
        dataset = original(group, name, array, compression, units)
        calls.append(name)
        if len(calls) == 3:
            group.file.flush()
            print("WRITING", flush=True)
            time.sleep(60)
        return dataset
    hdf5._write_array = slow_write_array
    n = 200_000
    rng = np.random.default_rng(7)
    big = results.SimulationResult(spikes={
        "E": results.SpikeTrains(rng.integers(0, 1000, n), rng.random(n), 1000),
        "I": results.SpikeTrains(rng.integers(0, 1000, n), rng.random(n), 1000),
    })
    results.save(big, sys.argv[1], overwrite=True)
    """)


@pytest.mark.parametrize("previous", [False, True])
def test_killed_writer_leaves_previous_or_nothing(tmp_path, previous):
    path = tmp_path / "run.h5"
    if previous:
        save(make_result(seed=1), path)
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(path)], stdout=subprocess.PIPE, text=True, cwd=REPOSITORY
    )
    try:
        assert child.stdout.readline().strip() == "WRITING"
        temporaries = [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
        assert len(temporaries) == 1 and temporaries[0].stat().st_size > 0
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    if previous:
        assert load(path) == make_result(seed=1)
    else:
        assert not path.exists()
    with pytest.raises(ResultsError):
        load(temporaries[0])  # the half-written file never reads as a result


def _make_subdirs(root, count, barrier, queue):
    barrier.wait()
    queue.put([str(unique_subdir(root, "run-")) for _ in range(count)])


def test_concurrent_unique_subdirs_never_collide(tmp_path):
    context = multiprocessing.get_context("fork")
    barrier, queue = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_make_subdirs, args=(tmp_path, 40, barrier, queue)) for _ in range(2)]
    for worker in workers:
        worker.start()
    made = [queue.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert len(set(made[0]) | set(made[1])) == 80
    assert not set(made[0]) & set(made[1])
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"run-{k:04d}" for k in range(1, 81)]


def test_unique_subdir_retries_when_another_process_wins(tmp_path, monkeypatch):
    real_mkdir = os.mkdir
    stolen = []

    def racing_mkdir(path, *args):
        if not stolen:  # another process creates the same name first
            real_mkdir(path)
            stolen.append(Path(path).name)
        return real_mkdir(path, *args)

    monkeypatch.setattr(rundirs.os, "mkdir", racing_mkdir)
    made = unique_subdir(tmp_path, "job-")
    assert stolen == ["job-0001"] and made.name == "job-0002"


def test_manifest_lifecycle(tmp_path):
    with RunManifest.start(tmp_path, info={"backend": "cpp_standalone", "seed": np.int64(3)}) as manifest:
        running = read_manifest(tmp_path)
        assert running.status == running.state == "running" and running.pid == os.getpid()
        assert running.info == {"backend": "cpp_standalone", "seed": 3}
    done = read_manifest(tmp_path)
    assert done.state == "complete" and done.end_time is not None and manifest.status == "complete"
    with pytest.raises(ZeroDivisionError):
        with RunManifest.start(tmp_path):
            1 / 0
    failed = read_manifest(tmp_path)
    assert failed.state == "failed" and "ZeroDivisionError" in failed.message
    with pytest.raises(ResultsError, match="no manifest.json"):
        read_manifest(tmp_path / "elsewhere")
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ResultsError, match="corrupt"):
        read_manifest(tmp_path)


def test_manifest_of_a_killed_process_reads_interrupted(tmp_path):
    script = (
        "import sys, time; from hetero_brian.results.rundirs import RunManifest; "
        "RunManifest.start(sys.argv[1]); print('STARTED', flush=True); time.sleep(60)"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True, cwd=REPOSITORY
    )
    try:
        assert child.stdout.readline().strip() == "STARTED"
        assert read_manifest(tmp_path).state == "running"
        with pytest.raises(ResultsError, match=f"in use by pid {child.pid}"):
            RunManifest.start(tmp_path)  # a second run may not share the directory
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
    manifest = read_manifest(tmp_path)
    assert manifest.status == "running" and manifest.state == "interrupted"
    assert RunManifest.start(tmp_path).state == "running"  # a killed run's directory can be reused


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc for process start times")
def test_manifest_detects_a_reused_pid(tmp_path):
    manifest = RunManifest.start(tmp_path)
    manifest.pid_start_ticks -= 1  # same pid, different start: another process got the number
    manifest.write()
    assert read_manifest(tmp_path).state == "interrupted"


def test_output_directory_refuses_overwrites_and_resumes(tmp_path):
    out = tmp_path / "out"
    assert OutputDirectory.create(out).path == out and out.is_dir()
    assert OutputDirectory.create(out).moved_aside is None  # empty: reused
    (out / "result.h5").write_text("old")
    with pytest.raises(ResultsError, match="not empty.*--overwrite.*--resume"):
        OutputDirectory.create(out)
    resumed = OutputDirectory.create(out, resume=True)
    assert (resumed.path / "result.h5").read_text() == "old"
    replaced = OutputDirectory.create(out, overwrite=True)
    assert list(out.iterdir()) == [] and (replaced.moved_aside / "result.h5").read_text() == "old"
    assert replaced.moved_aside.name.startswith("out.old-")
    with pytest.raises(ValueError, match="overwrite and resume"):
        OutputDirectory.create(out, overwrite=True, resume=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ResultsError, match="not a directory"):
        OutputDirectory.create(tmp_path / "file")


def test_directory_lock_excludes_a_second_holder(tmp_path):
    with directory_lock(tmp_path):
        started = time.monotonic()
        with pytest.raises(ResultsError, match=f"locked by another process \\(pid {os.getpid()}\\)"):
            with directory_lock(tmp_path, timeout=0.2):
                pass
        assert time.monotonic() - started >= 0.2
    with directory_lock(tmp_path, timeout=0.2):  # released: free again
        pass
    with pytest.raises(ResultsError, match="cannot lock directory"):
        with directory_lock(tmp_path / "absent"):
            pass


def test_summary_counts_and_rates():
    result = make_result()
    text = summary(result)
    spikes = result.spikes["excitatory"]
    rate = spikes.node_ids.size / 80 / (1.0 - 0.0)
    assert f"excitatory: 80 neurons, {spikes.node_ids.size} spikes, mean rate {rate:.3g} Hz" in text
    assert "inhibitory-ä抑制: 20 neurons, 3 spikes" in text
    assert "E→E: excitatory -> excitatory, 500 synapses" in text
    assert "master_seed: 1234" in text and "accuracy: 0.75" in text


def test_bad_inputs_name_the_value():
    with pytest.raises(ValueError, match=r"node_ids must lie in \[0, n_neurons=5\)"):
        SpikeTrains([0, 5], [0.1, 0.2], 5)
    with pytest.raises(ValueError, match="same length"):
        SpikeTrains([0, 1], [0.1], 5)
    with pytest.raises(ValueError, match="without '/'"):
        SimulationResult(spikes={"a/b": SpikeTrains([], [], 1)})
    with pytest.raises(ValueError, match=r"values must have shape .* = \(2, 1\)"):
        Trace("E", "v", "V", [0, 1], [0], np.zeros((1, 2)))
    with pytest.raises(ValueError, match="metrics\\['accuracy'\\] must be a number"):
        SimulationResult(metrics={"accuracy": "high"})
    with pytest.raises(ValueError, match="JSON serialisable"):
        SimulationResult(provenance={"callback": print})


@pytest.mark.slow  # importing pynwb alone takes seconds
def test_nwb_export(tmp_path):
    pynwb = pytest.importorskip("pynwb")
    result = make_result()
    path = to_nwb(result, tmp_path / "run.nwb")
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwbfile = io.read()
        units = nwbfile.units
        assert len(units) == 80 + 20 + 0
        spikes = result.spikes["inhibitory-ä抑制"]
        row = 80 + 3  # populations in order, one row per neuron
        assert units["population"][row] == "inhibitory-ä抑制" and units["node_id"][row] == 3
        np.testing.assert_array_equal(
            units["spike_times"][row], np.sort(spikes.timestamps[spikes.node_ids == 3])
        )
        np.testing.assert_array_equal(nwbfile.acquisition["v"].data[:], result.traces["v"].values)
        np.testing.assert_array_equal(
            nwbfile.processing["network"]["synapses_E→E"]["w"][:], result.synapses["E→E"].w
        )


def test_nwb_export_without_pynwb_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynwb", None)
    with pytest.raises(ImportError, match="pip install"):
        to_nwb(make_result(), tmp_path / "run.nwb")


def test_results_module_does_not_import_brian2():
    code = "import sys, hetero_brian.results; print('brian2' in sys.modules)"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPOSITORY, check=True
    )
    assert output.stdout.strip() == "False"


def test_save_arrays_writes_once_and_atomically(tmp_path):
    from hetero_brian.results import save_arrays

    path = save_arrays(tmp_path / "counts.npz", counts=np.arange(6).reshape(2, 3), labels=np.array([1, 0]))
    with np.load(path) as saved:
        assert np.array_equal(saved["counts"], np.arange(6).reshape(2, 3)) and list(saved["labels"]) == [1, 0]
    with pytest.raises(ResultsError, match="already exists"):
        save_arrays(path, counts=np.zeros(1))
    with np.load(path) as saved:  # the first file is untouched
        assert saved["counts"].shape == (2, 3)
    with pytest.raises(ResultsError, match="does not exist"):
        save_arrays(tmp_path / "missing" / "counts.npz", counts=np.zeros(1))
    with pytest.raises(ValueError, match="must end in .npz"):
        save_arrays(tmp_path / "counts.h5", counts=np.zeros(1))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counts.npz"]  # no temporary file left


def test_atomic_writer_semantics(tmp_path):
    from hetero_brian.results.atomic import write_atomically, write_text_atomically

    path = tmp_path / "note.txt"
    write_text_atomically(path, "first")
    with pytest.raises(FileExistsError, match="never replaced"):
        write_text_atomically(path, "second")
    assert path.read_text() == "first"
    write_text_atomically(path, "second", if_exists="replace")
    assert path.read_text() == "second"
    write_text_atomically(path, "third", if_exists="keep-previous")
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("note.txt.old-")]
    assert path.read_text() == "third" and len(aside) == 1 and aside[0].read_text() == "second"

    def failing(temporary):
        temporary.write_text("partial")
        raise RuntimeError("writer failed")

    with pytest.raises(RuntimeError, match="writer failed"):
        write_atomically(path, failing, if_exists="replace")
    assert path.read_text() == "third"
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]  # no temporary file left
    with pytest.raises(ValueError, match="if_exists must be one of"):
        write_text_atomically(path, "x", if_exists="overwrite")


def test_atomic_writer_sync_levels_and_one_fsync_per_non_durable_run(tmp_path, monkeypatch):
    """``sync`` decides the fsyncs (file, folder); a non-durable run manifest costs one fsync per run."""
    from hetero_brian.results import atomic
    from hetero_brian.results.atomic import write_text_atomically

    calls = []
    monkeypatch.setattr(atomic.os, "fsync", lambda descriptor: calls.append(descriptor))
    for sync, expected in (("full", 2), ("file", 1), ("none", 0)):
        calls.clear()
        write_text_atomically(tmp_path / f"{sync}.txt", sync, sync=sync)
        assert len(calls) == expected and (tmp_path / f"{sync}.txt").read_text() == sync
    with pytest.raises(ValueError, match="sync must be one of"):
        write_text_atomically(tmp_path / "x.txt", "x", sync="always")
    calls.clear()
    with RunManifest.start(tmp_path, info={"seed": 1}):
        assert len(calls) == 2 and read_manifest(tmp_path).status == "running"  # durable: file + folder
    assert len(calls) == 4 and read_manifest(tmp_path).state == "complete"
    calls.clear()
    run = tmp_path / "run"
    run.mkdir()
    with RunManifest.start(run, info={"seed": 2}, durable=False):
        assert calls == [] and read_manifest(run).status == "running"
    assert len(calls) == 1 and read_manifest(run).state == "complete"


def test_read_only_arrays_are_shared_and_writeable_ones_copied():
    shared = np.arange(5, dtype=np.int64)
    shared.flags.writeable = False
    own = np.arange(5, dtype=np.int64)
    table = SynapseTable("a", "b", shared, own, np.zeros(5), {"tau": shared.astype(float)})
    assert table.i is shared and not np.shares_memory(table.j, own)
    own[0] = 7
    assert table.j[0] == 0  # the caller's writeable array was copied
