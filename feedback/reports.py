"""The support team's reports over the query log: read-only SQL, the same on SQLite and PostgreSQL (feedback.sql).

A search-as-you-type burst logs one query per pause in typing; only its settled (last) query is
counted, so "searches" means questions people finished asking, not keystrokes. Questions that differ
only in ASCII case count together (SQLite's lower(); PostgreSQL's on the schema's "C" collation),
under their first spelling in byte order.
"""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import datetime, timezone

from feedback.sql import Db

__all__ = ["SETTLED", "analytics", "by_language", "defuse", "engagement", "per_day", "queries_csv", "rows_csv", "unanswered"]

# Queries without a session (API, agent panel) all count; of a session's queries, only the last. Two
# branches rather than `session IS NULL OR NOT EXISTS …`: PostgreSQL then runs the NOT EXISTS as one
# hash anti-join instead of an index probe per query (SQLite probes its (session, ts) index either way).
SETTLED = """WITH settled AS (
  SELECT q.* FROM queries q WHERE q.session IS NULL
  UNION ALL
  SELECT q.* FROM queries q WHERE q.session IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM queries n WHERE n.session = q.session AND (n.ts > q.ts OR (n.ts = q.ts AND n.{seq} > q.{seq})))
)
"""
# A settled query "engaged" when any query of its session (or itself) got used / helpful / click: two
# uncorrelated subqueries, each computed once (a correlated EXISTS with an OR scanned the log per row).
_ENGAGED = """(settled.id IN (SELECT query_id FROM feedback WHERE verdict IN ('used', 'helpful', 'click'))
  OR settled.session IN (SELECT s.session FROM feedback f JOIN queries s ON s.id = f.query_id
                         WHERE f.verdict IN ('used', 'helpful', 'click')))"""


def analytics(db: Db, limit: int = 20) -> dict:
    """The help-center team's list of content gaps: totals, most asked, most unanswered, entries marked not relevant."""
    top = db.rows(SETTLED + "SELECT MIN(question), COUNT(*) AS n FROM settled GROUP BY lower(question) "
                  "ORDER BY n DESC, MIN(question) LIMIT ?", (limit,))
    unanswered_rows = unanswered(db, limit)
    not_relevant = db.rows("SELECT entry_id, COUNT(*) AS n FROM feedback WHERE verdict = 'not_relevant' GROUP BY entry_id "
                           "ORDER BY n DESC, entry_id LIMIT ?", (limit,))
    ((queries, unanswered_count, related_count),) = db.rows(
        SETTLED + "SELECT COUNT(*), COUNT(*) FILTER (WHERE NOT answerable), COUNT(*) FILTER (WHERE outcome = 'related') FROM settled")
    return {
        # unanswered = related (related articles shown, no answer claimed) + none (nothing relevant)
        "totals": {"queries": queries, "unanswered": unanswered_count, "related": related_count,
                   "none": unanswered_count - related_count},
        "top_questions": [{"question": q, "count": n} for q, n in top],
        "unanswered_questions": [{"question": q, "count": n} for q, n in unanswered_rows],
        "not_relevant_entries": [{"entry_id": e, "count": n} for e, n in not_relevant],
    }


