"""Index versions published in PostgreSQL, so every replica serves what an ingest on any host built.

    index_versions   a row a version; `complete` is set by the transaction that uploaded its last file
    index_files      each file's relative path, size, sha256 and number of chunks
    index_chunks     the file's bytes, CHUNK_BYTES a row (bytea)
    index_served     one row: the version the replicas serve
    index_last_runs  the last regression check and the last scheduled sync, a row each (record_run, last_run)

A version is uploaded in one transaction: a crash or a lost connection leaves nothing behind, and a
reader never sees a version whose files are not all in. A change of the served version or of its manifest
is announced on CHANNEL (NOTIFY), so followers need not wait for their next poll. Its files do not change afterwards, except
manifest.json, which `faq calibrate` republishes in place (a few kilobytes; the vectors stay). A
download reads in one snapshot and checks every file's size and sha256 before anything is renamed
into place (replication.follower). The local index folder of each replica is a cache of this.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from faq.database import apply_migrations, load_migrations, open_pool
from faq.errors import DatabaseError, IndexError_, IndexNotFoundError, ReplicationError
from index.disk.build import MANIFEST
from index.disk.versions import beyond_keep, earlier_than

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

__all__ = ["CHANNEL", "CHUNK_BYTES", "PublishedFile", "PublishedVersions", "RunKind", "connect_in_background",
           "published_versions"]

CHUNK_BYTES = 1 << 20  # a row per MiB: large enough for few rows, small enough to stream
COMPONENT = "index"  # its rows in schema_migrations: named before the move to replication/, as databases know it
CHANNEL = "faq_index_served"  # NOTIFY'd when the served version or its manifest changes: followers wake at once
RunKind = Literal["check", "sync"]  # index_last_runs.kind: the last regression check, the last scheduled sync
_SAFE_PATH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")  # as the table's CHECK: no "..", no hidden files


@dataclass(frozen=True)
class PublishedFile:
    path: str  # relative to the version folder, "/"-separated
    size: int
    sha256: str
    chunks: int


class PublishedVersions:
    """The database side of index versions: publish, choose the served one, roll back, prune, download.

    Raises DatabaseError when the database cannot be reached, IndexNotFoundError for a version it
    does not hold complete, ReplicationError when a downloaded file fails its size or checksum."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._migrated = False  # once per registry: a command's follower then does not migrate again

    def close(self) -> None:
        self._pool.close()

    def migrate(self) -> None:
        """Create or upgrade the tables (idempotent; replicas starting together wait on one lock)."""
        if self._migrated:
            return
        with self._connection("create the index version tables"):  # says "Cannot reach" while the server is away
            pass
        apply_migrations(self._pool, COMPONENT, load_migrations("replication"))
        self._migrated = True

    def publish(self, folder: Path, version: str) -> tuple[PublishedFile, ...]:
        """Upload every file of the complete local version at `folder`; a version already complete is left as it is."""
        paths = _files_of(folder)
        with self._connection("publish an index version") as db, db.transaction():
            db.execute("INSERT INTO index_versions (version) VALUES (%s) ON CONFLICT (version) DO NOTHING", (version,))
            row = db.execute("SELECT complete FROM index_versions WHERE version = %s FOR UPDATE", (version,)).fetchone()
            if row and row[0]:
                return self._files(db, version)
            try:
                uploaded = tuple(_upload(db, version, folder, path) for path in paths)
            except OSError as e:  # a file removed or unreadable mid-upload: the transaction takes everything back
                raise IndexError_(f"Cannot read {e.filename or folder} to publish version {version}: {e.strerror or e}. "
                                  "Nothing was published.") from e
            db.execute("UPDATE index_versions SET complete = true, files = %s, bytes = %s, published_at = now() WHERE version = %s",
                       (len(uploaded), sum(f.size for f in uploaded), version))
        return uploaded

    def republish_manifest(self, folder: Path, version: str) -> PublishedFile:
        """Replace the published manifest of `version` with the local one (`faq calibrate` rewrote it)."""
        with self._connection("republish a manifest") as db, db.transaction():
            row = db.execute("SELECT complete FROM index_versions WHERE version = %s FOR UPDATE", (version,)).fetchone()
            if not (row and row[0]):
                raise IndexNotFoundError(f"Version {version!r} is not published in the database, so its manifest cannot be "
                                         "republished; publish the whole version instead.")
            db.execute("DELETE FROM index_files WHERE version = %s AND path = %s", (version, MANIFEST))  # its chunks cascade
            uploaded = _upload(db, version, folder, folder / MANIFEST)
            db.execute("UPDATE index_versions SET bytes = (SELECT sum(size) FROM index_files WHERE version = %s) "
                       "WHERE version = %s", (version, version))
            db.execute("SELECT pg_notify(%s, %s)", (CHANNEL, version))
        return uploaded

    def serve(self, version: str) -> None:
        """Make `version` the one every replica serves; refuses a version not completely published."""
        with self._connection("choose the served index version") as db, db.transaction():
            row = db.execute("SELECT complete FROM index_versions WHERE version = %s", (version,)).fetchone()
            if not (row and row[0]):
                raise IndexNotFoundError(f"No complete version {version!r} in the database (published: "
                                         f"{', '.join(self._complete(db)) or 'none'}). Publish it with: faq ingest")
            db.execute("INSERT INTO index_served (version) VALUES (%s) ON CONFLICT (singleton) "
                       "DO UPDATE SET version = EXCLUDED.version, served_at = now()", (version,))
            db.execute("SELECT pg_notify(%s, %s)", (CHANNEL, version))  # delivered at commit

    def served(self) -> tuple[str, str] | None:
        """The served version and its manifest's sha256 (a republished manifest changes it); None before any."""
        with self._connection("read the served index version") as db:
            row = db.execute("SELECT s.version, f.sha256 FROM index_served s JOIN index_files f "
                             "ON f.version = s.version AND f.path = %s", (MANIFEST,)).fetchone()
        return (row[0], row[1]) if row else None

    def versions(self) -> list[str]:
        """Complete versions, oldest first (their names start with a UTC timestamp)."""
        with self._connection("list the published index versions") as db:
            return self._complete(db)

    def previous(self) -> str | None:
        """The newest complete version before the served one: what a rollback serves."""
        served = self.served()
        return earlier_than(self.versions(), served[0] if served else None)

    def prune(self, keep: int) -> list[str]:
        """Delete the oldest versions beyond `keep` (FAQ_KEEP_VERSIONS), never the served one; returns what went."""
        with self._connection("prune the published index versions") as db, db.transaction():
            row = db.execute("SELECT version FROM index_served").fetchone()
            removed = beyond_keep(self._complete(db), row[0] if row else None, keep)
            db.execute("DELETE FROM index_versions WHERE version = ANY(%s)", (removed,))
        return removed

    def files(self, version: str) -> tuple[PublishedFile, ...]:
        with self._connection("list a version's files") as db:
            return self._files(db, version)

    def download(self, version: str, into: Path, only: str | None = None) -> tuple[PublishedFile, ...]:
        """Write the version's files (or the one named `only`) under `into`, checking each one's size and sha256.

        One read-only snapshot: a manifest republished meanwhile is seen whole or not at all."""
        with self._connection("fetch an index version") as db, db.transaction():
            db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            row = db.execute("SELECT complete FROM index_versions WHERE version = %s", (version,)).fetchone()
            if not (row and row[0]):
                raise IndexNotFoundError(f"No complete version {version!r} in the database to fetch")
            wanted = tuple(f for f in self._files(db, version) if only is None or f.path == only)
            for published in wanted:
                _download(db, version, published, into)
        return wanted

    def record_run(self, kind: RunKind, body: dict[str, Any]) -> None:
        """Replace the last run of `kind` with `body` (its JSON summary), so replicas on other hosts show it too."""
        from psycopg.types.json import Jsonb

        self.migrate()
        with self._connection(f"record the last {kind}") as db:
            db.execute("INSERT INTO index_last_runs (kind, body, host) VALUES (%s, %s, %s) ON CONFLICT (kind) "
                       "DO UPDATE SET body = EXCLUDED.body, host = EXCLUDED.host, recorded_at = now()",
                       (kind, Jsonb(body), socket.gethostname()))

    def last_run(self, kind: RunKind) -> dict[str, Any] | None:
        """The last run of `kind` any replica recorded; None before the first."""
        self.migrate()
        with self._connection(f"read the last {kind}") as db:
            row = db.execute("SELECT body FROM index_last_runs WHERE kind = %s", (kind,)).fetchone()
        return row[0] if row and isinstance(row[0], dict) else None

    @staticmethod
    def _complete(db: psycopg.Connection) -> list[str]:
        return [r[0] for r in db.execute("SELECT version FROM index_versions WHERE complete ORDER BY version")]

    @staticmethod
    def _files(db: psycopg.Connection, version: str) -> tuple[PublishedFile, ...]:
        rows = db.execute("SELECT path, size, sha256, chunks FROM index_files WHERE version = %s ORDER BY path", (version,))
        return tuple(PublishedFile(*r) for r in rows)

    @contextmanager
    def _connection(self, doing: str) -> Iterator[psycopg.Connection]:
        """A pooled connection; the driver's and the pool's failures become a DatabaseError saying what was being done."""
        import psycopg
        from psycopg_pool import PoolTimeout

        try:
            with self._pool.connection() as db:
                yield db
        except PoolTimeout as e:
            raise DatabaseError(f"Cannot reach the database to {doing} ({e}). Check FAQ_DATABASE_URL and that PostgreSQL is running.") from e
        except psycopg.Error as e:
            raise DatabaseError(f"The database failed while trying to {doing}: {str(e).strip() or type(e).__name__}") from e


