"""Fault injection on ``hetero-brian run`` (issue 21): SIGINT and SIGKILL at each phase, concurrent runs,
--resume/--overwrite on live, failed, interrupted and complete folders, a full disk while writing, bad
values. Subprocess tests send real signals from a non-interactive parent (the "background shell" case:
SIGINT starts ignored there, and Brian2's own handler used to raise a TypeError)."""
import errno
import json
import os
import signal
import subprocess
import sys
import time

import h5py
import pytest
import yaml

from hetero_brian.cli import main
from hetero_brian.results import load
from hetero_brian.results.rundirs import read_manifest

TINY = ["--set", "n_neurons=40", "--set", "n_inputs=40", "--backend", "runtime:numpy"]
SHORT = [*TINY, "--set", "duration=50 ms"]
LONG = [*TINY, "--set", "duration=200 s"]  # minutes of numpy simulation: always interrupted first


def _start(out, arguments, environment=None):
    """``hetero-brian run demo ARGUMENTS --out OUT`` in a subprocess; SIGINT ignored at start as in a
    background job of a non-interactive shell."""
    command = [sys.executable, "-m", "hetero_brian.cli", "run", "demo", *arguments, "--out", str(out)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, **(environment or {})),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))


def _wait_for(process, marker, timeout=120):
    """Read the process's stderr until a line contains ``marker``; returns the lines read."""
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return lines
    process.kill()
    raise AssertionError(f"{marker!r} never appeared; stderr: {''.join(lines)}")


def _finish(process, timeout=120):
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


# -- SIGINT -------------------------------------------------------------------------------------------

def test_sigint_during_a_runtime_simulation_records_the_time_simulated_and_exits_130(tmp_path):
    out = tmp_path / "run"
    process = _start(out, [*LONG, "--seed", "5"])
    _wait_for(process, "Starting simulation")  # Brian2's progress report: its loop is starting
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    status, _, err = _finish(process)
    assert status == 130, err
    assert any(line.startswith("hetero-brian: interrupted: simulation interrupted (Ctrl-C) after") for line in err.splitlines())
    assert "Traceback" not in err
    manifest = read_manifest(out)
    assert manifest.status == "interrupted"
    assert not (out / "metrics.json").exists()  # no metrics over the requested duration
    partial = out / "demo.interrupted.h5"
    with h5py.File(partial, "r") as handle:
        assert handle.attrs["run_status"] == "interrupted"
        t_stop = float(handle.attrs["t_stop"])
    result = load(partial)
    assert result.provenance["status"] == "interrupted"
    assert 0.0 <= t_stop < 200.0 and result.provenance["t_stop"] == t_stop
    assert all(trains.timestamps.size == 0 or trains.timestamps.max() <= t_stop for trains in result.spikes.values())


def test_sigint_during_start_up_exits_130_with_one_line(tmp_path):
    out = tmp_path / "run"
    process = _start(out, LONG)  # still running after 3 s on an idle machine too
    time.sleep(3.0)  # importing: before any folder exists
    process.send_signal(signal.SIGINT)
    status, _, err = _finish(process)
    assert status == 130, err
    assert "Traceback" not in err and "TypeError" not in err
    said = [line for line in err.splitlines() if line.startswith("hetero-brian:")]
    assert len(said) == 1 and said[0].startswith("hetero-brian: interrupted"), err
    if not out.exists():
        return
    assert read_manifest(out).status == "interrupted"  # the signal came once the run had started


def test_sigint_while_building_marks_the_run_interrupted(tmp_path):
    out = tmp_path / "run"
    process = _start(out, LONG)
    _wait_for(process, "building the network")
    process.send_signal(signal.SIGINT)
    status, _, err = _finish(process)
    assert status == 130, err
    assert "Traceback" not in err
    if (out / "manifest.json").exists():  # the signal may land after the simulation began: still interrupted
        assert read_manifest(out).status == "interrupted"


# -- SIGKILL, runs listing and resume -------------------------------------------------------------------

def test_a_killed_run_is_listed_interrupted_and_resume_reuses_its_seed(tmp_path, capsys):
    out = tmp_path / "runs" / "killed"
    process = _start(out, [*TINY, "--set", "duration=200 s"])
    _wait_for(process, "simulating")
    process.kill()
    process.wait()
    recorded = yaml.safe_load((out / "config.yaml").read_text())
    assert read_manifest(out).state == "interrupted"
    assert main(["runs", str(tmp_path / "runs")]) == 0
    listing = capsys.readouterr().out
    assert "interrupted" in listing and "is gone" in listing
    # a resume needs the recorded configuration; here the same keys shortened are refused ...
    assert main(["run", "demo", *SHORT, "--out", str(out), "--resume"]) == 2
    assert "configuration differs" in capsys.readouterr().err
    assert yaml.safe_load((out / "config.yaml").read_text()) == recorded  # ... and nothing was rewritten


