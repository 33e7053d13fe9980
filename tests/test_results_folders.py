"""Sweep overhead of C++ standalone runs (issue 20, item 4): a collected complete run's folder is
reused by the next run (the binary rewrites every array file), a failed or stopped run's folder is
never written into again and the simulated time of an interrupted run stays right; run arguments
written without Brian2's hashing give the runtime's results; each result gets its own copy of the
spec description."""
import os
import stat

import numpy as np
import pytest
from brian2 import Hz, mV, ms, prefs

from hetero_brian.backends.cpp_standalone import SPARE_RESULTS, STOPPED_AT_FILE, CppStandaloneBackend
from hetero_brian.collect import copier
from hetero_brian.distributions import Gamma, Uniform
from hetero_brian.errors import SimulationError
from hetero_brian.models.neurons import LIF
from hetero_brian.models.synapses import StaticSynapse
from hetero_brian.network.connectivity import fixed_probability
from hetero_brian.network.spec import NetworkSpec, PoissonInput, Population, Projection, RasterInput
from hetero_brian.results.rundirs import read_manifest
from hetero_brian.simulate import Simulator


def tiny_network():
    i, j = fixed_probability(20, 10, 0.5, rng=1, allow_self=True)
    return NetworkSpec(populations=(Population("cells", 10, LIF(tau_m=Gamma(10 * ms, 0.3))),),
                       inputs=(PoissonInput("drive", 20, 100 * Hz),),
                       projections=(Projection("feed", "drive", "cells", StaticSynapse(weight=Uniform(2 * mV, 5 * mV)), i, j),))


def spikes(result):
    trains = result.spikes["cells"]
    order = np.lexsort((trains.node_ids, trains.timestamps))
    return trains.node_ids[order], trains.timestamps[order]


def _contents(folder):
    return {name: (folder / name).read_bytes() for name in sorted(os.listdir(folder))}


@pytest.mark.standalone
def test_runs_reuse_the_collected_folder_and_equal_runs_in_fresh_folders(tmp_path):
    with Simulator(tiny_network(), 30 * ms, backend="cpp_standalone", seed=3, build_root=tmp_path) as simulator:
        results = os.path.join(simulator.backend.directory, "results")
        first = simulator.run(seed=1, label="a")
        assert os.listdir(results) == [SPARE_RESULTS]
        spare = os.stat(os.path.join(results, SPARE_RESULTS)).st_ino
        second = simulator.run(seed=2, parameters={"cells.tau_m": 7 * ms}, label="b")
        assert os.listdir(results) == [SPARE_RESULTS]
        assert os.stat(os.path.join(results, SPARE_RESULTS)).st_ino == spare  # the same folder, renamed twice
        third = simulator.run(seed=1, label="a")  # "a" was given up: the label is free again
    assert not os.path.exists(os.path.join(results, SPARE_RESULTS))  # the simulator's exit deletes it
    with Simulator(tiny_network(), 30 * ms, backend="cpp_standalone", seed=3, build_root=tmp_path,
                   keep_run_directories=True) as simulator:
        fresh = simulator.run(seed=2, parameters={"cells.tau_m": 7 * ms}, label="b")
        with pytest.raises(FileExistsError, match="exists already"):
            simulator.run(seed=2, label="b")  # a kept folder is never written into again
    assert spikes(first)[0].size > 10
    for got, expected in ((third, first), (second, fresh)):
        for a, b in zip(spikes(got), spikes(expected)):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(spikes(first)[1], spikes(second)[1])


@pytest.mark.standalone
def test_without_reuse_collected_runs_folders_are_deleted(tmp_path, monkeypatch):
    monkeypatch.setattr(CppStandaloneBackend, "reuse_results_folder", False)
    with Simulator(tiny_network(), 10 * ms, backend="cpp_standalone", seed=3, build_root=tmp_path) as simulator:
        for seed in (1, 2):
            simulator.run(seed=seed)
        assert os.listdir(os.path.join(simulator.backend.directory, "results")) == []


@pytest.mark.standalone
def test_array_and_raster_run_arguments_written_without_hashing_equal_the_runtime(tmp_path):
    n_steps, dt = 400, 0.1 * ms
    raster = np.zeros((n_steps, 3), dtype=np.uint8)
    raster[50, 0] = raster[100, 1] = 1
    spec = NetworkSpec(populations=(Population("cells", 3, LIF(tau_m=Gamma(10 * ms, 0.3))),),
                       inputs=(RasterInput("stim", raster, dt),),
                       projections=(Projection("feed", "stim", "cells", StaticSynapse(weight=150 * mV), np.arange(3), np.arange(3)),))
    other = np.zeros_like(raster)
    other[200, 2] = other[300, 0] = 1
    runs = [dict(seed=5), dict(parameters={"cells.tau_m": np.array([5.0, 8.0, 13.0]) * ms}, inputs={"stim": other})]
    results = {}
    for backend in ("runtime:numpy", "cpp_standalone"):
        with Simulator(spec, n_steps * dt, backend=backend, seed=1, build_root=tmp_path) as simulator:
            results[backend] = [simulator.run(final_state={"cells": ("v",)}, **run) for run in runs]
            if backend == "cpp_standalone":
                assert simulator.backend._run_files == []  # deleted after each run
                assert not [name for name in os.listdir(os.path.join(simulator.backend.directory, "static_arrays"))
                            if name.startswith("hetero_brian_run_")]
    assert set(results["cpp_standalone"][1].spikes["cells"].node_ids.tolist()) == {0, 2}  # the new raster
    for runtime, standalone in zip(*results.values()):
        for a, b in zip(spikes(runtime), spikes(standalone)):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(runtime.traces["cells.v.final"].values, standalone.traces["cells.v.final"].values,
                                   rtol=1e-12)
        np.testing.assert_allclose(runtime.populations["cells"].parameters["tau_m"],
                                   standalone.populations["cells"].parameters["tau_m"])


