"""Backends and the Simulator: agreement across devices, compile once run many, faults."""
import dataclasses
import multiprocessing
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from brian2 import Hz, mV, ms, second

from hetero_brian.backends import get_backend
from hetero_brian.backends.cpp_standalone import SPARE_RESULTS
from hetero_brian.distributions import Gamma, Uniform
from hetero_brian.errors import ConfigError, SimulationError, UnitError
from hetero_brian.models.neurons import LIF
from hetero_brian.models.synapses import STDP, StaticSynapse
from hetero_brian.network.spec import NetworkSpec, PoissonInput, Population, Projection, RasterInput
from hetero_brian.network.connectivity import fixed_probability
from hetero_brian.network.reservoir import ReservoirSynapses, reservoir_spec
from hetero_brian.resources import check_memory, estimate_memory
from hetero_brian.results.rundirs import read_manifest
from hetero_brian.network.recording import Recording
from hetero_brian.simulate import Simulator, simulate


def reservoir(n_neurons=200, rate=20 * Hz, structure_seed=1):
    stdp = STDP(weight=Uniform(0.3 * mV, 0.9 * mV), w_max=1.2 * mV, tau_pre=Gamma(20 * ms, 0.5),
                tau_post=Gamma(20 * ms, 0.5), eta_plus=0.02, eta_minus=0.021)
    synapses = ReservoirSynapses(ee=stdp, ei=StaticSynapse(weight=0.6 * mV), ie=StaticSynapse(weight=3 * mV, sign=-1),
                                 ii=StaticSynapse(weight=3 * mV, sign=-1), input=StaticSynapse(weight=3 * mV))
    return reservoir_spec(n_neurons, PoissonInput("input", 100, rate), structure_seed,
                          neuron=LIF(tau_m=Gamma(20 * ms, 0.5)), synapses=synapses, p_input=0.4)


def tiny_network():
    i, j = fixed_probability(20, 10, 0.5, rng=1, allow_self=True)
    return NetworkSpec(populations=(Population("cells", 10, LIF(tau_m=Gamma(10 * ms, 0.3))),),
                       inputs=(PoissonInput("drive", 20, 100 * Hz),),
                       projections=(Projection("feed", "drive", "cells", StaticSynapse(weight=Uniform(2 * mV, 5 * mV)), i, j),))


def spikes_of(result, name="exc"):
    trains = result.spikes[name]
    order = np.lexsort((trains.node_ids, trains.timestamps))
    return trains.node_ids[order], trains.timestamps[order]


@pytest.mark.standalone
def test_runtime_and_cpp_standalone_give_identical_spikes_and_weights(tmp_path):
    """Same seed, host-sampled network, Poisson input from Brian2's generator on both devices."""
    spec = reservoir()
    runtime = simulate(spec, 1 * second, backend="runtime:numpy", seed=5)
    standalone = simulate(spec, 1 * second, backend="cpp_standalone", seed=5, build_root=tmp_path)
    ids_runtime, times_runtime = spikes_of(runtime)
    ids_cpp, times_cpp = spikes_of(standalone)
    assert ids_runtime.size > 500  # a lively network (~5 Hz), not a silent one
    assert np.array_equal(ids_runtime, ids_cpp)
    assert np.array_equal(times_runtime, times_cpp)
    np.testing.assert_allclose(runtime.synapses["ee"].w, standalone.synapses["ee"].w, rtol=1e-12, atol=0)
    assert not np.allclose(standalone.synapses["ee"].w, standalone.synapses["ee"].extra["w_initial"])  # STDP acted


@pytest.mark.standalone
def test_compile_once_run_many_equals_fresh_builds(tmp_path):
    spec = tiny_network()
    values = [5 * ms, 10 * ms, 20 * ms]
    with Simulator(spec, 200 * ms, backend="cpp_standalone", seed=3, build_root=tmp_path / "shared") as simulator:
        assert simulator.backend.n_compilations == 1
        results = [simulator.run(parameters={"cells.tau_m": value}) for value in values]
        assert simulator.backend.n_compilations == 1  # three runs, one compilation
    counts = [r.spikes["cells"].node_ids.size for r in results]
    assert len(set(counts)) == 3  # three different results
    for value, result in zip(values, results):
        baked = NetworkSpec(populations=(Population("cells", 10, LIF(tau_m=value)),), inputs=spec.inputs,
                            projections=spec.projections)
        fresh = simulate(baked, 200 * ms, backend="cpp_standalone", seed=3, build_root=tmp_path / f"fresh{float(value)}")
        assert np.array_equal(fresh.spikes["cells"].timestamps, result.spikes["cells"].timestamps)
        assert np.array_equal(fresh.spikes["cells"].node_ids, result.spikes["cells"].node_ids)


