"""Index versions beside each other and an atomic pointer to the served one, so re-indexing never
disturbs searches and a bad build can be rolled back.

    var/index/
        CURRENT                  "20261128T130501-3f2a" (replaced atomically with os.replace)
        versions/
            20261128T120000-91bc/   manifest.json, vectors.faiss, records.json ...
            20261128T130501-3f2a/

A folder that holds a manifest.json itself is a plain single index and is used as it is.
"""

from __future__ import annotations

import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path

from faq.errors import IndexNotFoundError
from faq.files import write_atomically

POINTER = "CURRENT"
VERSIONS = "versions"


def resolve(root: Path) -> tuple[Path, str]:
    """The folder of the served index under `root`, and its version name."""
    if (root / "manifest.json").exists():
        return root, root.name
    pointer = root / POINTER
    if not pointer.exists():
        raise IndexNotFoundError(f"No index at {root} (no manifest.json, no {POINTER} pointer). Build one with: faq ingest --index {root}")
    version = pointer.read_text(encoding="utf-8").strip()
    path = root / VERSIONS / version
    if not version or not path.is_dir():
        raise IndexNotFoundError(f"{pointer} points to version {version!r}, which is missing from {root / VERSIONS}. "
                                 f"Rebuild with: faq ingest, or roll back with: faq rollback")
    return path, version


def current_version(root: Path) -> str | None:
    try:
        return (root / POINTER).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def new_version_path(root: Path) -> Path:
    """A fresh, not yet existing version folder (build_index writes it atomically).

    Names sort in build order, which rollback and pruning rely on: microseconds in the stamp, so two
    builds in one second (tests, a script) cannot sort by their random suffix instead."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    return root / VERSIONS / f"{stamp}-{uuid.uuid4().hex[:4]}"


def switch(root: Path, version: str) -> None:
    """Point CURRENT at `version`; readers see the old or the new name, never a torn file."""
    if not (root / VERSIONS / version / "manifest.json").exists():
        raise IndexNotFoundError(f"No complete index version {version!r} under {root / VERSIONS}")
    write_atomically(root / POINTER, version + "\n")


def versions(root: Path) -> list[str]:
    """Complete versions, oldest first."""
    folder = root / VERSIONS
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / "manifest.json").exists() and not p.name.startswith("."))


def beyond_keep(names: list[str], current: str | None, keep: int) -> list[str]:
    """Of `names` (oldest first), the oldest past `keep` counting the current one, which is never among them."""
    old = [v for v in names if v != current]
    return old[: max(0, len(old) - (keep - 1))]


def earlier_than(names: list[str], current: str | None) -> str | None:
    """The newest of `names` (oldest first) before `current`: what a rollback serves."""
    earlier = [v for v in names if current is None or v < current]
    return earlier[-1] if earlier else None


def prune(root: Path, keep: int) -> list[str]:
    """Delete the oldest versions beyond `keep`, never the current one; returns what was removed."""
    removed = beyond_keep(versions(root), current_version(root), keep)
    for v in removed:
        shutil.rmtree(root / VERSIONS / v, ignore_errors=True)
    return removed


def previous_version(root: Path) -> str | None:
    return earlier_than(versions(root), current_version(root))
