"""What a ranking says about whether the FAQ answers a question: named numbers the decision weighs (index.deciding.decide).

One similarity score does not carry the evidence: a terse "refund" scores low against every entry
yet the refund entry is plainly meant; a cross-lingual question scores lower than the same question
in the FAQ's language; "is it waterproof?" in a watch shop scores high against the warranty entry
although no entry mentions water. So each question gets several pieces of evidence, each put on a
scale that means the same in every help center:

- the top entry's similarity standardised against this corpus's own unseen-paraphrase scores (each
  FAQ question ranked with its own vectors left out) and against the off-topic lines' scores
  (`Norms`, index.disk.calibration, fitted per corpus without labels), with terse questions compared to terse versions of
  the FAQ's questions;
- margins to the next entries and whether e5, USE and BM25 agree on the first one;
- how much of the question the first entry covers, term by term, and how many of its words the
  corpus knows at all (gathered and shown, not weighed since model 8: eval.decision.UNWEIGHED);
- the question's shape (terse or a sentence) and whether it is in a language the FAQ is written in (not its
  punctuation: the CLINC questions of the dev data are written without any, the off-topic lines and the watch shop's
  with, so a question mark taught the model "off topic". Measured leave-one-corpus-out, model 4 with it: every test
  question given a "?", in-scope refused 0.052 -> 0.136; none given one, near-domain answered 0.203 -> 0.245. Without
  it, the same either way, and mean e2e unchanged at 0.868);
- closeness to the generic off-topic lines and to known out-of-scope questions.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from faq.language import script_of
from faq.text import UNSPACED, WORD
from index.disk.calibration import Norms
from index.ranking.entries import EntryTable

TERSE_WORDS = 3  # a question of at most this many words is a search-box query: it scores lower everywhere

# how the first entry stands out of the ranking (`shape`)
SHAPE: tuple[str, ...] = ("lead5", "lead10", "close_behind", "gap3_sim", "gap3_fused", "top3_signals", "sim_rank")
FEATURES: tuple[str, ...] = (
    "z_own", "z_off", "z_own_primary", "z_own_member", "gap_sim", "gap_fused", "agree_primary", "agree_member",
    "agree_bm25", "bm25_matched", "cover_top", "known_terms", "known_not_top", "log_words", "terse", "lang_mismatch",
    "off_topic_margin", "known_out_of_scope", "terse_x_z_own", "mismatch_x_z_own", "mismatch_x_cover", "unknown_same_lang",
    *SHAPE,
)


def latin_share(text: str) -> float:
    """The share of a text's letters that are Latin (1.0 for a text without letters): Arabic or Chinese asked of a
    French FAQ is cross-lingual even where the language detector, limited to the FAQ's and common languages, cannot tell."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 1.0
    return sum(1 for c in letters if c < "\u0250" or "\u1e00" <= c <= "\u1eff") / len(letters)


def words(text: str) -> list[str]:
    """The text's words, a letter's combining marks part of its word (faq.text.WORD): r"\\w+" cut Devanagari and Thai
    at their vowel signs, so "क्या आप भारत में शिप करते हैं" was 10 words, not 7, and a terse Hindi query was no longer terse."""
    return WORD.findall(text)


CHARS_PER_WORD = 2  # about what a Chinese or Japanese word averages


def _letters(run: str) -> int:
    """A run's characters, a letter and its combining marks one (Thai คุ is one, not two)."""
    return len(run) if run.isascii() else sum(1 for c in run if unicodedata.category(c)[0] != "M")