def test_runtime_runs_repeat_with_the_same_seed_and_differ_with_another():
    spec = tiny_network()
    with Simulator(spec, 100 * ms, backend="runtime:numpy", seed=4) as simulator:
        first, again, other = simulator.run(), simulator.run(seed=4), simulator.run(seed=9)
    assert np.array_equal(first.spikes["cells"].timestamps, again.spikes["cells"].timestamps)
    assert not np.array_equal(first.populations["cells"].parameters["tau_m"], other.populations["cells"].parameters["tau_m"])
    assert first.provenance["master_seed"] == 4 and other.provenance["master_seed"] == 9


def test_raster_input_changes_between_runs_without_rebuilding():
    n_steps, dt = 400, 0.1 * ms
    raster = np.zeros((n_steps, 3), dtype=np.uint8)
    raster[50, 0] = raster[100, 1] = 1
    spec = NetworkSpec(populations=(Population("cells", 3, LIF()),),
                       inputs=(RasterInput("stim", raster, dt),),
                       projections=(Projection("feed", "stim", "cells", StaticSynapse(weight=150 * mV), np.arange(3), np.arange(3)),))
    with Simulator(spec, n_steps * dt, backend="runtime:numpy", seed=1) as simulator:
        first = simulator.run()
        other = np.zeros_like(raster)
        other[200, 2] = 1
        second = simulator.run(inputs={"stim": other})
        with pytest.raises(ValueError, match="raster shape"):
            simulator.run(inputs={"stim": np.zeros((10, 3))})
    assert sorted(first.spikes["cells"].node_ids.tolist()) == [0, 1]
    assert second.spikes["cells"].node_ids.tolist() == [2]


def test_phases_freeze_plasticity_for_the_test_phase():
    spec = reservoir(60, rate=30 * Hz)
    phases = [(100 * ms, {}), (100 * ms, {"ee.plastic": 0})]
    with Simulator(spec, phases, backend="runtime:numpy", seed=2) as simulator:
        both = simulator.run()
    with Simulator(spec, phases[:1], backend="runtime:numpy", seed=2) as simulator:
        train_only = simulator.run()
    np.testing.assert_array_equal(both.synapses["ee"].w, train_only.synapses["ee"].w)
    assert both.provenance["t_stop"] == pytest.approx(0.2)


def test_nan_state_is_detected_and_named():
    spec = tiny_network()
    with Simulator(spec, 10 * ms, backend="runtime:numpy", seed=1) as simulator:
        with pytest.raises(SimulationError, match=r"cells\.v are NaN or Inf"):
            simulator.run(parameters={"cells.I_ext": np.inf * mV})


@pytest.mark.parametrize("duration, message", [
    (10.05 * ms, "not a multiple of dt"),
    (-1 * ms, "must be > 0"),
    (10 * mV, "duration must be a time quantity"),
])
def test_bad_durations(duration, message):
    with pytest.raises((ValueError, UnitError), match=message):
        Simulator(tiny_network(), duration, backend="runtime:numpy")


def test_bad_backend_names_and_parameter_keys():
    with pytest.raises(ConfigError, match="did you mean 'cpp_standalone'"):
        get_backend("cpp_standalon")
    with Simulator(tiny_network(), 1 * ms, backend="runtime:numpy", seed=1) as simulator:
        with pytest.raises(ConfigError, match="'cells' has no variable 'tau_mm'"):
            simulator.run(parameters={"cells.tau_mm": 5 * ms})
        with pytest.raises(UnitError, match="cells.tau_m must have the dimension"):
            simulator.run(parameters={"cells.tau_m": 5 * mV})


def test_provenance_records_versions_backend_and_seeds():
    result = simulate(tiny_network(), 5 * ms, backend="runtime:numpy", seed=11)
    provenance = result.provenance
    assert provenance["versions"]["brian2"] and provenance["versions"]["numpy"]
    assert provenance["backend"]["backend"] == "runtime" and provenance["backend"]["target"] == "numpy"
    assert provenance["master_seed"] == 11 and "threads" in provenance["backend"]
    assert provenance["spec"]["populations"][0]["model"]["tau_m"]["distribution"] == "gamma"
    assert provenance["structure_seed"] is None  # connectivity given by hand
    seeded = dataclasses.replace(tiny_network(), structure_seed=7)
    assert simulate(seeded, 1 * ms, backend="runtime:numpy", seed=11).provenance["structure_seed"] == 7
    with pytest.raises(ValueError, match="structure_seed must be a non-negative integer"):
        dataclasses.replace(tiny_network(), structure_seed=1.5)


