"""Typos fixed against the FAQ's own words, before any model or BM25 reads the question.

Customers write "livraion", "retouner", "standart". A word is changed only when it is not a word
of the FAQ, has at least `min_length` letters, and one edit (a letter deleted, inserted, replaced
or two swapped; accents and case ignored) turns it into a word of the FAQ; the most frequent such
word wins. Words the FAQ does not use and that are not one slip away from one (other languages,
out-of-scope topics) pass through untouched, so the fix cannot invent a match from nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from faq.text import strip_accents

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _fold(word: str) -> str:
    return strip_accents(word.lower())


def _one_edit(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return {
        *(a + b[1:] for a, b in splits if b),
        *(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1),
        *(a + c + b[1:] for a, b in splits if b for c in _LETTERS),
        *(a + c + b for a, b in splits for c in _LETTERS),
    }


class Speller:
    """The FAQ's vocabulary (folded word -> its most frequent spelling in the FAQ), and the fix."""

    def __init__(self, texts: Iterable[str], min_length: int = 5) -> None:
        self.min_length = min_length
        self._count: Counter[str] = Counter()
        self._spelling: dict[str, str] = {}
        self.add(texts)

    def add(self, texts: Iterable[str]) -> None:
        counts: Counter[str] = Counter(w for text in texts for w in _WORD.findall(text))
        for word, n in counts.most_common():
            folded = _fold(word)
            self._count[folded] += n
            self._spelling.setdefault(folded, word.lower())

    def correct(self, text: str) -> str:
        """`text` with each fixable typo replaced by the FAQ's word; everything else kept as typed."""
        return _WORD.sub(self._fix, text)

    def _fix(self, match: re.Match[str]) -> str:
        word = match.group(0)
        folded = _fold(word)
        if len(folded) < self.min_length or folded in self._count:
            return word
        candidates = [w for w in _one_edit(folded) if w in self._count]
        if not candidates:
            return word
        return self._spelling[max(candidates, key=lambda w: (self._count[w], w))]
