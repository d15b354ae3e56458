"""ruff's rules (pyproject's [tool.ruff]: pyflakes, bugbear, import order) and mypy's types (pyproject's [tool.mypy], with the
pydantic plugin) hold on the whole tree: `make test` fails on a new unused import, undefined name, likely bug or type error,
not a reviewer."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    ran = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
                         cwd=ROOT, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr


@pytest.mark.slow  # a cold run takes ~20 s: make test runs it, make test-fast leaves it to the editor
@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed (it is in the test lock: make test installs it)")
def test_mypy_finds_nothing():
    """The packages pyproject's [tool.mypy] `files` names. Its cache (.mypy_cache, ignored by git) makes a run after the
    first take seconds; a cold run reads the installed libraries' types once (~20 s here)."""
    ran = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    found = [line for line in ran.stdout.splitlines() if ": error:" in line]
    assert ran.returncode == 0, (f"mypy found {len(found)} type error(s); fix them (or, for an untyped library, add it to "
                                 f"pyproject's ignore_missing_imports list):\n" + ran.stdout + ran.stderr)
