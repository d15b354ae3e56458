"""BM25 over FAQ chunks with language-aware analysis: elision, stopwords, Snowball stems, accent folding.

Built from the index records at load time (milliseconds for a FAQ), so it needs no file of its own
and can never disagree with the vectors.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import bm25s
import bm25s.stopwords as sw
import numpy as np
import Stemmer

from faq.text import normalize, strip_accents

_STEMMERS = {"fr": "french", "en": "english", "es": "spanish", "de": "german", "it": "italian", "pt": "portuguese", "nl": "dutch"}
_STOPWORDS = {"fr": sw.STOPWORDS_FRENCH, "en": sw.STOPWORDS_EN, "es": sw.STOPWORDS_SPANISH, "de": sw.STOPWORDS_GERMAN,
              "it": sw.STOPWORDS_ITALIAN, "pt": sw.STOPWORDS_PORTUGUESE, "nl": sw.STOPWORDS_DUTCH}
# French and Italian elided articles and pronouns: "l'article" -> "article", "qu'il" -> "il"
_ELISION = re.compile(r"\b(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu|quoiqu|dell|dall|sull|nell|all)'", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)


class Analyzer:
    """Text to index terms for one language; unknown languages get folding without stemming."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._stemmer = Stemmer.Stemmer(_STEMMERS[lang]) if lang in _STEMMERS else None
        self._stop = {strip_accents(w) for w in _STOPWORDS.get(lang, ())}

    def terms(self, text: str) -> list[str]:
        text = _ELISION.sub(" ", normalize(text).lower())
        words = [w for w in _WORD.findall(text) if strip_accents(w) not in self._stop]
        if self._stemmer is not None:
            words = self._stemmer.stemWords(words)
        return [strip_accents(w) for w in words]


class Bm25:
    """Scores texts for a query; a query sharing no term with a text gives it 0, not noise."""

    def __init__(self, texts: Sequence[str], lang: str) -> None:
        self.analyzer = analyzer(lang)
        self._vocab: dict[str, int] = {}
        corpus_ids = [[self._vocab.setdefault(t, len(self._vocab)) for t in self.analyzer.terms(x)] for x in texts]
        self._model = bm25s.BM25(k1=1.2, b=0.75)
        self._model.index(bm25s.tokenization.Tokenized(ids=corpus_ids, vocab=self._vocab), show_progress=False)
        self._n = len(texts)

    def scores(self, query: str) -> np.ndarray:
        """One BM25 score per indexed text (0 where nothing matched)."""
        terms = [t for t in self.analyzer.terms(query) if t in self._vocab]
        if not terms:
            return np.zeros(self._n, np.float32)
        return np.asarray(self._model.get_scores(terms), dtype=np.float32)


@lru_cache(maxsize=8)
def analyzer(lang: str) -> Analyzer:
    return Analyzer(lang)
