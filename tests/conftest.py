"""Shared pytest fixtures."""
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
    A device left active is reinitialised, the one active at the start (normally the runtime
    device) is reactivated and entries pushed on Brian2's device stack are dropped.
    """
    import brian2

    from hetero_brian.backends.base import BrianState

    state = BrianState()
    yield
    if brian2.get_device() is not state.device:
        brian2.get_device().reinit()
    state.restore()
