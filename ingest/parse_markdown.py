"""Markdown FAQs: `# Title` (optional), `## Section`, `### Question`, answer paragraphs below it.

A line `<!-- group: KEY -->` under a question links it to its translations in the other language
files (same KEY); it is not part of the answer.
"""

from __future__ import annotations

import re
from pathlib import Path

from faq.errors import CorpusError
from ingest.decode import lines_with_offsets
from ingest.models import Entry
from ingest.parse_text import ParsedFile

_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")
_GROUP = re.compile(r"^\s*<!--\s*group:\s*(.*?)\s*-->\s*$", re.IGNORECASE)


def parse_markdown(path: Path, text: str, document_id: str, lang: str) -> ParsedFile:
    """One entry per `###` heading; its answer is everything up to the next heading."""
    title, section, section_no, question_no = "", "", 0, 0
    open_q: tuple[int, int, str] | None = None  # (line, start offset, question)
    answer: list[tuple[int, int, str]] = []
    entries: list[Entry] = []
    group = ""

    def close() -> None:
        if open_q is None:
            return
        line, start, question = open_q
        body = [item for item in answer if item[2].strip()]
        if not body:
            raise CorpusError(path, line, f'question "{question}" has no answer; add its answer below it')
        answer_start = body[0][1] + (len(body[0][2]) - len(body[0][2].lstrip()))
        end = body[-1][1] + len(body[-1][2].rstrip())
        local_id = f"{section_no}.{question_no}"
        entries.append(
            Entry(
                id=f"{document_id}:{local_id}", local_id=local_id, document_id=document_id,
                section=section, question=question, answer=text[answer_start:end], lang=lang,
                start=start, end=end, answer_start=answer_start, line=line, group=group,
            )
        )

    for number, start, line in lines_with_offsets(text):
        heading = _HEADING.match(line)
        marker = _GROUP.match(line)
        if marker and open_q is not None:
            if not marker.group(1):
                raise CorpusError(path, number, "empty group key; write <!-- group: some-key -->")
            group = marker.group(1)
            continue
        if not heading:
            if open_q is not None:
                answer.append((number, start, line))
            elif line.strip() and section_no == 0 and not title:
                raise CorpusError(path, number, "text before the first heading; start with '# Title' or '## Section'")
            continue
        level, words = len(heading.group(1)), heading.group(2)
        close()
        open_q, answer, group = None, [], ""
        if level == 1:
            title = words
        elif level == 2:
            section, section_no, question_no = words, section_no + 1, 0
        else:
            question_no += 1
            open_q = (number, start, words)
    close()
    if not entries:
        raise CorpusError(path, 1, "no question found; questions are '### ' headings under '## ' sections")
    return ParsedFile(title_hint=title, entries=tuple(entries))
