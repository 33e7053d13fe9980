"""Brian2's runtime device: code generated and executed inside Python (cython, numpy fallback)."""
import brian2
from brian2 import prefs

from .base import Backend, register


def cython_available():
    """Whether Brian2's cython target can compile here (Cython plus a C compiler)."""
    try:
        import Cython  # noqa: F401
    except ImportError:
        return False
    from .base import compiler_available

    return compiler_available()


@register
class RuntimeBackend(Backend):
    """Runtime device; ``target`` is ``"cython"`` when it can compile, else ``"numpy"``.

    Repeated runs restore the state stored after construction (``Network.store``), then set the
    run's values in place, so nothing is regenerated.
    """

    name = "runtime"

    def __init__(self, build_root=None, threads=None, target=None):
        super().__init__(build_root, threads)
        self.target = target or ("cython" if cython_available() else "numpy")
        self._previous = None

    def activate(self, structure_key):
        self._previous = (brian2.get_device(), prefs.codegen.target)
        brian2.set_device("runtime")
        prefs.codegen.target = self.target

    def deactivate(self):
        if self._previous is not None:
            device, target = self._previous
            brian2.set_device(device)
            prefs.codegen.target = target
            self._previous = None

    def finalize(self, network, schedule, report):
        network.store("hetero_brian_initial")

    def execute(self, network, schedule, report, values, seed, run_label):
        network.restore("hetero_brian_initial")
        for key, value in values.items():
            if isinstance(key, brian2.TimedArray):
                key.values[:] = value  # same shape; read at each call by the generated code
            else:
                key[:] = value
        brian2.seed(seed)
        self.run_schedule(network, schedule, report)

    def describe(self):
        return dict(super().describe(), target=self.target)