@contextmanager
def published_versions(url: str, timeout: float = 10.0) -> Iterator[PublishedVersions]:
    """For a command (`faq ingest`, `faq rollback`, `faq calibrate`): connected now, migrated, closed after."""
    pool = open_pool(url, max_size=2, timeout=timeout)
    try:
        registry = PublishedVersions(pool)
        registry.migrate()
        yield registry
    finally:
        pool.close()


def connect_in_background(url: str, timeout: float = 3.0) -> PublishedVersions:
    """For a service: returns at once and connects when the database is there, so a replica starts (on its
    last good index) while the database is down; each call waits up to `timeout` for a connection."""
    return PublishedVersions(open_pool(url, max_size=2, timeout=timeout, wait=False))


def _files_of(folder: Path) -> list[Path]:
    """A version folder's files, leaving out hidden and temporary ones (a crashed calibration's manifest.json.tmp)."""
    if not (folder / MANIFEST).is_file():
        raise IndexNotFoundError(f"{folder} is not a complete index version (no {MANIFEST}); nothing to publish")
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if path.name.endswith(".tmp") or any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        if not _SAFE_PATH.match(relative):
            raise IndexNotFoundError(f"{path}: index files are named with letters, digits, '.', '_' and '-' only")
        found.append(path)
    return found