def test_resume_of_an_interrupted_run_reuses_the_recorded_seed_then_is_a_no_op(tmp_path, capsys):
    out = tmp_path / "run"
    process = _start(out, [*SHORT, "--seed", "11"])
    _wait_for(process, "building the network")
    process.kill()
    process.wait()
    if not (out / "config.yaml").exists():
        pytest.skip("killed before the run record was written")
    assert main(["run", "demo", *SHORT, "--out", str(out), "--resume"]) == 0
    assert json.loads((out / "metrics.json").read_text())["seed"] == 11
    assert load(out / "demo.h5").provenance["master_seed"] == 11
    capsys.readouterr()
    before = {path.name: path.stat().st_mtime_ns for path in out.iterdir()}
    assert main(["run", "demo", *SHORT, "--out", str(out), "--resume"]) == 0
    assert "already holds a complete run: nothing to do" in capsys.readouterr().out
    assert {path.name: path.stat().st_mtime_ns for path in out.iterdir()} == before
    assert main(["run", "demo", *SHORT, "--out", str(out), "--resume", "--seed", "12"]) == 2
    assert "differs from the recorded seed 11" in capsys.readouterr().err


# -- live folders: concurrent runs, resume and overwrite --------------------------------------------------

def test_a_second_run_into_a_live_folder_is_refused_and_changes_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    process = _start(out, LONG)
    try:
        _wait_for(process, "Starting simulation")
        config_before = (out / "config.yaml").read_bytes()
        manifest_before = (out / "manifest.json").read_bytes()
        for flags in ([], ["--resume"], ["--overwrite"]):
            assert main(["run", "demo", *LONG, "--out", str(out), *flags]) == 2
            error = capsys.readouterr().err
            assert len(error.strip().splitlines()) == 1
            assert "live run" in error or "not empty" in error
            assert (out / "config.yaml").read_bytes() == config_before
            assert (out / "manifest.json").read_bytes() == manifest_before
        assert not list(tmp_path.glob("run.old-*"))
    finally:
        process.send_signal(signal.SIGINT)
        _finish(process)
    assert read_manifest(out).status == "interrupted"


def test_overwrite_moves_a_complete_or_failed_run_aside(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "demo", *SHORT, "--seed", "1", "--out", str(out)]) == 0
    assert main(["run", "demo", *SHORT, "--seed", "2", "--out", str(out), "--overwrite"]) == 0
    aside = list(tmp_path.glob("run.old-*"))
    assert len(aside) == 1 and json.loads((aside[0] / "metrics.json").read_text())["seed"] == 1
    assert json.loads((out / "metrics.json").read_text())["seed"] == 2