def word_count(text: str) -> int:
    """Words in the question, a run of unspaced script (faq.text.UNSPACED) counted as its characters over CHARS_PER_WORD:
    买满多少钱包邮 is a sentence, not one terse word."""
    unspaced = sum(-(-_letters(run) // CHARS_PER_WORD) for run in UNSPACED.findall(text))
    return len(words(UNSPACED.sub(" ", text))) + unspaced


def is_terse(text: str) -> bool:
    return word_count(text) <= TERSE_WORDS


class CorpusTerms:
    """The index terms the corpus knows (BM25's vocabulary), and each entry's own, for term coverage.

    An entry's terms are analysed the first time it ranks first, and `cache_size` of them remembered."""

    def __init__(self, table: EntryTable, cache_size: int = 4096) -> None:
        self._table = table
        self.vocabulary = table.vocabulary
        # the analyzers the index's BM25 was built with, so the question's terms and the entries' are its vocabulary's:
        # an index saved before analyzer 2 (issue #31) keeps analyzer 1, whose Japanese or Hindi terms 2 does not make
        self.analyzer = table.analyzer_of(table.lang)
        self.of_entry = lru_cache(maxsize=cache_size)(self._of_entry)

    def question_terms(self, question: str) -> set[str]:
        return set(self.analyzer.terms(question))

    def _of_entry(self, entry_id: str) -> frozenset[str]:
        e = self._table.records.entries[self._table.position[entry_id]]
        text = " ".join((e.section, e.question, *e.alt_questions, e.answer))
        return frozenset(self._table.analyzer_of(e.lang).terms(text)) | frozenset(self.analyzer.terms(text))


@dataclass(frozen=True)
class Evidence:
    """The named numbers for one question, in FEATURES order."""

    values: tuple[float, ...]

    def as_dict(self) -> dict[str, float]:
        return {name: round(v, 4) for name, v in zip(FEATURES, self.values)}

    def vector(self) -> np.ndarray:
        return np.array(self.values, dtype=np.float64)


def shape(similarity: np.ndarray, fused: np.ndarray, signal_values: np.ndarray, spread: float) -> dict[str, float]:
    """How the first entry stands out of the ranking: a question whose entry was left out (near the domain) meets a flat
    field of neighbours, a paraphrase one entry ahead of the rest. On the 20 dev corpora, leave-one-corpus-out, these
    took dev balanced accuracy 0.737 -> 0.742 and test 0.729 -> 0.740, in-scope questions not answered 0.427 -> 0.393
    (eval.decision; the first three alone: 0.741)."""
    if len(similarity) < 2:
        return dict.fromkeys(SHAPE, 0.0)
    sd = max(spread, 1e-3)
    s1 = float(similarity[0])
    top3 = [float(0 in np.argsort(-signal_values[:, j], kind="stable")[:3]) for j in range(signal_values.shape[1])]
    return {
        "lead5": (s1 - float(similarity[1:5].mean())) / sd,
        "lead10": (s1 - float(similarity[1:10].mean())) / sd,
        "close_behind": float((similarity[1:] >= s1 - 0.5 * sd).sum()),  # entries within half a spread of the first
        "gap3_sim": (s1 - float(similarity[2])) / sd if len(similarity) > 2 else 1.0,
        "gap3_fused": float(fused[0] - fused[2]) if len(fused) > 2 else 1.0,
        "top3_signals": float(np.mean(top3)) if top3 else 1.0,  # the share of signals with the first among their top 3
        "sim_rank": float((similarity > s1).sum()),  # entries of higher similarity that fusion put behind the first
    }


def gather(question: str, similarities: Sequence[float] | np.ndarray, fused: Sequence[float] | np.ndarray, signal_names: Sequence[str],
           signal_values: np.ndarray, entry_ids: Sequence[str], norms: Norms, terms: CorpusTerms | None,
           question_lang: str, faq_langs: frozenset[str], off_topic_margin: float | None,
           known_out_of_scope: float, dense_weights: Sequence[float] = ()) -> Evidence:
    """Evidence from the ranked entries (best first: their mean dense similarity, fused score, each signal's value).

    `signal_names` lists the dense models first, the primary then the ensemble member (USE), as the ranking scored them;
    `dense_weights`, the weight each had for this question (Ranking.dense_weights). A member the ranking gave no weight
    (a question or FAQ in a language it was not trained on: USE puts Hindi text anywhere) is left out of the similarity
    by the ranking, and here its evidence is the primary model's (model 6 had a flag for such questions instead, learnt from
    the few of them in its training data: leave-one-corpus-out it refused 0.74 of a Hindi FAQ's in-scope questions)."""
    if not len(similarities):
        return Evidence(tuple(0.0 for _ in FEATURES))
    n_words = word_count(question)
    terse = n_words <= TERSE_WORDS  # is_terse
    by_model = norms.own_terse_by_model if terse else norms.own_by_model
    columns = {name: j for j, name in enumerate(signal_names)}
    primary = signal_names[0] if signal_names else ""
    member = signal_names[1] if len(dense_weights) > 1 else ""
    unheard = len(dense_weights) > 1 and dense_weights[1] == 0  # the member weighs nothing for this question
    s1 = float(similarities[0])
    s2 = float(similarities[1]) if len(similarities) > 1 else s1 - 0.1
    own = norms.own_terse if terse else norms.own
    z_own = own.z(s1)
    values: dict[str, float] = {"z_own": z_own, "z_off": norms.off_topic.z(s1), "gap_sim": (s1 - s2) / max(norms.own.std, 1e-3),
                                "gap_fused": float(fused[0] - fused[1]) if len(fused) > 1 else 1.0}
    for key, name in (("primary", primary), ("member", member)):
        j = columns.get(name)
        if j is None or name not in by_model:
            values[f"z_own_{key}"] = z_own
            values[f"agree_{key}"] = 1.0
            continue
        column = signal_values[:, j]
        values[f"z_own_{key}"] = by_model[name].z(float(column[0]))
        values[f"agree_{key}"] = float(column[0] >= column.max() - 1e-6)
    if unheard:  # the similarity is the primary model's alone: so is its scale, and the member's evidence is noise
        z_own = values["z_own"] = values["z_own_member"] = values["z_own_primary"]
        values["agree_member"] = values["agree_primary"]
    j = columns.get("bm25")
    if j is not None:
        column = signal_values[:, j]
        values["bm25_matched"] = float(column[0] > 0)
        values["agree_bm25"] = float(column[0] > 0 and column[0] >= column.max() - 1e-6)
    else:
        values["bm25_matched"] = values["agree_bm25"] = 0.0
    cover = known = known_not_top = unknown = 0.0
    if terms is not None:
        asked = terms.question_terms(question)
        if asked:
            top = terms.of_entry(entry_ids[0])
            in_corpus = {t for t in asked if t in terms.vocabulary}
            cover = len(asked & top) / len(asked)
            known = len(in_corpus) / len(asked)
            known_not_top = len(in_corpus - top) / len(asked)
            unknown = 1.0 - known
    mismatch = (question_lang not in faq_langs and question_lang not in ("unknown", "und", "")) or (
        latin_share(question) < 0.5 and any(script_of(lang) == "LATIN" for lang in faq_langs))
    values.update({
        "cover_top": cover, "known_terms": known, "known_not_top": known_not_top, "log_words": math.log1p(n_words),
        "terse": float(terse), "lang_mismatch": float(mismatch),
        # None where there are no off-topic lines, or their model (USE) weighs nothing for this question (Ranking)
        "off_topic_margin": float(off_topic_margin) if off_topic_margin is not None else -0.2,
        "known_out_of_scope": float(known_out_of_scope),
        "terse_x_z_own": float(terse) * z_own, "mismatch_x_z_own": float(mismatch) * z_own,
        "mismatch_x_cover": float(mismatch) * cover,
        # words the corpus never uses, in a question in its own language: "étanche" asked of a FAQ that never says it
        "unknown_same_lang": 0.0 if mismatch else unknown,
        **shape(np.asarray(similarities, dtype=np.float64), np.asarray(fused, dtype=np.float64), signal_values, norms.own.std),
    })
    return Evidence(tuple(float(values[name]) for name in FEATURES))
