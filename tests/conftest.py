"""Shared pytest fixtures."""
import copy
import importlib
import os
import pathlib

import pytest

REPOSITORY_ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA_ENV_VAR = "HETERO_BRIAN_DATA"


@pytest.fixture(scope="session")
def shared_data():
    """Path of the shared reference data (``fsdd/recordings``, ``mnist``, ...).

    ``$HETERO_BRIAN_DATA`` when set, else ``<repository>/../shared/data``. Tests that use this fixture
    are skipped, with the path in the reason, when the folder is absent.
    """
    configured = os.environ.get(DATA_ENV_VAR)
    folder = pathlib.Path(configured) if configured else REPOSITORY_ROOT.parent / "shared" / "data"
    if not folder.is_dir():
        origin = f"${DATA_ENV_VAR}" if configured else "the default ../shared/data"
        pytest.skip(f"shared data folder {str(folder)!r} ({origin}) is absent; set {DATA_ENV_VAR} to run this test")
    return folder


@pytest.fixture(autouse=True)
def restore_brian2_state():
    """Back up Brian2's preferences and device around every test and restore them afterwards.

    Like Brian2's own test suite: a test may set ``prefs.codegen.target`` (``use_numpy_target``)
    or leave a standalone device active when it fails; the next test starts from the state before.
    The device that was active at the start (normally the runtime device) is reactivated, a device
    left behind is reinitialised, and entries pushed on Brian2's device stack are dropped.
    """
    import brian2

    devices = importlib.import_module("brian2.devices.device")  # the module, not its device proxy
    preferences = {name: copy.copy(value) for name, value in brian2.prefs.prefs.items()}
    device, stack_depth = brian2.get_device(), len(devices.previous_devices)
    yield
    if brian2.get_device() is not device:
        brian2.get_device().reinit()
        devices.reset_device(device)
    del devices.previous_devices[stack_depth:]
    brian2.prefs.prefs.update(preferences)
