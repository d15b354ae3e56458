"""Question in, ranked FAQ entries out: one hit per entry, with the chunk that matched best."""

from __future__ import annotations

from dataclasses import dataclass

from faq.text import normalize
from index.embedders import Embedder
from index.storage import LoadedIndex
from ingest.models import Chunk

# how many vectors to look at per wanted entry: entries have several vectors each
_FANOUT = 8


@dataclass(frozen=True)
class Hit:
    """One FAQ entry for a question; `score` is a cosine similarity in [-1, 1]."""

    rank: int
    score: float
    chunk: Chunk
    matched: str

    @property
    def entry_id(self) -> str:
        return self.chunk.entry_id


class Searcher:
    """Embeds a question and ranks the entries of one loaded index."""

    def __init__(self, index: LoadedIndex, embedder: Embedder) -> None:
        if index.manifest.embedder != embedder.name:
            raise ValueError(f"index built with {index.manifest.embedder!r}, embedder is {embedder.name!r}")
        self.index = index
        self.embedder = embedder

    def search(self, question: str, top_k: int = 5) -> list[Hit]:
        if top_k < 1:
            raise ValueError(f"top_k must be greater than 0. Currently, top_k is {top_k}")
        vector = self.embedder.encode_queries([normalize(question)])
        scores, rows = self.index.store.search(vector, top_k * _FANOUT)
        chunks = self.index.records.chunks
        kinds = self.index.records.vector_kind
        best: dict[str, tuple[float, Chunk, str]] = {}
        for score, row in zip(scores[0].tolist(), rows[0].tolist()):
            if row < 0:
                continue
            chunk = chunks[self.index.vector_chunk[row]]
            kind = kinds[row]
            seen = best.get(chunk.entry_id)
            if seen is None:
                best[chunk.entry_id] = (score, chunk, kind)
            elif kind == "passage" and seen[2] != "passage":
                # keep the entry's best score, but show the answer piece that matched best
                best[chunk.entry_id] = (seen[0], chunk, seen[2])
        ranked = sorted(best.values(), key=lambda item: -item[0])[:top_k]
        return [Hit(rank=i + 1, score=s, chunk=c, matched=k) for i, (s, c, k) in enumerate(ranked)]
