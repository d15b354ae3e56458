"""Each chunk's sentence vectors, embedded by the sentence model when the index is built and stored beside it.

The short answer scores the best passage's sentences against the question with the sentence model (USE,
index.deciding.short_answer). Embedding a passage's sentences the first time it won cost ~10 ms on the question path
(229 of 544 quebec-en test questions paid it); the build embeds them all at once, in batches. Two arrays per
index, written as the other arrays are (`np.save`, loaded memory-mapped):

- `sentences.<model>.npy`: (rows, dim) float32, one vector per sentence;
- `sentences.<model>.spans.npy`: (rows, 3) int32, (chunk, start, end) of each sentence in its chunk's text,
  chunk after chunk in records order.

Only chunks of two sentences or more have rows: a one-sentence passage is its own short answer. The manifest
names the model (`sentence_model`); an index without them (built before they were stored, or without USE) is
answered as before, each passage's sentences embedded on first use. The spans are checked against the
sentences the short answerer finds, so a changed sentence splitter falls back on embedding, never on another
sentence's vector.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faq.errors import IndexError_
from index.embedders import Embedder
from ingest.models import Chunk

Spans = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class SentenceSplit:
    """What the build needs to store sentence vectors: the sentence model, and the short answerer's own way of splitting
    a passage (`split`: each sentence's (start, end)) and of writing each sentence as that model embeds it (`texts`).
    The caller gives them (index.pipeline.build_index: index.deciding.short_answer's), so the stored spans are the ones the
    short answerer looks up."""

    model: Embedder
    split: Callable[[str], Sequence[tuple[int, int]]]
    texts: Callable[[str, Sequence[tuple[int, int]]], list[str]]

    def rows(self, chunks: Sequence[Chunk]) -> tuple[np.ndarray, list[str]]:
        """(chunk, start, end) of each sentence of the chunks of two sentences or more, and its text as the short
        answer embeds it (a one-sentence passage is its own short answer: nothing to score)."""
        rows: list[tuple[int, int, int]] = []
        texts: list[str] = []
        for i, chunk in enumerate(chunks):
            spans = self.split(chunk.text)
            if len(spans) > 1:
                rows.extend((i, a, b) for a, b in spans)
                texts.extend(self.texts(chunk.text, spans))
        return np.array(rows, dtype=np.int32).reshape(-1, 3), texts


@dataclass(frozen=True)
class SentenceVectors:
    """`vectors[r]` is the sentence model's vector of `chunks[spans[r, 0]].text[spans[r, 1]:spans[r, 2]]`."""

    model: str
    spans: np.ndarray
    vectors: np.ndarray

    def by_passage(self, chunks: Sequence[Chunk]) -> dict[str, tuple[Spans, np.ndarray]]:
        """Each stored chunk's text -> its sentences' (start, end) and their vectors (views of the stored rows)."""
        chunk_col = self.spans[:, 0]
        bounds = np.flatnonzero(np.diff(chunk_col)) + 1
        out = {}
        for start, end in zip(np.concatenate(([0], bounds)), np.concatenate((bounds, [len(chunk_col)]))):
            if end > start:
                rows = self.spans[start:end]
                out[chunks[int(rows[0, 0])].text] = (tuple((int(a), int(b)) for _, a, b in rows), self.vectors[start:end])
        return out


def files(model: str) -> tuple[str, str]:
    """The vectors' and the spans' file names: `sentences.usem3.npy`, `sentences.usem3.spans.npy`."""
    short = model.split(":")[0]
    return f"sentences.{short}.npy", f"sentences.{short}.spans.npy"


def save(folder: Path, sentences: SentenceVectors) -> tuple[str, str]:
    """Write both arrays into `folder`; returns their file names (the build fsyncs them before the manifest)."""
    names = files(sentences.model)
    for name, values, dtype in zip(names, (sentences.vectors, sentences.spans), (np.float32, np.int32)):
        with open(folder / name, "wb") as f:  # a file object: np.save would add ".npy" to a path without it
            np.save(f, np.ascontiguousarray(values, dtype=dtype), allow_pickle=False)
    return names


def load(folder: Path, model: str, dim: int, chunk_count: int) -> SentenceVectors:
    """The stored sentence vectors (memory-mapped), checked against the index they belong to."""
    vectors_path, spans_path = (folder / name for name in files(model))
    try:
        vectors = np.load(vectors_path, mmap_mode="r", allow_pickle=False)
        spans = np.load(spans_path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise IndexError_(f"The sentence vectors of {folder} cannot be read ({str(e).splitlines()[0]}). "
                          f"Rebuild the index with: faq ingest") from e
    chunk_col = np.asarray(spans[:, 0]) if spans.ndim == 2 and spans.shape[1:] == (3,) else None
    problems = [
        what for what, bad in (
            (f"vectors are {vectors.shape} {vectors.dtype}, not (rows, {dim}) float32",
             vectors.ndim != 2 or vectors.shape[1:] != (dim,) or vectors.dtype != np.float32),
            (f"spans are {spans.shape} {spans.dtype}, not ({len(vectors)}, 3) int32",
             chunk_col is None or len(spans) != len(vectors) or spans.dtype != np.int32),
            (f"spans name chunks outside 0..{chunk_count - 1} or out of order",
             chunk_col is not None and len(chunk_col) > 0
             and (chunk_col.min() < 0 or chunk_col.max() >= chunk_count or bool((np.diff(chunk_col) < 0).any()))),
        ) if bad
    ]
    if problems:
        raise IndexError_(f"The sentence vectors of {folder} are inconsistent ({'; '.join(problems)}). "
                          f"Rebuild the index with: faq ingest")
    return SentenceVectors(model, spans, vectors)
