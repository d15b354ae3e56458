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


# Combining marks (Unicode categories Mn, Mc, Me) of the Basic Multilingual Plane: Devanagari vowel signs and
# virama, Thai vowels and tone marks, Arabic harakat, Latin accents… Python's \w leaves them out, so r"\w+"
# cuts "क्या" into "क", "य" and "ขอบคุณ" into "ขอบค", "ณ"; WORD keeps a letter and its marks together.
_MARKS = "".join(c for c in map(chr, range(0x10000)) if unicodedata.category(c)[0] == "M")
# a mark only after a letter or digit: "❤️" (a symbol and its emoji variation selector, a mark) has no word
WORD = re.compile(f"(?:[^\\W_][{re.escape(_MARKS)}]*)+")


# Scripts written without spaces between words, where one \w+ run is a phrase or a sentence: Han and Kana (Chinese,
# Japanese) and the Southeast Asian scripts (Thai, Lao, Myanmar, Khmer), each a class of its own. Hangul is written with
# spaces between words, but BM25 bigrams it with Han and Kana (index.ranking.lexical: Korean words are long compounds
# and Japanese mixes the three in one word), so it is apart: UNSPACED for words (index.deciding.evidence counts a run's
# characters, not its \w+ matches), INDEXED_UNSPACED for index terms.
HAN_KANA = ("\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3038-\u303c\u3040-\u30ff\u31f0-\u31ff"
            "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f")
HANGUL = "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7ff"
SOUTHEAST_ASIAN = "\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff"
UNSPACED = re.compile(f"[{HAN_KANA}]+|[{SOUTHEAST_ASIAN}]+")
INDEXED_UNSPACED = re.compile(f"[{HAN_KANA}{HANGUL}]+|[{SOUTHEAST_ASIAN}]+")


def _foldable(base: int) -> bool:
    """Whether the marks on this base character are accents that customers leave out and search may drop:
    Latin (é, ç, ş, ő, ệ) and Greek (ά, ΐ: tonos and dialytika, as Greek search engines fold them). Not Cyrillic
    (й is a letter of its own, not и with a breve; ё folds to е by hand), nor Kana (ド is not ト), Devanagari (the
    marks of क्या are its vowels), Thai, Hangul jamo or Arabic: there a mark is part of the letter or the word."""
    return (base < 0x250 or 0x1E00 <= base <= 0x1EFF or 0x2C60 <= base <= 0x2C7F or 0xA720 <= base <= 0xA7FF
            or 0xFF00 <= base <= 0xFF5E or 0x370 <= base <= 0x3FF or 0x1F00 <= base <= 0x1FFF)


_YO = str.maketrans("ёЁ", "еЕ")


def strip_accents(text: str) -> str:
    """'réparation' -> 'reparation', 'ά' -> 'α', 'ё' -> 'е': customers often type without accents.

    Only where the accent is one: a mark on a Latin or Greek letter. Marks of other scripts are part of
    their letters and stay (カード, क्या, ขอบคุณ, й come out unchanged); the text comes out NFC."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text).translate(_YO))
    kept = []
    base = 0
    for c in decomposed:
        if unicodedata.combining(c):
            if _foldable(base):
                continue
        else:
            base = ord(c)
        kept.append(c)
    return unicodedata.normalize("NFC", "".join(kept))


def strip_all_marks(text: str) -> str:
    """Every combining mark removed, whatever its script: the folding before issue #31, which turns カード into
    カート and क्या into कया. Kept only for BM25 indexes built with it (index.ranking.lexical, analyzer 1)."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def slugify(text: str, max_len: int = 48) -> str:
    """A lowercase ASCII id fragment, stable for the same text."""
    slug = re.sub(r"[^a-z0-9]+", "-", strip_accents(normalize(text)).lower()).strip("-")
    return slug[:max_len].rstrip("-") or "x"
