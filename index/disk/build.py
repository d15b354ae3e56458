"""Corpus to index folder: embed every chunk (and every question title), write atomically.

Each entry gets several vectors: its question title (embedded as a query, since customers'
questions resemble it most) and each chunk with its section and question titles prepended
(embedded as a passage). Search takes the best vector per entry. Given a sentence model and the short
answerer's sentence split, each chunk's sentences are embedded too, for short answers (index.disk.sentence_vectors);
given a lexical index of the records, it is stored beside the vectors (BM25: index.ranking.signals.LexicalSignal).
The caller that knows the ranking and the short answer gives both (index.pipeline.build_index); without them
the folder is still a whole index: BM25 is then built when it is opened, and sentences embedded on first use.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

import numpy as np

from faq.text import normalize
from index.disk.hubness import hubness_file, neighbourhood, save as save_hubness
from index.disk.manifest import MANIFEST, IndexManifest
from index.disk.records import Records
from index.disk.reuse import VectorPool, keys_file, save_keys
from index.disk.sentence_vectors import SentenceSplit, SentenceVectors, files as sentence_files, save as save_sentences
from index.disk.store import FaissStore, VectorStore
from index.embedders import Embedder
from ingest.chunk import DEFAULT_MAX_CHARS, DEFAULT_OVERLAP, chunk_entries
from ingest.corpus import Corpus
from ingest.models import Chunk

VECTORS = "vectors.faiss"
RECORDS = "records.json"
LEXICAL = "bm25"  # the BM25 index of the chunks (index.ranking.signals.LexicalSignal), when the build is given one
PER_CALL = 64  # texts per encode call: several of an engine's batches (so lanes and threads stay busy), and a progress step

Progress = Callable[[int, int], None]


class Saved(Protocol):
    """A part of the index built from its records by a layer above and written into its folder (BM25)."""

    def save(self, folder: Path) -> None: ...


def passage_text(chunk: Chunk) -> str:
    """What is embedded for a chunk: titles first, so a short answer still carries its topic."""
    titles = " › ".join(t for t in (chunk.section, chunk.question) if t)
    return normalize(f"{titles}\n{chunk.text}")


def vectors_file(embedder_name: str, primary: bool) -> str:
    """`vectors.faiss` for the primary embedder, `vectors.<backend>.faiss` for ensemble members."""
    return VECTORS if primary else f"vectors.{embedder_name.split(':')[0]}.faiss"


def build_folder(
    corpus: Corpus,
    embedder: Embedder | Sequence[Embedder],
    out: str | Path,
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    overlap: int = DEFAULT_OVERLAP,
    progress: Progress | None = None,
    sentences: SentenceSplit | None = None,
    lexical: Callable[[Records], Saved] | None = None,
    reuse: VectorPool | None = None,
) -> IndexManifest:
    """Embed the corpus with each embedder (the first is primary) and write the folder at `out`, replacing any index there only once complete.

    `sentences`: the sentence model and split whose sentence vectors to store (None: none stored); `lexical`: makes
    the lexical index of the records, written under LEXICAL (None: none written); `reuse`: vectors earlier builds made,
    by key (index.disk.reuse): a text whose key it holds is not embedded again, and the pool counts what was reused
    and what embedded (None: every text is embedded). Each vectors file is written with its keys."""
    started = time.perf_counter()
    embedders = [embedder] if not isinstance(embedder, Sequence) else list(embedder)
    out = Path(out)
    chunks = chunk_entries(corpus, max_chars=max_chars, overlap=overlap)
    first_chunk: dict[str, int] = {}
    for i, chunk in enumerate(chunks):
        first_chunk.setdefault(chunk.entry_id, i)

    query_texts, query_rows, query_kinds = [], [], []
    for entry in corpus.entries:
        for kind, text in [("question", entry.question), *(("alt", a) for a in entry.alt_questions)]:
            query_texts.append(normalize(text))
            query_rows.append(first_chunk[entry.id])
            query_kinds.append(kind)
    passage_texts = [passage_text(c) for c in chunks]
    sentence_embedder = sentences.model if sentences is not None else None
    sentence_rows, sentence_list = sentences.rows(chunks) if sentences is not None else (np.empty((0, 3), np.int32), [])
    distinct_sentences = list(dict.fromkeys(sentence_list))

    pool = reuse if reuse is not None else VectorPool()
    plans = [(model, [(query_texts, model.encode_queries, pool.plan(model.name, "query", query_texts, model.dim)),
                      (passage_texts, model.encode_passages, pool.plan(model.name, "passage", passage_texts, model.dim))])
             for model in embedders]
    sentence_plan = (pool.plan(sentence_embedder.name, "passage", distinct_sentences, sentence_embedder.dim)
                     if sentence_embedder is not None else None)
    total = sum(len(p.missing) for _, parts in plans for *_, p in parts) + (len(sentence_plan.missing) if sentence_plan else 0)
    done = 0

    def encoder(encode: Callable[[list[str]], np.ndarray], dim: int) -> Callable[[Sequence[str]], np.ndarray]:
        def run(texts: Sequence[str]) -> np.ndarray:
            nonlocal done
            report = (lambda n, before=done: progress(before + n, total)) if progress else None
            vectors = embedded(texts, encode, dim, report)
            done += len(texts)
            return vectors
        return run

    stores: dict[str, VectorStore] = {}
    neighbourhoods: dict[str, np.ndarray] = {}
    keys: dict[str, list[bytes]] = {}
    for model, parts in plans:
        vectors = [pool.fill(planned, encoder(encode, model.dim), texts, model.dim) for texts, encode, planned in parts]
        name = vectors_file(model.name, model is embedders[0])
        matrix = np.vstack(vectors)
        stores[name] = FaissStore.build(matrix)
        neighbourhoods[hubness_file(name)] = neighbourhood(stores[name], matrix)
        keys[keys_file(name)] = [k for *_, planned in parts for k in planned.keys]
    primary = embedders[0]
    stored_sentences = None
    if sentence_embedder is not None and sentence_plan is not None:
        distinct_vectors = pool.fill(sentence_plan, encoder(sentence_embedder.encode_passages, sentence_embedder.dim),
                                     distinct_sentences, sentence_embedder.dim)
        row_of = {text: i for i, text in enumerate(distinct_sentences)}
        rows = np.array([row_of[t] for t in sentence_list], dtype=np.int64)
        stored_sentences = SentenceVectors(sentence_embedder.name, sentence_rows, distinct_vectors[rows])
        keys[keys_file(sentence_files(sentence_embedder.name)[0])] = [sentence_plan.keys[i] for i in rows]

    records = Records(
        documents=corpus.documents,
        entries=corpus.entries,
        chunks=tuple(chunks),
        vector_chunk=tuple(query_rows) + tuple(range(len(chunks))),
        vector_kind=tuple(query_kinds) + ("passage",) * len(chunks),
    )
    manifest = IndexManifest(
        embedder=primary.name,
        dim=primary.dim,
        extra_embedders={m.name: m.dim for m in embedders[1:]},
        sentence_model=sentence_embedder.name if sentence_embedder is not None else None,
        corpus_checksum=corpus.checksum,
        document_count=len(corpus.documents),
        entry_count=len(corpus.entries),
        chunk_count=len(chunks),
        vector_count=len(records.vector_chunk),
        vector_kinds=tuple(sorted(set(records.vector_kind))),
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - started, 3),
    )
    _write_atomically(out, stores, neighbourhoods, lexical(records) if lexical is not None else None, records, manifest,
                      stored_sentences, keys)
    return manifest


def embedded(texts: Sequence[str], encode: Callable[[list[str]], np.ndarray], dim: int,
             progress: Callable[[int], None] | None = None) -> np.ndarray:
    """The texts' vectors in their order, encoded longest first over the whole list (so each batch pads
    little) and PER_CALL at a time: a call carries several batches, so an engine with several lanes keeps every
    one busy (calls of 16 texts kept one of e5-onnx's two single-threaded lanes busy: half the passages a second)."""
    order = np.argsort([-len(t) for t in texts], kind="stable")
    parts = []
    for start in range(0, len(texts), PER_CALL):
        chosen = order[start : start + PER_CALL]
        parts.append(encode([texts[i] for i in chosen]))
        if progress:
            progress(start + len(chosen))
    if not parts:
        return np.empty((0, dim), np.float32)
    out = np.empty((len(texts), parts[0].shape[1]), np.float32)
    out[order] = np.vstack(parts)
    return out


def _write_atomically(out: Path, stores: dict[str, VectorStore], neighbourhoods: dict[str, np.ndarray], lexical: Saved | None,
                      records: Records, manifest: IndexManifest, sentence_vectors: SentenceVectors | None = None,
                      keys: dict[str, list[bytes]] | None = None) -> None:
    """Write into a sibling temporary folder, then rename it into place: readers never see half an index."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        for name, store in stores.items():
            store.save(tmp / name)
        for name, values in neighbourhoods.items():
            save_hubness(tmp / name, values)
        if lexical is not None:
            lexical.save(tmp / LEXICAL)
        for name, row_keys in (keys or {}).items():
            save_keys(tmp / name, row_keys)
        records.save(tmp / RECORDS)
        sentence_files = save_sentences(tmp, sentence_vectors) if sentence_vectors is not None else ()
        (tmp / MANIFEST).write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
        bm25_files = [p.relative_to(tmp) for p in (tmp / LEXICAL).rglob("*") if p.is_file()]
        for name in (*stores, *neighbourhoods, *(keys or {}), *bm25_files, *sentence_files, RECORDS, MANIFEST):
            with open(tmp / name, "rb") as f:
                os.fsync(f.fileno())
        if out.exists():
            old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(out, old)
            os.rename(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
