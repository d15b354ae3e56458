"""BM25 over FAQ chunks with language-aware analysis: elision, stopwords, Snowball stems, accent folding, by script.

Built with the index and stored beside it (index.ranking.signals.LexicalSignal.save): building it takes
seconds past 10,000 entries, and every searcher and service worker would otherwise build it again.

Two analyzers, numbered; an index records the one its BM25 was built with (index.ranking.signals), so an index
built before analyzer 2 still loads and ranks exactly as it did:

- 1 (before issue #31): words are runs of `\\w`, every combining mark is removed (カード became カート, क्या was cut
  at its virama), Snowball stems and bm25s stopwords for fr/en/es/de/it/pt/nl only.
- 2: words keep their marks (faq.text.WORD); accents are folded on Latin and Greek letters only
  (faq.text.strip_accents); text is NFKC (full-width Latin and half-width Kana as their usual forms); Chinese,
  Japanese and Korean runs become overlapping character bigrams, and Thai, Lao, Khmer and Myanmar runs bigrams of
  their letters with their marks (as Lucene's CJK analyzer does: no segmenter dictionary to ship or keep up to date);
  Arabic script is normalised (harakat, tatweel, alef forms, alef maqsura, ta marbuta, as Lucene's ArabicNormalizer;
  the letters after Snowball's Arabic stemmer, which strips ال and ة itself); every language Snowball has is stemmed; stopwords from bm25s where it has the
  language (the same lists as analyzer 1 for its seven), else from stopwords-iso (stopwordsiso). Text in Latin
  script analyses exactly as with analyzer 1 but for NFKC compatibility characters (ligatures, full-width letters).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import bm25s
import bm25s.stopwords as sw
import numpy as np
import Stemmer
import stopwordsiso

from faq.text import INDEXED_UNSPACED as _UNSPACED, WORD, normalize, strip_accents, strip_all_marks

ANALYZER = 2  # what a new index is built with
ANALYZERS = (1, 2)

_STEMMERS_1 = {"fr": "french", "en": "english", "es": "spanish", "de": "german", "it": "italian", "pt": "portuguese", "nl": "dutch"}
_STOPWORDS_1 = {"fr": sw.STOPWORDS_FRENCH, "en": sw.STOPWORDS_EN, "es": sw.STOPWORDS_SPANISH, "de": sw.STOPWORDS_GERMAN,
                "it": sw.STOPWORDS_ITALIAN, "pt": sw.STOPWORDS_PORTUGUESE, "nl": sw.STOPWORDS_DUTCH}
# every Snowball stemmer PyStemmer has, by ISO 639-1 code (Serbian's works on Latin script only)
_STEMMERS_2 = {**_STEMMERS_1, "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech",
               "da": "danish", "eo": "esperanto", "et": "estonian", "fi": "finnish", "el": "greek", "hi": "hindi",
               "hu": "hungarian", "id": "indonesian", "ga": "irish", "lt": "lithuanian", "ne": "nepali", "no": "norwegian",
               "nb": "norwegian", "nn": "norwegian", "fa": "persian", "pl": "polish", "ro": "romanian", "ru": "russian",
               "sr": "serbian", "st": "sesotho", "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish"}
_BM25S_STOPWORDS = {**_STOPWORDS_1, "zh": sw.STOPWORDS_CHINESE, "da": sw.STOPWORDS_DANISH, "ko": sw.STOPWORDS_KOREAN,
                    "no": sw.STOPWORDS_NORWEGIAN, "nb": sw.STOPWORDS_NORWEGIAN, "ru": sw.STOPWORDS_RUSSIAN,
                    "sv": sw.STOPWORDS_SWEDISH, "tr": sw.STOPWORDS_TURKISH}
# French and Italian elided articles and pronouns: "l'article" -> "article", "qu'il" -> "il" (on lowercased text)
_ELISION = re.compile(r"(?<!\w)(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu|quoiqu|dell|dall|sull|nell|all)'")
_WORD_1 = re.compile(r"\w+", re.UNICODE)
WORDS = 200_000  # distinct words remembered per language (a few tens of MB at most)

# scripts written without spaces between words: runs of them are indexed as character bigrams (faq.text)
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")  # harakat, Quranic marks, tatweel
_ARABIC_LETTERS = str.maketrans({"\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",
                                 "\u0649": "\u064a", "\u0629": "\u0647"})  # أ إ آ ٱ -> ا, ى -> ي, ة -> ه


def normalize_arabic(word: str) -> str:
    """Lucene's ArabicNormalizer: harakat and tatweel dropped, alef forms as bare alef, alef maqsura as yeh, ta marbuta as heh."""
    return _ARABIC_MARKS.sub("", word).translate(_ARABIC_LETTERS)


