"""The shared PostgreSQL database: one connection pool per process, and versioned SQL migrations.

Replicas on several hosts share feedback, the query log, phrasings and the served index version
through one database (FAQ_DATABASE_URL). Each component (feedback, index versions) keeps its schema
as numbered SQL files (`0001_init.sql`, `0002_….sql`) in a folder of its package; `apply_migrations`
runs the ones a database has not seen yet, each in its own transaction, under an advisory lock so
replicas starting together do not race. A database whose schema is newer than this code is refused
with a message, not silently used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

from faq.errors import DatabaseError

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

__all__ = ["Migration", "apply_migrations", "load_migrations", "open_pool", "redact"]

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x46_41_51  # "FAQ": pg_advisory_xact_lock key shared by every component's migrations


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(package: str, folder: str = "migrations") -> tuple[Migration, ...]:
    """The numbered .sql files in `package/folder`, in order; a gap or duplicate number is a packaging bug."""
    root = resources.files(package) / folder
    found = []
    for entry in root.iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
        elif entry.name.endswith(".sql"):
            raise DatabaseError(f"{package}/{folder}/{entry.name}: migration files are named NNNN_name.sql")
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise DatabaseError(f"{package}/{folder}: migrations must be numbered 0001, 0002, … without gaps; "
                            f"found {[m.version for m in found]}")
    return tuple(found)


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


# psycopg_pool retries a lost server after 1, 2, 4, 8 ... s, so after an outage of a minute the service kept
# answering 503 for up to another minute with the database back; retried at least every this many seconds instead
RECONNECT_EVERY_S = 2.0


@lru_cache(maxsize=1)
def _pool_class() -> type:
    """ConnectionPool whose reconnection attempts back off to RECONNECT_EVERY_S at most (a subclass, not a patch of
    the library's module: other pools in the process keep its schedule)."""
    from psycopg_pool import ConnectionPool
    from psycopg_pool.base import AttemptWithBackoff

    class CappedAttempt(AttemptWithBackoff):
        def update_delay(self, now: float) -> None:
            super().update_delay(now)
            self.delay = min(self.delay, RECONNECT_EVERY_S)

    class Pool(ConnectionPool):
        def _add_connection(self, attempt: AttemptWithBackoff | None, growing: bool = False) -> None:
            super()._add_connection(attempt or CappedAttempt(timeout=self.reconnect_timeout), growing)

    return Pool


def open_pool(url: str, *, max_size: int = 8, timeout: float = 10.0, wait: bool = True) -> ConnectionPool:
    """An open pool of autocommit connections; fails now, with the reason, when the server cannot be reached.

    `timeout`: how long a caller waits for a connection (a server down: PoolTimeout then). Each
    connection is checked as it is handed out, so one the server dropped (a restart,
    pg_terminate_backend, an idle timeout) is replaced instead of failing the caller's statement.
    `wait=False` connects in the background instead, for a process that must go on while the database
    is down (a replica following the published index version keeps its last good one meanwhile).
    """
    import psycopg
    from psycopg_pool import ConnectionPool, PoolTimeout

    pool = _pool_class()(url, min_size=1, max_size=max_size, timeout=timeout, open=False,
                         kwargs={"autocommit": True}, check=ConnectionPool.check_connection, name="faq")
    if not wait:
        pool.open(wait=False)
        return pool
    try:  # one plain connection first: a refused or unknown server fails at once, with the driver's reason
        psycopg.connect(url, connect_timeout=max(1, round(timeout))).close()
    except psycopg.Error as e:
        raise DatabaseError(f"Cannot connect to the database {redact(url)} ({' '.join(str(e).split())}). "
                            "Check FAQ_DATABASE_URL and that PostgreSQL is running.") from e
    try:
        pool.open(wait=True, timeout=timeout)
    except (PoolTimeout, psycopg.Error) as e:
        pool.close()
        raise DatabaseError(f"Cannot connect to the database {redact(url)} within {timeout:g} s ({e}). "
                            "Check FAQ_DATABASE_URL and that PostgreSQL is running.") from e
    return pool


def apply_migrations(pool: ConnectionPool, component: str, migrations: Sequence[Migration]) -> list[int]:
    """Bring `component`'s schema up to date; returns the versions applied now (empty when already current)."""
    import psycopg

    applied: list[int] = []
    try:
        with pool.connection() as db, db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL, "
                       "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (component, version))")
            row = db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = %s",
                             (component,)).fetchone()
            current = row[0] if row else 0
            known = migrations[-1].version if migrations else 0
            if current > known:
                raise DatabaseError(f"The database's {component} schema is at version {current}, newer than this "
                                    f"release knows ({known}): upgrade faq-answers on this host before serving.")
            for migration in migrations:
                if migration.version <= current:
                    continue
                with db.transaction():  # a savepoint: a failing file names itself and leaves the schema as it was
                    try:
                        db.execute(migration.sql)
                    except psycopg.Error as e:
                        raise DatabaseError(f"Migration {component} {migration.version:04d}_{migration.name}.sql "
                                            f"failed: {e}") from e
                    db.execute("INSERT INTO schema_migrations (component, version, name) VALUES (%s, %s, %s)",
                               (component, migration.version, migration.name))
                applied.append(migration.version)
    except psycopg.OperationalError as e:
        raise DatabaseError(f"The database went away while migrating {component}: {e}") from e
    return applied
