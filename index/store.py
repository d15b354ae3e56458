"""Vector storage: FAISS inner product over normalised vectors, which is cosine similarity."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from faq.errors import IndexError_, IndexNotFoundError


class FaissStore:
    """Exact search (IndexFlatIP): FAQ corpora hold hundreds to thousands of vectors, where exact is fastest."""

    def __init__(self, index: faiss.Index) -> None:
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray) -> FaissStore:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        return cls(index)

    @classmethod
    def load(cls, path: Path) -> FaissStore:
        if not path.exists():
            raise IndexNotFoundError(f"No vector file at {path}. Build the index with: faq ingest")
        try:
            return cls(faiss.read_index(str(path)))
        except RuntimeError as e:
            raise IndexError_(f"The vector file {path} is corrupt ({str(e).splitlines()[0]}). Rebuild it with: faq ingest") from e

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @property
    def dim(self) -> int:
        return self._index.d

    def count(self) -> int:
        return self._index.ntotal

    def vectors(self) -> np.ndarray:
        """All stored vectors, (count, dim)."""
        return self._index.reconstruct_n(0, self.count())

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, row ids), each (len(queries), k'), best first; k' = min(k, count)."""
        k = min(k, self.count())
        return self._index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
