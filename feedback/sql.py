"""What the feedback store's SQL runs on: one statement language both backends speak, and a tiny executor.

The operations and reports are written once, in SQL that SQLite (3.35+) and PostgreSQL both run:
`?` placeholders, `COUNT(*) FILTER (WHERE …)` rather than summing booleans, `ON CONFLICT … DO
NOTHING`, `RETURNING`. The two things they spell differently are named in the text and filled in
by the backend's `Dialect`: `{seq}`, the column that orders rows inserted in the same instant, and
`{day(ts)}`, a REAL epoch timestamp's UTC day as 'YYYY-MM-DD'.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Connection", "Db", "Dialect", "Params"]

Params = Sequence[Any]


@dataclass(frozen=True)
class Dialect:
    name: str
    seq: str  # SQLite's rowid; PostgreSQL has none, so its schema carries an identity column
    day: Callable[[str], str]  # SQL expression: the UTC day ('YYYY-MM-DD') of an epoch-seconds column
    placeholder: str = "?"

    def sql(self, text: str) -> str:
        """`text` in this dialect: markers filled in and, for psycopg, `?` → `%s` (and a literal % doubled)."""
        text = text.replace("{seq}", self.seq).replace("{day(ts)}", self.day("ts"))
        if self.placeholder != "?":
            text = text.replace("%", "%%").replace("?", self.placeholder)
        return text


class Db(Protocol):
    """One connection (or one transaction) of a backend, taking the neutral SQL of this module's docstring."""

    def rows(self, sql: str, params: Params = ()) -> list[tuple]:
        """The rows a statement returns."""
        ...

    def run(self, sql: str, params: Params = ()) -> int:
        """Run a statement; the number of rows it changed."""
        ...


@dataclass(frozen=True)
class Connection:
    """A `Db` over a DB-API connection (sqlite3's or psycopg's: both have `.execute(...)` returning a cursor)."""

    db: Any
    dialect: Dialect

    def rows(self, sql: str, params: Params = ()) -> list[tuple]:
        return self.db.execute(self.dialect.sql(sql), params).fetchall()

    def run(self, sql: str, params: Params = ()) -> int:
        return self.db.execute(self.dialect.sql(sql), params).rowcount