def bigrams(run: str) -> list[str]:
    """Overlapping character bigrams of an unspaced run (a single character stays a unigram). In Southeast Asian
    scripts a character is a letter with its marks (ขอบคุณ: ข อ บ คุ ณ), so no bigram splits a vowel from its consonant."""
    units = _clusters(run)
    if len(units) < 2:
        return ["".join(units)] if units else []
    return [units[i] + units[i + 1] for i in range(len(units) - 1)]


def _clusters(run: str) -> list[str]:
    units: list[str] = []
    for c in run:
        if units and unicodedata.category(c)[0] == "M":
            units[-1] += c
        else:
            units.append(c)
    return units


def _stopwords(lang: str) -> Iterable[str]:
    if lang in _BM25S_STOPWORDS:
        return _BM25S_STOPWORDS[lang]
    return stopwordsiso.stopwords(lang) if stopwordsiso.has_lang(lang) else ()


class Analyzer:
    """Text to index terms for one language; unknown languages get folding without stemming.

    Each distinct word is folded and stemmed once (`WORDS` remembered): a FAQ says the same words
    again and again, and folding accents character by character was nearly all of BM25's build time
    (80 s for 10,000 entries) and half a millisecond of every question.

    `version`: which analyzer (the module's docstring); an index built with 1 is searched with 1."""

    def __init__(self, lang: str, version: int = ANALYZER) -> None:
        if version not in ANALYZERS:
            raise ValueError(f"unknown analyzer {version!r} (this version knows {ANALYZERS})")
        self.lang = lang
        self.version = version
        stemmers = _STEMMERS_1 if version == 1 else _STEMMERS_2
        self._stemmer = Stemmer.Stemmer(stemmers[lang]) if lang in stemmers else None
        if version == 1:
            self._fold = strip_all_marks
            self._stop = {strip_all_marks(w) for w in _STOPWORDS_1.get(lang, ())}
        else:
            self._fold = strip_accents
            self._stop = {self._key(normalize(w).lower()) for w in _stopwords(lang)}
        self._term = lru_cache(maxsize=WORDS)(self._term_of)

    def terms(self, text: str) -> list[str]:
        if self.version == 1:
            return self._terms_1(text)
        text = normalize(unicodedata.normalize("NFKC", text)).lower()
        if "'" in text:
            text = _ELISION.sub(" ", text)
        out: list[str] = []
        for word in WORD.findall(text):
            if not _UNSPACED.search(word):
                term = self._term(word)
                if term is not None:
                    out.append(term)
                continue
            at = 0
            for run in _UNSPACED.finditer(word):  # "iphoneのケース": "iphone", then the bigrams of "のケース"
                if run.start() > at and (term := self._term(word[at : run.start()])) is not None:
                    out.append(term)
                out += bigrams(run.group(0))
                at = run.end()
            if at < len(word) and (term := self._term(word[at:])) is not None:
                out.append(term)
        return out

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, term) of `text`'s words that have an index term, at their place in `text` (highlights, background
        words). Words as `terms` cuts them: runs of `\\w` with analyzer 1; with 2, words keep their marks (क्या is one word,
        not three) and a run of an unspaced script gives one span per bigram, overlapping (注文が: 注文, 文が)."""
        out: list[tuple[int, int, str]] = []
        for m in (_WORD_1 if self.version == 1 else WORD).finditer(text):
            word, at = m.group(0), m.start()
            if self.version == 1 or not _UNSPACED.search(word):
                self._span(out, text, at, m.end())
                continue
            for run in _UNSPACED.finditer(word):  # "iphoneのケース": "iphone", then the bigrams of "のケース"
                start = m.start() + run.start()
                if start > at:
                    self._span(out, text, at, start)
                units = _clusters(run.group(0))
                ends = list(itertools.accumulate(map(len, units), initial=start))
                if len(units) == 1:
                    self._span(out, text, ends[0], ends[1])
                for i in range(len(units) - 1):
                    self._span(out, text, ends[i], ends[i + 2])
                at = m.start() + run.end()
            if at < m.end():
                self._span(out, text, at, m.end())
        return out

    def _span(self, out: list[tuple[int, int, str]], text: str, start: int, end: int) -> None:
        found = self.terms(text[start:end])
        if found:
            out.append((start, end, found[0]))

    def _terms_1(self, text: str) -> list[str]:
        text = normalize(text).lower()
        if "'" in text:
            text = _ELISION.sub(" ", text)
        return [t for t in map(self._term, _WORD_1.findall(text)) if t is not None]

    def _key(self, word: str) -> str:
        """A word as stopwords are compared: folded, and Arabic normalised."""
        return self._fold(normalize_arabic(word) if _ARABIC.search(word) else word)

    def _term_of(self, word: str) -> str | None:
        """The index term of one lowercased word; None for a stopword."""
        if self.version == 1:
            if strip_all_marks(word) in self._stop:
                return None
            return strip_all_marks(self._stemmer.stemWord(word) if self._stemmer is not None else word)
        if not _ARABIC.search(word):
            if self._fold(word) in self._stop:
                return None
            return self._fold(self._stemmer.stemWord(word) if self._stemmer is not None else word)
        # Arabic script: Snowball's Arabic stemmer normalises and strips ال and ة itself (normalising ة to ه first would
        # keep it from stripping it: الساعة gives ساع, not ساعه), so the letters are normalised on its stem
        if normalize_arabic(word) in self._stop:
            return None
        word = _ARABIC_MARKS.sub("", word)
        return normalize_arabic(self._stemmer.stemWord(word) if self._stemmer is not None else word)


class Bm25:
    """Scores texts for a query; a query sharing no term with a text gives it 0, not noise."""

    def __init__(self, model: bm25s.BM25, lang: str, version: int = ANALYZER) -> None:
        """Use `build` or `load`. `version`: the analyzer the texts were indexed with."""
        self.analyzer = analyzer(lang, version)
        self._model = model
        self._vocab: dict[str, int] = model.vocab_dict
        self._n = int(model.scores["num_docs"])

    @classmethod
    def build(cls, texts: Sequence[str], lang: str, version: int = ANALYZER) -> Bm25:
        terms = analyzer(lang, version).terms
        vocab: dict[str, int] = {}
        corpus_ids = [[vocab.setdefault(t, len(vocab)) for t in terms(x)] for x in texts]
        model = bm25s.BM25(k1=1.2, b=0.75)
        model.index(bm25s.tokenization.Tokenized(ids=corpus_ids, vocab=vocab), show_progress=False)
        return cls(model, lang, version)

    @classmethod
    def load(cls, folder: Path, lang: str, version: int = ANALYZER) -> Bm25:
        """What `save` wrote, memory-mapped (several service workers share one copy), searched with the analyzer it was built with."""
        return cls(bm25s.BM25.load(folder, mmap=True), lang, version)

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


@lru_cache(maxsize=16)
def analyzer(lang: str, version: int = ANALYZER) -> Analyzer:
    return Analyzer(lang, version)
