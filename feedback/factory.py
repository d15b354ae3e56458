"""Which feedback store a process gets: PostgreSQL when FAQ_DATABASE_URL is set, else SQLite in the data folder.

The factory sits above the backends (feedback.sqlite, feedback.postgres) and the interface they implement
(feedback.store), so none of them imports back up to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from faq.redact import Redactor
from feedback.sqlite import SqliteFeedbackStore
from feedback.store import SQLITE_FILE, FeedbackStore

if TYPE_CHECKING:
    from faq.settings import Settings

__all__ = ["existing_feedback_store", "open_feedback_store"]


def open_feedback_store(settings: Settings) -> FeedbackStore:
    """PostgreSQL when FAQ_DATABASE_URL is set (its schema migrated now), else SQLite in the data folder; questions
    redacted as the settings say, queries older than FAQ_QUERY_LOG_DAYS deleted now.

    Raises DatabaseError, naming the URL without its password, when PostgreSQL cannot be reached."""
    if settings.database_url is not None:
        from feedback.postgres import PostgresFeedbackStore  # imported here: psycopg loads only where a database is configured

        return PostgresFeedbackStore(settings.database_url.get_secret_value(), pool_size=settings.database_pool_size,
                                     timeout=settings.database_timeout, redactor=Redactor.from_settings(settings),
                                     retention_days=settings.query_log_days)
    return SqliteFeedbackStore(settings.data_dir / SQLITE_FILE, redactor=Redactor.from_settings(settings),
                               retention_days=settings.query_log_days)


@contextmanager
def existing_feedback_store(settings: Settings) -> Iterator[FeedbackStore | None]:
    """The store to read from, closed afterwards; None when nothing was ever logged here (no SQLite file yet),
    so a command that only reads (ingest, calibrate) creates no empty database."""
    if settings.database_url is None and not (settings.data_dir / SQLITE_FILE).exists():
        yield None
        return
    with open_feedback_store(settings) as store:
        yield store