def _upload(db: psycopg.Connection, version: str, folder: Path, path: Path) -> PublishedFile:
    """Stream one file into chunk rows (binary COPY), hashing it on the way; its file row follows (deferred key)."""
    relative = path.relative_to(folder).as_posix()
    digest, size, seq = hashlib.sha256(), 0, 0
    with open(path, "rb") as f, db.cursor().copy("COPY index_chunks (version, path, seq, data) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["text", "text", "int4", "bytea"])
        while block := f.read(CHUNK_BYTES):
            digest.update(block)
            copy.write_row((version, relative, seq, block))
            size += len(block)
            seq += 1
    published = PublishedFile(relative, size, digest.hexdigest(), seq)
    db.execute("INSERT INTO index_files (version, path, size, sha256, chunks) VALUES (%s, %s, %s, %s, %s)",
               (version, relative, size, published.sha256, seq))
    return published


def _download(db: psycopg.Connection, version: str, published: PublishedFile, into: Path) -> None:
    """One file from its chunk rows (a server-side cursor: a few MiB in memory at a time), then its checks."""
    if not _SAFE_PATH.match(published.path):
        raise ReplicationError(f"{version}: refusing the published file name {published.path!r}")
    target = into / published.path
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size, expected = hashlib.sha256(), 0, 0
    with open(target, "wb") as out, db.cursor(name=f"chunks_{uuid.uuid4().hex}", binary=True) as rows:
        rows.itersize = 4
        rows.execute("SELECT seq, data FROM index_chunks WHERE version = %s AND path = %s ORDER BY seq", (version, published.path))
        for seq, data in rows:
            if seq != expected:
                break
            digest.update(data)
            out.write(data)
            size += len(data)
            expected += 1
        out.flush()
        os.fsync(out.fileno())
    if expected != published.chunks:
        raise ReplicationError(f"{version}/{published.path}: chunk {expected} of {published.chunks} is missing from the database "
                               "copy. Publish the version again (faq ingest), or roll back (faq rollback).")
    if size != published.size:
        raise ReplicationError(f"{version}/{published.path}: {size} bytes in the database copy, published as {published.size}. "
                               "Publish the version again (faq ingest), or roll back (faq rollback).")
    if digest.hexdigest() != published.sha256:
        raise ReplicationError(f"{version}/{published.path}: sha256 {digest.hexdigest()[:12]}… differs from the published "
                               f"{published.sha256[:12]}…: the database copy is corrupt. Publish the version again "
                               "(faq ingest), or roll back (faq rollback).")
