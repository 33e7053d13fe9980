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

    def _activate(self, structure_key):
        brian2.set_device("runtime")
        prefs.codegen.target = self.target

    def _deactivate(self):
        """Nothing of its own to release (the saved device and preferences are restored by the base)."""

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