def test_resume_of_a_failed_run_runs_again_in_place(tmp_path, monkeypatch):
    out = tmp_path / "run"
    from hetero_brian.results import atomic

    real_replace = os.replace

    def failing_replace(source, target, *args, **kwargs):
        if str(target).endswith("metrics.json"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(source, target, *args, **kwargs)

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    assert main(["run", "demo", *SHORT, "--seed", "4", "--out", str(out)]) == 1
    assert read_manifest(out).status == "failed"
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    assert main(["run", "demo", *SHORT, "--out", str(out), "--resume"]) == 0
    assert read_manifest(out).status == "complete"
    assert json.loads((out / "metrics.json").read_text())["seed"] == 4
    assert read_manifest(out / "previous-attempts" / "1").status == "failed"  # the failed attempt is kept


# -- a full disk ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("victim, status", [("config.yaml", 2), ("demo.h5", 1), ("metrics.json", 1)])
def test_a_full_disk_while_writing_gives_one_line_and_no_truncated_file(victim, status, tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    from hetero_brian.results import atomic

    real_replace, real_link = os.replace, os.link

    def full(function):
        def wrapped(source, target, *args, **kwargs):
            if str(target).endswith(victim):
                raise OSError(errno.ENOSPC, "No space left on device")
            return function(source, target, *args, **kwargs)
        return wrapped

    monkeypatch.setattr(atomic.os, "replace", full(real_replace))
    monkeypatch.setattr(atomic.os, "link", full(real_link))
    assert main(["run", "demo", *SHORT, "--out", str(out)]) == status
    error = capsys.readouterr().err.strip()
    assert "Traceback" not in error and "No space left on device" in error.splitlines()[-1]
    if victim == "config.yaml":
        assert not out.exists()  # refused before the run: nothing left behind
    else:
        assert not (out / victim).exists()
        assert not [path for path in out.iterdir() if ".tmp-" in path.name]
        assert read_manifest(out).status == "failed"


# -- bad values -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("arguments, message", [
    (["--set", "n_neurons=0"], "n_neurons: got 0; a count must be >= 1"),
    (["--set", "n_neurons=3"], "n_neurons must be an integer >= 5; got 3"),
    (["--set", "duration=0 s"], "duration: got 0.*a duration must be > 0"),
    (["--set", "duration=-1 s"], "duration: got -1.*a duration must be > 0"),
    (["--set", "duration=1.05 ms"], "duration: got 1.05 \\* msecond, which is not a multiple of dt = 0.1 ms"),
    (["--set", "p_input=1.5"], "p_input: got 1.5; a probability must be in \\[0, 1\\]"),
    (["--set", "p_recurrent=-0.1"], "p_recurrent: got -0.1; a probability"),
    (["--set", "eta_plus=.nan"], "eta_plus: got nan; it must be a finite number"),
    (["--set", "dt=0 ms"], "dt: got 0.*the time step must be > 0"),
    (["--seed", "-1"], "--seed: got -1; a seed is an integer in \\[0, 2\\*\\*63 - 1\\]"),
])
def test_bad_values_exit_2_with_one_line_naming_the_key_and_leave_nothing(arguments, message, tmp_path, capsys):
    import re

    out = tmp_path / "run"
    assert main(["run", "demo", *SHORT, *arguments, "--out", str(out)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and re.search(message, error), error  # refused before any phase
    assert not out.exists()
    # the same --out works at once with good values
    assert main(["run", "demo", *SHORT, "--out", str(out)]) == 0


def test_bad_values_without_out_leave_no_numbered_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "demo", *SHORT, "--set", "n_neurons=3"]) == 2
    assert not list((tmp_path / "hetero_brian_runs").glob("demo-*"))


# -- C++ standalone (compiles: slow) ----------------------------------------------------------------------

def _group_interrupt(process):
    """SIGINT to the whole process group, as a terminal's Ctrl-C does."""
    os.killpg(process.pid, signal.SIGINT)


@pytest.fixture(scope="module")
def shared_builds(tmp_path_factory):
    """One build folder for the C++ tests of this module (the second test reuses the binary)."""
    return tmp_path_factory.mktemp("builds")


