"""The one or two sentences of the best passage that answer the question, and the words it matched.

Sentences are scored by a sentence model (USE) plus a small bonus for shared terms and for coming early; without
a sentence model, by shared terms and position. The sentences' vectors come from the index when it stores them
(index.disk.sentence_vectors), else are embedded on first use (~10 ms a passage); the question's is the one the
ranking computed. A sentence that only introduces what follows ("... incluant :") or is very short takes the next
one along; otherwise its better neighbour joins it when that scores within `_NEIGHBOUR_MARGIN` of it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from faq.text import WORD, normalize
from index.disk.sentence_vectors import Spans
from index.embedders import Embedder, model_for
from index.ranking.lexical import Analyzer, analyzer as analyzer_of

# a sentence ends at a line break, or after . ! ? (and any closing quote or bracket) before a space
_BOUNDARY = re.compile(r"(?<=[.!?])[\"»)\]]*[ \t]+(?=[A-ZÀ-ÖØ-Þ(«\"0-9])|\n+")
_SHORT = 60
# chosen on the watch-faq dev split (answers with the labelled fact / mean length in characters):
# one sentence 0.62 / 141, margin 0.1 0.76 / 186, 0.2 0.87 / 232, always two sentences 0.91 / 263
_NEIGHBOUR_MARGIN = 0.2

Marks = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class ShortAnswer:
    """`text` is `passage[start:end]`; `highlights` are (start, end) spans of matched words in the passage."""

    text: str
    start: int
    end: int
    highlights: tuple[tuple[int, int], ...]


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, trimmed of surrounding spaces."""
    spans, start = [], 0
    for m in [*_BOUNDARY.finditer(text), None]:
        end = m.start() if m else len(text)
        piece = text[start:end]
        a, b = start + (len(piece) - len(piece.lstrip())), start + len(piece.rstrip())
        if b > a and WORD.search(text[a:b]):
            spans.append((a, b))
        start = m.end() if m else len(text)
    return spans


def sentence_texts(passage: str, spans: Sequence[tuple[int, int]]) -> list[str]:
    """What the sentence model embeds for each sentence (the build and the short answerer alike)."""
    return [normalize(passage[a:b]) for a, b in spans]


def sentence_model(embedders: Sequence[Embedder]) -> Embedder | None:
    """The model that scores sentences: the first declaring the `sentences` role (USE; None: shared terms and position do)."""
    return model_for("sentences", embedders)


Words = tuple[tuple[int, int, str], ...]


def word_terms(passage: str, analyzer: Analyzer) -> Words:
    """(start, end, index term) of each passage word that has one, as the analyzer cuts words (Analyzer.spans): क्या
    whole, not cut at its virama as `\\w+` did; a run of Chinese or Japanese as its overlapping bigrams."""
    return tuple(analyzer.spans(passage))


def highlights(question: str, passage: str, analyzer: Analyzer, words: Words | None = None) -> Marks:
    """Spans of the passage's words whose index term is one of the question's terms."""
    return marked(frozenset(analyzer.terms(question)), passage, analyzer, words)


def marked(wanted: frozenset[str], passage: str, analyzer: Analyzer, words: Words | None = None) -> Marks:
    """Spans of the passage's words whose index term is one of `wanted` (a question's terms); overlapping ones (the
    bigrams of an unspaced script) or touching as one span."""
    if not wanted:
        return ()
    out: list[tuple[int, int]] = []
    for a, b, term in word_terms(passage, analyzer) if words is None else words:
        if term not in wanted:
            continue
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return tuple(out)


