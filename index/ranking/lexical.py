"""BM25 over FAQ chunks with language-aware analysis: elision, stopwords, Snowball stems, accent folding.

Built with the index and stored beside it (index.ranking.signals.LexicalSignal.save): building it takes
seconds past 10,000 entries, and every searcher and service worker would otherwise build it again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import bm25s
import bm25s.stopwords as sw
import numpy as np
import Stemmer

from faq.text import normalize, strip_accents

_STEMMERS = {"fr": "french", "en": "english", "es": "spanish", "de": "german", "it": "italian", "pt": "portuguese", "nl": "dutch"}
_STOPWORDS = {"fr": sw.STOPWORDS_FRENCH, "en": sw.STOPWORDS_EN, "es": sw.STOPWORDS_SPANISH, "de": sw.STOPWORDS_GERMAN,
              "it": sw.STOPWORDS_ITALIAN, "pt": sw.STOPWORDS_PORTUGUESE, "nl": sw.STOPWORDS_DUTCH}
# French and Italian elided articles and pronouns: "l'article" -> "article", "qu'il" -> "il" (on lowercased text)
_ELISION = re.compile(r"(?<!\w)(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu|quoiqu|dell|dall|sull|nell|all)'")
_WORD = re.compile(r"\w+", re.UNICODE)
WORDS = 200_000  # distinct words remembered per language (a few tens of MB at most)


class Analyzer:
    """Text to index terms for one language; unknown languages get folding without stemming.

    Each distinct word is folded and stemmed once (`WORDS` remembered): a FAQ says the same words
    again and again, and folding accents character by character was nearly all of BM25's build time
    (80 s for 10,000 entries) and half a millisecond of every question."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._stemmer = Stemmer.Stemmer(_STEMMERS[lang]) if lang in _STEMMERS else None
        self._stop = {strip_accents(w) for w in _STOPWORDS.get(lang, ())}
        self._term = lru_cache(maxsize=WORDS)(self._term_of)

    def terms(self, text: str) -> list[str]:
        text = normalize(text).lower()
        if "'" in text:
            text = _ELISION.sub(" ", text)
        return [t for t in map(self._term, _WORD.findall(text)) if t is not None]

    def _term_of(self, word: str) -> str | None:
        """The index term of one lowercased word; None for a stopword."""
        if strip_accents(word) in self._stop:
            return None
        return strip_accents(self._stemmer.stemWord(word) if self._stemmer is not None else word)


class Bm25:
    """Scores texts for a query; a query sharing no term with a text gives it 0, not noise."""

    def __init__(self, model: bm25s.BM25, lang: str) -> None:
        """Use `build` or `load`."""
        self.analyzer = analyzer(lang)
        self._model = model
        self._vocab: dict[str, int] = model.vocab_dict
        self._n = int(model.scores["num_docs"])

    @classmethod
    def build(cls, texts: Sequence[str], lang: str) -> Bm25:
        terms = analyzer(lang).terms
        vocab: dict[str, int] = {}
        corpus_ids = [[vocab.setdefault(t, len(vocab)) for t in terms(x)] for x in texts]
        model = bm25s.BM25(k1=1.2, b=0.75)
        model.index(bm25s.tokenization.Tokenized(ids=corpus_ids, vocab=vocab), show_progress=False)
        return cls(model, lang)

    @classmethod
    def load(cls, folder: Path, lang: str) -> Bm25:
        """What `save` wrote, memory-mapped (several service workers share one copy)."""
        return cls(bm25s.BM25.load(folder, mmap=True), lang)

    def save(self, folder: Path) -> None:
        self._model.save(folder, show_progress=False)

    @property
    def vocabulary(self) -> Iterable[str]:
        return self._vocab.keys()

    def scores(self, query: str) -> np.ndarray:
        """One BM25 score per indexed text (0 where nothing matched)."""
        terms = [t for t in self.analyzer.terms(query) if t in self._vocab]
        if not terms:
            return np.zeros(self._n, np.float32)
        return np.asarray(self._model.get_scores(terms), dtype=np.float32)


@lru_cache(maxsize=8)
def analyzer(lang: str) -> Analyzer:
    return Analyzer(lang)
