"""The team's rules in the feedback database: synonyms, pins, hidden entries, each change with an audit row.

Written once in the neutral SQL of feedback.sql, run by both backends. Every change and its audit row commit
together, and the rules' version is the last audit row's id, so "did anything change?" is one indexed read
(`version`) that every replica can afford every second. Entry ids are not checked here: the store does not know
the FAQ; the service checks them against the index it serves (and reports rules whose entry is gone).

Raises ValueError for a rule that cannot work (an empty group, a pin without examples), LookupError for an unknown id.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence

from faq.curation import Hidden, Pin, PinKind, RuleKind, Rules, Synonym
from feedback.sql import Db

__all__ = ["AuditRow", "add_hidden", "add_pin", "add_synonym", "audit", "delete", "edit_pin", "edit_synonym", "fires",
           "load", "version"]

MAX_TERMS = 50
MAX_TEXT = 500  # characters of one term or example
_TABLES: dict[str, str] = {"synonym": "rule_synonyms", "pin": "rule_pins", "hidden": "rule_hidden"}

AuditRow = tuple[int, float, str, str, str, int, str]  # id, ts, who, action, kind, rule_id, detail (JSON)


def _clean(values: Sequence[str], what: str, at_least: int) -> tuple[str, ...]:
    """Stripped, blank and repeated values dropped (case kept); ValueError when fewer than `at_least` remain."""
    filled = [v.strip() for v in values if v and v.strip()]
    out = tuple(dict.fromkeys(filled))
    if len(filled) < at_least:  # "a" and " a" are two values the schema accepts: kept as one
        raise ValueError(f"{what} needs at least {at_least} non-empty value(s); got {len(out)}: {list(values)!r}")
    if len(out) > MAX_TERMS or any(len(v) > MAX_TEXT for v in out):
        raise ValueError(f"{what}: at most {MAX_TERMS} values of {MAX_TEXT} characters each")
    return out


def check_synonym(lang: str, terms: Sequence[str], targets: Sequence[str]) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    lang = lang.strip().lower()
    if not lang:
        raise ValueError("a synonym rule names its language (lang: 'de', 'fr', ...): each language is analysed its own way")
    targets_ = _clean(targets, "a one-way synonym's targets", 0)
    terms_ = _clean(terms, "a synonym group" if not targets_ else "a one-way synonym's terms", 1 if targets_ else 2)
    return lang, terms_, targets_


def check_pin(kind: str, examples: Sequence[str], entry_id: str | None) -> tuple[PinKind, tuple[str, ...], str | None]:
    if kind not in ("answer", "never"):
        raise ValueError(f"a pin's kind is 'answer' or 'never'; got {kind!r}")
    examples_ = _clean(examples, "a pin's examples", 1)
    if kind == "answer" and not (entry_id or "").strip():
        raise ValueError("an answer pin names the entry it answers with (entry_id)")
    if kind == "never" and entry_id:
        raise ValueError("a 'never' pin answers with no entry: leave entry_id out")
    return ("answer" if kind == "answer" else "never"), examples_, (entry_id.strip() if entry_id else None)


def _audit(db: Db, who: str, action: str, kind: RuleKind, rule_id: int, detail: dict) -> None:
    db.run("INSERT INTO rule_audit (ts, who, action, kind, rule_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
           (time.time(), who, action, kind, rule_id, json.dumps(detail, ensure_ascii=False, sort_keys=True)))


def add_synonym(db: Db, who: str, lang: str, terms: Sequence[str], targets: Sequence[str] = ()) -> Synonym:
    lang, terms_, targets_ = check_synonym(lang, terms, targets)
    rule_id = db.rows("INSERT INTO rule_synonyms (lang, terms, targets, ts) VALUES (?, ?, ?, ?) RETURNING id",
                      (lang, json.dumps(terms_, ensure_ascii=False), json.dumps(targets_, ensure_ascii=False), time.time()))[0][0]
    rule = Synonym(int(rule_id), lang, terms_, targets_)
    _audit(db, who, "add", "synonym", rule.id, {"lang": lang, "terms": terms_, "targets": targets_})
    return rule


def edit_synonym(db: Db, who: str, rule_id: int, lang: str, terms: Sequence[str], targets: Sequence[str] = ()) -> Synonym:
    lang, terms_, targets_ = check_synonym(lang, terms, targets)
    if not db.run("UPDATE rule_synonyms SET lang = ?, terms = ?, targets = ?, ts = ? WHERE id = ?",
                  (lang, json.dumps(terms_, ensure_ascii=False), json.dumps(targets_, ensure_ascii=False), time.time(), rule_id)):
        raise LookupError(f"no synonym rule with id {rule_id}")
    _audit(db, who, "edit", "synonym", rule_id, {"lang": lang, "terms": terms_, "targets": targets_})
    return Synonym(rule_id, lang, terms_, targets_)


def add_pin(db: Db, who: str, kind: str, examples: Sequence[str], entry_id: str | None = None) -> Pin:
    kind_, examples_, entry = check_pin(kind, examples, entry_id)
    rule_id = db.rows("INSERT INTO rule_pins (kind, entry_id, examples, ts) VALUES (?, ?, ?, ?) RETURNING id",
                      (kind_, entry, json.dumps(examples_, ensure_ascii=False), time.time()))[0][0]
    _audit(db, who, "add", "pin", int(rule_id), {"kind": kind_, "entry_id": entry, "examples": examples_})
    return Pin(int(rule_id), kind_, examples_, entry)


def edit_pin(db: Db, who: str, rule_id: int, kind: str, examples: Sequence[str], entry_id: str | None = None) -> Pin:
    kind_, examples_, entry = check_pin(kind, examples, entry_id)
    if not db.run("UPDATE rule_pins SET kind = ?, entry_id = ?, examples = ?, ts = ? WHERE id = ?",
                  (kind_, entry, json.dumps(examples_, ensure_ascii=False), time.time(), rule_id)):
        raise LookupError(f"no pin with id {rule_id}")
    _audit(db, who, "edit", "pin", rule_id, {"kind": kind_, "entry_id": entry, "examples": examples_})
    return Pin(rule_id, kind_, examples_, entry)


def add_hidden(db: Db, who: str, entry_id: str | None = None, section: str | None = None) -> Hidden:
    entry, section_ = (entry_id or "").strip() or None, (section or "").strip() or None
    if (entry is None) == (section_ is None):
        raise ValueError("a hidden rule names either an entry (entry_id) or a section (section), not both and not neither")
    rule_id = db.rows("INSERT INTO rule_hidden (entry_id, section, ts) VALUES (?, ?, ?) RETURNING id",
                      (entry, section_, time.time()))[0][0]
    _audit(db, who, "add", "hidden", int(rule_id), {"entry_id": entry, "section": section_})
    return Hidden(int(rule_id), entry, section_)


def delete(db: Db, who: str, kind: RuleKind, rule_id: int) -> None:
    table = _TABLES[kind]
    if not db.run(f"DELETE FROM {table} WHERE id = ?", (rule_id,)):
        raise LookupError(f"no {kind} rule with id {rule_id}")
    _audit(db, who, "delete", kind, rule_id, {})


def version(db: Db) -> int:
    """The last change's audit id (0: never changed): what replicas poll."""
    return int(db.rows("SELECT COALESCE(MAX(id), 0) FROM rule_audit")[0][0])


