"""What people did with the answers: every query, every verdict, and the phrasings learned from them.

SQLite in WAL mode in the service's data folder: readers never block the writer, and a row is on
disk once its transaction commits, so a crash loses nothing that was acknowledged. One connection
per thread (SQLite connections must not be shared across threads).
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from faq.errors import UnknownQueryError
from feedback.reports import SETTLED

__all__ = ["FeedbackStore", "Phrasing", "Surface", "UnknownQueryError", "Verdict"]

# "click": the person opened a result's article or full answer (click-through, not a judgement)
Verdict = Literal["used", "not_relevant", "helpful", "not_helpful", "click"]
Surface = Literal["search", "agent", "api"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queries (
    id TEXT PRIMARY KEY, ts REAL NOT NULL, surface TEXT NOT NULL, question TEXT NOT NULL,
    answerable INTEGER NOT NULL, confidence REAL NOT NULL, top_entry TEXT
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, query_id TEXT NOT NULL REFERENCES queries(id),
    entry_id TEXT NOT NULL, verdict TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS phrasings (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, entry_id TEXT NOT NULL, text TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'candidate', source_query_id TEXT, UNIQUE (entry_id, text)
);
CREATE INDEX IF NOT EXISTS queries_question ON queries (question);
CREATE INDEX IF NOT EXISTS feedback_query ON feedback (query_id);
CREATE INDEX IF NOT EXISTS feedback_entry ON feedback (entry_id, verdict);
"""


# Columns added after the first release: an older database gets them on open (ALTER TABLE … ADD COLUMN
# is cheap in SQLite: existing rows read NULL, nothing is rewritten).
_ADDED_COLUMNS = {"queries": {"lang": "TEXT", "session": "TEXT"}}


@dataclass(frozen=True)
class Phrasing:
    id: int
    entry_id: str
    text: str
    status: str


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        with self._connect() as db:
            db.executescript(_SCHEMA)
            _migrate(db)

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a committed row survives a killed process (kill -9); only an OS crash or power
            # cut can lose the last transactions. FULL would add an fsync to every logged query.
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
        return db

    def log_query(self, question: str, surface: Surface, answerable: bool, confidence: float, top_entry: str | None,
                  lang: str | None = None, session: str | None = None, ts: float | None = None) -> str:
        """`session`: the search box's id for one burst of typing; analytics count only its last query."""
        query_id = uuid.uuid4().hex
        self._connect().execute(
            "INSERT INTO queries (id, ts, surface, question, answerable, confidence, top_entry, lang, session) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (query_id, time.time() if ts is None else ts, surface, question.strip(), int(answerable), confidence, top_entry,
             lang, session),
        )
        return query_id

    def logged_questions(self, limit: int = 5000) -> list[str]:
        """The most recent distinct questions asked (labels unused): label-free calibration's query bank."""
        rows = self._connect().execute(
            "SELECT question FROM queries GROUP BY lower(question) ORDER BY MAX(ts) DESC LIMIT ?", (limit,))
        return [r[0] for r in rows]

    def record(self, query_id: str, entry_id: str, verdict: Verdict) -> None:
        """Store a verdict; "used" by an agent also proposes the question as a phrasing of the entry."""
        db = self._connect()
        row = db.execute("SELECT question FROM queries WHERE id = ?", (query_id,)).fetchone()
        if row is None:
            raise UnknownQueryError(query_id)
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("INSERT INTO feedback (ts, query_id, entry_id, verdict) VALUES (?, ?, ?, ?)",
                       (time.time(), query_id, entry_id, verdict))
            if verdict == "used":
                db.execute("INSERT OR IGNORE INTO phrasings (ts, entry_id, text, source_query_id) VALUES (?, ?, ?, ?)",
                           (time.time(), entry_id, row[0], query_id))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def phrasings(self, status: str | None = None) -> list[Phrasing]:
        sql = "SELECT id, entry_id, text, status FROM phrasings"
        rows = self._connect().execute(sql + (" WHERE status = ?" if status else "") + " ORDER BY id", (status,) if status else ())
        return [Phrasing(*r) for r in rows]

    def review(self, phrasing_id: int, accept: bool) -> Phrasing:
        db = self._connect()
        cursor = db.execute("UPDATE phrasings SET status = ? WHERE id = ?", ("accepted" if accept else "rejected", phrasing_id))
        if cursor.rowcount == 0:
            raise LookupError(f"no phrasing with id {phrasing_id}")
        return Phrasing(*db.execute("SELECT id, entry_id, text, status FROM phrasings WHERE id = ?", (phrasing_id,)).fetchone())

    def accepted_phrasings(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for p in self.phrasings("accepted"):
            out.setdefault(p.entry_id, []).append(p.text)
        return {k: tuple(v) for k, v in out.items()}

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, for the read-only reports of feedback.reports."""
        return self._connect()

    def analytics(self, limit: int = 20) -> dict:
        """The help-center team's list of content gaps."""
        db = self._connect()
        # counted: a search-as-you-type session's settled query only (feedback.reports.SETTLED)
        top = db.execute(SETTLED +
            "SELECT question, COUNT(*) AS n FROM settled GROUP BY lower(question) ORDER BY n DESC, question LIMIT ?", (limit,))
        unanswered = db.execute(SETTLED +
            "SELECT question, COUNT(*) AS n FROM settled WHERE answerable = 0 GROUP BY lower(question) "
            "ORDER BY n DESC, question LIMIT ?", (limit,))
        not_relevant = db.execute(
            "SELECT entry_id, COUNT(*) AS n FROM feedback WHERE verdict = 'not_relevant' GROUP BY entry_id "
            "ORDER BY n DESC, entry_id LIMIT ?", (limit,))
        totals = db.execute(SETTLED + "SELECT COUNT(*), COALESCE(SUM(answerable = 0), 0) FROM settled").fetchone()
        return {
            "totals": {"queries": totals[0], "unanswered": totals[1]},
            "top_questions": [{"question": q, "count": n} for q, n in top],
            "unanswered_questions": [{"question": q, "count": n} for q, n in unanswered],
            "not_relevant_entries": [{"entry_id": e, "count": n} for e, n in not_relevant],
        }

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


def _migrate(db: sqlite3.Connection) -> None:
    for table, columns in _ADDED_COLUMNS.items():
        present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        for name, kind in columns.items():
            if name not in present:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
    db.execute("CREATE INDEX IF NOT EXISTS queries_session ON queries (session, ts)")
