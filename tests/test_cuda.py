"""CUDA standalone: code generation without a GPU; compile and run only where a GPU is visible."""
import numpy as np
import pytest
from brian2 import Hz, mV, ms

from hetero_brian.distributions import Gamma, Uniform
from hetero_brian.models.neurons import LIF
from hetero_brian.models.synapses import STDP, StaticSynapse
from hetero_brian.network.spec import PoissonInput
from hetero_brian.network.reservoir import ReservoirSynapses, reservoir_spec
from hetero_brian.network.recording import Recording
from hetero_brian.simulate import Simulator

pytest.importorskip("brian2cuda", reason="brian2cuda is not installed (it needs Python >= 3.12: pip install '.[cuda]')")

pytestmark = pytest.mark.cuda


def _spec():
    stdp = STDP(weight=Uniform(0.3 * mV, 0.9 * mV), w_max=1.2 * mV, tau_pre=Gamma(20 * ms, 0.5), tau_post=Gamma(20 * ms, 0.5))
    synapses = ReservoirSynapses(ee=stdp, ei=StaticSynapse(weight=0.6 * mV), ie=StaticSynapse(weight=3 * mV, sign=-1),
                                 ii=StaticSynapse(weight=3 * mV, sign=-1), input=StaticSynapse(weight=3 * mV))
    return reservoir_spec(100, PoissonInput("input", 50, 100 * Hz), 1, neuron=LIF(tau_m=Gamma(20 * ms, 0.5)),
                          synapses=synapses, p_input=0.4)


def test_cuda_project_is_generated_without_a_gpu(tmp_path):
    from hetero_brian.backends.cuda_standalone import CudaStandaloneBackend

    backend = CudaStandaloneBackend(build_root=tmp_path, generate_only=True)
    with Simulator(_spec(), 50 * ms, backend=backend, seed=1, recording=Recording()) as simulator:
        directory = simulator.backend.directory
    sources = list((tmp_path).rglob("*.cu"))
    assert sources, f"no .cu sources under {directory}"
    assert any("ee" in path.name for path in sources)  # the plastic projection's kernels
    main = next(tmp_path.rglob("main.cu")).read_text()
    assert "run_seed" in main  # the run-argument seed reaches the CUDA random generators too
    # brian2cuda's synapse template refers to ``defaultclock``: the project's one clock has that name
    objects = next(tmp_path.rglob("objects.cu")).read_text()
    assert "Clock brian::defaultclock;" in objects and objects.count("Clock ") == 1


def test_cuda_project_compiles_host_code_as_cpp17_and_restores_preferences(tmp_path):
    """CUDA 13's Thrust refuses C++ < 17 also in the host pass, which gets Brian2's gcc flags."""
    from brian2 import prefs

    from hetero_brian.backends.cuda_standalone import CudaStandaloneBackend

    before = {name: prefs[name] for name in ("codegen.cpp.extra_compile_args_gcc",
                                             "devices.cuda_standalone.cuda_backend.detect_gpus")}
    backend = CudaStandaloneBackend(build_root=tmp_path, generate_only=True)
    with Simulator(_spec(), 20 * ms, backend=backend, seed=1, recording=Recording()):
        pass
    makefile = next(tmp_path.rglob("makefile")).read_text()
    host_flags = makefile.split("-Xcompiler", 1)[1].splitlines()[0]
    assert "-std=c++17" in host_flags and "-std=c++11" not in host_flags
    assert {name: prefs[name] for name in before} == before


def test_cuda_runs_match_cpp_statistics_on_a_gpu(tmp_path):
    from hetero_brian.backends.cuda_standalone import gpu_available
    from hetero_brian.simulate import simulate

    if not gpu_available():
        pytest.skip("no NVIDIA GPU visible (nvidia-smi -L lists none)")
    cuda = simulate(_spec(), 500 * ms, backend="cuda_standalone", seed=3, build_root=tmp_path / "cuda")
    cpp = simulate(_spec(), 500 * ms, backend="cpp_standalone", seed=3, build_root=tmp_path / "cpp")
    # device random streams differ between targets: compare statistics, not spikes
    rate_cuda = cuda.spikes["exc"].node_ids.size / 80 / 0.5
    rate_cpp = cpp.spikes["exc"].node_ids.size / 80 / 0.5
    assert rate_cpp > 5  # an active network, so that the comparison means something
    assert rate_cuda == pytest.approx(rate_cpp, rel=0.25)
    np.testing.assert_array_equal(cuda.populations["exc"].parameters["tau_m"], cpp.populations["exc"].parameters["tau_m"])


def test_cuda_compiles_once_and_runs_many_on_a_gpu(tmp_path):
    from hetero_brian.backends.cuda_standalone import gpu_available

    if not gpu_available():
        pytest.skip("no NVIDIA GPU visible (nvidia-smi -L lists none)")
    with Simulator(_spec(), 300 * ms, backend="cuda_standalone", seed=3, build_root=tmp_path,
                   recording=Recording(spikes=("exc",))) as simulator:
        first = simulator.run(seed=3)
        again = simulator.run(seed=3)
        other = simulator.run(seed=4)
        assert simulator.backend.n_compilations == 1
    # same seed, same device noise: the same spikes (CUDA's thresholders emit the spikes of one time
    # step in arbitrary order, so compare (time, neuron) pairs as sets); another seed: other spikes
    def events(result):
        return sorted(zip(result.spikes["exc"].timestamps.tolist(), result.spikes["exc"].node_ids.tolist()))

    assert len(events(first)) > 100
    assert events(first) == events(again)
    assert events(first) != events(other)
