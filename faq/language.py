"""The language a question is written in, so its answer can come from the FAQ's version in that language.

py3langid (a naive Bayes over byte n-grams, model inside its 4.6 MB wheel): on the watch-faq
questions 150/150 right, on the off-topic messages of 3+ words 0.993, 0.06 ms a question once
loaded (~0.6 s, once per process and candidate set). lingua-language-detector scored 0.993 / 0.960
at 0.17 ms from a 96 MB wheel. Limiting the candidates to the FAQ's languages and a few common ones
matters on short text (0.857 vs 0.791 over every labelled message, greetings and emoji included).
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from faq.limits import MAX_QUESTION_CHARS

UNKNOWN = "unknown"
# the FAQ's languages are added to these (`candidates`); issue #31 added ar, zh, ja, ko, hi, ru, tr, pl, sv
COMMON = ("fr", "en", "es", "de", "it", "pt", "nl", "ar", "zh", "ja", "ko", "hi", "ru", "tr", "pl", "sv")
# under 2 words of 2+ letters ("ok", "bjr", "👍") or a normalised probability under this: too little to tell
MIN_WORDS = 2
MIN_PROBABILITY = 0.5
_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
# Chinese, Japanese and Thai put no space between words: two of their characters count as a word
_UNSPACED = re.compile("[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LOCK = threading.Lock()


CACHE = Path("var/models/langid")  # the restricted models, one file per candidate set (`_identifier`)


@lru_cache(maxsize=4)
def _identifier(langs: tuple[str, ...]) -> LanguageIdentifier:
    cache = _cache_file(langs)
    identifier = _read_cached(cache) if cache is not None else None
    if identifier is not None:
        return identifier
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(langs))
    # set_languages keeps the whole model (100,053 n-grams x 142 classes, 28 MB) to restrict it again later; this one is
    # never restricted again (one per candidate set): keep only its columns (4.6 MB for 16 languages), the same scores
    if hasattr(identifier, "_full_model"):
        identifier._full_model = identifier.nb_ptc, identifier.nb_pc, identifier.nb_classes
    if cache is not None:
        _store(identifier, cache)
    return identifier


def _cache_file(langs: tuple[str, ...]) -> Path | None:
    """Where the model restricted to `langs` is kept: reading py3langid's LZMA-compressed model took 0.9-3 s of a
    service's start (benchmarks.startup), reading this back a few hundredths. Named after py3langid's model file (its
    size and modification time: a reinstall is a new file) and the languages. A folder of .npy files (`_store`)."""
    try:
        stat = (MODEL_DIR / MODEL_FILE).stat()
    except OSError:
        return None
    return CACHE / f"py3langid-{stat.st_size}-{stat.st_mtime_ns}-{'-'.join(langs)}"


_ARRAYS = ("ptc", "pc", "classes", "nextmove", "row", "output")


def _read_cached(path: Path) -> LanguageIdentifier | None:
    """The identifier as `_identifier` makes it, from the arrays `_store` wrote; None when missing or unreadable.

    The tables are memory-mapped, not read: the byte automaton's transitions (37 MB for 16 languages) stay pages of the
    file, shared by every process that maps it (`faq serve --workers N`) and read in only where questions walk, instead
    of 46 MB private to each process. memoryviews index to Python ints as py3langid's arrays and lists do."""
    from py3langid.modelio import _to_array

    try:
        data = {name: np.load(path / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in _ARRAYS}
        identifier = LanguageIdentifier(data["ptc"], np.array(data["pc"]), data["classes"].tolist(),
                                        memoryview(data["nextmove"]), memoryview(data["output"]), norm_probs=True,
                                        tk_row=_to_array(data["row"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return identifier


def _store(identifier: LanguageIdentifier, path: Path) -> None:
    """The identifier's arrays as .npy files in a folder made beside `path` and renamed into place (a crash leaves none)."""
    arrays = {"ptc": identifier.nb_ptc, "pc": identifier.nb_pc, "classes": np.array(identifier.nb_classes),
              "nextmove": np.frombuffer(identifier.tk_nextmove, dtype=f"u{identifier.tk_nextmove.itemsize}"),
              "row": np.frombuffer(identifier.tk_row, dtype=f"u{identifier.tk_row.itemsize}"),
              "output": np.array(identifier.tk_output, dtype=np.int64)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=path.parent, prefix=".langid-") as tmp:
            for name, array in arrays.items():
                np.save(Path(tmp) / f"{name}.npy", array, allow_pickle=False)
            Path(tmp).chmod(0o755)  # readable by every worker, whoever made it
            os.replace(tmp, path)
    except OSError:  # a read-only models folder, or another process stored it first: py3langid's file or theirs
        pass


def candidates(faq_langs: Iterable[str]) -> tuple[str, ...]:
    """The FAQ's languages the model knows, plus the common ones, sorted (the cache key)."""
    extra = set(faq_langs) - set(COMMON)
    return tuple(sorted({*COMMON, *(extra & _known() if extra else ())}))


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    """Every language the model has (loads it once more: only for a FAQ in a language outside COMMON)."""
    return frozenset(LanguageIdentifier.from_model_file(MODEL_FILE).nb_classes)


def detect(text: str, langs: tuple[str, ...] = COMMON) -> str:
    """An ISO 639-1 code, or "unknown" for text too short or too ambiguous to tell."""
    langs = tuple(langs)
    return _detect_question(text, langs) if len(text) <= MAX_QUESTION_CHARS else _detect_document(text, langs)


def _words(text: str) -> int:
    """How many words of 2+ letters `text` has, a letter's combining marks part of its word. Devanagari, Bengali, Tamil…
    write most vowels as marks (Mn, Mc), which `\\w` does not match: counted by `_WORD` alone, "शिपिंग चार्ज" (shipping
    charge) had no word of two letters and "क्या पेरिस में आपकी कोई दुकान है?" one, both "too short to tell"; a Hindi
    question then kept the FAQ's own models' weights (index.ranking.search.Searcher._dense_weights), USE's among them."""
    if not text.isascii():
        text = "".join(c for c in text if not unicodedata.category(c).startswith("M"))
    return len(_WORD.findall(text))


def _detect(text: str, langs: tuple[str, ...]) -> str:
    unspaced = len(_UNSPACED.findall(text))
    if (_words(text) if not unspaced else unspaced // 2) < MIN_WORDS:
        return by_script(text, langs)
    with _LOCK:  # the identifier is not documented as thread-safe; a call takes ~0.06 ms
        lang, probability = _identifier(tuple(sorted(langs))).classify(text)
    return str(lang) if probability >= MIN_PROBABILITY else by_script(text, langs)


# the languages each script is written in, by the first word of its letters' Unicode names (Han: "CJK")
SCRIPT_LANGS: dict[str, frozenset[str]] = {script: frozenset(codes.split()) for script, codes in {
    "ARABIC": "ar fa ur ps ku sd ug", "HEBREW": "he yi", "CYRILLIC": "ru uk be bg sr mk kk ky mn tg",
    "GREEK": "el", "ARMENIAN": "hy", "GEORGIAN": "ka", "DEVANAGARI": "hi mr ne sa", "BENGALI": "bn as",
    "GURMUKHI": "pa", "GUJARATI": "gu", "ORIYA": "or", "TAMIL": "ta", "TELUGU": "te", "KANNADA": "kn",
    "MALAYALAM": "ml", "SINHALA": "si", "THAI": "th", "LAO": "lo", "MYANMAR": "my", "KHMER": "km",
    "ETHIOPIC": "am ti", "HANGUL": "ko", "HIRAGANA": "ja", "KATAKANA": "ja", "CJK": "zh ja",
}.items()}


_SCRIPT_OF = {lang: script for script, langs in SCRIPT_LANGS.items() for lang in langs if script not in ("HIRAGANA", "KATAKANA")}


def script_of(lang: str) -> str:
    """The script a language is written in (its letters' Unicode name prefix: "ARABIC", "CJK" for Chinese and Japanese),
    "LATIN" for any other."""
    return _SCRIPT_OF.get(lang, "LATIN")


def letter_scripts(text: str) -> set[str]:
    """The scripts of the text's letters, by their Unicode names' first word ("LATIN", "ARABIC", "CJK", "HIRAGANA"…)."""
    return {"LATIN" if c.isascii() else unicodedata.name(c, "").split(" ", 1)[0] for c in text if c.isalpha()}


def _scripts(text: str) -> set[str]:
    """The scripts of the text's letters but Latin."""
    return letter_scripts(text) - {"LATIN"}


def by_script(text: str, langs: tuple[str, ...]) -> str:
    """The one language among `langs` written in the script of the text's letters (Latin letters aside: a brand name in
    a Japanese question), else UNKNOWN: a word or two are too few for the identifier, but "الرصيد" (the balance) is
    Arabic for a help center whatever its length, and its models weigh as for an Arabic question
    (index.ranking.search.Searcher._dense_weights): asked of an English bank FAQ, the entry on the balance came first
    then, where configured weights put the fraud entry first. Kana beside Han make it Japanese; Han alone is Chinese or
    Japanese, UNKNOWN here (`Detector` decides it with the FAQ's languages)."""
    scripts = _scripts(text)
    if scripts & {"HIRAGANA", "KATAKANA"} and scripts <= {"HIRAGANA", "KATAKANA", "CJK"}:
        scripts = {"HIRAGANA"}
    if len(scripts) != 1:
        return UNKNOWN
    found = SCRIPT_LANGS.get(scripts.pop(), frozenset()) & set(langs)
    return next(iter(found)) if len(found) == 1 else UNKNOWN


# `detect` is a pure function of its arguments, and is asked the same texts again: calibration ranks the same few hundred
# questions many times, a service its popular ones, each ingest detects its documents' language again. Remembered: up to
# 8,192 texts of a question's length at most (typically short: well under 8 MB), and the last 64 longer ones (a document's
# sample: 20,000 characters at most)
_detect_question = lru_cache(maxsize=8192)(_detect)
_detect_document = lru_cache(maxsize=64)(_detect)


def preload(faq_langs: Iterable[str]) -> None:
    """Load the identifier a Detector of these FAQ languages uses (~0.9-1.9 s): a service starting does it on a thread
    of its own while the models load (usecases.answering), not on its warm-up question."""
    with _LOCK:
        _identifier(candidates(faq_langs))


class Detector:
    """Detects among one FAQ's languages and the common ones; the model loads on first use, once per process."""

    def __init__(self, faq_langs: Iterable[str]) -> None:
        self._faq_langs = tuple(faq_langs)
        self._langs: tuple[str, ...] | None = None

    def __call__(self, text: str) -> str:
        if self._langs is None:
            self._langs = candidates(self._faq_langs)
        lang = detect(text, self._langs)
        return self._han(text) if lang == UNKNOWN else lang

    def _han(self, text: str) -> str:
        """A word or two of Han alone ("返品", "保修") is Chinese or Japanese: the FAQ's own of the two when it has one, else
        Chinese. Either way a question in another script than a Latin FAQ's, weighed so (USE knows both): over the
        French watch FAQ, 14 such words written for it put their entry first 9 times as "unknown", 11 times so."""
        if _scripts(text) != {"CJK"}:
            return UNKNOWN
        return next((lang for lang in self._faq_langs if lang in ("zh", "ja")), "zh")
