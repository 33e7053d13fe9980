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
