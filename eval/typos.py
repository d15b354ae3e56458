"""Misspelt versions of an eval set's questions: what a customer typing fast into a chat box or search box sends.

Each in-scope question gets a typo in about a quarter of its words of four letters or more (at least one): a letter
left out, two swapped, one changed for a neighbour on a QWERTY keyboard, or one doubled; never the first letter, which
people seldom miss. Seeded by the question's id, so a set is misspelt the same way on every run. eval.datasets.with_typos
misspells a set's in-scope questions (`NAME+typos`).
"""

from __future__ import annotations

import hashlib
import random
import re

RATE = 0.25  # the share of a question's long words misspelt
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_WORD = re.compile(r"[^\W\d_]{4,}")


def _neighbours() -> dict[str, str]:
    near: dict[str, str] = {}
    for r, row in enumerate(_ROWS):
        for c, key in enumerate(row):
            near[key] = "".join(sorted({_ROWS[r + dr][c + dc] for dr in (-1, 0, 1) for dc in (-1, 0, 1)
                                        if (dr, dc) != (0, 0) and 0 <= r + dr < 3 and 0 <= c + dc < len(_ROWS[r + dr])}))
    return near


NEIGHBOURS = _neighbours()


def misspelt_word(word: str, rng: random.Random) -> str:
    """One typo in `word` (of two letters or more), never in its first letter."""
    i = rng.randrange(1, len(word))
    kind = rng.choice(("drop", "swap", "near", "double"))
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "swap" and i < len(word) - 1 and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "near" and word[i].lower() in NEIGHBOURS:
        return word[:i] + rng.choice(NEIGHBOURS[word[i].lower()]) + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def misspelt(text: str, seed: str, rate: float = RATE) -> str:
    """`text` with a typo in about `rate` of its words of four letters or more, at least one (when it has any)."""
    rng = random.Random(hashlib.sha256(seed.encode()).digest())
    words = list(_WORD.finditer(text))
    if not words:
        return text
    chosen = {m.start() for m in words if rng.random() < rate} or {rng.choice(words).start()}
    out, last = [], 0
    for m in words:
        out += [text[last:m.start()], misspelt_word(m.group(), rng) if m.start() in chosen else m.group()]
        last = m.end()
    return "".join((*out, text[last:]))