def load(db: Db) -> Rules:
    """Every rule, oldest first, with the version read just before them."""
    at = version(db)
    synonyms = tuple(Synonym(int(i), lang, tuple(json.loads(t)), tuple(json.loads(g)))
                     for i, lang, t, g in db.rows("SELECT id, lang, terms, targets FROM rule_synonyms ORDER BY id"))
    pins = tuple(Pin(int(i), kind, tuple(json.loads(x)), entry)
                 for i, kind, entry, x in db.rows("SELECT id, kind, entry_id, examples FROM rule_pins ORDER BY id"))
    hidden = tuple(Hidden(int(i), entry, section) for i, entry, section in db.rows("SELECT id, entry_id, section FROM rule_hidden ORDER BY id"))
    return Rules(at, synonyms, pins, hidden)


def audit(db: Db, limit: int = 200, before: int | None = None) -> list[AuditRow]:
    """The last changes, newest first; with `before`, the page of changes older than that audit id (keyset paging)."""
    where, args = ("WHERE id < ? ", (before, limit)) if before is not None else ("", (limit,))
    return [(int(r[0]), float(r[1]), r[2], r[3], r[4], int(r[5]), r[6])
            for r in db.rows(f"SELECT id, ts, who, action, kind, rule_id, detail FROM rule_audit {where}ORDER BY id DESC LIMIT ?", args)]


def fires(db: Db) -> dict[str, int]:
    """How many logged questions each rule fired for ("pin:3": 12), most first."""
    counted: Counter[str] = Counter()
    for (fired,) in db.rows("SELECT rules FROM queries WHERE rules IS NOT NULL AND rules <> ''"):
        counted.update(fired.split(","))
    return dict(counted.most_common())