@pytest.mark.slow
@pytest.mark.parametrize("target", ["group", "parent"])
def test_sigint_during_a_cpp_simulation_is_recorded(target, tmp_path, shared_builds):
    environment = {"HETERO_BRIAN_BUILD_ROOT": str(shared_builds)}
    out = tmp_path / "run"
    command = [sys.executable, "-m", "hetero_brian.cli", "run", "demo", "--set", "n_neurons=40", "--set",
               "n_inputs=40", "--set", "duration=2000 s", "--backend", "cpp_standalone", "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, **environment), start_new_session=True)
    _wait_for(process, "Starting simulation", timeout=600)
    time.sleep(2.0)
    _group_interrupt(process) if target == "group" else process.send_signal(signal.SIGINT)
    status, _, err = _finish(process)
    assert status == 130, err
    assert "simulation interrupted (Ctrl-C) after" in err
    result = load(out / "demo.interrupted.h5")
    assert result.provenance["status"] == "interrupted" and 0 < result.provenance["t_stop"] < 2000


_SPEC_SOURCE = """
from brian2 import Hz, mV, ms, second
from hetero_brian.distributions import Gamma
from hetero_brian.errors import SimulationInterrupted
from hetero_brian.models.neurons import LIF
from hetero_brian.models.synapses import StaticSynapse
from hetero_brian.network.recording import Recording
from hetero_brian.network.reservoir import ReservoirSynapses, reservoir_spec
from hetero_brian.network.spec import PoissonInput
from hetero_brian.simulate import Simulator

synapses = ReservoirSynapses(ee=StaticSynapse(weight=0.5 * mV), ei=StaticSynapse(weight=0.6 * mV),
                             ie=StaticSynapse(weight=3 * mV, sign=-1), ii=StaticSynapse(weight=3 * mV, sign=-1),
                             input=StaticSynapse(weight=3 * mV))
spec = reservoir_spec(40, PoissonInput("input", 40, 50 * Hz), 1, neuron=LIF(tau_m=Gamma(20 * ms, 0.5)),
                      synapses=synapses, p_input=0.4)
"""  # a 40-neuron reservoir: small to compile, long to simulate
_TWO_PHASES = _SPEC_SOURCE + """
import sys
with Simulator(spec, [(2000 * second, {}), (5 * second, {})], backend="cpp_standalone", seed=1,
               recording=Recording(), report="stderr", build_root=sys.argv[1]) as simulator:
    try:
        simulator.run(seed=2)
        print("complete")
    except SimulationInterrupted as error:
        last = max((t.timestamps.max() for t in error.result.spikes.values() if t.timestamps.size), default=0.0)
        print("interrupted", repr(error.result.provenance["t_stop"]), repr(float(last)))
"""


@pytest.mark.slow
def test_sigint_in_the_first_of_two_cpp_phases_records_the_exact_stop_and_runs_no_later_phase(
        tmp_path, shared_builds):
    script = tmp_path / "two_phases.py"
    script.write_text(_TWO_PHASES)
    process = subprocess.Popen([sys.executable, str(script), str(shared_builds)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    seen = _wait_for(process, "Starting simulation", timeout=600)
    time.sleep(2.0)
    process.send_signal(signal.SIGINT)  # to Python alone: forwarded to the binary
    status, out, err = _finish(process)
    err = "".join(seen) + err
    assert status == 0, err
    word, t_stop, last_spike = out.split()
    t_stop, last_spike = float(t_stop), float(last_spike)
    assert word == "interrupted" and 0.0 < t_stop < 2000.0, out  # a time, not NaN, inside the first phase
    assert abs(t_stop / 1e-4 - round(t_stop / 1e-4)) < 1e-6  # a whole number of 0.1 ms steps
    assert t_stop - 0.05 < last_spike < t_stop  # spikes up to the stop (50 Hz input), none after it
    assert err.count("Starting simulation") == 1  # the 5 s second phase never started


@pytest.mark.slow
@pytest.mark.parametrize("target", ["group", "parent"])
def test_sigint_during_compilation_says_interrupted_not_compiler_failure(target, tmp_path):
    environment = {"HETERO_BRIAN_BUILD_ROOT": str(tmp_path / "builds")}
    out = tmp_path / "run"
    command = [sys.executable, "-m", "hetero_brian.cli", "run", "demo", *SHORT[:4], "--set", "duration=50 ms",
               "--backend", "cpp_standalone", "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, **environment), start_new_session=True)
    _wait_for(process, "compiling", timeout=300)
    time.sleep(5.0)  # make is compiling
    _group_interrupt(process) if target == "group" else process.send_signal(signal.SIGINT)
    started = time.monotonic()
    status, _, err = _finish(process)
    assert time.monotonic() - started < 60  # make is stopped, not waited for (a build takes minutes)
    assert status == 130, err
    assert "interrupted" in err.strip().splitlines()[-1] and "failed" not in err.strip().splitlines()[-1]
    assert read_manifest(out).status == "interrupted"


def test_a_failing_build_names_the_command_status_log_and_first_compiler_error(tmp_path):
    """``make`` runs as a child of this process (so a SIGINT to Python stops it); its failure is one
    SimulationError with the exit status, the first compiler error and the log's path."""
    from brian2 import prefs

    from hetero_brian.errors import SimulationError
    from hetero_brian.simulate import Simulator

    namespace = {}
    exec(_SPEC_SOURCE, namespace)
    fake_make = tmp_path / "fake_make"
    fake_make.write_text("#!/bin/sh\necho 'main.cpp:1: error: the compiler says no' >&2\nexit 3\n")
    fake_make.chmod(0o755)
    prefs.devices.cpp_standalone.make_cmd_unix = str(fake_make)  # the autouse fixture restores prefs
    with pytest.raises(SimulationError) as failure:
        with Simulator(namespace["spec"], 1e-3 * namespace["second"], backend="cpp_standalone", seed=1,
                       build_root=tmp_path / "builds"):
            pass
    message = str(failure.value)
    assert "exited with status 3" in message and "the compiler says no" in message and "make.log" in message
