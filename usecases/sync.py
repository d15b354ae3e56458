"""The scheduled sync (FAQ_SYNC_INTERVAL): read FAQ_CORPUS again and, when it changed, build and serve a new version
through `faq ingest`'s own build_version, in one process of the deployment only.

One syncer at a time (replication.leader): with FAQ_DATABASE_URL the replica holding a PostgreSQL advisory lock syncs
and publishes, and the others follow the published version as after any `faq ingest` (replication.follower); without
it, the worker of `faq serve --workers N` holding a file lock in the index folder syncs, and the others reload the
pointer it switched. The holder writes what its last sync did beside the index (LAST_SYNC), so every worker of the host
reports the same; with FAQ_DATABASE_URL it records it in the database too, where the replicas of other hosts read it.
A sync that fails (the site down, a malformed file, a refused build) changes nothing served.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from faq.errors import DatabaseError, FaqError, IndexNotFoundError
from faq.files import write_atomically
from faq.settings import Settings
from feedback.factory import existing_feedback_store
from index.disk.storage import read_manifest
from index.disk.versions import resolve
from ingest.corpus import with_phrasings
from ingest.site import SiteCorpus
from replication.leader import SYNC_LOCK, AdvisoryLock, FileLock, HeldLock
from replication.published import PublishedVersions
from usecases.versions import BuildResult, build_version, read_corpus

__all__ = ["LAST_SYNC", "SyncReport", "SyncState", "Syncer", "open_sync_lock", "sync_once"]

log = logging.getLogger("faq.sync")

LAST_SYNC = ".last-sync.json"  # in the index folder: the holder's last report, read by the other workers of the host
Outcome = Literal["switched", "unchanged", "failed"]
Build = Callable[[Path | str, Path, Settings], BuildResult]


@dataclass(frozen=True)
class SyncReport:
    """One sync: when, what it read (a site's pages; none for files) and what it changed."""

    started_at: float  # time.time()
    seconds: float
    outcome: Outcome  # switched: a new version is served; unchanged: the corpus is the served one's; failed: see error
    version: str | None  # the version served after it
    pages_fetched: int = 0  # a site's pages read, 304s included
    pages_unchanged: int = 0  # of which answered 304 Not Modified
    pages_failed: int = 0
    entries_added: int = 0
    entries_changed: int = 0
    entries_removed: int = 0
    texts_embedded: int = 0
    error: str | None = None

    @classmethod
    def from_json(cls, raw: dict) -> SyncReport:
        return cls(**{k: v for k, v in raw.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class SyncState:
    """What /readyz and /metrics say about the sync in this process."""

    interval: float
    holder: bool | None = None  # this process syncs (it holds the lock); None until its first try
    last: SyncReport | None = None  # the last sync on this host, by whichever process held the lock
    ran: bool = False  # this try ran `last` (rather than reading the holder's)


def sync_once(settings: Settings, build: Build | None = None) -> SyncReport:
    """Read the corpus; when it differs from the served version's, build and switch (`build`: `faq ingest`'s build_version
    unless a test passes another).

    The corpus is read once more by the build (a site's pages then answer 304 from the cache just refreshed): what the
    report counts is the first read, which saw what changed."""
    started, clock = time.time(), time.perf_counter()
    site: SiteCorpus | None = None
    try:
        loaded, site = read_corpus(settings.corpus, settings)
        with existing_feedback_store(settings) as store:  # accepted phrasings are part of what is built (build_version)
            accepted = store.accepted_phrasings() if store else {}
        served = _served(settings.index_dir)
        if served is not None and with_phrasings(loaded, accepted).checksum == served[1]:
            return SyncReport(started, time.perf_counter() - clock, "unchanged", served[0], *_pages(site))
        result = (build or build_version)(settings.corpus, settings.index_dir, settings)
    except (FaqError, OSError) as e:
        served = _served(settings.index_dir)
        return SyncReport(started, time.perf_counter() - clock, "failed", served[0] if served else None, *_pages(site),
                          error=str(e))
    c = result.changes
    return SyncReport(started, time.perf_counter() - clock, "switched", result.version, *_pages(site),
                      entries_added=c.added if c else 0, entries_changed=c.changed if c else 0,
                      entries_removed=c.removed if c else 0, texts_embedded=c.texts_embedded if c else 0)


def _served(index_dir: Path) -> tuple[str, str] | None:
    """The served version and its corpus checksum; None when there is none (the sync then builds one)."""
    try:
        path, version = resolve(index_dir)
        return version, read_manifest(path).corpus_checksum
    except (IndexNotFoundError, FaqError, OSError):
        return None


def _pages(site: SiteCorpus | None) -> tuple[int, int, int]:
    """Pages fetched (304s included), unchanged (304) and failed; none for files."""
    if site is None:
        return 0, 0, 0
    pages = site.fetch.pages
    return len(pages), sum(p.not_modified for p in pages), len(site.failures)


def open_sync_lock(settings: Settings) -> HeldLock:
    """The database's advisory lock with FAQ_DATABASE_URL (replicas on several hosts), else a file in the index folder."""
    if settings.database_url is not None:
        return AdvisoryLock(settings.database_url.get_secret_value())
    return FileLock(settings.index_dir / SYNC_LOCK)


class Syncer:
    """One process's side of the scheduled sync; `tick` is called every FAQ_SYNC_INTERVAL, off the event loop."""

    def __init__(self, settings: Settings, lock: HeldLock, build: Build | None = None,
                 shared: PublishedVersions | None = None) -> None:
        """`shared`: the database where the holder records its last sync and the others read it (FAQ_DATABASE_URL); the
        service's follower owns it and closes it, not this."""
        assert settings.sync_interval is not None
        self._settings = settings
        self._lock = lock
        self._build = build
        self._shared = shared

    def close(self) -> None:
        self._lock.close()

    def tick(self) -> SyncState:
        """Sync when this process holds the lock (taking it when free), else read what the holder last did."""
        interval = self._settings.sync_interval or 0.0
        try:
            holder = self._lock.hold()
        except FaqError as e:  # the database is away: no one can publish, so no one syncs
            report = SyncReport(time.time(), 0.0, "failed", None, error=str(e))
            return SyncState(interval, holder=False, last=report, ran=True)
        if not holder:
            return SyncState(interval, holder=False, last=self._holders_last())
        report = sync_once(self._settings, self._build)
        self._record(report)
        return SyncState(interval, holder=True, last=report, ran=True)

    def _record(self, report: SyncReport) -> None:
        """Beside the index for this host's workers, and in the database for other hosts' replicas; a failure to record
        is said in the log and changes nothing served."""
        try:
            write_atomically(self._settings.index_dir / LAST_SYNC, json.dumps(asdict(report)))
        except OSError as e:
            log.warning("could not record the last sync in %s: %s", self._settings.index_dir / LAST_SYNC, e)
        if self._shared is not None:
            try:
                self._shared.record_run("sync", asdict(report))
            except DatabaseError as e:
                log.warning("could not record the last sync in the database: %s", e)

    def _holders_last(self) -> SyncReport | None:
        """The holder's last sync: the database's when there is one (the holder may be on another host), else this host's
        file; the file's too while the database cannot be read."""
        if self._shared is not None:
            try:
                found = self._shared.last_run("sync")
                return SyncReport.from_json(found) if found is not None else None
            except (DatabaseError, TypeError) as e:
                log.warning("could not read the last sync from the database: %s", e)
        return read_last(self._settings.index_dir)


def read_last(index_dir: Path) -> SyncReport | None:
    """What the holder on this host wrote; None before its first sync (or when the holder is on another host)."""
    try:
        return SyncReport.from_json(json.loads((index_dir / LAST_SYNC).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
