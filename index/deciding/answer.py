"""From a question to a response: the ranking, the decision (index.deciding.decide) and the short answer, with a cache.

`score` stays the old abstention score (the top entry's mean dense similarity, less half the
question's similarity to the nearest known out-of-scope question), for the eval's tables and for
an index calibrated before the decision model.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import numpy as np

from faq.curation import NO_RULES, Rules
from index.deciding.decide import Decider, Decision, Outcome, abstention_score
from index.deciding.evidence import CorpusTerms
from index.deciding.short_answer import Marks, ShortAnswer, ShortAnswerer
from index.disk.calibration import Calibration
from index.ranking.search import Filters, Hit, Ranking, Searcher, check_top_k

# entries the decision sees, whatever top_k asks for: it weighs the models' agreement over them (as trained: eval.decision)
DECISION_DEPTH = 20


def nearest_known_out_of_scope(ranking: Ranking, leave_out: int | None = None) -> float:
    """The question's similarity to the nearest known out-of-scope question (0 when there are none).

    `leave_out` skips one of them: calibration scores each known question against the others."""
    known = ranking.known_out_of_scope
    if leave_out is not None:
        known = known[np.arange(len(known)) != leave_out]
    return float(known.max()) if len(known) else 0.0


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
    known_out_of_scope: float = 0.0  # similarity to the nearest known out-of-scope question
    question_lang: str = "unknown"  # detected (faq.language)
    outcome: Outcome = "none"  # answer (a confident short answer), related (plausible entries, no answer claimed), none
    decision: Decision | None = field(default=None, compare=False)
    lang: str = ""  # the first result's language: the question's whenever the FAQ has that version
    # seconds per stage when it was computed (the ranking's signals, "rank", "short answer", "answer"); a cached answer keeps them
    timings: tuple[tuple[str, float], ...] = field(default=(), compare=False)
    rules_fired: tuple[str, ...] = ()  # the team's rules that shaped this answer ("synonym:3", "pin:1"): analytics count them
    corrected: str | None = None  # the question as searched when a misspelt word was corrected (index.ranking.spelling)


class Answerer:
    """Ranks with a searcher and decides whether to answer, using the index's calibration when it has one."""

    def __init__(self, searcher: Searcher, calibration: Calibration | None, extractor: ShortAnswerer | None = None,
                 cache_size: int = 1024, decider: Decider | None = None) -> None:
        self.searcher = searcher
        self.calibration = calibration
        self.decider = decider or decider_for(searcher, calibration)
        self.extractor = extractor
        # help-center traffic is skewed: the same questions come back all day. One answerer serves one
        # index version, so a swap starts with an empty cache.
        self._cache: OrderedDict[tuple, Answer] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def answer(self, question: str, top_k: int = 5, filters: Filters | None = None, rules: Rules = NO_RULES) -> Answer:
        """The answer for a question, from the cache when the same question was asked before under the same rules."""
        check_top_k(top_k)
        cached = self.cached(question, top_k, filters, rules)
        if cached is not None:
            return cached
        answer = self.answer_uncached(question, top_k, filters, rules)
        key = _cache_key(question, top_k, filters, rules)
        with self._lock:
            self._cache[key] = answer
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return answer

    def cached(self, question: str, top_k: int = 5, filters: Filters | None = None, rules: Rules = NO_RULES) -> Answer | None:
        """The answer if this question was asked before under these rules, else None; never embeds, so an event loop may call it."""
        key = _cache_key(question, top_k, filters, rules)
        with self._lock:
            cached = self._cache.get(key)
            if cached is None:
                return None
            self._cache.move_to_end(key)
        return cached if cached.question == question else replace(cached, question=question)

    def answer_uncached(self, question: str, top_k: int, filters: Filters | None = None, rules: Rules = NO_RULES,
                        remember: bool = True) -> Answer:
        """Rank, decide and extract, never from the cache (what the benchmark lab times end to end). `rules`: the team's
        (faq.curation), compiled for this index once per version (Searcher.curate; `remember=False`: for this question only)."""
        started = time.perf_counter()
        curated = self.searcher.curate(rules, remember)
        ranking = self.searcher.rank(question, filters, limit=max(top_k, DECISION_DEPTH), curated=curated)
        ranked = time.perf_counter()
        nearest = nearest_known_out_of_scope(ranking)
        searched = ranking.corrected or question  # the words every signal scored: the decision weighs those
        decision = self.decider.decide(searched, ranking, nearest)
        hits = ranking.hits[:top_k]
        score = abstention_score(hits[0].similarity, nearest) if hits else -1.0
        answerable, confidence = decision.answerable, decision.confidence
        short: ShortAnswer | None = None
        marks: tuple[Marks, ...] = ()
        if self.extractor is not None:
            marks = self.extractor.highlights_of(searched, [(h.chunk.text, h.chunk.lang) for h in hits])
            if answerable:
                top = hits[0].chunk
                short = self.extractor.extract(searched, top.text, top.lang, ranking.query_vectors, marks[0])
        done = time.perf_counter()
        timings = (*ranking.timings, ("rank", ranked - started), ("short answer", done - ranked), ("answer", done - started))
        return Answer(question, hits, answerable, round(confidence, 4), score, ranking.filtered_out, short, marks, nearest,
                      ranking.lang, decision.outcome, decision, hits[0].chunk.lang if hits else "", timings, ranking.rules_fired,
                      ranking.corrected)


def decider_for(searcher: Searcher, calibration: Calibration | None) -> Decider:
    """The decision for one searcher's index: its calibration, its terms and its languages."""
    table = searcher.index.table
    terms = CorpusTerms(table) if searcher.config.lexical_weight > 0 else None
    return Decider(calibration, terms, frozenset(table.langs))


def _cache_key(question: str, top_k: int, filters: Filters | None, rules: Rules = NO_RULES) -> tuple:
    # a store's rules are named by their version; rules made by hand (version 0) by their content
    return " ".join(question.split()).casefold(), top_k, filters, rules.version or (hash(rules) if rules else 0)
