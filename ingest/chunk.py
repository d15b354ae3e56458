"""Entries into chunks: one per entry when it fits the model's window, else overlapping pieces.

Pieces come from langchain's RecursiveCharacterTextSplitter (paragraphs, then sentences, then
words), so a split never cuts a word. Chunk ids are derived from the entry id and the piece
number, so the same input always gives the same ids.
"""

from __future__ import annotations

from langchain_text_splitters import RecursiveCharacterTextSplitter

from faq.errors import InvalidRequestError
from ingest.corpus import Corpus
from ingest.models import Chunk

# multilingual-e5-small reads 512 tokens; French runs ~3.5 characters a token, and the
# section and question titles are prepended when embedding, so 1200 characters leaves room.
DEFAULT_MAX_CHARS = 1200
DEFAULT_OVERLAP = 200
_SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


def chunk_entries(corpus: Corpus, max_chars: int = DEFAULT_MAX_CHARS, overlap: int = DEFAULT_OVERLAP) -> list[Chunk]:
    """All chunks of the corpus, in corpus order."""
    if not 0 <= overlap < max_chars:
        raise InvalidRequestError(f"chunk overlap must be between 0 and max_chars ({max_chars}); got {overlap}. Lower the overlap.")
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=max_chars, chunk_overlap=overlap, separators=_SEPARATORS,
        keep_separator="end", add_start_index=True, strip_whitespace=True,
    )
    titles = {d.id: d.title for d in corpus.documents}
    chunks: list[Chunk] = []
    for entry in corpus.entries:
        if len(entry.answer) <= max_chars:
            pieces = [(entry.answer, 0)]
        else:
            docs = splitter.create_documents([entry.answer])
            pieces = [(d.page_content, int(d.metadata["start_index"])) for d in docs]
        for part, (text, offset) in enumerate(pieces):
            start = entry.answer_start + offset
            chunks.append(
                Chunk(
                    id=f"{entry.id}#{part}", entry_id=entry.id, document_id=entry.document_id,
                    document_title=titles[entry.document_id], section=entry.section, question=entry.question,
                    text=text, lang=entry.lang, start=start, end=start + len(text), part=part, parts=len(pieces),
                    url=entry.url,
                )
            )
    return chunks