def test_memory_estimate_refuses_an_oversized_simulation():
    spec = reservoir(100)
    estimate = estimate_memory(spec, 1.0, Recording())
    assert estimate["synapses"] > sum(p.n_synapses for p in spec.projections) * 8
    with pytest.raises(SimulationError, match=r"needs about .* GiB .* only 0.00 GiB are available"):
        check_memory(estimate, available=1000)
    check_memory(estimate, available=10 * 2**30)


@pytest.mark.standalone
def test_compiler_failure_names_the_step_and_offers_the_runtime(tmp_path):
    from hetero_brian.backends.cpp_standalone import CppStandaloneBackend

    backend = CppStandaloneBackend(build_root=tmp_path, make_args=["CXX=false"])
    with pytest.raises(SimulationError, match="compiling the C.. standalone project .* failed.*backend='runtime'"):
        with Simulator(tiny_network(), 5 * ms, backend=backend, seed=1):
            pass


def _build_in_subprocess(build_root, queue):
    from hetero_brian.backends.cpp_standalone import CppStandaloneBackend

    backend = CppStandaloneBackend(build_root=build_root)
    spec = tiny_network()
    with Simulator(spec, 5 * ms, backend=backend, seed=1) as simulator:
        queue.put(simulator.backend.directory)
        time.sleep(1.0)  # hold the build slot while the other process builds


@pytest.mark.standalone
@pytest.mark.slow
def test_two_processes_with_the_same_structure_use_different_build_directories(tmp_path):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [context.Process(target=_build_in_subprocess, args=(str(tmp_path), queue)) for _ in range(2)]
    for process in processes:
        process.start()
    directories = {queue.get(timeout=300), queue.get(timeout=300)}
    for process in processes:
        process.join(timeout=300)
    assert len(directories) == 2 and all(d.endswith(("-0", "-1")) for d in directories)


KILL_SCRIPT = r"""
import sys
from brian2 import ms, second
sys.path.insert(0, {tests!r})
from test_simulate import reservoir
from hetero_brian.simulate import Simulator
with Simulator(reservoir(400), 60 * second, backend="cpp_standalone", seed=1, build_root={root!r}) as simulator:
    print("BUILT", simulator.backend.directory, flush=True)
    simulator.run(label="long-run")
"""


@pytest.mark.standalone
@pytest.mark.slow
def test_a_killed_cpp_run_is_reported_interrupted(tmp_path):
    script = KILL_SCRIPT.format(tests=os.path.dirname(__file__), root=str(tmp_path))
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    line = ""
    while not line.startswith("BUILT"):
        line = process.stdout.readline()
        assert line, "the child process ended before building"
    run_directory = os.path.join(line.split()[1], "results", "long-run")
    deadline = time.time() + 60
    while not os.path.exists(os.path.join(run_directory, "manifest.json")) and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    process.send_signal(signal.SIGKILL)  # the Python parent dies; its C++ child goes on or is orphaned
    process.wait()
    subprocess.run(["pkill", "-KILL", "-f", os.path.join(line.split()[1], "main")], check=False)
    assert read_manifest(run_directory).state == "interrupted"


def test_results_record_overridden_parameters():
    with Simulator(tiny_network(), 5 * ms, backend="runtime:numpy", seed=2) as simulator:
        result = simulator.run(parameters={"cells.tau_m": 7 * ms})
    np.testing.assert_allclose(result.populations["cells"].parameters["tau_m"], np.full(10, 7e-3))


@pytest.mark.standalone
def test_standalone_runs_leave_no_run_argument_files_behind(tmp_path):
    spec = tiny_network()
    with Simulator(spec, 5 * ms, backend="cpp_standalone", seed=3, build_root=tmp_path) as simulator:
        static = os.path.join(simulator.backend.directory, "static_arrays")
        before = set(os.listdir(static))
        for seed in (1, 2, 3):
            simulator.run(seed=seed)  # resampled parameters: new run-argument files each time
        assert set(os.listdir(static)) == before
        # collected runs discarded: only the last one's folder is left, for the next run to write into
        assert os.listdir(os.path.join(simulator.backend.directory, "results")) == [SPARE_RESULTS]


