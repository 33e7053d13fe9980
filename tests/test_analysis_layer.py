"""hetero_brian.analysis reads saved results only: it imports floor-1 package modules, never brian2."""
import ast
from pathlib import Path

import pytest

import hetero_brian.analysis

ANALYSIS = Path(hetero_brian.analysis.__file__).parent
# floor 1 of the layer order (hetero_brian.units: the one unit helper; distributions: the plot command reads a saved density)
ALLOWED = ("hetero_brian.analysis", "hetero_brian.errors", "hetero_brian.quantities", "hetero_brian.random",
           "hetero_brian.results", "hetero_brian.units", "hetero_brian.distributions")


def _imported_modules(path):
    """Every module an ``import`` or ``from ... import`` statement of ``path`` names (top level or not)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"{path.name}: relative import; use hetero_brian.analysis.<module>")
            yield node.module


@pytest.mark.parametrize("path", sorted(ANALYSIS.glob("*.py")), ids=lambda path: path.name)
def test_analysis_imports_only_floor_one(path):
    for module in _imported_modules(path):
        assert module != "brian2" and not module.startswith("brian2."), f"{path.name} imports {module}"
        if module == "hetero_brian" or module.startswith("hetero_brian."):
            assert any(module == allowed or module.startswith(allowed + ".") for allowed in ALLOWED), \
                f"{path.name} imports {module}, above floor 1"
