"""Ways to score every FAQ entry for a question. Each gives one score per entry and the chunk to show.

Entries are scored as a whole: an entry's dense score is the best of its vectors (question title,
alternative phrasings, answer chunks); its lexical score the best BM25 score of its chunks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from faq.text import normalize
from index.embedders import Embedder
from index.lexical import Bm25
from index.records import Records
from index.store import FaissStore

# above this many vectors, only the nearest ones are scored exactly; the rest get the floor score
_EXACT_LIMIT = 4096
_CANDIDATES = 1024


@dataclass(frozen=True)
class EntryScores:
    """`scores[i]` for entry i (records order); `chunks[i]` is the index of the chunk to show; `matched` whether the signal saw it."""

    scores: np.ndarray
    chunks: np.ndarray
    matched: np.ndarray


class Signal(Protocol):
    name: str

    def score(self, question: str) -> EntryScores: ...


class EntryLayout:
    """Which entry each chunk belongs to, and each entry's first chunk, as arrays."""

    def __init__(self, records: Records) -> None:
        position = {e.id: i for i, e in enumerate(records.entries)}
        self.n_entries = len(records.entries)
        self.chunk_entry = np.array([position[c.entry_id] for c in records.chunks], dtype=np.int64)
        self.first_chunk = np.zeros(self.n_entries, dtype=np.int64)
        for i in range(len(records.chunks) - 1, -1, -1):
            self.first_chunk[self.chunk_entry[i]] = i


class DenseSignal:
    """Cosine similarity from one embedder's vectors; the entry's best vector wins."""

    def __init__(self, embedder: Embedder, store: FaissStore, records: Records, layout: EntryLayout) -> None:
        self.name = embedder.name
        self.embedder = embedder
        self.store = store
        self.layout = layout
        self.vector_chunk = np.asarray(records.vector_chunk, dtype=np.int64)
        self.vector_entry = layout.chunk_entry[self.vector_chunk]
        self.is_passage = np.array([k == "passage" for k in records.vector_kind], dtype=bool)

    def score(self, question: str) -> EntryScores:
        query = self.embedder.encode_queries([normalize(question)])
        total = self.store.count()
        sims, rows = self.store.search(query, total if total <= _EXACT_LIMIT else _CANDIDATES)
        sims, rows = sims[0], rows[0]
        keep = rows >= 0
        sims, rows = sims[keep], rows[keep]
        n = self.layout.n_entries
        scores = np.full(n, sims.min() if len(sims) else 0.0, dtype=np.float32)
        matched = np.zeros(n, dtype=bool)
        entries = self.vector_entry[rows]
        np.maximum.at(scores, entries, sims)
        matched[entries] = True
        chunks = self.layout.first_chunk.copy()
        # show the answer piece whose own vector came closest (rows arrive best first)
        passage_rows = rows[self.is_passage[rows]]
        for row in passage_rows[::-1]:
            chunks[self.vector_entry[row]] = self.vector_chunk[row]
        return EntryScores(scores, chunks, matched)


class LexicalSignal:
    """BM25 over chunks (titles + text); entries with no shared term score 0 and count as unmatched."""

    name = "bm25"

    def __init__(self, records: Records, layout: EntryLayout, lang: str) -> None:
        self.layout = layout
        self.bm25 = Bm25([f"{c.section} {c.question} {c.question} {c.text}" for c in records.chunks], lang)

    def score(self, question: str) -> EntryScores:
        chunk_scores = self.bm25.scores(question)
        n = self.layout.n_entries
        scores = np.zeros(n, dtype=np.float32)
        np.maximum.at(scores, self.layout.chunk_entry, chunk_scores)
        chunks = self.layout.first_chunk.copy()
        order = np.argsort(chunk_scores, kind="stable")  # ascending: the best chunk is written last
        for c in order:
            if chunk_scores[c] > 0:
                chunks[self.layout.chunk_entry[c]] = c
        return EntryScores(scores, chunks, scores > 0)