def test_shared_constants_simulate_exactly_like_per_element_parameters():
    spec = reservoir(n_neurons=100, rate=30 * Hz)
    shared = simulate(spec, 300 * ms, backend="runtime:numpy", seed=2)
    per_element = simulate(dataclasses.replace(spec, shared_constants=False), 300 * ms, backend="runtime:numpy", seed=2)
    assert spikes_of(shared)[0].size > 50
    for name in ("exc", "inh"):
        for left, right in zip(spikes_of(shared, name), spikes_of(per_element, name)):
            assert np.array_equal(left, right)
    # numpy evaluates scalar and array operands in a different order: weights agree to the last bit or two
    np.testing.assert_allclose(shared.synapses["ee"].w, per_element.synapses["ee"].w, rtol=1e-12, atol=0)


@pytest.mark.standalone
def test_a_shared_constant_changes_at_run_time_without_recompiling(tmp_path):
    spec = reservoir(n_neurons=100, rate=30 * Hz)  # ee.eta_plus is Constant(0.02): one shared value
    with Simulator(spec, 300 * ms, backend="cpp_standalone", seed=2, build_root=tmp_path) as simulator:
        changed = simulator.run(parameters={"ee.eta_plus": 0.05})
        assert simulator.backend.n_compilations == 1
        with pytest.raises(ConfigError, match="ee.eta_plus is one shared value"):
            simulator.run(parameters={"ee.eta_plus": np.linspace(0.01, 0.05, spec.projections[0].n_synapses)})
    ee = dataclasses.replace(spec.projections[0], synapse=dataclasses.replace(spec.projections[0].synapse, eta_plus=0.05))
    assert ee.name == "ee"
    baked = dataclasses.replace(spec, projections=(ee, *spec.projections[1:]), shared_constants=False)
    reference = simulate(baked, 300 * ms, backend="runtime:numpy", seed=2)
    np.testing.assert_allclose(changed.synapses["ee"].w, reference.synapses["ee"].w, rtol=1e-12, atol=0)
    assert np.array_equal(spikes_of(changed)[1], spikes_of(reference)[1])


@pytest.mark.standalone
def test_a_second_simulator_of_the_same_structure_in_one_process_reuses_the_binary(tmp_path):
    spec = tiny_network()
    with Simulator(spec, 50 * ms, backend="cpp_standalone", seed=3, build_root=tmp_path) as first:
        expected = first.run()
    assert first.built.groups == {} and first.built.sampled  # Brian2 objects released, samples kept
    with Simulator(spec, 50 * ms, backend="cpp_standalone", seed=3, build_root=tmp_path) as second:
        assert second.backend.directory == first.backend.directory
        assert second.backend.n_compilations == 0  # same sources: make does not recompile
        again = second.run()
    assert np.array_equal(again.spikes["cells"].timestamps, expected.spikes["cells"].timestamps)


def test_rate_input_follows_its_rows_and_noise_seed_changes_only_the_spikes():
    from hetero_brian.network.spec import RateInput

    rates = np.zeros((2, 40))
    rates[1] = 300.0  # silent for 50 ms, then 300 Hz on every channel
    i, j = fixed_probability(40, 5, 0.5, rng=1, allow_self=True)
    spec = NetworkSpec(populations=(Population("cells", 5, LIF(tau_m=Gamma(10 * ms, 0.3))),),
                       inputs=(RateInput("drive", rates, 50 * ms),),
                       projections=(Projection("feed", "drive", "cells", StaticSynapse(weight=1 * mV), i, j),))
    recording = Recording(spikes=("drive", "cells"))
    with Simulator(spec, 100 * ms, backend="runtime:numpy", seed=3, recording=recording) as simulator:
        first = simulator.run(noise_seed=1)
        again = simulator.run(noise_seed=1)
        other = simulator.run(noise_seed=2)
        swapped = simulator.run(noise_seed=1, inputs={"drive": rates[::-1]})
        with pytest.raises(ValueError, match="'drive': rates must be finite and >= 0"):
            simulator.run(inputs={"drive": -rates})
        with pytest.raises(ValueError, match="exceed one spike per step"):
            simulator.run(inputs={"drive": rates * 100})
        with pytest.raises(ValueError, match="noise_seed"):
            simulator.run(noise_seed=-1)
    times = first.spikes["drive"].timestamps
    assert np.all(times >= 0.05) and abs(times.size - 40 * 300 * 0.05) < 5 * np.sqrt(40 * 300 * 0.05)
    assert np.all(swapped.spikes["drive"].timestamps < 0.05)  # the new rows, same binary
    np.testing.assert_array_equal(first.spikes["drive"].timestamps, again.spikes["drive"].timestamps)
    assert not np.array_equal(first.spikes["drive"].node_ids, other.spikes["drive"].node_ids)
    np.testing.assert_array_equal(first.populations["cells"].parameters["tau_m"],
                                  other.populations["cells"].parameters["tau_m"])  # parameters kept
    assert first.provenance["noise_seed"] == 1 and first.provenance["brian_seed"] != other.provenance["brian_seed"]
    with pytest.raises(ValueError, match="rates must be finite and >= 0"):
        RateInput("drive", -rates, 50 * ms)
    with pytest.raises(UnitError, match="row_duration must be a positive time"):
        RateInput("drive", rates, 50)


