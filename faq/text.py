"""Text rules shared by ingest (matching keys) and search (query folding).

Original text is always kept for display; these functions produce the form used for matching,
so that a typographic apostrophe in the FAQ and a straight one typed by a customer compare equal.
"""

from __future__ import annotations

import re
import unicodedata

_TRANSLATE = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
        "\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u2009": " ", "\u200a": " ",
        "\u200b": "", "\ufeff": "", "\u00ad": "",
    }
)
_TRANSLATED = re.compile("[" + re.escape("".join(map(chr, _TRANSLATE))) + "]")
_SPACES = re.compile(r"[ \t]{2,}|\t")  # a single space is left as it is: most texts then need no substitution


def normalize(text: str) -> str:
    """NFC, straight quotes and apostrophes, plain hyphens and spaces, collapsed runs of spaces."""
    text = unicodedata.normalize("NFC", text)
    if _TRANSLATED.search(text):  # translate() looks up every character; most texts have none to change
        text = text.translate(_TRANSLATE)
    return _SPACES.sub(" ", text).strip()


def strip_accents(text: str) -> str:
    """'réparation' -> 'reparation': customers often type without accents."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def slugify(text: str, max_len: int = 48) -> str:
    """A lowercase ASCII id fragment, stable for the same text."""
    slug = re.sub(r"[^a-z0-9]+", "-", strip_accents(normalize(text)).lower()).strip("-")
    return slug[:max_len].rstrip("-") or "x"
