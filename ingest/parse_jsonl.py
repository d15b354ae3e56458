"""JSON Lines FAQs: one entry a line, `{id, question, answer, section?, lang?, alt_questions?, url?, group?}`.

`group`: rows of several files sharing it are translations of one entry (the answer comes in the asker's language).

`faq_id` is accepted for `id`, so the public Quebec COVID FAQ files load as they are.
"""

from __future__ import annotations

import json
from pathlib import Path

from faq.errors import CorpusError
from ingest.decode import lines_with_offsets
from ingest.models import Entry
from ingest.parse_text import ParsedFile

# the keys of a questions file (ingest.questions): a team keeping one beside its FAQ gets told what it is
QUESTION_FILE_KEYS = frozenset({"relevant_entry_ids", "relevant_questions"})


def parse_jsonl(path: Path, text: str, document_id: str, lang: str) -> ParsedFile:
    """Every non-blank line must be an object with a unique id, a question and an answer."""
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for number, start, line in lines_with_offsets(text):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise CorpusError(path, number, f"not valid JSON ({e.msg} at column {e.colno})") from e
        if not isinstance(row, dict):
            raise CorpusError(path, number, "each line must be a JSON object like {\"id\": ..., \"question\": ..., \"answer\": ...}")
        local_id = row.get("id", row.get("faq_id"))
        if local_id is None and "text" in row and QUESTION_FILE_KEYS & row.keys():
            raise CorpusError(path, number, "this is a questions file (text, relevant_entry_ids), not FAQ entries: keep it "
                                            "outside the corpus folder and give it to faq eval --queries or faq ingest --check")
        if not isinstance(local_id, (str, int)) or str(local_id).strip() == "":
            raise CorpusError(path, number, "missing \"id\" (or \"faq_id\")")
        local_id = str(local_id).strip()
        if local_id in seen:
            raise CorpusError(path, number, f'duplicate id "{local_id}" (first used on line {seen[local_id]})')
        seen[local_id] = number
        question, answer = row.get("question"), row.get("answer")
        if not isinstance(question, str) or not question.strip():
            raise CorpusError(path, number, f'entry "{local_id}" has no "question"')
        if not isinstance(answer, str) or not answer.strip():
            raise CorpusError(path, number, f'question "{question.strip()}" has no answer')
        alts = row.get("alt_questions", [])
        if not isinstance(alts, list) or not all(isinstance(a, str) for a in alts):
            raise CorpusError(path, number, '"alt_questions" must be a list of strings')
        section = row.get("section", "")
        url, group = row.get("url", ""), row.get("group", "")
        if not isinstance(url, str) or not isinstance(group, (str, int)):
            raise CorpusError(path, number, '"url" must be a string and "group" a string or a number')
        entries.append(
            Entry(
                id=f"{document_id}:{local_id}", local_id=local_id, document_id=document_id,
                section=section.strip() if isinstance(section, str) else "",
                question=question.strip(), answer=answer.strip(),
                lang=str(row.get("lang") or lang), start=start, end=start + len(line),
                answer_start=start, line=number, alt_questions=tuple(a.strip() for a in alts if a.strip()),
                url=url.strip(), group=str(group).strip(),
            )
        )
    return ParsedFile(title_hint="", entries=tuple(entries))
