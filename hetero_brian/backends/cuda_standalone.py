"""brian2cuda's CUDA standalone device (imported lazily).

Without a GPU the backend still generates the complete CUDA project (``generate_only=True``), which
is how this package's code generation is tested on machines without one; with a GPU it compiles and
runs like the C++ backend (compile once, ``run_args`` for every run-time change).
"""
import os

import brian2
from brian2 import prefs

from ..errors import SimulationError
from .base import register
from .cpp_standalone import CppStandaloneBackend


def import_brian2cuda():
    """Import brian2cuda or raise a clear error saying how to get it."""
    try:
        import brian2cuda  # noqa: F401  (registers the 'cuda_standalone' device)
    except ImportError as error:
        raise SimulationError(
            "the cuda_standalone backend needs brian2cuda (Python >= 3.12): pip install 'hetero_brian[cuda]'"
        ) from error
    return brian2cuda


def gpu_available():
    """Whether an NVIDIA GPU is visible (``nvidia-smi -L`` lists one)."""
    import shutil
    import subprocess

    if not shutil.which("nvidia-smi"):
        return False
    try:
        output = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "GPU" in output


@register
class CudaStandaloneBackend(CppStandaloneBackend):
    """CUDA standalone device.

    Parameters
    ----------
    generate_only : bool, optional
        Only write the CUDA project (no compilation, no run). Default: True when no GPU is found.
    compute_capability : float
        Used when no GPU can be queried (default 9.0, Hopper).
    make_args : sequence of str, optional
        Extra arguments of ``make``; default ``-j<cores>``: nvcc takes 10-20 s per source file and
        a project has ~45 of them (5 min at ``-j2`` on the H100 machine).
    """

    name = "cuda_standalone"
    device_name = "cuda_standalone"
    #: brian2cuda's main and clock arrays differ from Brian2's (device-side ``t``); its stop-after-a-
    #: stopped-phase code is untested without a GPU, so an interrupted multi-phase CUDA run reports
    #: ``t_stop`` NaN.
    stop_between_phases = False
    make_in_subprocess = False  # brian2cuda's own build steps (nvcc flags, GPU detection) stay as they are
    own_run_argument_files = False  # brian2cuda's run arguments go through its own device.run, untested otherwise
    # brian2cuda 1.0b1's synapse template reads ``defaultclock.timestep`` (homogeneous delays),
    # which fails to compile unless the project has a clock of that name
    clock_name = "defaultclock"

    def __init__(self, build_root=None, threads=None, generate_only=None, compute_capability=9.0, make_args=None):
        super().__init__(build_root, threads, make_args=(f"-j{os.cpu_count() or 2}",) if make_args is None else make_args)
        self.generate_only = (not gpu_available()) if generate_only is None else bool(generate_only)
        self.compute_capability = float(compute_capability)

    def _set_preferences(self):
        import_brian2cuda()
        super()._set_preferences()
        backend_prefs = "devices.cuda_standalone.cuda_backend."
        changes = {
            # CUDA 13's Thrust and libcu++ headers refuse C++ < 17, and the host compiler gets
            # Brian2's gcc flags (-std=c++11) after nvcc's own -std
            "codegen.cpp.extra_compile_args_gcc": [arg for arg in prefs["codegen.cpp.extra_compile_args_gcc"]
                                                   if not arg.startswith("-std=")] + ["-std=c++17"],
            backend_prefs + "extra_compile_args_nvcc": ["-w", "-use_fast_math", "-std=c++17"],
        }
        if self.generate_only:  # no GPU to query: name one
            changes.update({backend_prefs + "detect_gpus": False, backend_prefs + "gpu_id": 0,
                            backend_prefs + "compute_capability": self.compute_capability})
        for name, value in changes.items():  # restored by Backend.deactivate, like every preference
            prefs[name] = value

    def _seed_code(self):
        """brian2cuda seeds its cuRAND buffer instead of the C++ generators."""
        array = brian2.device.get_array_name(self._seed_holder.variables["run_seed"])
        return f"random_number_buffer.set_seed((unsigned long long) brian::{array}[0]);"

    def finalize(self, network, schedule, report):
        if not self.generate_only:
            return super().finalize(network, schedule, report)
        self._prepare_seed(network)
        self.run_schedule(network, schedule, report)
        brian2.device.build(directory=self.directory, compile=False, run=False, with_output=False)

    def execute(self, network, schedule, report, values, seed, run_label):
        if self.generate_only:
            raise SimulationError(
                f"the CUDA project in {self.directory} was generated only (no GPU here); compile and run it "
                "on a machine with an NVIDIA GPU"
            )
        return super().execute(network, schedule, report, values, seed, run_label)

    def describe(self):
        return dict(super().describe(), generate_only=self.generate_only)
