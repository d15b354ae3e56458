"""Sizes a corpus must stay under (faq.limits), checked where each is cheapest: the corpus's bytes before any
file is read, each file's text after it is parsed. Every refusal names the file (and entry) and the limit."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from faq.errors import CorpusError
from faq.limits import MAX_CORPUS_BYTES, MAX_ENTRY_CHARS, MAX_EXPANSION
from ingest.parse_text import ParsedFile


def check_corpus_bytes(root: Path, files: Sequence[Path]) -> None:
    """Refuses a corpus whose files add up past MAX_CORPUS_BYTES, before reading them all into memory."""
    total = sum(file.stat().st_size for file in files)
    if total > MAX_CORPUS_BYTES:
        raise CorpusError(root, None, f"the corpus is {total:,} bytes in {len(files)} files, over the limit of "
                                      f"{MAX_CORPUS_BYTES:,} bytes (faq.limits.MAX_CORPUS_BYTES); index it as several help centers")


def check_parsed(file: Path, size: int, parsed: ParsedFile) -> None:
    """Refuses an answer past MAX_ENTRY_CHARS, then a file whose entries hold more than MAX_EXPANSION characters a byte."""
    for entry in parsed.entries:
        if len(entry.answer) > MAX_ENTRY_CHARS:
            raise CorpusError(file, entry.line or None, f'question "{entry.question[:80]}": its answer is {len(entry.answer):,} '
                                                        f"characters, over the limit of {MAX_ENTRY_CHARS:,} "
                                                        "(faq.limits.MAX_ENTRY_CHARS); split it into several questions")
    text = sum(len(e.question) + len(e.answer) + sum(map(len, e.alt_questions)) for e in parsed.entries)
    if text > MAX_EXPANSION * size:
        raise CorpusError(file, None, f"its entries hold {text:,} characters of text from {size:,} bytes (over "
                                      f"{MAX_EXPANSION} characters a byte, faq.limits.MAX_EXPANSION): markup that repeats "
                                      "itself, e.g. a long table header repeated in every row; simplify it")