@pytest.mark.standalone
def test_a_failed_runs_folder_is_never_overwritten_by_the_next_run(tmp_path):
    failing = tmp_path / "fail_after_main.sh"  # the binary writes all its results, then the run "fails"
    failing.write_text('#!/bin/sh\n./main "$@"\nexit 3\n')
    failing.chmod(failing.stat().st_mode | stat.S_IXUSR)
    with Simulator(tiny_network(), 30 * ms, backend="cpp_standalone", seed=3, build_root=tmp_path / "builds") as simulator:
        results = os.path.join(simulator.backend.directory, "results")
        simulator.run(label="ok-1")  # leaves the spare folder that the failing run then takes
        command = prefs.devices.cpp_standalone.run_cmd_unix
        prefs.devices.cpp_standalone.run_cmd_unix = [str(failing)]
        try:
            with pytest.raises(SimulationError, match="marked 'failed'"):
                simulator.run(seed=8, label="broken")
        finally:
            prefs.devices.cpp_standalone.run_cmd_unix = command
        broken = tmp_path / "builds" / os.path.basename(simulator.backend.directory) / "results" / "broken"
        before = _contents(broken)
        simulator.backend.discard_run("broken")  # refused: not a complete run
        for seed in (8, 9):
            simulator.run(seed=seed)
        assert sorted(os.listdir(results)) == sorted([SPARE_RESULTS, "broken"])
        assert read_manifest(broken).status == "failed" and _contents(broken) == before


@pytest.mark.standalone
def test_a_stopped_runs_folder_is_not_reused_so_the_next_simulated_time_is_right(tmp_path):
    with Simulator(tiny_network(), 30 * ms, backend="cpp_standalone", seed=3, build_root=tmp_path,
                   keep_run_directories=True) as simulator:
        backend, results = simulator.backend, os.path.join(simulator.backend.directory, "results")
        simulator.run(label="stopped")
        with open(os.path.join(results, "stopped", STOPPED_AT_FILE), "w") as marker:
            marker.write("0.0123\n")  # as the binary writes it when Ctrl-C stops a phase
        assert backend.simulated_time(simulator.built.network, simulator.schedule) == pytest.approx(0.0123)
        backend.discard_run("stopped")
        assert os.listdir(results) == []  # deleted, not kept as the spare
        simulator.run(label="clean")
        backend.discard_run("clean")
        simulator.run(label="reused")
        assert not os.path.exists(os.path.join(results, "reused", STOPPED_AT_FILE))
        assert backend.simulated_time(simulator.built.network, simulator.schedule) == pytest.approx(0.03)


def test_each_result_gets_its_own_copy_of_the_spec_description():
    spec = tiny_network()
    with Simulator(spec, 5 * ms, backend="runtime:numpy", seed=3) as simulator:
        first, second = simulator.run(), simulator.run()
    assert first.provenance["spec"] == spec.describe() and first.provenance["spec"] is not second.provenance["spec"]
    first.provenance["spec"]["populations"][0]["n_neurons"] = -1
    assert second.provenance["spec"] == spec.describe()
    description = {"sizes": (1, 2), "name": "x"}  # a tuple does not survive JSON: deep copies instead
    copy = copier(description)
    assert copy() == description and copy() is not description and copy()["sizes"] == (1, 2)


def test_a_reused_folder_loses_the_previous_runs_manifest_before_the_new_run_starts(tmp_path):
    """Were the process killed between taking the spare and writing its own manifest, the folder
    must read as unfinished, never as the previous run's complete one."""
    backend = CppStandaloneBackend(build_root=tmp_path)
    backend.directory = str(tmp_path)
    spare = tmp_path / "results" / SPARE_RESULTS
    spare.mkdir(parents=True)
    (spare / "manifest.json").write_text('{"status": "complete"}')
    (spare / "stdout.txt").write_text("old output")
    (spare / "_array_cells_v_1").write_bytes(b"12345678")
    backend._results_folder(str(tmp_path / "results" / "next"), stale_output=True)
    assert sorted(os.listdir(tmp_path / "results")) == ["next"]
    assert os.listdir(tmp_path / "results" / "next") == ["_array_cells_v_1"]  # rewritten by the binary
    with pytest.raises(FileExistsError):
        backend._results_folder(str(tmp_path / "results" / "next"), stale_output=False)
