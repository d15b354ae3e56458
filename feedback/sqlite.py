"""The feedback store in one SQLite file: a single host, no server to run.

WAL mode: readers never block the writer, and a row is on disk once its transaction commits, so a
crash loses nothing that was acknowledged. One connection per thread (SQLite connections must not
be shared across threads).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from faq.redact import Redactor
from feedback.sql import Connection, Dialect
from feedback.store import FeedbackStore

__all__ = ["SQLITE", "SqliteFeedbackStore"]

BUSY_TIMEOUT = 30.0  # seconds a connection waits for another's write lock
SQLITE = Dialect("sqlite", seq="rowid", day=lambda ts: f"date({ts}, 'unixepoch')")

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
CREATE TABLE IF NOT EXISTS revoked_sessions (id TEXT PRIMARY KEY, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS rule_synonyms (
    id INTEGER PRIMARY KEY AUTOINCREMENT, lang TEXT NOT NULL, terms TEXT NOT NULL, targets TEXT NOT NULL DEFAULT '[]', ts REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS rule_pins (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, entry_id TEXT, examples TEXT NOT NULL, ts REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS rule_hidden (id INTEGER PRIMARY KEY AUTOINCREMENT, entry_id TEXT, section TEXT, ts REAL NOT NULL);
CREATE TABLE IF NOT EXISTS rule_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL, kind TEXT NOT NULL,
    rule_id INTEGER NOT NULL, detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS queries_question ON queries (question);
CREATE INDEX IF NOT EXISTS feedback_query ON feedback (query_id);
CREATE INDEX IF NOT EXISTS feedback_entry ON feedback (entry_id, verdict);
"""

# Columns added after the first release: an older database gets them on open (ALTER TABLE … ADD COLUMN
# is cheap in SQLite: existing rows read NULL, nothing is rewritten).
_ADDED_COLUMNS = {"queries": {"lang": "TEXT", "session": "TEXT", "outcome": "TEXT", "rules": "TEXT"}}


class SqliteFeedbackStore(FeedbackStore):
    def __init__(self, path: Path, redactor: Redactor | None = None, retention_days: int = 0) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        _owner_only(path)
        self.path = path
        self._local = threading.local()
        db = self._connect()
        # one write transaction: two processes opening a new database at once (`faq serve --workers 2`'s workers start
        # together) each saw a column missing and both added it ("duplicate column name"); the second now waits
        try:
            db.executescript("BEGIN IMMEDIATE;" + _SCHEMA)
            _migrate(db)
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        super().__init__(redactor, retention_days)

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
            _wal(db)
            # WAL + NORMAL: a committed row survives a killed process (kill -9); only an OS crash or power
            # cut can lose the last transactions. FULL would add an fsync to every logged query.
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
        return db

    @contextmanager
    def _db(self, transaction: bool = False) -> Iterator[Connection]:
        db = self._connect()
        if not transaction:
            yield Connection(db, SQLITE)
            return
        db.execute("BEGIN IMMEDIATE")  # the write lock now: a read then write in one transaction cannot deadlock
        try:
            yield Connection(db, SQLITE)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        """Closes this thread's connection (the others close with their threads)."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


def _wal(db: sqlite3.Connection) -> None:
    """Switch to WAL, waiting out another process's write. SQLite answers "database is locked" at once, without its busy
    timeout, when this connection would have to upgrade a shared lock while another holds the write lock (waiting could
    deadlock): two workers opening a new database at once (one setting up the schema) hit it, so it is retried here."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    pause = 0.005
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def _owner_only(path: Path) -> None:
    """Create the database file readable by its owner only (0600): it holds what customers typed. SQLite gives its
    -wal and -shm files the database's mode. A file an older release created 0644 is narrowed too."""
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:  # another process's last connection closing removes its -wal and -shm at any moment
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)
        except FileNotFoundError:
            continue


def _migrate(db: sqlite3.Connection) -> None:
    for table, columns in _ADDED_COLUMNS.items():
        present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        for name, kind in columns.items():
            if name not in present:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
    db.execute("CREATE INDEX IF NOT EXISTS queries_session ON queries (session, ts)")
    db.execute("CREATE INDEX IF NOT EXISTS queries_ts ON queries (ts)")  # the daily retention delete
    db.execute("CREATE INDEX IF NOT EXISTS feedback_ts ON feedback (ts)")
