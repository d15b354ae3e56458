"""Vectors reused across builds: an ingest embeds only the texts no earlier build embedded with the same model.

Every vector an index stores is kept with its key, the hash of what produced it: the model's name (which names its
engine variant and recipe: `onnx-e5:multilingual-e5-small-int8-b4` is not the fp32 model), the role it was embedded in
(`query` or `passage`: e5 embeds them with different prefixes) and the exact text embedded (chunking settings, titles
and normalisation are in the text). Beside each vectors file its keys, one 16-byte row per vector row:

- `vectors.keys.npy` for `vectors.faiss`, `vectors.<backend>.keys.npy` for an ensemble member's;
- `sentences.<model>.keys.npy` for the sentence vectors (index.disk.sentence_vectors), embedded as passages.

A build is given the folders whose vectors it may reuse (the served version: usecases.versions) as a `VectorPool`:
each text whose key is known gets that vector, byte for byte; only the others are embedded, in the order and the
batches a full build would use for them. A folder of another index format (FORMAT_VERSION), or without keys (built
before they were kept), or whose keys and vectors disagree, gives nothing: everything is embedded again.

Deterministic models (fp32 e5, USE, the fakes) give a text the same vector whatever it is batched with, so a build
reusing vectors equals a full build. int8 e5 rounds each batch with one activation scale, so its vectors depend
slightly on the batch a text rode in, in a full build as well; a reused vector is the one an earlier build made.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from index.disk.manifest import FORMAT_VERSION, MANIFEST
from index.disk.store import FaissStore

log = logging.getLogger("faq.index")

Role = Literal["query", "passage"]
KEY_BYTES = 16


def text_key(model: str, role: Role, text: str) -> bytes:
    """The key of a vector: model name, role and the exact text embedded."""
    return hashlib.blake2b(f"{model}\x1f{role}\x1f{text}".encode(), digest_size=KEY_BYTES).digest()


def keys_file(vectors_file: str) -> str:
    """`vectors.faiss` -> `vectors.keys.npy`; `sentences.usem3.npy` -> `sentences.usem3.keys.npy`."""
    return f"{vectors_file.rsplit('.', 1)[0]}.keys.npy"


def save_keys(path: Path, keys: Sequence[bytes]) -> None:
    array = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), KEY_BYTES)
    with open(path, "wb") as f:  # a file object: np.save would add ".npy" to a path without it
        np.save(f, array, allow_pickle=False)


def load_keys(path: Path) -> list[bytes] | None:
    """The keys of a vectors file; None when there are none or they cannot be read."""
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if array.ndim != 2 or array.shape[1] != KEY_BYTES or array.dtype != np.uint8:
        return None
    raw = np.ascontiguousarray(array).tobytes()
    return [raw[i : i + KEY_BYTES] for i in range(0, len(raw), KEY_BYTES)]


@dataclass(frozen=True)
class Planned:
    """The texts of one model and role: their keys, and which of them the pool does not know (to embed)."""

    model: str
    role: Role
    keys: list[bytes]
    missing: list[int]


class VectorPool:
    """Known vectors by key (index.disk.reuse.text_key), with counts of what a build reused and embedded.

    An empty pool (a first build) reuses nothing: the build embeds every text, as it always did."""

    def __init__(self) -> None:
        self._known: dict[bytes, np.ndarray] = {}
        self.reused = 0
        self.embedded = 0
        self.sources: list[str] = []

    def __len__(self) -> int:
        return len(self._known)

    def add(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        self._known.update(zip(keys, vectors))

    @classmethod
    def from_folders(cls, folders: Iterable[Path]) -> VectorPool:
        """Every keyed vector of the index folders (FAISS files read back row by row, exactly); a folder of another
        format version, or a file whose keys are missing or disagree with its vectors, gives nothing."""
        pool = cls()
        for folder in folders:
            try:
                manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
                continue
            found = 0
            for keys_path in sorted(folder.glob("*.keys.npy")):
                stem = keys_path.name.removesuffix(".keys.npy")
                faiss_path, npy_path = folder / f"{stem}.faiss", folder / f"{stem}.npy"
                keys = load_keys(keys_path)
                if keys is None:
                    continue
                try:
                    if faiss_path.exists():
                        vectors = FaissStore.load(faiss_path).vectors()
                    elif npy_path.exists():
                        vectors = np.asarray(np.load(npy_path, allow_pickle=False), dtype=np.float32)
                    else:
                        continue
                except Exception as e:  # an unreadable file reuses nothing; the build embeds instead
                    log.warning("not reusing the vectors of %s: %s", keys_path, e)
                    continue
                if vectors.ndim != 2 or len(vectors) != len(keys):
                    log.warning("not reusing the vectors of %s: %d keys for %s vectors", folder, len(keys), vectors.shape)
                    continue
                pool.add(keys, vectors)
                found += len(keys)
            if found:
                pool.sources.append(str(folder))
        return pool

    def plan(self, model: str, role: Role, texts: Sequence[str], dim: int) -> Planned:
        """Which of the texts to embed: those whose key the pool does not hold with a vector of `dim` columns, each
        distinct text once (a text given twice, such as a phrasing two entries share, is embedded for its first row)."""
        keys = [text_key(model, role, t) for t in texts]
        known = self._known
        unknown = {k: i for i, k in reversed(list(enumerate(keys))) if k not in known or known[k].shape != (dim,)}
        return Planned(model, role, keys, sorted(unknown.values()))

    def fill(self, planned: Planned, encode: Callable[[Sequence[str]], np.ndarray], texts: Sequence[str], dim: int) -> np.ndarray:
        """The vectors of `texts` (as planned): the known ones from the pool, the missing ones from `encode` (given the
        missing texts, in their order); the new vectors join the pool."""
        if planned.missing:  # first, so that every row of a text given twice reads the one vector embedded for it
            self.add([planned.keys[i] for i in planned.missing], encode([texts[i] for i in planned.missing]))
        out = np.empty((len(texts), dim), np.float32)
        for i, key in enumerate(planned.keys):
            out[i] = self._known[key]
        self.reused += len(texts) - len(planned.missing)  # known before, or a repeat of a text embedded here
        self.embedded += len(planned.missing)
        return out
