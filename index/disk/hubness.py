"""Each vector's mean cosine to its nearest other vectors: what the CSLS hubness correction subtracts (index.ranking.signals).

Computed once when an index is built and stored beside its vectors (`vectors.hubness.npy` for
`vectors.faiss`), so opening an index costs nothing and a question's correction is a lookup for
the vectors it retrieved, however large the index. Up to `EXACT_UP_TO` vectors every pair is
compared, as the searcher always did; past it each vector asks the store for its nearest ones
(exact for a flat store, approximate for IVF), in batches.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from faq.errors import IndexError_
from index.disk.store import VectorStore

log = logging.getLogger("faq.index")

NEIGHBOURS = 5
EXACT_UP_TO = 4096
_BATCH = 512


def hubness_file(vectors_file: str) -> str:
    """`vectors.faiss` -> `vectors.hubness.npy`, `vectors.usem3.faiss` -> `vectors.usem3.hubness.npy`."""
    return vectors_file.removesuffix(".faiss") + ".hubness.npy"


def neighbourhood(store: VectorStore, vectors: np.ndarray | None = None, exact_up_to: int = EXACT_UP_TO) -> np.ndarray:
    """Mean cosine of each stored vector to its `NEIGHBOURS` nearest other vectors (zeros for fewer than 7 vectors).

    `vectors`: the stored vectors when the caller has them (a build), else read from the store."""
    total = store.count()
    if total < NEIGHBOURS + 2:
        return np.zeros(total, dtype=np.float32)
    vectors = store.vectors() if vectors is None else np.ascontiguousarray(vectors, dtype=np.float32)
    if total <= exact_up_to:
        sims = vectors @ vectors.T
        np.fill_diagonal(sims, -np.inf)
        return np.sort(sims, axis=1)[:, -NEIGHBOURS:].mean(axis=1).astype(np.float32)
    out = np.empty(total, dtype=np.float32)
    for start in range(0, total, _BATCH):
        batch = vectors[start : start + _BATCH]
        sims, rows = store.search(batch, NEIGHBOURS + 1)
        # the vector itself left out (when it was not found, the sixth nearest drops out instead), and any empty slot
        others = (rows >= 0) & (rows != np.arange(start, start + len(batch))[:, None])
        top = -np.sort(-np.where(others, sims, np.nan), axis=1)[:, :NEIGHBOURS]  # best first; NaN sorts last
        found = np.isfinite(top)
        out[start : start + len(batch)] = np.where(found, top, 0).sum(axis=1) / np.maximum(found.sum(axis=1), 1)
    return out


def at_open(store: VectorStore) -> np.ndarray:
    """For an index built before neighbourhoods were stored: computed as searchers always did, up to `EXACT_UP_TO`
    vectors; zeros past it (no hubness correction), as before, rather than minutes of work at every open."""
    if store.count() <= EXACT_UP_TO:
        return neighbourhood(store)
    log.warning("index built without stored neighbourhoods: no hubness correction past %d vectors; rebuild it with faq ingest",
                EXACT_UP_TO)
    return np.zeros(store.count(), dtype=np.float32)


def save(path: Path, values: np.ndarray) -> None:
    with open(path, "wb") as f:  # a file object: np.save would add ".npy" to a path without it
        np.save(f, np.ascontiguousarray(values, dtype=np.float32), allow_pickle=False)


def load(path: Path, count: int) -> np.ndarray | None:
    """The stored neighbourhoods (memory-mapped), or None for an index built before they were stored."""
    if not path.exists():
        return None
    try:
        values = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise IndexError_(f"The hubness file {path} is corrupt ({str(e).splitlines()[0]}). Rebuild the index with: faq ingest") from e
    if values.shape != (count,) or values.dtype != np.float32:
        raise IndexError_(f"The hubness file {path} holds {values.shape} {values.dtype} values for {count} vectors. "
                          f"Rebuild the index with: faq ingest")
    return values
