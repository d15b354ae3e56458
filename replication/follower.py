"""A replica following the database's served index version into its own index folder.

`Follower.sync` is one step, run every FAQ_RELOAD_POLL_SECONDS or as soon as `Announcements` hears
of a change: read the served version; when the local folder lacks it, download it
into a temporary folder beside the others, verified file by file (replication.published), and rename it
into versions/; when its manifest was republished (`faq calibrate`), replace only the manifest;
then point CURRENT at it. The service's watcher (service.lifecycle) swaps the new files in as it
does for a local `faq ingest`. A step that cannot reach the database, or gets a file that fails its
checks, changes nothing on disk: the replica keeps its last good version and reports why.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from faq.errors import FaqError, IndexNotFoundError
from index.disk.build import MANIFEST
from index.disk.versions import POINTER, VERSIONS, current_version, prune, switch
from replication.published import CHANNEL, PublishedVersions

if TYPE_CHECKING:
    import psycopg

__all__ = ["Announcements", "Follower", "SyncStatus", "fetch_manifest", "fetch_version"]


@dataclass(frozen=True)
class SyncStatus:
    """What the last step found: `local` is the version CURRENT names, `published` the database's (as last read)."""

    local: str | None
    published: str | None
    error: str | None = None  # why the last step failed (the database unreachable, a corrupt file): local is the last good one
    fetched: str | None = None  # what the last step downloaded: a version, or "VERSION (manifest)"
    checked_at: float = 0.0  # time.time() of the last step
    last_fetch: tuple[str, float] | None = None  # the latest download by any step, and its seconds


def fetch_version(registry: PublishedVersions, root: Path, version: str) -> Path:
    """Download `version` into a temporary folder under versions/, verified, then rename it into place."""
    folder = root / VERSIONS
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / version
    tmp = folder / f".fetch-{version}-{uuid.uuid4().hex[:8]}"
    try:
        registry.download(version, tmp)
        if target.exists() and not (target / MANIFEST).exists():
            shutil.rmtree(target)  # a folder left without its manifest is no version (versions() ignores it)
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / MANIFEST).exists():  # another worker of this host renamed its copy first: keep that one
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def fetch_manifest(registry: PublishedVersions, root: Path, version: str) -> None:
    """Replace the local manifest of `version` with the republished one (a new inode: the watcher reloads)."""
    folder = root / VERSIONS
    tmp = folder / f".fetch-{version}-{uuid.uuid4().hex[:8]}"
    try:
        registry.download(version, tmp, only=MANIFEST)
        os.replace(tmp / MANIFEST, folder / version / MANIFEST)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class Announcements:
    """Wakes a follower as soon as the database announces a change (LISTEN on replication.published.CHANNEL).

    Polling stays the fallback: `wait` returns after `seconds` anyway, and a connection that cannot
    be made or is lost only means waiting the full time; the next wait connects again."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._connection: psycopg.AsyncConnection | None = None

    async def listen(self) -> bool:
        """Start listening (before the first step, so no change after it goes unheard); False when it cannot now."""
        import psycopg

        if self._connection is not None and not self._connection.closed:
            return True
        try:
            self._connection = await psycopg.AsyncConnection.connect(self._url, autocommit=True, connect_timeout=2)
            await self._connection.execute(f"LISTEN {CHANNEL}")
        except (psycopg.Error, OSError):
            await self.close()
            return False
        return True

    async def wait(self, seconds: float) -> None:
        """Return after `seconds`, or as soon as a change is announced (one that came since the last wait: at once)."""
        import psycopg

        if await self.listen() and (connection := self._connection) is not None:  # listening: it is open
            try:
                async for _ in connection.notifies(timeout=seconds, stop_after=1):
                    pass
                return
            except (psycopg.Error, OSError):
                await self.close()
        await asyncio.sleep(seconds)

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await connection.close()


class Follower:
    """Keeps `root` (FAQ_INDEX_DIR, a versions root) on the version the database serves; one per service process."""

    def __init__(self, registry: PublishedVersions, root: Path, keep: int) -> None:
        self._registry = registry
        self._root = root
        self._keep = keep
        self._hashed: tuple[tuple[int, int, int], str] | None = None  # (the manifest's inode, mtime_ns, size), its sha256
        self._last = SyncStatus(current_version(root), None)
        self._published: str | None = None  # the database's served version when last read (kept while it is away)

    @property
    def registry(self) -> PublishedVersions:
        """The database it follows, which the service reads the last check from too (closed with the follower)."""
        return self._registry

    def close(self) -> None:
        self._registry.close()

    def sync(self) -> SyncStatus:
        """One step for the service's watcher: never raises for the database or a bad download, the status says why."""
        try:
            return self.step()
        except (FaqError, OSError) as e:
            self._last = replace(self._last, local=current_version(self._root), published=self._published, error=str(e),
                                 fetched=None, checked_at=time.time())
            return self._last

    def step(self) -> SyncStatus:
        """One step for a command: raises DatabaseError, ReplicationError or IndexNotFoundError when it cannot be done."""
        self._last = self._step()
        return self._last

    def _step(self) -> SyncStatus:
        if (self._root / MANIFEST).exists():
            raise IndexNotFoundError(f"{self._root} is a single index folder; a replica follows the database into a versions root "
                                     f"({VERSIONS}/ and {POINTER}): point FAQ_INDEX_DIR at an empty or versioned folder")
        self._registry.migrate()  # once per registry (PublishedVersions.migrate)
        served = self._registry.served()
        self._published = served[0] if served else None
        if served is None:
            return SyncStatus(current_version(self._root), None, checked_at=time.time())
        version, manifest_sha256 = served
        fetched, last_fetch, started = None, self._last.last_fetch, time.perf_counter()
        manifest = self._root / VERSIONS / version / MANIFEST
        if not manifest.exists():
            fetch_version(self._registry, self._root, version)
            fetched = version
        elif self._sha256(manifest) != manifest_sha256:
            fetch_manifest(self._registry, self._root, version)
            fetched = f"{version} (manifest)"
        if fetched:
            last_fetch = (fetched, round(time.perf_counter() - started, 3))
        if current_version(self._root) != version:
            switch(self._root, version)
            prune(self._root, self._keep)
        return SyncStatus(version, version, fetched=fetched, checked_at=time.time(), last_fetch=last_fetch)

    def _sha256(self, path: Path) -> str:
        """The file's sha256, hashed again only when its inode, mtime or size changed (it is checked every poll)."""
        stat = path.stat()
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if self._hashed is None or self._hashed[0] != key:
            with open(path, "rb") as f:
                self._hashed = (key, hashlib.file_digest(f, "sha256").hexdigest())
        return self._hashed[1]