class ShortAnswerer:
    """Picks a passage's short answer and marks the question's words in passages, for one index."""

    def __init__(self, analyzer: Analyzer, sentence_model: Embedder | None = None,
                 stored: Mapping[str, tuple[Spans, np.ndarray]] | None = None, cache_size: int = 4096) -> None:
        """`stored`: the index's sentence vectors by passage text (index.disk.sentence_vectors.SentenceVectors.by_passage),
        the sentence model's own; a passage missing from it has its sentences embedded on first use."""
        self.analyzer = analyzer
        self.model = sentence_model
        self._stored = stored or {}
        # A FAQ has few passages and the same ones win again and again: the sentence vectors of a passage the
        # index has none for (an older index) are computed once (half of an uncached query's time, ~9 of 20 ms).
        self._vectors: dict[str, np.ndarray] = {}
        self._words: dict[str, Words] = {}  # the same few passages are highlighted again and again
        # one analyzer per language, made once: making one (its stemmer, its folded stopwords) for every hit's
        # highlights was most of their cost, and a new one also starts with an empty cache of stemmed words
        self._analyzers: dict[str, Analyzer] = {analyzer.lang: analyzer}
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def _per_passage(self, store: dict, passage: str, compute: Callable[[], Any]) -> Any:
        """`store[passage]`, computed on first use; the oldest passage makes room past `cache_size`."""
        with self._lock:
            cached = store.get(passage)
        if cached is None:
            cached = compute()
            with self._lock:
                if len(store) >= self._cache_size:
                    store.pop(next(iter(store)))
                store[passage] = cached
        return cached

    def _sentence_vectors(self, model: Embedder, passage: str, spans: list[tuple[int, int]]) -> np.ndarray:
        stored = self._stored.get(passage)
        if stored is not None and stored[0] == tuple(spans):
            return stored[1]
        return self._per_passage(self._vectors, passage, lambda: model.encode_passages(sentence_texts(passage, spans)))

    def _analyzer(self, lang: str | None) -> Analyzer:
        """The passage's language's (a multilingual FAQ), else the index's."""
        if not lang:
            return self.analyzer
        found = self._analyzers.get(lang)
        return found if found is not None else self._analyzers.setdefault(lang, analyzer_of(lang))

    def highlights(self, question: str, passage: str, lang: str | None = None) -> Marks:
        """`highlights` with the passage's words analysed once, not on every question."""
        return self.highlights_of(question, [(passage, lang)])[0]

    def highlights_of(self, question: str, passages: Sequence[tuple[str, str | None]]) -> tuple[Marks, ...]:
        """The highlights of each (passage, language), the question analysed once per language, not once per passage."""
        wanted: dict[str, frozenset[str]] = {}
        out = []
        for passage, lang in passages:
            terms = self._analyzer(lang)
            if terms.lang not in wanted:
                wanted[terms.lang] = frozenset(terms.terms(question))
            words = self._per_passage(self._words, passage, lambda: word_terms(passage, terms))  # noqa: B023 - called at once
            out.append(marked(wanted[terms.lang], passage, terms, words))
        return tuple(out)

    def extract(self, question: str, passage: str, lang: str | None = None,
                query_vectors: Mapping[str, np.ndarray] | None = None, marks: Marks | None = None) -> ShortAnswer | None:
        """The short answer in `passage`. `query_vectors`: the question's vectors by model name as the ranking embedded
        them (index.ranking.search.Ranking.query_vectors), so the sentence model's is not embedded again; `marks`: the
        passage's highlights when the caller has them already."""
        spans = sentences(passage)
        if not spans:
            return None
        if marks is None:
            marks = self.highlights(question, passage, lang)
        overlap = np.array([sum(1 for s, e in marks if a <= s and e <= b) for a, b in spans], dtype=np.float32)
        model = self.model
        if model is not None and len(spans) > 1:
            vectors = self._sentence_vectors(model, passage, spans)
            query = (query_vectors or {}).get(model.name)
            if query is None:
                query = model.encode_queries([normalize(question)])[0]
            # earlier sentences carry the main answer more often: a small position prior
            # (chosen on the watch-faq dev split: fact found in 0.617 of answers vs 0.574 without)
            score = vectors @ query + 0.05 * np.minimum(overlap, 3) - 0.02 * np.arange(len(spans))
        else:
            score = overlap - 0.01 * np.arange(len(spans))
        best = int(np.argmax(score))
        first = last = best
        start, end = spans[best]
        if best + 1 < len(spans) and (end - start < _SHORT or passage[start:end].rstrip().endswith(":")):
            last = best + 1
        elif len(spans) > 1:
            # the fact often sits in the sentence beside the best one ("... gratuites. Toutefois, ...
            # des frais seront appliqués"): take the closer neighbour too when it scores nearly as well
            neighbour = max((i for i in (best - 1, best + 1) if 0 <= i < len(spans)), key=lambda i: score[i])
            if score[neighbour] >= score[best] - _NEIGHBOUR_MARGIN:
                first, last = min(best, neighbour), max(best, neighbour)
        start, end = spans[first][0], spans[last][1]
        inside = tuple((s, e) for s, e in marks if start <= s and e <= end)
        return ShortAnswer(passage[start:end], start, end, inside)
