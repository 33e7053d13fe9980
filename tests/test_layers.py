"""The layer order of docs/architecture.md, checked from the source: imports run downwards only, no
module imports itself back through others, modules stay small, and setup.cfg installs every package.

Imports are read with ``ast`` from every module of the distribution (``hetero_brian/``, plus
``analysis/`` and ``scenarios/``, installed as ``hetero_brian.analysis`` and
``hetero_brian.scenarios``), function-local imports included. Nothing is imported to check it.

``KNOWN_*`` dicts list the offenders that other parts of the redesign (issue 16) are still moving;
each entry names its reason. They only shrink: a listed offender that is fixed fails the test until
its entry is deleted, so the lists cannot go stale.
"""
import ast
import configparser
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
PACKAGE = "hetero_brian"
#: source folder -> the package name it is installed as (setup.cfg ``package_dir``)
SOURCE_FOLDERS = {"hetero_brian": "hetero_brian", "analysis": "hetero_brian.analysis",
                  "scenarios": "hetero_brian.scenarios"}

#: module-name prefix -> floor; the longest matching prefix wins (docs/architecture.md)
FLOORS = {
    "hetero_brian.errors": 1, "hetero_brian._version": 1, "hetero_brian.random": 1, "hetero_brian.quantities": 1, "hetero_brian.si": 1, "hetero_brian.units": 1, "hetero_brian.distributions": 1,
    "hetero_brian.distributions": 1, "hetero_brian.config": 1, "hetero_brian.resources": 1,
    "hetero_brian.results": 1,
    "hetero_brian.models": 2, "hetero_brian.inputs": 2,
    "hetero_brian.network": 3,
    "hetero_brian.backends": 4, "hetero_brian.simulate": 4, "hetero_brian.collect": 4,
    "hetero_brian.protocols": 5, "hetero_brian.readouts": 5, "hetero_brian.training": 5,
    "hetero_brian.experiment": 6,
    "hetero_brian.cli": 7,
    "hetero_brian": 7,  # the package's own __init__: the quick-start names, drawn from any floor
}
ANALYSIS, SCENARIOS = "hetero_brian.analysis", "hetero_brian.scenarios"
ANALYSIS_MAY_IMPORT = 1  # analysis reads results: floor 1 only, and itself
ANALYSIS_USED_FROM = 5  # protocols and above may compute metrics of the results they make with analysis
MAX_MODULE_LINES, MAX_SCENARIO_LINES = 500, 150

#: (importer, imported) -> reason; emptied as the other helpers of issue 16 land their moves
KNOWN_UPWARD_IMPORTS = {}
#: modules of a known import cycle -> reason
KNOWN_CYCLES = {}
#: folders (subpackages) of a known folder-level cycle -> reason
KNOWN_FOLDER_CYCLES = {}
#: module -> reason
KNOWN_LONG_MODULES = {}


