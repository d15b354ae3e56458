"""What people did with the answers: every query, every verdict, and the phrasings learned from them.

One interface, two backends: `SqliteFeedbackStore` (feedback.sqlite, a file in the data folder:
one host) and `PostgresFeedbackStore` (feedback.postgres, FAQ_DATABASE_URL: replicas on several
hosts share one log). The operations are written here once, in the SQL both run (feedback.sql);
a backend only hands out connections. `feedback.factory.open_feedback_store(settings)` picks the backend
(the backends import this module; this module imports neither of them).

Errors: `UnknownQueryError` (feedback on a query never logged), `LookupError` (review of an unknown
phrasing), `DatabaseError` (PostgreSQL unreachable or gone mid-call; the service answers 503).
"""

from __future__ import annotations

import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Literal

from faq.curation import Hidden, Pin, RuleKind, Rules, Synonym
from faq.errors import UnknownQueryError
from faq.redact import Redactor
from feedback import curation, reports
from feedback.sql import Db

__all__ = ["SQLITE_FILE", "FeedbackStore", "Forgotten", "Phrasing", "Surface", "UnknownQueryError", "Verdict"]

# "click": the person opened a result's article or full answer (click-through, not a judgement)
Verdict = Literal["used", "not_relevant", "helpful", "not_helpful", "click"]
Surface = Literal["search", "agent", "api"]

SQLITE_FILE = "feedback.sqlite3"  # in the data folder, when no FAQ_DATABASE_URL is set
DAY = 86400.0
_BATCH = 500  # ids per DELETE … IN (…): well under SQLite's and psycopg's parameter limits


@dataclass(frozen=True)
class Phrasing:
    id: int
    entry_id: str
    text: str
    status: str


@dataclass(frozen=True)
class Forgotten:
    """What `FeedbackStore.forget` removed."""

    queries: int
    verdicts: int
    phrasings: int


def new_query_id() -> str:
    return uuid.uuid4().hex


