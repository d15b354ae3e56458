"""The text side of an index: documents, entries, chunks and which chunk each vector belongs to.

Stored as JSON beside the vectors so the service can cite and list without reading the corpus.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from faq.errors import IndexError_
from ingest.models import Chunk, Document, Entry


@dataclass(frozen=True)
class Records:
    """Vector row i belongs to chunk `vector_chunk[i]` and was embedded from a text of kind `vector_kind[i]`."""

    documents: tuple[Document, ...]
    entries: tuple[Entry, ...]
    chunks: tuple[Chunk, ...]
    vector_chunk: tuple[int, ...]
    vector_kind: tuple[str, ...]

    @property
    def lang(self) -> str:
        """The index language (its first document's, French for an empty index): BM25's analyzer, background words and
        the short answerer's terms use it. Decided here only."""
        return self.documents[0].lang if self.documents else "fr"

    def save(self, path: Path) -> None:
        # vars(): the fields as they are (strings, numbers, tuples of strings); asdict() deep-copies each
        # value and took nearly all of a 10,000-entry index's 10 s of saving
        payload = {
            "documents": [vars(d) for d in self.documents],
            "entries": [vars(e) for e in self.entries],
            "chunks": [vars(c) for c in self.chunks],
            "vector_chunk": list(self.vector_chunk),
            "vector_kind": list(self.vector_kind),
        }
        path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Records:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                documents=tuple(Document(**d) for d in raw["documents"]),
                entries=tuple(Entry(**{**e, "alt_questions": tuple(e["alt_questions"])}) for e in raw["entries"]),
                chunks=tuple(Chunk(**{**c, "headings": tuple(c.get("headings", ()))}) for c in raw["chunks"]),
                vector_chunk=tuple(raw["vector_chunk"]),
                vector_kind=tuple(raw["vector_kind"]),
            )
        except FileNotFoundError as e:
            raise IndexError_(f"No records file at {path}. Rebuild the index with: faq ingest") from e
        except (ValueError, KeyError, TypeError) as e:
            raise IndexError_(f"The records file {path} is corrupt ({e}). Rebuild the index with: faq ingest") from e