def _module_files():
    """``{module name: path}`` of every Python module of the distribution."""
    modules = {}
    for folder, package in SOURCE_FOLDERS.items():
        for path in sorted((REPOSITORY / folder).rglob("*.py")):
            parts = list(path.relative_to(REPOSITORY / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join([package, *parts])] = path
    return modules


MODULES = _module_files()


def _is_package(name):
    return MODULES[name].name == "__init__.py"


def _resolve(importer, node):
    """Internal modules named by one ``Import`` / ``ImportFrom`` node of module ``importer``."""
    if isinstance(node, ast.Import):
        return [_known(alias.name) for alias in node.names if _known(alias.name)]
    if node.level:
        base = importer.split(".") if _is_package(importer) else importer.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module
    targets = []
    for alias in node.names:
        submodule = f"{source}.{alias.name}"
        target = submodule if submodule in MODULES else _known(source)
        if target:
            targets.append(target)
    return targets


def _known(name):
    """``name`` or its closest enclosing module of the distribution; None for outside modules."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(name):
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"), filename=str(MODULES[name]))
    found = set()
    for node in ast.walk(tree):  # module level and function-local alike
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update(target for target in _resolve(name, node) if target != name)
    return found


GRAPH = {name: _imports(name) for name in MODULES}


def _floor(name):
    if name == SCENARIOS or name.startswith(SCENARIOS + "."):
        return "scenarios"
    if name == ANALYSIS or name.startswith(ANALYSIS + "."):
        return "analysis"
    matches = [prefix for prefix in FLOORS if name == prefix or name.startswith(prefix + ".")]
    return FLOORS[max(matches, key=len)] if matches else None


def _violation(importer, imported):
    """Why ``importer`` may not import ``imported``, or None."""
    low, high = _floor(importer), _floor(imported)
    if low is None:
        return f"{importer} has no floor: add it to FLOORS (and to docs/architecture.md)"
    if low == "scenarios":
        return "a scenario imports another scenario" if high == "scenarios" and importer != SCENARIOS else None
    if high == "scenarios":
        return "only scenarios are above everything; the library finds them by name, never by import"
    if low == "analysis":
        return None if high == "analysis" or high <= ANALYSIS_MAY_IMPORT else "analysis reads floor 1 only"
    if high == "analysis":
        return (None if low >= ANALYSIS_USED_FROM else
                f"floor {low} imports the analysis layer (analysis reads results; only floors >= {ANALYSIS_USED_FROM} use it)")
    return f"floor {low} imports floor {high}" if high > low else None


def test_every_module_has_a_floor():
    assert [name for name in MODULES if _floor(name) is None] == []


def test_imports_run_downwards_only():
    found = {}
    for importer, imported in sorted((a, b) for a in GRAPH for b in GRAPH[a]):
        reason = _violation(importer, imported)
        if reason:
            found[(importer, imported)] = reason
    unexpected = {pair: reason for pair, reason in found.items() if pair not in KNOWN_UPWARD_IMPORTS}
    fixed = sorted(set(KNOWN_UPWARD_IMPORTS) - set(found))
    assert unexpected == {}, "imports against the layer order (docs/architecture.md)"
    assert fixed == [], "fixed: delete these entries from KNOWN_UPWARD_IMPORTS"


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, stack, on_stack, components, counter = {}, {}, [], set(), [], [0]
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def test_cycle_finder_sees_function_local_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    cycles = _cycles(GRAPH)
    unexpected = [cycle for cycle in cycles if not set(cycle) <= set(KNOWN_CYCLES)]
    in_cycles = {name for cycle in cycles for name in cycle}
    fixed = sorted(set(KNOWN_CYCLES) - in_cycles)
    assert unexpected == [], "import cycles (function-local imports included)"
    assert fixed == [], "fixed: delete these entries from KNOWN_CYCLES"


def _folder(name):
    """The room of a module: its subpackage or top-level module under hetero_brian (analysis and
    scenarios are one room each)."""
    parts = name.split(".")
    return ".".join(parts[:2])


def test_no_folder_cycles():
    """Subpackages and top-level modules import each other one way too (e.g. no network -> simulate ->
    backends -> network), also on the same floor."""
    graph = {}
    for importer, imported in ((a, b) for a in GRAPH for b in GRAPH[a]):
        graph.setdefault(_folder(importer), set())
        if _folder(importer) != _folder(imported):
            graph[_folder(importer)].add(_folder(imported))
    cycles = _cycles(graph)
    unexpected = [cycle for cycle in cycles if not set(cycle) <= set(KNOWN_FOLDER_CYCLES)]
    fixed = sorted(set(KNOWN_FOLDER_CYCLES) - {name for cycle in cycles for name in cycle})
    assert unexpected == [], "folder-level import cycles"
    assert fixed == [], "fixed: delete these entries from KNOWN_FOLDER_CYCLES"


def _too_long():
    found = {}
    for name, path in MODULES.items():
        limit = MAX_SCENARIO_LINES if _floor(name) == "scenarios" and name != SCENARIOS else MAX_MODULE_LINES
        n_lines = len(path.read_text(encoding="utf-8").splitlines())
        if n_lines > limit:
            found[name] = f"{n_lines} lines > {limit}"
    return found


def test_modules_stay_small():
    found = _too_long()
    unexpected = {name: text for name, text in found.items() if name not in KNOWN_LONG_MODULES}
    fixed = sorted(set(KNOWN_LONG_MODULES) - set(found))
    assert unexpected == {}, f"modules over {MAX_MODULE_LINES} lines (scenarios over {MAX_SCENARIO_LINES})"
    assert fixed == [], "fixed: delete these entries from KNOWN_LONG_MODULES"


def test_cli_imports_no_analysis_module():
    assert [name for name in GRAPH["hetero_brian.cli"] if _floor(name) == "analysis"] == []


def _setup_cfg():
    parser = configparser.ConfigParser()
    parser.read(REPOSITORY / "setup.cfg", encoding="utf-8")
    return parser


def test_setup_cfg_lists_every_package():
    """setup.cfg's ``packages`` is explicit: a new subpackage must be added there or it is not installed."""
    listed = set(_setup_cfg()["options"]["packages"].split())
    packages = {name for name in MODULES if _is_package(name)}
    assert sorted(packages - listed) == [], "add these to [options] packages in setup.cfg"
    assert sorted(listed - packages) == [], "setup.cfg lists packages that do not exist"


def test_distribution_claims_one_top_level_name():
    options = _setup_cfg()["options"]
    listed = options["packages"].split()
    assert {name.split(".")[0] for name in listed} == {PACKAGE}
    mapping = dict(line.split(" = ") for line in options["package_dir"].strip().splitlines())
    assert mapping == {package: folder for folder, package in SOURCE_FOLDERS.items() if folder != PACKAGE}


@pytest.mark.parametrize("group", ["hetero_brian.commands"])
def test_registered_commands_point_at_existing_functions(group):
    entries = _setup_cfg()["options.entry_points"][group].strip().splitlines()
    for entry in entries:
        name, target = (part.strip() for part in entry.split("="))
        module, _, function = target.partition(":")
        assert module in MODULES, entry
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        assert function in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}, entry
