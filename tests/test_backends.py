"""Backends leave no global Brian2 state behind: preferences, device and device stack."""
import importlib

import brian2
import pytest
from brian2 import Hz, ms

from hetero_brian.backends import get_backend
from hetero_brian.backends.base import compiler_available
from hetero_brian.models.neurons import LIF
from hetero_brian.models.synapses import StaticSynapse
from hetero_brian.network.connectivity import fixed_probability
from hetero_brian.network.spec import NetworkSpec, PoissonInput, Population, Projection
from hetero_brian.simulate import simulate

DEVICES = importlib.import_module("brian2.devices.device")


def _snapshot():
    """Every preference (as text, so lists and dtypes compare), the active device and the stack depth."""
    preferences = {name: repr(value) for name, value in brian2.prefs.prefs.items()}
    return preferences, brian2.get_device(), len(DEVICES.previous_devices)


def _tiny_spec():
    i, j = fixed_probability(10, 5, 0.5, rng=1, allow_self=True)
    return NetworkSpec(populations=(Population("cells", 5, LIF()),), inputs=(PoissonInput("drive", 10, 50 * Hz),),
                       projections=(Projection("feed", "drive", "cells", StaticSynapse(weight=2 * brian2.mV), i, j),))


def _assert_unchanged(before):
    preferences, device, depth = _snapshot()
    changed = {name: (before[0].get(name), value) for name, value in preferences.items() if before[0].get(name) != value}
    assert not changed, f"preferences changed by the run (before, after): {changed}"
    assert device is before[1] and depth == before[2]


@pytest.mark.parametrize("backend", ["runtime:numpy", "runtime"])
def test_runtime_backend_restores_preferences_and_device(backend):
    brian2.prefs.codegen.target = "auto"  # differs from what the backend sets
    before = _snapshot()
    simulate(_tiny_spec(), 5 * ms, backend=backend, seed=1)
    _assert_unchanged(before)


@pytest.mark.standalone
@pytest.mark.skipif(not compiler_available(), reason="no C++ compiler")
def test_cpp_backend_restores_preferences_and_device(tmp_path):
    before = _snapshot()
    result = simulate(_tiny_spec(), 5 * ms, backend="cpp_standalone", seed=1, build_root=tmp_path)
    assert result.provenance["backend"]["backend"] == "cpp_standalone"
    _assert_unchanged(before)


def test_a_failed_activation_restores_preferences_and_device(tmp_path):
    backend = get_backend("cpp_standalone", build_root=tmp_path)
    before = _snapshot()

    def fail_after_setting_preferences(structure_key):
        backend._set_preferences()  # make -j2: differs from Brian2's default
        raise RuntimeError("no build slot")

    backend._activate = fail_after_setting_preferences
    with pytest.raises(RuntimeError, match="no build slot"):
        backend.activate("key")
    _assert_unchanged(before)


def test_preferences_registered_while_active_go_back_to_their_defaults():
    """Importing brian2cuda registers its preferences mid-run; the CUDA backend then changes them."""
    from brian2.core.preferences import BrianPreference

    from hetero_brian.backends.base import BrianState

    state = BrianState()
    if "hetero_brian_test.flag" not in brian2.prefs.prefs:
        brian2.prefs.register_preferences("hetero_brian_test", "test only", flag=BrianPreference(default=1, docs="test"))
    brian2.prefs["hetero_brian_test.flag"] = 5
    brian2.prefs.codegen.target = "numpy"
    state.restore()
    assert brian2.prefs["hetero_brian_test.flag"] == 1 and brian2.prefs.codegen.target == state.preferences["codegen.target"]
