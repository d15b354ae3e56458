"""What every embedding backend is: texts to L2-normalised float32 vectors, queries and passages apart.

Constructors only store settings; weights load once in `warm_up()` (called by the service's
lifespan or lazily on first use), so importing and configuring stay instant. Queries and passages
have their own methods because e5 models embed them with different prefixes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


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


def normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


