"""The package face: cheap to import, and every quick-start name it advertises resolves."""
import subprocess
import sys

import hetero_brian


def test_import_is_cheap():
    code = "import sys, hetero_brian; print('brian2' in sys.modules, 'numpy' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.split() == ["False", "False"]


def test_quick_start_names_resolve_to_their_defining_modules():
    for name in hetero_brian.__all__:
        value = getattr(hetero_brian, name)
        if name != "__version__":
            assert value.__module__.startswith("hetero_brian."), name


def test_unknown_names_are_attribute_errors():
    try:
        hetero_brian.no_such_name
    except AttributeError as error:
        assert "no_such_name" in str(error)
    else:
        raise AssertionError("expected AttributeError")
