"""The project's exceptions, so callers can catch one root and tell people what to fix.

    FaqError
    ├── SettingsError        a FAQ_* setting is refused (names the variable, never a secret's value)
    ├── CorpusError          a corpus or questions file is malformed (names file and line)
    ├── HelpCenterError      a help center's helpcenter.json is malformed (names file and field)
    ├── IndexError_          an index folder cannot be used
    │   ├── IndexNotFoundError
    │   ├── IndexMismatchError   built with another embedder, dimension, ensemble or format
    │   └── ReplicationError     a published version cannot be fetched or fails its checksums
    ├── EmbedderError        an embedding backend is unknown or cannot load
    ├── InvalidRequestError  a caller asked for something outside the limits (faq.limits)
    ├── UnknownQueryError    feedback names a query id this service never issued
    ├── DatabaseError        the shared database (FAQ_DATABASE_URL) cannot be reached or migrated
    └── PeerError            the comparison pipeline (benchmarks.peer) cannot run

Every message says the rule, the value that broke it and the fix.
"""

from __future__ import annotations

from pathlib import Path


class FaqError(Exception):
    """Root of every error this project raises on purpose."""


class SettingsError(FaqError):
    """FAQ_* settings refused by their validators: one line per setting, naming its variable and the rule."""


class CorpusError(FaqError):
    """A corpus file cannot be read; says which file and line, and what the rule is."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class HelpCenterError(FaqError):
    """A helpcenter.json cannot be used; says which file and field, the rule and the fix."""

    def __init__(self, path: str | Path, field: str | None, message: str) -> None:
        self.path = str(path)
        self.field = field
        self.reason = message
        where = f"{self.path}: {field}" if field else self.path
        super().__init__(f"{where}: {message}")


class IndexError_(FaqError):
    """An index folder cannot be used as it is."""


class IndexNotFoundError(IndexError_):
    """No index at the given path."""


class IndexMismatchError(IndexError_):
    """The index on disk does not match what the caller expects."""


class IndexBusyError(IndexError_):
    """Another process is building a version into the same index folder."""


class ReplicationError(IndexError_):
    """A version published in the database cannot be fetched, or its files fail their size or checksum."""


class EmbedderError(FaqError):
    """An embedding backend is unknown or failed to load."""


class InvalidRequestError(FaqError, ValueError):
    """A request outside the limits in faq.limits (the API's schemas turn the same limits into 422s)."""


class UnknownQueryError(FaqError, LookupError):
    """Feedback named a query id this service never issued."""

    def __init__(self, query_id: str) -> None:
        self.query_id = query_id
        super().__init__(f"No query with id {query_id!r}: feedback must name the query_id a /v1/query or /v1/suggest answer returned.")


class PeerError(FaqError):
    """The comparison pipeline cannot run here (a missing extra or model folder); says how to get it."""


class DatabaseError(FaqError):
    """The shared database cannot be used: unreachable, refused, or its schema is newer than this code."""
