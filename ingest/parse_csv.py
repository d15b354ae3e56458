"""CSV FAQs (a spreadsheet saved as CSV, UTF-8 with or without BOM): a header row, then one entry a row.

Columns: `question` and `answer` (required), `section`, `lang`, `id`, `url`, `group` (optional; other
columns are ignored, so a sheet can keep its notes). Without an `id` column the row's number is its id.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from faq.errors import CorpusError
from ingest.imported import lang_of
from ingest.models import Entry
from ingest.parse_text import ParsedFile

REQUIRED = ("question", "answer")
OPTIONAL = ("section", "lang", "id", "url", "group")


def parse_csv(path: Path, text: str, document_id: str, lang: str) -> ParsedFile:
    """Every non-blank row needs a question and an answer; errors name the row's line in the file."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except (StopIteration, csv.Error) as e:
        raise CorpusError(path, 1, f"no header row ({e})") from e
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise CorpusError(path, 1, f"missing column(s) {', '.join(missing)}; found: {', '.join(h for h in header if h) or '(none)'}; "
                                   f"the header row needs {', '.join(REQUIRED)} (optional: {', '.join(OPTIONAL)})")
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    line = reader.line_num + 1
    for number, row in enumerate(_rows(path, reader), start=1):
        start_line, line = line, reader.line_num + 1
        values = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header) if name}
        if not any(values.values()):
            continue
        question, answer = values["question"], values["answer"]
        if not question:
            raise CorpusError(path, start_line, f"empty question (answer: \"{answer[:60]}\")")
        if not answer:
            raise CorpusError(path, start_line, f'empty answer for question "{question}"')
        local_id = values.get("id") or str(number)
        if local_id in seen:
            raise CorpusError(path, start_line, f'duplicate id "{local_id}" (first used on line {seen[local_id]})')
        seen[local_id] = start_line
        entries.append(
            Entry(
                id=f"{document_id}:{local_id}", local_id=local_id, document_id=document_id,
                section=values.get("section", ""), question=question, answer=answer,
                lang=lang_of(values.get("lang"), lang), start=0, end=len(answer), answer_start=0, line=start_line,
                url=values.get("url", ""), group=values.get("group", ""),
            )
        )
    if not entries:
        raise CorpusError(path, 2, "no row below the header; each row is a question and its answer")
    return ParsedFile(title_hint="", entries=tuple(entries))


def _rows(path: Path, reader: Any) -> Iterator[list[str]]:  # Any: csv's reader type is private
    """The data rows; a broken quote is reported at its line."""
    try:
        yield from reader
    except csv.Error as e:
        raise CorpusError(path, reader.line_num, f"not valid CSV ({e})") from e
