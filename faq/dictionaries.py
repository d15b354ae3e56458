"""The words a language has, so that spelling correction (index.ranking.spelling) leaves a real word alone.

A customer's "mortgage" asked of a bank FAQ that never says it is a word the FAQ does not answer, not a typo of
"montage"; "commando" is no typo of "commande". The lists are pyspellchecker's (word frequency lists of
OpenSubtitles and Wiktionary, shipped gzipped inside its wheel: offline), one per language it has. A language's
list is read once per process (~0.2 s, 25-50 MB as a set) and only when a question or FAQ in it needs it.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

# the languages pyspellchecker ships a list for (its resources/<lang>.json.gz)
LISTED = frozenset({"ar", "de", "en", "es", "eu", "fa", "fr", "it", "lv", "nl", "pt", "ru"})
ALWAYS_CHECKED = ("en",)  # English words turn up in chat in every language: "mail", "online", "tracking"


@lru_cache(maxsize=None)
def words_of(lang: str) -> frozenset[str]:
    """The lower-case words of `lang` (its base code: "fr" for "fr-CA"), empty for a language without a list."""
    base = lang.split("-")[0].lower()
    if base not in LISTED:
        return frozenset()
    data = resources.files("spellchecker").joinpath("resources", f"{base}.json.gz").read_bytes()
    return frozenset(word.lower() for word in json.loads(gzip.decompress(data)))


def is_word(word: str, langs: tuple[str, ...]) -> bool:
    """Whether the lower-case `word` is a word of any of `langs`."""
    return any(word in words_of(lang) for lang in langs)


def checked_for(langs: Sequence[str]) -> tuple[str, ...]:
    """The languages a word is looked up in for a FAQ written in `langs`: theirs and English."""
    return tuple(dict.fromkeys((*langs, *ALWAYS_CHECKED)))


def preload(langs: Sequence[str]) -> None:
    """Reads the lists a FAQ in `langs` checks words against, so that its first misspelt question does not wait on them."""
    for lang in checked_for(langs):
        words_of(lang)
