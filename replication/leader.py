"""Which process of a deployment does a job only one of them may do at a time (the scheduled sync: usecases.sync).

A lock that a process takes once and keeps while it lives: with FAQ_DATABASE_URL a PostgreSQL session-level
advisory lock (replicas on other hosts), else a file lock in the index folder (`faq serve --workers N` on one host).
Kept, not taken per job, so one process does the job every time rather than whichever wakes first; released by the
operating system or the database when its holder dies (a killed process's file or session closes), so another
takes over at its next try.
"""

from __future__ import annotations

import fcntl
import hashlib
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from faq.errors import DatabaseError

if TYPE_CHECKING:
    import psycopg

__all__ = ["SYNC_LOCK", "SYNC_LOCK_KEY", "AdvisoryLock", "FileLock", "HeldLock"]

SYNC_LOCK = ".sync.lock"  # the file lock's name in the index folder
# pg_try_advisory_lock's key: one bigint per job, derived from its name so it cannot collide with a hand-picked small number
SYNC_LOCK_KEY = int.from_bytes(hashlib.sha256(b"faq:scheduled-sync").digest()[:8], "big", signed=True)


class HeldLock(Protocol):
    def hold(self) -> bool:
        """True while this process holds the lock (taken now, or kept from before); False while another does.
        Raises DatabaseError when the database that keeps it cannot be reached."""
        ...

    def close(self) -> None:
        """Release it (another process may take it at its next try)."""
        ...


class FileLock:
    """flock on a file: released when the file closes, which the kernel does when the process dies."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file: IO[str] | None = None

    def hold(self) -> bool:
        if self._file is not None:
            return True
        self._path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self._path, "a+")  # noqa: SIM115 - kept open while the lock is held
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            return False
        self._file = f
        return True

    def close(self) -> None:
        if self._file is not None:
            f, self._file = self._file, None
            f.close()


class AdvisoryLock:
    """pg_try_advisory_lock on a connection of its own, kept open while held: the session ending (the process died,
    the connection was cut) releases it. Each `hold` checks the session is still there before saying it is held."""

    def __init__(self, url: str, key: int = SYNC_LOCK_KEY, timeout: float = 3.0) -> None:
        self._url = url
        self._key = key
        self._timeout = timeout
        self._connection: psycopg.Connection | None = None

    def hold(self) -> bool:
        import psycopg

        if self._connection is not None:
            try:
                self._connection.execute("SELECT 1")
                return True
            except psycopg.Error:
                self.close()  # the session is gone and the lock with it: try again as anyone would
        try:
            connection = psycopg.connect(self._url, autocommit=True, connect_timeout=max(1, round(self._timeout)))
        except psycopg.Error as e:
            raise DatabaseError(f"Cannot reach the database to take the sync lock ({str(e).strip() or type(e).__name__}). "
                                "Check FAQ_DATABASE_URL and that PostgreSQL is running.") from e
        try:
            row = connection.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
        except psycopg.Error as e:
            connection.close()
            raise DatabaseError(f"The database failed while taking the sync lock: {str(e).strip() or type(e).__name__}") from e
        if row is None or not row[0]:
            connection.close()
            return False
        self._connection = connection
        return True

    def close(self) -> None:
        """Release the lock, then close: the server ends a closed session a little later, and another replica asking
        in between would find it still held (seen once in the tests under load)."""
        import psycopg

        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                connection.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
            except psycopg.Error:
                pass  # the session is gone already, and the lock with it
            finally:
                connection.close()