def per_day(db: Db, days: int = 30, now: float | None = None) -> list[dict]:
    """Counted searches per UTC day over the last `days` days, every day listed (0 when quiet)."""
    now = time.time() if now is None else now
    start = (int(now) // 86400 - days + 1) * 86400
    rows = {d: (n, u) for d, n, u in db.rows(
        SETTLED + "SELECT {day(ts)}, COUNT(*), COUNT(*) FILTER (WHERE NOT answerable) FROM settled WHERE ts >= ? GROUP BY 1",
        (start,))}
    out = []
    for i in range(days):
        day = datetime.fromtimestamp(start + i * 86400, tz=timezone.utc).strftime("%Y-%m-%d")
        n, u = rows.get(day, (0, 0))
        out.append({"day": day, "queries": n, "unanswered": u})
    return out


def by_language(db: Db) -> list[dict]:
    """Counted searches per detected question language ('unknown' for old rows and short texts)."""
    rows = db.rows(SETTLED + f"SELECT COALESCE(NULLIF(lang, ''), 'unknown') AS l, COUNT(*), COUNT(*) FILTER (WHERE NOT answerable), "
                   f"COUNT(*) FILTER (WHERE {_ENGAGED}) FROM settled GROUP BY l ORDER BY COUNT(*) DESC, l")
    return [{"lang": lang, "queries": n, "unanswered": u, "engaged": e} for lang, n, u, e in rows]


def engagement(db: Db) -> dict:
    """Helpful rate (helpful among helpful + not helpful verdicts) and click-through (share of counted searches engaged)."""
    ((helpful, unhelpful),) = db.rows("SELECT COUNT(*) FILTER (WHERE verdict = 'helpful'), "
                                      "COUNT(*) FILTER (WHERE verdict = 'not_helpful') FROM feedback")
    ((counted, engaged),) = db.rows(SETTLED + f"SELECT COUNT(*), COUNT(*) FILTER (WHERE {_ENGAGED}) FROM settled")
    return {"counted_queries": counted, "engaged_queries": engaged,
            "helpful_rate": round(helpful / (helpful + unhelpful), 4) if helpful + unhelpful else None,
            "click_through": round(engaged / counted, 4) if counted else None,
            "helpful": helpful, "not_helpful": unhelpful}


def unanswered(db: Db, limit: int = 500) -> list[tuple[str, int]]:
    """Distinct counted questions with no confident answer, most asked first (the input of content-gap grouping)."""
    rows = db.rows(SETTLED + "SELECT MIN(question), COUNT(*) AS n FROM settled WHERE NOT answerable "
                   "GROUP BY lower(question) ORDER BY n DESC, MIN(question) LIMIT ?", (limit,))
    return [(q, n) for q, n in rows]


_QUERY_COLUMNS = ["id", "time_utc", "surface", "question", "lang", "answerable", "outcome", "confidence", "top_entry", "session",
                  "counted"]


def queries_csv(db: Db) -> str:
    """Every logged query, oldest first; `counted` says whether analytics count it (the settled query of its session)."""
    rows = db.rows(SETTLED + "SELECT q.id, q.ts, q.surface, q.question, COALESCE(q.lang, ''), q.answerable, q.outcome, q.confidence, "
                   "COALESCE(q.top_entry, ''), COALESCE(q.session, ''), settled.id IS NOT NULL FROM queries q "
                   "LEFT JOIN settled ON settled.id = q.id ORDER BY q.ts, q.{seq}")
    out = []
    for qid, ts, surface, question, lang, answerable, outcome, confidence, top, session, counted in rows:
        when = datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        outcome = outcome or ("answer" if answerable else "none")
        out.append([qid, when, surface, question, lang, int(answerable), outcome, round(confidence, 4), top, session, int(counted)])
    return rows_csv(_QUERY_COLUMNS, out)


# A formula start (=, +, -, @) at the start of the cell or after any separator a spreadsheet may split the file on
# (comma, semicolon, tab: Excel's French default is ';') or a line break, spaces allowed before it.
_FORMULA = re.compile(r"(^|[,;\t\r\n])(\s*)([=+\-@])")


def defuse(cell: str) -> str:
    """`cell` with a ' before each formula start, wherever the file is split: "merci;=1+1" → "merci;'=1+1"."""
    return _FORMULA.sub(r"\1\2'\3", cell)


def rows_csv(header: list[str], rows: list[list[object]]) -> str:
    """CSV text: every text cell quoted and defused (no formula runs whichever separator the file is opened with);
    numbers and the header (our own column names) as they are."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(header)
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC)
    for row in rows:
        writer.writerow([defuse(c) if isinstance(c, str) else c for c in row])
    return buffer.getvalue()
