"""ruff's rules (pyproject's [tool.ruff]: pyflakes, bugbear, import order) hold on the whole tree: `make test` fails on a
new unused import, undefined name or likely bug, not a reviewer."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    ran = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
                         cwd=ROOT, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr
