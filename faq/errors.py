"""The project's exceptions, so callers can catch one root and tell people what to fix.

    FaqError
    ├── CorpusError          a corpus file is malformed (names file and line)
    ├── IndexError_          an index folder cannot be used
    │   ├── IndexNotFoundError
    │   └── IndexMismatchError   built with another embedder, dimension or format
    └── EmbedderError        an embedding backend is unknown or cannot load
"""

from __future__ import annotations

from pathlib import Path


class FaqError(Exception):
    """Root of every error this project raises on purpose."""


class CorpusError(FaqError):
    """A corpus file cannot be read; says which file and line, and what the rule is."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class IndexError_(FaqError):
    """An index folder cannot be used as it is."""


class IndexNotFoundError(IndexError_):
    """No index at the given path."""


class IndexMismatchError(IndexError_):
    """The index on disk does not match what the caller expects."""


class EmbedderError(FaqError):
    """An embedding backend is unknown or failed to load."""
