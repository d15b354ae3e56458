"""Labelled questions files: one JSON object a line, the questions a team expects and the entries that answer them.

One format serves `faq eval --queries` and `faq calibrate`, so the questions a team measures with
are the ones it calibrates with, split the same way (a row without `split` is assigned one by a
stable hash, so the dev half calibrates and the test half is never seen by calibration).

    {"text": "Combien de temps dure la garantie ?", "relevant_entry_ids": ["enigme-ba793-faq:3.1"]}
    {"text": "Je peux payer en bitcoin ?", "relevant_questions": ["Quels moyens de paiement acceptez-vous ?"]}
    {"text": "Vous vendez des bracelets ?", "relevant_entry_ids": [], "split": "test"}

The gold is given by entry id (as `GET /v1/documents` lists them) or by the entries' question
titles, which are easier to write by hand and matched ignoring case, accents, spaces and
punctuation. An empty list, or no gold at all, means the FAQ does not answer the question.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faq.errors import CorpusError
from faq.text import normalize, strip_accents
from ingest.corpus import Corpus
from ingest.decode import lines_with_offsets, read_text

SPLITS = ("dev", "test")
FIELDS = ("text", "question", "relevant_entry_ids", "relevant_questions", "split", "id", "query_id", "fact", "kind", "lang")
EXAMPLE = '{"text": "...", "relevant_entry_ids": ["doc:1.2"]}'
Fail = Callable[[str], CorpusError]


@dataclass(frozen=True)
class QuestionRow:
    """One labelled question; `relevant` holds entry ids (empty: out of scope). `kind`/`lang` are None when not given."""

    text: str
    relevant: frozenset[str]
    split: str
    id: str
    fact: str | None = None
    kind: str | None = None
    lang: str | None = None
    line: int = 0


def stable_split(key: str) -> str:
    """dev or test, half and half, the same for the same key on every run and machine."""
    return "dev" if hashlib.sha256(key.encode()).digest()[0] % 2 == 0 else "test"


def title_key(title: str) -> str:
    """What two spellings of a question title share: no case, accents, spaces or punctuation."""
    return "".join(c for c in strip_accents(normalize(title)).casefold() if c.isalnum())


def read_questions(path: Path, corpus: Corpus | None = None, *, check_ids: bool = True) -> list[QuestionRow]:
    """Every row of a questions file, checked; any bad line stops the read with `file:line: what is wrong`.

    With a corpus, `relevant_questions` titles become entry ids and (with `check_ids`) unknown entry
    ids are errors. Without `check_ids` unknown ids are kept, so a caller can tell a file written
    for another corpus apart and say so. Titles need a corpus: without one they are an error.
    """
    path = Path(path)
    if not path.is_file():
        raise CorpusError(path, None, "no such questions file")
    if not path.read_bytes().removeprefix(b"\xef\xbb\xbf").strip():
        raise CorpusError(path, None, f"the file is empty; write one labelled question a line, e.g. {EXAMPLE}")
    titles = _TitleIndex(corpus) if corpus is not None else None
    known = {e.id for e in corpus.entries} if corpus is not None and check_ids else None
    rows: list[QuestionRow] = []
    seen: dict[str, int] = {}
    for number, _, line in lines_with_offsets(read_text(path)):
        if not line.strip():
            continue
        row = _parse_row(path, number, line, titles, known)
        if row.id in seen:
            raise CorpusError(path, number, f'duplicate id "{row.id}" (first used on line {seen[row.id]}); ids must be unique')
        seen[row.id] = number
        rows.append(row)
    return rows


def _parse_row(path: Path, number: int, line: str, titles: _TitleIndex | None, known: set[str] | None) -> QuestionRow:
    def fail(message: str) -> CorpusError:
        return CorpusError(path, number, message)

    try:
        row = json.loads(line)
    except json.JSONDecodeError as e:
        raise fail(f"not valid JSON ({e.msg} at column {e.colno}); each line is one JSON object like {EXAMPLE}") from e
    if not isinstance(row, dict):
        raise fail(f"each line must be a JSON object like {EXAMPLE}, not {type(row).__name__}")
    unknown = sorted(set(row) - set(FIELDS))
    if unknown:
        raise fail(f"unknown field(s) {unknown}; allowed: {', '.join(FIELDS)}")
    if "text" in row and "question" in row:
        raise fail('give the question as "text" or as "question", not both')
    key = "question" if "question" in row else "text"  # "question" reads naturally too: a team's first file used it
    text = row.get(key)
    if key not in row:
        raise fail(f'"text" (the question) is missing; every line needs one, e.g. {EXAMPLE}')
    if not isinstance(text, str) or not text.strip():
        raise fail(f'"{key}" (the question) must be a non-empty string; got {json.dumps(text, ensure_ascii=False)}')
    text = text.strip()
    if "relevant_entry_ids" in row and "relevant_questions" in row:
        raise fail('give the gold either as "relevant_entry_ids" or as "relevant_questions", not both')
    ids = _strings(row, "relevant_entry_ids", fail)
    relevant = set(ids)
    if known is not None:
        for entry_id in ids:
            if entry_id not in known:
                raise fail(f'relevant_entry_ids names "{entry_id}", which is no entry of the corpus{_close(entry_id, known)}; '
                           "use an id from GET /v1/documents, or relevant_questions")
    asked = _strings(row, "relevant_questions", fail)
    if asked:
        if titles is None:
            raise fail("relevant_questions needs the corpus to find the entries; pass it (faq eval --corpus), or use relevant_entry_ids")
        relevant.update(titles.resolve(title, fail) for title in asked)
    if "id" in row and "query_id" in row:
        raise fail('give the question\'s id as "id" or "query_id", not both')
    raw_id = row.get("id", row.get("query_id"))
    if raw_id is not None and (not isinstance(raw_id, (str, int)) or isinstance(raw_id, bool) or not str(raw_id).strip()):
        raise fail(f'"id" must be a non-empty string or number; got {json.dumps(raw_id)}')
    query_id = str(raw_id).strip() if raw_id is not None else None
    split = row.get("split")
    if split is None:
        split = stable_split(query_id or text)
    elif split not in SPLITS:
        raise fail(f'"split" must be "dev" or "test" (or left out: a stable hash assigns one); got {json.dumps(split, ensure_ascii=False)}')
    fact, kind, lang = (_optional_string(row, name, fail) for name in ("fact", "kind", "lang"))
    return QuestionRow(text, frozenset(relevant), split, query_id or f"{path.stem}:{number}", fact, kind, lang, number)


def _strings(row: dict[str, Any], name: str, fail: Fail) -> list[str]:
    value = row.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise fail(f'"{name}" must be a list of non-empty strings ([] for a question the FAQ does not answer); '
                   f"got {json.dumps(value, ensure_ascii=False)}")
    return [v.strip() for v in value]


def _optional_string(row: dict[str, Any], name: str, fail: Fail) -> str | None:
    value = row.get(name)
    if value is not None and not isinstance(value, str):
        raise fail(f'"{name}" must be a string (or null); got {json.dumps(value, ensure_ascii=False)}')
    if value is None:
        return None
    return value.strip() or None


def _close(word: str, choices: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{match[0]}"?)' if match else ""


class _TitleIndex:
    """Entry ids by title key: an entry's own question first, then its known phrasings."""

    def __init__(self, corpus: Corpus) -> None:
        self.by_question: dict[str, set[str]] = {}
        self.by_phrasing: dict[str, set[str]] = {}
        self.shown: dict[str, str] = {}
        for entry in corpus.entries:
            key = title_key(entry.question)
            self.by_question.setdefault(key, set()).add(entry.id)
            self.shown.setdefault(key, entry.question)
            for alt in entry.alt_questions:
                self.by_phrasing.setdefault(title_key(alt), set()).add(entry.id)

    def resolve(self, title: str, fail: Fail) -> str:
        key = title_key(title)
        found = self.by_question.get(key) or self.by_phrasing.get(key) or set()
        if len(found) == 1:
            return next(iter(found))
        if found:
            raise fail(f'relevant_questions names "{title}", which is the question of several entries ({", ".join(sorted(found))}); '
                       "use relevant_entry_ids to say which")
        near = difflib.get_close_matches(key, list(self.shown), n=1, cutoff=0.6)
        hint = f' (did you mean "{self.shown[near[0]]}"?)' if near else ""
        raise fail(f'relevant_questions names "{title}", which is no entry\'s question{hint}; '
                   "use a title from GET /v1/documents or relevant_entry_ids")
