"""Entries into chunks: one per entry when it fits the model's window, else pieces.

A long answer with headings inside (an imported article's `h2`/`h3`, or Markdown `####` lines) is
first cut at its headings, each piece remembering the heading path above it (its citation reads
"Section › Article › Heading"); then any piece still too long goes through langchain's
RecursiveCharacterTextSplitter (paragraphs, then sentences, then words, with overlap), so a split
never cuts a word. Chunk ids are derived from the entry id and the piece number, so the same input
always gives the same ids; offsets stay those of the entry's answer (`answer_start` + offset).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from faq.errors import InvalidRequestError
from ingest.corpus import Corpus
from ingest.models import Chunk, Heading

if TYPE_CHECKING:  # imported when chunking: langchain's 0.3 s of imports are not a serving process's (benchmarks.startup)
    from langchain_text_splitters import RecursiveCharacterTextSplitter

# multilingual-e5-small reads 512 tokens; French runs ~3.5 characters a token, and the
# section and question titles are prepended when embedding, so 1200 characters leaves room.
DEFAULT_MAX_CHARS = 1200
DEFAULT_OVERLAP = 200
_SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]
_MARKDOWN_HEADING = re.compile(r"^(#{4,6})[ \t]+(\S.*?)[ \t]*#*[ \t]*$", re.MULTILINE)

Piece = tuple[str, int, tuple[str, ...]]  # text, offset in the answer, headings above it


def chunk_entries(corpus: Corpus, max_chars: int = DEFAULT_MAX_CHARS, overlap: int = DEFAULT_OVERLAP) -> list[Chunk]:
    """All chunks of the corpus, in corpus order."""
    if not 0 <= overlap < max_chars:
        raise InvalidRequestError(f"chunk overlap must be between 0 and max_chars ({max_chars}); got {overlap}. Lower the overlap.")
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=max_chars, chunk_overlap=overlap, separators=_SEPARATORS,
        keep_separator="end", add_start_index=True, strip_whitespace=True,
    )
    titles = {d.id: d.title for d in corpus.documents}
    chunks: list[Chunk] = []
    for entry in corpus.entries:
        if len(entry.answer) <= max_chars:
            pieces: list[Piece] = [(entry.answer, 0, ())]
        else:
            outline = corpus.outlines.get(entry.id) or markdown_outline(entry.answer)
            pieces = _by_headings(entry.answer, outline, splitter, max_chars) if outline else _by_size(entry.answer, 0, (), splitter)
        for part, (text, offset, headings) in enumerate(pieces):
            start = entry.answer_start + offset
            chunks.append(
                Chunk(
                    id=f"{entry.id}#{part}", entry_id=entry.id, document_id=entry.document_id,
                    document_title=titles[entry.document_id], section=entry.section, question=entry.question,
                    text=text, lang=entry.lang, start=start, end=start + len(text), part=part, parts=len(pieces),
                    url=entry.url, headings=headings,
                )
            )
    return chunks


def markdown_outline(answer: str) -> tuple[Heading, ...]:
    """`#### Heading` lines inside a Markdown answer (levels 4-6: `##`/`###` are sections and questions)."""
    return tuple(Heading(m.start(), len(m.group(1)), m.group(2)) for m in _MARKDOWN_HEADING.finditer(answer))


def _by_size(text: str, base: int, headings: tuple[str, ...], splitter: RecursiveCharacterTextSplitter) -> list[Piece]:
    return [(d.page_content, base + int(d.metadata["start_index"]), headings) for d in splitter.create_documents([text])]


def _by_headings(answer: str, outline: Sequence[Heading], splitter: RecursiveCharacterTextSplitter, max_chars: int) -> list[Piece]:
    """Cut at each heading (the text before the first one has no heading), then by size where still too long."""
    spans: list[tuple[int, int, tuple[Heading, ...]]] = []
    if outline[0].start > 0:
        spans.append((0, outline[0].start, ()))
    path: list[Heading] = []
    for i, heading in enumerate(outline):
        path = [h for h in path if h.level < heading.level] + [heading]
        end = outline[i + 1].start if i + 1 < len(outline) else len(answer)
        spans.append((heading.start, end, tuple(path)))
    pieces: list[Piece] = []
    for begin, end, above in spans:
        raw = answer[begin:end]
        text = raw.strip()
        if not text or (above and text == answer[above[-1].start:].split("\n", 1)[0].strip()):
            continue  # a heading straight followed by a sub-heading: its words live on in the sub-heading's path
        offset = begin + len(raw) - len(raw.lstrip())
        names = tuple(h.text for h in above)
        pieces.extend([(text, offset, names)] if len(text) <= max_chars else _by_size(text, offset, names, splitter))
    return pieces or _by_size(answer, 0, (), splitter)