def theta_decay_network():
    """One ConductanceLIF population without input: only the adaptive threshold moves (decays)."""
    from hetero_brian.models.neurons import ConductanceLIF

    model = ConductanceLIF(theta_plus=0 * mV, tau_theta=Gamma(10 * ms, 0.3))
    return NetworkSpec(populations=(Population("cells", 5, model),), dt=0.1 * ms)


def test_final_state_returns_end_values_in_si_and_follows_the_euler_decay():
    from hetero_brian.simulate import final_state_key, final_value

    spec = theta_decay_network()
    with Simulator(spec, 20 * ms, backend="runtime:numpy", seed=1) as simulator:
        result = simulator.run(parameters={"cells.theta": 1 * mV}, final_state={"cells": ("theta", "v")})
        plain = simulator.run(parameters={"cells.theta": 1 * mV})
        with pytest.raises(ConfigError, match="no variable 'thetta'"):
            simulator.run(final_state={"cells": ("thetta",)})
        with pytest.raises(ConfigError, match="tuple of variable names"):
            simulator.run(final_state={"cells": "theta"})
    tau = result.populations["cells"].parameters["tau_theta"]
    # Euler (the model's method): theta_N = theta_0 (1 - dt / tau)^N, N = 200 steps of 0.1 ms
    np.testing.assert_allclose(final_value(result, "cells", "theta"), 1e-3 * (1 - 1e-4 / tau) ** 200, rtol=1e-12)
    np.testing.assert_allclose(final_value(result, "cells", "v"), -65e-3, rtol=1e-12)  # at rest
    trace = result.traces[final_state_key("cells", "theta")]
    assert trace.units == str(mV.dim) and trace.times.tolist() == [pytest.approx(0.02)] and trace.values.shape == (1, 5)
    assert final_state_key("cells", "theta") not in plain.traces
    with pytest.raises(KeyError, match="final_state"):
        final_value(plain, "cells", "theta")


@pytest.mark.standalone
def test_final_state_of_cpp_standalone_equals_runtime(tmp_path):
    from hetero_brian.simulate import final_value

    spec = reservoir(60, rate=30 * Hz)
    wanted = {"exc": ("v",), "ee": ("w", "tau_pre")}
    runtime = simulate(spec, 200 * ms, backend="runtime:numpy", seed=2, final_state=wanted)
    with Simulator(spec, 200 * ms, backend="cpp_standalone", seed=2, build_root=tmp_path) as simulator:
        standalone = simulator.run(final_state=wanted)
        again = simulator.run(final_state=wanted)  # the run folder is discarded after each run
    for result in (standalone, again):
        for owner, variables in wanted.items():
            for variable in variables:
                np.testing.assert_allclose(final_value(result, owner, variable), final_value(runtime, owner, variable),
                                           rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(final_value(standalone, "ee", "w"), standalone.synapses["ee"].w)
    assert not np.allclose(final_value(standalone, "exc", "v"), final_value(standalone, "exc", "v")[0])


def test_results_share_read_only_synapse_arrays_instead_of_copying_them():
    """Every run's synapse table shares the int64 indices and sampled arrays (read-only), no copies."""
    spec = reservoir(60)
    with Simulator(spec, 20 * ms, backend="runtime:numpy", seed=4) as simulator:
        first = simulator.run()
        final_weights = first.synapses["ee"].w.copy()
        again, other = simulator.run(), simulator.run(seed=5)
        sampled = simulator.built.sampled["ee"]
    assert not np.array_equal(other.synapses["ee"].w, final_weights)
    np.testing.assert_array_equal(first.synapses["ee"].w, final_weights)  # not a view of the live weights
    ee, ee_again = first.synapses["ee"], again.synapses["ee"]
    assert ee.i is ee_again.i and ee.j is ee_again.j and ee.i.dtype == np.int64
    assert np.shares_memory(ee.extra["tau_pre"], np.asarray(sampled["tau_pre"]))
    assert np.shares_memory(ee.extra["w_initial"], np.asarray(sampled["weight"]))
    for array in (ee.i, ee.w, ee.extra["tau_pre"], first.synapses["ei"].w):
        assert not array.flags.writeable
    np.testing.assert_array_equal(ee.i, next(p.i for p in spec.projections if p.name == "ee"))