class FeedbackStore(ABC):
    """The query log, verdicts and phrasings, and the team's reports over them. Safe to share between threads."""

    remote: bool = False  # True: every call is a network round trip (callers on the event loop hand it to a thread)

    def __init__(self, redactor: Redactor | None = None, retention_days: int = 0) -> None:
        """Called by a backend once its schema is ready. `redactor`: what a question loses before it is stored
        (default: e-mails, phones, cards, IBANs); `retention_days`: queries and verdicts older than that are
        deleted now and then once a day, on a write (0: kept forever)."""
        self.redactor = redactor or Redactor()
        self.retention_days = retention_days
        self._next_purge = 0.0
        self.purge_expired()

    @abstractmethod
    def _db(self, transaction: bool = False) -> AbstractContextManager[Db]:
        """A connection for one operation; `transaction`: its statements commit together or not at all."""

    @abstractmethod
    def close(self) -> None:
        """Release the connections; the store is not used afterwards."""

    def __enter__(self) -> FeedbackStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def log_query(self, question: str, surface: Surface, answerable: bool, confidence: float, top_entry: str | None,
                  lang: str | None = None, session: str | None = None, ts: float | None = None, query_id: str | None = None,
                  outcome: str | None = None, rules: Sequence[str] = ()) -> str:
        """Log one asked question; its id is what feedback names. `session`: the search box's id for one burst
        of typing (analytics count only its last query). `query_id`: one `new_query_id` gave (the service sends it
        before the row is written), else a new one. `outcome`: answer, related or none (index.deciding.decide); when not
        given, answer or none as `answerable` says. `rules`: the keys of the team's rules that fired ("pin:3")."""
        outcome = outcome or ("answer" if answerable else "none")
        query_id = query_id or new_query_id()
        if time.time() >= self._next_purge:
            self.purge_expired()
        with self._db() as db:
            db.run("INSERT INTO queries (id, ts, surface, question, answerable, confidence, top_entry, lang, session, outcome, rules) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (query_id, time.time() if ts is None else ts, surface, self.redactor.redact(question.strip()), bool(answerable),
                    confidence, top_entry, lang, session, outcome, ",".join(rules) or None))
        return query_id

    def purge_expired(self, now: float | None = None) -> int:
        """Delete the queries older than `retention_days` and every verdict on them or as old; returns the queries
        deleted (0 when retention is off). Phrasings stay: the team reviews them (`forget` removes them)."""
        now = time.time() if now is None else now
        self._next_purge = now + DAY
        if not self.retention_days:
            return 0
        cutoff = now - self.retention_days * DAY
        with self._db(transaction=True) as db:
            db.run("DELETE FROM feedback WHERE ts < ? OR query_id IN (SELECT id FROM queries WHERE ts < ?)", (cutoff, cutoff))
            return db.run("DELETE FROM queries WHERE ts < ?", (cutoff,))

    def forget(self, value: str) -> Forgotten:
        """Delete every stored question containing `value` (any case): its queries, their verdicts, and phrasings.

        Raises ValueError for an empty value (it would match everything)."""
        needle = value.strip().casefold()
        if not needle:
            raise ValueError("the value to forget is empty: it would match every stored question; give the text to remove")
        with self._db(transaction=True) as db:
            # matched here rather than in SQL: lower() is ASCII-only on both backends ('É' would not match 'é')
            queries = [qid for qid, question in db.rows("SELECT id, question FROM queries") if needle in question.casefold()]
            phrasings = [pid for pid, text in db.rows("SELECT id, text FROM phrasings") if needle in text.casefold()]
            verdicts = _delete_in(db, "feedback", "query_id", queries)
            return Forgotten(queries=_delete_in(db, "queries", "id", queries), verdicts=verdicts,
                             phrasings=_delete_in(db, "phrasings", "id", phrasings))

    def revoke_session(self, session_id: str, expires_at: float) -> None:
        """Sign a team session out on every worker and replica (service.team_session); rows past their expiry go."""
        with self._db(transaction=True) as db:
            db.run("DELETE FROM revoked_sessions WHERE expires_at < ?", (time.time(),))
            db.run("INSERT INTO revoked_sessions (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                   (session_id, expires_at))

    def session_revoked(self, session_id: str) -> bool:
        with self._db() as db:
            return bool(db.rows("SELECT 1 FROM revoked_sessions WHERE id = ?", (session_id,)))

    def logged_questions(self, limit: int = 5000) -> list[str]:
        """The most recent distinct questions asked (labels unused): label-free calibration's query bank."""
        with self._db() as db:
            rows = db.rows("SELECT MIN(question) FROM queries GROUP BY lower(question) "
                           "ORDER BY MAX(ts) DESC, MAX({seq}) DESC LIMIT ?", (limit,))
        return [r[0] for r in rows]

    def record(self, query_id: str, entry_id: str, verdict: Verdict) -> None:
        """Store a verdict; "used" by an agent also proposes the question as a phrasing of the entry.

        Raises UnknownQueryError when no query has that id."""
        with self._db(transaction=True) as db:
            found = db.rows("SELECT question FROM queries WHERE id = ?", (query_id,))
            if not found:
                raise UnknownQueryError(query_id)
            now = time.time()
            db.run("INSERT INTO feedback (ts, query_id, entry_id, verdict) VALUES (?, ?, ?, ?)", (now, query_id, entry_id, verdict))
            if verdict == "used":
                db.run("INSERT INTO phrasings (ts, entry_id, text, source_query_id) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (entry_id, text) DO NOTHING", (now, entry_id, found[0][0], query_id))

    def phrasings(self, status: str | None = None) -> list[Phrasing]:
        """Phrasings learned from use, oldest first; `status`: only candidates, accepted or rejected ones."""
        where, params = (" WHERE status = ?", (status,)) if status else ("", ())
        with self._db() as db:
            return [Phrasing(*r) for r in db.rows(f"SELECT id, entry_id, text, status FROM phrasings{where} ORDER BY id", params)]

    def review(self, phrasing_id: int, accept: bool) -> Phrasing:
        """Accept or reject a phrasing (accepted ones join the entry at the next ingest). Raises LookupError for an unknown id."""
        with self._db() as db:
            rows = db.rows("UPDATE phrasings SET status = ? WHERE id = ? RETURNING id, entry_id, text, status",
                           ("accepted" if accept else "rejected", phrasing_id))
        if not rows:
            raise LookupError(f"no phrasing with id {phrasing_id}")
        return Phrasing(*rows[0])

    def accepted_phrasings(self) -> dict[str, tuple[str, ...]]:
        """Accepted phrasings by entry id: what `faq ingest` adds to the entries as known phrasings."""
        out: dict[str, list[str]] = {}
        for p in self.phrasings("accepted"):
            out.setdefault(p.entry_id, []).append(p.text)
        return {k: tuple(v) for k, v in out.items()}

    def analytics(self, limit: int = 20) -> dict:
        """Totals, most asked and most unanswered questions, entries marked not relevant (feedback.reports.analytics)."""
        with self._db() as db:
            return reports.analytics(db, limit)

    def per_day(self, days: int = 30, now: float | None = None) -> list[dict]:
        """Counted searches per UTC day, every day of the last `days` listed."""
        with self._db() as db:
            return reports.per_day(db, days, now)

    def by_language(self) -> list[dict]:
        """Counted searches per detected question language."""
        with self._db() as db:
            return reports.by_language(db)

    def engagement(self) -> dict:
        """Helpful rate and click-through."""
        with self._db() as db:
            return reports.engagement(db)

    def unanswered(self, limit: int = 500) -> list[tuple[str, int]]:
        """Distinct counted questions with no confident answer, most asked first."""
        with self._db() as db:
            return reports.unanswered(db, limit)

    # --- the team's rules (feedback.curation): `who` is written in the audit row of each change -----------------

    def rules(self) -> Rules:
        """Every rule in force, with the version read before them: a change landing in between is read again at the
        next poll (its version is newer), so no write lock is taken for a read."""
        with self._db() as db:
            return curation.load(db)

    def rules_version(self) -> int:
        """The last rule change's audit id: one indexed read, what replicas poll to see a change."""
        with self._db() as db:
            return curation.version(db)

    def add_synonym(self, who: str, lang: str, terms: Sequence[str], targets: Sequence[str] = ()) -> Synonym:
        """A group of equivalent terms, or one-way terms -> targets. Raises ValueError for an empty group."""
        with self._db(transaction=True) as db:
            return curation.add_synonym(db, who, lang, terms, targets)

    def edit_synonym(self, who: str, rule_id: int, lang: str, terms: Sequence[str], targets: Sequence[str] = ()) -> Synonym:
        with self._db(transaction=True) as db:
            return curation.edit_synonym(db, who, rule_id, lang, terms, targets)

    def add_pin(self, who: str, kind: str, examples: Sequence[str], entry_id: str | None = None) -> Pin:
        """Questions like `examples` get `entry_id` as the answer (kind "answer") or no answer (kind "never")."""
        with self._db(transaction=True) as db:
            return curation.add_pin(db, who, kind, examples, entry_id)

    def edit_pin(self, who: str, rule_id: int, kind: str, examples: Sequence[str], entry_id: str | None = None) -> Pin:
        with self._db(transaction=True) as db:
            return curation.edit_pin(db, who, rule_id, kind, examples, entry_id)

    def add_hidden(self, who: str, entry_id: str | None = None, section: str | None = None) -> Hidden:
        """An entry or a section out of every answer, until the rule is deleted."""
        with self._db(transaction=True) as db:
            return curation.add_hidden(db, who, entry_id, section)

    def delete_rule(self, who: str, kind: RuleKind, rule_id: int) -> None:
        """Raises LookupError for an unknown id."""
        with self._db(transaction=True) as db:
            curation.delete(db, who, kind, rule_id)

    def rules_audit(self, limit: int = 200, before: int | None = None) -> list[curation.AuditRow]:
        """Who changed which rule when, newest first; `before`: only the changes older than that audit id (the next page)."""
        with self._db() as db:
            return curation.audit(db, limit, before)

    def rule_fires(self) -> dict[str, int]:
        """How many logged questions each rule fired for."""
        with self._db() as db:
            return curation.fires(db)

    def queries_csv(self) -> str:
        """Every logged query as CSV, with the `counted` column analytics go by."""
        with self._db() as db:
            return reports.queries_csv(db)


def _delete_in(db: Db, table: str, column: str, values: list) -> int:
    """DELETE the rows whose `column` is one of `values`, in batches; the number deleted."""
    deleted = 0
    for i in range(0, len(values), _BATCH):
        batch = values[i:i + _BATCH]
        deleted += db.run(f"DELETE FROM {table} WHERE {column} IN ({', '.join('?' * len(batch))})", batch)
    return deleted
