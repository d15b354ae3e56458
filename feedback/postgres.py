"""The feedback store in PostgreSQL (FAQ_DATABASE_URL): replicas on several hosts share one query log.

Connections come from faq.database's pool (checked when handed out, so one the server dropped is
replaced rather than failing a request); the schema is feedback/migrations/, applied at open. A
server that is down or goes away mid-call raises DatabaseError (the service's 503), never a
driver error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from faq.database import apply_migrations, load_migrations, open_pool, redact
from faq.errors import DatabaseError
from faq.redact import Redactor
from feedback.sql import Connection, Dialect
from feedback.store import FeedbackStore

__all__ = ["COMPONENT", "POSTGRES", "PostgresFeedbackStore"]

COMPONENT = "feedback"  # its rows in schema_migrations
POSTGRES = Dialect("postgres", seq="seq", placeholder="%s",
                   day=lambda ts: f"to_char(to_timestamp({ts}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')")


class PostgresFeedbackStore(FeedbackStore):
    remote = True

    def __init__(self, url: str, pool_size: int = 8, timeout: float = 10.0, redactor: Redactor | None = None,
                 retention_days: int = 0) -> None:
        """Connects and migrates now; raises DatabaseError naming the URL (without its password) when that fails.

        `timeout`: how long a call waits for a connection (the server down: then DatabaseError)."""
        self._where = redact(url)
        self._pool = open_pool(url, max_size=pool_size, timeout=timeout)
        try:
            apply_migrations(self._pool, COMPONENT, load_migrations("feedback"))
            super().__init__(redactor, retention_days)
        except BaseException:
            self._pool.close()
            raise

    @contextmanager
    def _db(self, transaction: bool = False) -> Iterator[Connection]:
        import psycopg
        from psycopg_pool import PoolTimeout

        try:
            with self._pool.connection() as db:
                if transaction:
                    with db.transaction():
                        yield Connection(db, POSTGRES)
                else:
                    yield Connection(db, POSTGRES)
        except (psycopg.OperationalError, PoolTimeout) as e:
            raise DatabaseError(f"The feedback database {self._where} is not answering ({type(e).__name__}: {e}). "
                                "Check that PostgreSQL is running and reachable.") from e

    def close(self) -> None:
        self._pool.close()
