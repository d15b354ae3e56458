"""A customer's misspelt word, put back as the FAQ spells it: "shippjng" is "shipping", "reparation" is "réparation".

Chat and search-box questions are typed fast: "warrenty", "comande", "numero" without its accents. Every signal
loses on them: BM25 matches no term, and the dense models cut an unknown spelling into pieces that mean little. One
typo in a word or two of each dev question cost label-free hit@1 0.03-0.09 and end-to-end accuracy 0.13-0.17
(README, "Misspelt questions"). Only the FAQ's own words are corrected to, the way a search engine's "did you mean"
draws on its index: a word the FAQ does not use is never made up. A question's word is changed when
- it has letters of one script of FOLD alone (Latin, Greek, Cyrillic, Arabic) and the FAQ does not use it; and
- the FAQ uses it with accents ("numero" -> "numéro", from ACCENTED_FROM letters; Arabic's hamza forms likewise); or
  else it has at least MIN_LENGTH letters, a word of the FAQ that begins with the same letter is within one edit of it
  (a letter left out, added, changed, or two swapped; two edits from LONG letters on), and it is no word of the FAQ's
  languages, the question's or English (faq.dictionaries; a script no list of them writes is not corrected so): a
  "mortgage" asked of a bank that never says it stays a mortgage.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from faq.dictionaries import LISTED, checked_for, is_word
from faq.language import letter_scripts, script_of
from faq.text import WORD, strip_accents
from index.ranking.lexical import normalize_arabic

# shorter words are left as typed: they are one edit from too many words, and romanised Hindi's or Tagalog's are no
# word of any list ("liye" -> "line", "kuch" -> "much", "yaar" -> "year": 784 words of the 540 code-mixed dev questions
# changed over the 12 CLINC FAQs from 4 letters on, 113 from 5 with the first letter kept, 236 with accents put back on
# any word, "credit" -> "crédit" most of them; the typos of the three dev sets put right 1,240 -> 1,070 of 1,784)
MIN_LENGTH = 5
ACCENTED_FROM = 3  # the FAQ's accents are put back from this many letters: "deja" -> "déjà", "ete" -> "été"
LONG = 8  # from this many letters a word may be two edits from the FAQ's
# the scripts whose words are corrected, and how each is written without the marks people leave out: Latin and Greek
# accents, Cyrillic ё (faq.text.strip_accents), Arabic harakat, alef forms, alef maqsura and ta marbuta (as BM25 folds
# them: "اريد" is the FAQ's "أريد"). Others are left as typed: a Devanagari or Thai mark is part of its letter.
FOLD: dict[str, Callable[[str], str]] = {"LATIN": strip_accents, "GREEK": strip_accents, "CYRILLIC": strip_accents,
                                         "ARABIC": normalize_arabic}
APOSTROPHES = "'’"  # a word cut by one ("quelqu'un", "doesn't") is left as typed


@dataclass(frozen=True)
class Spelt:
    """The question as searched, and the words changed (typed, corrected), in order."""

    text: str
    changes: tuple[tuple[str, str], ...] = ()


class Speller:
    """The FAQ's words (those of FOLD's scripts, lower case, with their counts), and how a question's words map to them."""

    def __init__(self, texts: Iterable[str], langs: Sequence[str], cache_size: int = 16384, counts: Counter[str] | None = None) -> None:
        """`counts`: words already counted (`with_words`), added to those of `texts`."""
        self.counts = Counter(counts or ())
        self.counts.update(w for text in texts for w in (m.group().lower() for m in WORD.finditer(text)) if _script(w) is not None)
        self.langs = checked_for(langs)
        self._cache_size = cache_size
        folded: dict[str, str] = {}
        # by first letter and length: a typo's candidates share its first letter, and are `most` letters longer or shorter
        # at most (100,000 random words: 8 ms for a new unknown word over every length window, 0.17-0.23 ms so)
        by_start: dict[tuple[str, int], list[str]] = {}
        for word, _ in sorted(self.counts.items(), key=lambda wc: (-wc[1], wc[0])):  # the most frequent first
            folded.setdefault(_folded(word, _script(word) or "LATIN"), word)
            by_start.setdefault((word[0], len(word)), []).append(word)
        self._folded = folded
        self._by_start = by_start
        self._windows: dict[tuple[str, int, int], list[str]] = {}
        # help-center questions repeat their words all day: each word is looked at once, then remembered
        self._remembered = lru_cache(maxsize=cache_size)(self._correction)

    def with_words(self, texts: Iterable[str]) -> Speller:
        """This FAQ's words and those of `texts` (the team's synonyms: a customer's "waterprof" then meets the synonym
        rule for "waterproof"), as a new speller."""
        return Speller(texts, self.langs, self._cache_size, self.counts)

    def spell(self, text: str, lang: str = "") -> Spelt:
        """`text` with each misspelt word replaced by the FAQ's (its case kept: "Comande" -> "Commande")."""
        changes: list[tuple[str, str]] = []
        parts: list[str] = []
        last = 0
        for m in WORD.finditer(text):
            typed = m.group()
            if m.end() < len(text) and text[m.end()] in APOSTROPHES:
                continue
            word = self.correction(typed.lower(), lang)
            if word is not None:
                word = _cased_as(typed, word)
                changes.append((typed, word))
                parts += [text[last:m.start()], word]
                last = m.end()
        if not changes:
            return Spelt(text)
        return Spelt("".join((*parts, text[last:])), tuple(changes))

    def correction(self, word: str, lang: str = "") -> str | None:
        """The FAQ's word the lower-case `word` misspells, None when it is not misspelt (or nothing is close)."""
        return self._remembered(word, lang)

    def _correction(self, word: str, lang: str = "") -> str | None:
        script = _script(word)
        if word in self.counts or len(word) < ACCENTED_FROM or script is None:
            return None
        accented = self._folded.get(_folded(word, script))
        if accented is not None:  # the same letters: "credit" in a French FAQ's question is its "crédit" either way
            return accented
        if len(word) < MIN_LENGTH or not any(script_of(la) == script and la in LISTED for la in self._checked(lang)):
            return None  # no list tells a word of this script from a typo
        most = 2 if len(word) >= LONG else 1
        # a typo seldom hits the first letter: "karte" is no "carte"
        close = process.extract(word, self._within(word[0], len(word), most), scorer=OSA.distance, score_cutoff=most, limit=None)
        if not close or self._is_word(word, lang):
            return None
        # the nearest, then the FAQ's most frequent, then alphabetical
        return min(close, key=lambda c: (c[1], -self.counts[c[0]], c[0]))[0]

    def _is_word(self, word: str, lang: str) -> bool:
        return is_word(word, self._checked(lang))

    def _checked(self, lang: str) -> tuple[str, ...]:
        """The languages whose word lists say what is a word: the FAQ's, English and the question's."""
        return (*self.langs, lang) if lang and lang not in self.langs else self.langs

    def _within(self, first: str, length: int, most: int) -> list[str]:
        """The FAQ's words beginning with `first`, `most` letters or fewer longer or shorter than `length`."""
        window = self._windows.get((first, length, most))
        if window is None:
            window = self._windows[first, length, most] = [
                w for n in range(length - most, length + most + 1) for w in self._by_start.get((first, n), ())]
        return window


def _script(word: str) -> str | None:
    """The script of a word written in one of FOLD's alone (letters and their marks, no digit), else None."""
    if word.isascii():
        return "LATIN" if word.isalpha() else None
    if not all(c.isalpha() or unicodedata.category(c)[0] == "M" for c in word):
        return None
    scripts = letter_scripts(word)
    if len(scripts) != 1:
        return None
    script = scripts.pop()
    return script if script in FOLD else None


def _folded(word: str, script: str) -> str:
    return FOLD[script](word)


def _cased_as(typed: str, word: str) -> str:
    if typed.isupper() and len(typed) > 1:
        return word.upper()
    if typed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
