"""The plain-text FAQ format of the seed corpus.

    Série Énigme            <- header lines (series, model, "FAQ")
    BA-793
    FAQ
    Commandes et paiements  <- a section heading: the line right before a question numbered 1
    1. Quels moyens ...?    <- a question: "N. text", numbered 1, 2, 3... within its section
    Nous proposons ...      <- answer paragraphs, until the next question or section
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from faq.errors import CorpusError
from ingest.decode import lines_with_offsets
from ingest.models import Entry, Heading

_NUMBERED = re.compile(r"^\s*(\d{1,3})[.)]\s+(\S.*?)\s*$")


@dataclass(frozen=True)
class ParsedFile:
    """Entries of one file, and the title its own header suggests (used when no manifest gives one).

    `outlines` gives, by entry id, the headings inside an answer (imported articles), so chunking can
    split at them; `notes` says what was left out on purpose (drafts), for the ingest report.
    """

    title_hint: str
    entries: tuple[Entry, ...]
    outlines: Mapping[str, tuple[Heading, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


@dataclass
class _Question:
    number: int
    text: str
    line: int
    start: int
    section: str
    section_no: int
    answer: list[tuple[int, int, str]]


def parse_text(path: Path, text: str, document_id: str, lang: str) -> ParsedFile:
    """Split the file into sections and numbered questions; every question must have an answer."""
    lines = [item for item in lines_with_offsets(text) if item[2].strip()]
    header: list[str] = []
    questions: list[_Question] = []
    section, section_no = "", 0
    for i, (number, start, line) in enumerate(lines):
        numbered = _NUMBERED.match(line)
        current = questions[-1] if questions else None
        expected = current.number + 1 if current and current.section_no == section_no else 1
        if numbered and int(numbered.group(1)) == expected:
            questions.append(_Question(expected, numbered.group(2), number, start, section, section_no, []))
            continue
        following = _NUMBERED.match(lines[i + 1][2]) if i + 1 < len(lines) else None
        if following and int(following.group(1)) == 1 and not line.rstrip().endswith(":"):
            if current is not None and not current.answer:
                _no_answer(path, current)
            section, section_no = line.strip(), section_no + 1
            continue
        if current is None:
            header.append(line.strip())
        else:
            current.answer.append((number, start, line))
    if not questions:
        raise CorpusError(path, 1, 'no numbered question found; questions look like "1. How do I ...?"')
    entries = []
    for q in questions:
        if not q.answer:
            _no_answer(path, q)
        answer_start = q.answer[0][1]
        end = q.answer[-1][1] + len(q.answer[-1][2].rstrip())
        local_id = f"{q.section_no}.{q.number}"
        entries.append(
            Entry(
                id=f"{document_id}:{local_id}",
                local_id=local_id,
                document_id=document_id,
                section=q.section,
                question=q.text,
                answer=text[answer_start:end],
                lang=lang,
                start=q.start,
                end=end,
                answer_start=answer_start,
                line=q.line,
            )
        )
    return ParsedFile(title_hint=" ".join(header), entries=tuple(entries))


def _no_answer(path: Path, q: _Question) -> None:
    raise CorpusError(path, q.line, f'question "{q.number}. {q.text}" has no answer; add its answer below it')
