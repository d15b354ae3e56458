"""Index versions beside each other and an atomic pointer to the served one, so re-indexing never
disturbs searches and a bad build can be rolled back.

    var/index/
        CURRENT                  "20261128T130501-3f2a" (replaced atomically with os.replace)
        versions/
            20261128T120000-91bc/   manifest.json, vectors.faiss, records.json ...
            20261128T130501-3f2a/

A folder that holds a manifest.json itself is a plain single index and is used as it is.

A version becomes visible only whole: `faq ingest` builds and calibrates it in a hidden staging
folder (`versions/.build-NAME`) and renames it to `versions/NAME` once its manifest holds a
calibration, under a lock that one ingest at a time holds; the next ingest removes what an
interrupted one left behind. Listing, switching, rolling back and pruning only ever see versions
that are complete and calibrated.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from faq.errors import IndexBusyError, IndexNotFoundError
from faq.files import write_atomically
from index.disk.manifest import MANIFEST

POINTER = "CURRENT"
VERSIONS = "versions"
STAGING = ".build-"  # a version being built and calibrated: versions/.build-NAME
LOCK = ".ingest.lock"
FETCH_LEFTOVER_SECONDS = 3600  # a replica's download (.fetch-*) older than this was interrupted, not in progress


def resolve(root: Path) -> tuple[Path, str]:
    """The folder of the served index under `root`, and its version name."""
    if (root / MANIFEST).exists():
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


def staging_path(root: Path) -> Path:
    """Where a new version is built and calibrated, hidden from every reader until `promote` renames it."""
    name = new_version_path(root).name
    return root / VERSIONS / f"{STAGING}{name}"


def version_of(staging: Path) -> str:
    """The version name a staging folder gets in versions/."""
    if not staging.name.startswith(STAGING):
        raise ValueError(f"{staging} is not a staging folder")
    return staging.name.removeprefix(STAGING)


def is_complete(folder: Path) -> bool:
    """A version folder whose manifest is readable and holds a calibration: fit to be served or rolled back to.

    An uncalibrated version answers every question (no threshold), so it is never one."""
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("calibration") is not None
    except (OSError, ValueError, AttributeError):
        return False


def promote(staging: Path) -> str:
    """Rename a built and calibrated staging folder into versions/ under its version name; returns that name."""
    name = version_of(staging)
    if not is_complete(staging):
        raise IndexNotFoundError(f"The index built at {staging} has no calibration, so it is not served. Rerun: faq ingest")
    os.rename(staging, staging.parent / name)
    return name


def switch(root: Path, version: str) -> None:
    """Point CURRENT at `version`; readers see the old or the new name, never a torn file."""
    if not is_complete(root / VERSIONS / version):
        raise IndexNotFoundError(f"No complete, calibrated index version {version!r} under {root / VERSIONS}")
    write_atomically(root / POINTER, version + "\n")


def versions(root: Path) -> list[str]:
    """Complete, calibrated versions, oldest first."""
    folder = root / VERSIONS
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".") and is_complete(p))


def beyond_keep(names: list[str], current: str | None, keep: int, served_before: str | None = None) -> list[str]:
    """Of `names` (oldest first), those past `keep`. The current one stays; then the one served before it (an ingest
    knows it: a version an interrupted ingest renamed into place but never served does not push it out), then the
    newest versions before the current one (what a rollback serves), then, while room is left, the newest after it."""
    earlier = [v for v in names if current is None or v < current]
    later = [v for v in names if current is not None and v > current]
    order = [v for v in (served_before,) if v in names and v != current] + earlier[::-1] + later[::-1]
    kept = {current, *list(dict.fromkeys(order))[:max(0, keep - 1)]}
    return [v for v in names if v not in kept]


def earlier_than(names: list[str], current: str | None) -> str | None:
    """The newest of `names` (oldest first) before `current`: what a rollback serves."""
    earlier = [v for v in names if current is None or v < current]
    return earlier[-1] if earlier else None


def prune(root: Path, keep: int, served_before: str | None = None) -> list[str]:
    """Delete the versions beyond `keep` (beyond_keep), never the current one; returns what was removed."""
    removed = beyond_keep(versions(root), current_version(root), keep, served_before)
    for v in removed:
        shutil.rmtree(root / VERSIONS / v, ignore_errors=True)
    return removed


def previous_version(root: Path) -> str | None:
    return earlier_than(versions(root), current_version(root))


@contextmanager
def ingest_lock(root: Path) -> Iterator[None]:
    """One ingest at a time builds into `root`: a second one is refused at once, saying why (two would switch the
    pointer in turn, and each would take the other's staging folder for a leftover)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK, "a+") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusyError(f"Another faq ingest is building into {root} (it holds {root / LOCK}); "
                                 f"wait for it to finish, then run this one again") from None
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def remove_leftovers(root: Path) -> list[str]:
    """What interrupted builds, calibrations and downloads left: staging and temporary folders, and version folders
    that are not complete and calibrated (other than the served one). Call it under `ingest_lock`."""
    folder = root / VERSIONS
    if not folder.is_dir():
        return []
    current = current_version(root)
    removed = []
    for path in sorted(folder.iterdir()):
        if path.name == current or not path.is_dir() or path.is_symlink():
            continue
        if path.name.startswith(".fetch-"):
            if time.time() - path.stat().st_mtime < FETCH_LEFTOVER_SECONDS:
                continue  # a replica on this host may be downloading it now
        elif not path.name.startswith(".") and is_complete(path):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    for stray in root.glob(f".{POINTER}.*.tmp"):  # write_atomically's, killed before its rename
        stray.unlink(missing_ok=True)
        removed.append(stray.name)
    return removed
