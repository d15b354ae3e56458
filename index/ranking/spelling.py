"""A customer's misspelt word, put back as the FAQ spells it: "shippjng" is "shipping", "reparation" is "réparation".

Chat and search-box questions are typed fast: "warrenty", "comande", "numero" without its accents. Every signal
loses on them: BM25 matches no term, and the dense models cut an unknown spelling into pieces that mean little. One
typo in a word or two of each dev question cost label-free hit@1 0.03-0.09 and end-to-end accuracy 0.13-0.17
(README, "Misspelt questions"). Only the FAQ's own words are corrected to, the way a search engine's "did you mean"
draws on its index: a word the FAQ does not use is never made up. A question's word is changed when
- it has letters of the Latin script alone and the FAQ does not use it; and
- the FAQ uses it with accents ("numero" -> "numéro", from ACCENTED_FROM letters); or else it has at least MIN_LENGTH
  letters, a word of the FAQ that begins with the same letter is within one edit of it (a letter left out, added,
  changed, or two swapped; two edits from LONG letters on), and it is no word of the FAQ's languages, the question's
  or English (faq.dictionaries): a "mortgage" asked of a bank that never says it stays a mortgage.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from faq.dictionaries import checked_for, is_word
from faq.text import WORD, strip_accents

# shorter words are left as typed: they are one edit from too many words, and romanised Hindi's or Tagalog's are no
# word of any list ("liye" -> "line", "kuch" -> "much", "yaar" -> "year": 784 words of the 540 code-mixed dev questions
# changed over the 12 CLINC FAQs from 4 letters on, 113 from 5 with the first letter kept, 236 with accents put back on
# any word, "credit" -> "crédit" most of them; the typos of the three dev sets put right 1,240 -> 1,070 of 1,784)
MIN_LENGTH = 5
ACCENTED_FROM = 3  # the FAQ's accents are put back from this many letters: "deja" -> "déjà", "ete" -> "été"
LONG = 8  # from this many letters a word may be two edits from the FAQ's
APOSTROPHES = "'’"  # a word cut by one ("quelqu'un", "doesn't") is left as typed


@dataclass(frozen=True)
class Spelt:
    """The question as searched, and the words changed (typed, corrected), in order."""

    text: str
    changes: tuple[tuple[str, str], ...] = ()


class Speller:
    """The FAQ's words (its Latin-script ones, lower case, with their counts), and how a question's words map to them."""

    def __init__(self, texts: Iterable[str], langs: Sequence[str], cache_size: int = 16384) -> None:
        self.counts = Counter(w for text in texts for w in (m.group().casefold() for m in WORD.finditer(text)) if _latin(w))
        self.langs = checked_for(langs)
        folded: dict[str, str] = {}
        by_length: dict[int, list[str]] = {}
        for word, _ in sorted(self.counts.items(), key=lambda wc: (-wc[1], wc[0])):  # the most frequent first
            folded.setdefault(strip_accents(word), word)
            by_length.setdefault(len(word), []).append(word)
        self._folded = folded
        self._by_length = by_length
        self._windows: dict[tuple[int, int], list[str]] = {}
        # help-center questions repeat their words all day: each word is looked at once, then remembered
        self._remembered = lru_cache(maxsize=cache_size)(self._correction)

    def spell(self, text: str, lang: str = "") -> Spelt:
        """`text` with each misspelt word replaced by the FAQ's (its case kept: "Comande" -> "Commande")."""
        changes: list[tuple[str, str]] = []
        parts: list[str] = []
        last = 0
        for m in WORD.finditer(text):
            typed = m.group()
            if m.end() < len(text) and text[m.end()] in APOSTROPHES:
                continue
            word = self.correction(typed.casefold(), lang)
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
        if word in self.counts or len(word) < ACCENTED_FROM or not _latin(word):
            return None
        accented = self._folded.get(strip_accents(word))
        if accented is not None:  # the same letters: "credit" in a French FAQ's question is its "crédit" either way
            return accented
        if len(word) < MIN_LENGTH:
            return None
        most = 2 if len(word) >= LONG else 1
        close = process.extract(word, self._within(len(word), most), scorer=OSA.distance, score_cutoff=most, limit=None)
        close = [c for c in close if c[0][0] == word[0]]  # a typo seldom hits the first letter: "karte" is no "carte"
        if not close or self._is_word(word, lang):
            return None
        # the nearest, then the FAQ's most frequent, then alphabetical
        return min(close, key=lambda c: (c[1], -self.counts[c[0]], c[0]))[0]

    def _is_word(self, word: str, lang: str) -> bool:
        return is_word(word, (*self.langs, lang) if lang and lang not in self.langs else self.langs)

    def _within(self, length: int, most: int) -> list[str]:
        """The FAQ's words `most` letters or fewer longer or shorter than `length`."""
        window = self._windows.get((length, most))
        if window is None:
            window = self._windows[length, most] = [w for n in range(length - most, length + most + 1) for w in self._by_length.get(n, ())]
        return window


def _latin(word: str) -> bool:
    """Letters of the Latin script alone (their combining marks allowed), no digit."""
    if word.isascii():
        return word.isalpha()
    return all(unicodedata.category(c)[0] == "M" or (c.isalpha() and unicodedata.name(c, "").startswith("LATIN")) for c in word)


def _cased_as(typed: str, word: str) -> str:
    if typed.isupper() and len(typed) > 1:
        return word.upper()
    if typed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
