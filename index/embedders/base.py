"""What every embedding backend is: texts to L2-normalised float32 vectors, queries and passages apart.

Constructors only store settings; weights load once in `warm_up()` (called by the service's
lifespan or lazily on first use), so importing and configuring stay instant. Queries and passages
have their own methods because e5 models embed them with different prefixes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

import numpy as np

# What a loaded model is used for beside embedding for search, declared by its backend rather than guessed from
# its name: `sentences` scores a passage's sentences for short answers, `off_topic` compares a question with the
# off-topic lines (USE: the dev split put its margin ahead of e5's), `grouping` groups unanswered questions into gaps.
Role = Literal["sentences", "off_topic", "grouping"]
NO_ROLES: frozenset[Role] = frozenset()


def model_for(role: Role, models: Sequence[Embedder]) -> Embedder | None:
    """The first of `models` declaring `role`; None when none does (the caller's fallback decides)."""
    return next((m for m in models if role in m.roles), None)


@runtime_checkable
class Embedder(Protocol):
    """Texts to L2-normalised float32 vectors of `dim` columns (so inner product is cosine)."""

    roles: frozenset[Role]  # beside search (Role); most models have none
    # the languages its vectors can be trusted in (USE: the 15 it was trained on); None: any language
    languages: frozenset[str] | None

    # read-only properties: an attribute satisfies them, and so does a property computed on first use (sentence-transformers)
    @property
    def name(self) -> str:
        """Backend and model, as an index's manifest records it."""

    @property
    def dim(self) -> int:
        """Columns of the vectors."""

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


