"""Calibrating a new FAQ's "no answer" threshold without a single labelled question.

A help center's FAQ arrives with no labelled questions. What it does have on day one: its own
entries, and the bundled set of generic off-topic messages (`index/deciding/data/off_topic.jsonl`: greetings,
chit-chat, other businesses' questions, general knowledge, keyboard mash, emoji, in six languages).
The abstention score (the top entry's mean dense similarity) of those messages against *this*
corpus says where "nothing in this FAQ" lies for it, whatever its size, language or wording; the
threshold is a fixed quantile of it (`QUANTILE`, chosen on the dev splits of the three labelled sets).

Off-topic lines that come as close to the FAQ as its own questions do (a bank's FAQ and "how do I
open an account?") are left out first: each FAQ question is scored as an unseen paraphrase of
itself (its own question vectors left out), and lines above the 10th percentile of those scores
stay out of the off-topic sample.

Questions from the query log (real traffic, labels unused) become the query bank once there are
enough of them. Labelled questions, when a set labels this FAQ, take precedence (index.pipeline.fit).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from faq.errors import CorpusError
from index.deciding.evidence import words
from index.disk.calibration import Calibration, Norms, Spread
from index.ranking.lexical import Analyzer
from index.ranking.search import Ranking, Searcher
from ingest.models import Entry

OFF_TOPIC_FILE = Path(__file__).resolve().parent / "data" / "off_topic.jsonl"
# the threshold: this quantile of the off-topic lines' scores against the corpus. On the dev splits
# (in-scope questions refused / out-of-scope refused), watch-faq, quebec-fr, quebec-en:
# 0.95: 0.068/0.835, 0.071/0.737, 0.009/0.711; 0.96: 0.085/0.869, 0.094/0.763, 0.012/0.724;
# 0.97: 0.102/0.930, 0.114/0.829, 0.015/0.763. 0.96 is the highest refusing <= 10% of in-scope dev questions on every set.
QUANTILE = 0.96
# off-topic lines scoring above this quantile of the FAQ's own questions (each left out of the index) are not off topic here
TOO_CLOSE = 0.10
# a question this much closer (USE cosine) to a kept off-topic line than to any FAQ vector is refused too. Dev splits
# (in-scope refused / out-of-scope refused), watch-faq, quebec-fr, quebec-en: none 0.085/0.869, 0.094/0.763, 0.012/0.724;
# 0.1: 0.085/0.877, 0.094/0.776, 0.012/0.724; 0.05: 0.102/0.890, 0.100/0.829, 0.012/0.724. 0.1 costs no in-scope question.
MARGIN = 0.1
# at most this many of the FAQ's own questions are scored (every one in a FAQ of up to this many entries). On a synthetic
# FAQ of 10,000 entries (benchmarks.synthetic, e5-int8 + USE), against all 10,000 scored: own mean/std 0.3114/0.0485 ->
# 2000: 0.3115/0.0490, 1000: 0.3116/0.0489, 500: 0.3059/0.0477; threshold the same; of 334 questions (the three sets'
# test questions and off-topic lines) 333 got the same outcome with 2000 or 1000 (confidence within 0.002), 500 moved
# confidences up to 0.017. 1000 ranks half the questions 2000 did, in every build and re-ingest of a large FAQ.
OWN_SAMPLE = 1000


@dataclass(frozen=True)
class OffTopicLine:
    """One bundled off-topic message; eval reports on the `test` ones, calibration uses the `dev` ones."""

    id: str
    text: str
    lang: str
    split: str


@lru_cache(maxsize=4)
def off_topic_lines(path: Path = OFF_TOPIC_FILE) -> tuple[OffTopicLine, ...]:
    """Every line of the bundled off-topic set, checked once per process."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text, row_split = row["text"], row["split"]
        except (ValueError, KeyError, TypeError) as e:
            raise CorpusError(path, number, f"each line must be a JSON object with 'text' and 'split' ({e})") from e
        out.append(OffTopicLine(row.get("id", f"{path.stem}:{number}"), text, row.get("lang", "und"), row_split))
    return tuple(out)


def off_topic_questions(split: str = "dev", path: Path = OFF_TOPIC_FILE) -> tuple[str, ...]:
    """The bundled off-topic messages of one split (`dev` calibrates; `test` is kept for reporting)."""
    return tuple(line.text for line in off_topic_lines(path) if split in ("all", line.split))


@dataclass(frozen=True)
class LabelFreeFit:
    """The calibration (the manifest's; the off-topic lines kept for this corpus are its `learnt.off_topic_lines`) and what
    it was drawn from, for `faq ingest` to report."""

    calibration: Calibration
    off_topic_used: int
    off_topic_dropped: int
    faq_questions: int
    faq_median: float
    # the questions fitting embedded (or took from an earlier fit's `embedded`), by model and text: kept with the index
    # (index.disk.known.CALIBRATION_QUERIES) for the next ingest's calibration
    embedded: Mapping[str, Mapping[str, np.ndarray]] = field(default_factory=dict, compare=False, repr=False)
    logged_questions: int = 0  # the query log's questions it learnt from (index.pipeline.usable_traffic; 0: none)


@dataclass(frozen=True)
class Scored:
    """One question's top entry as the decision's norms see it: the dense models' mean similarity and each model's own."""

    similarity: float
    by_model: dict[str, float]


def own_questions(searcher: Searcher, most: int = OWN_SAMPLE) -> tuple[Entry, ...]:
    """The FAQ's entries whose questions are scored: every one up to `most`, else `most` evenly spread over it."""
    entries = searcher.index.records.entries
    if len(entries) > most:
        entries = tuple(entries[i] for i in np.unique(np.linspace(0, len(entries) - 1, most).round().astype(int)))
    return tuple(entries)


def own_question_scores(searcher: Searcher, most: int = OWN_SAMPLE) -> np.ndarray:
    """Each entry's question scored with its own question vectors left out: how an unseen paraphrase of it would score.

    A FAQ of more than `most` entries has that many scored, evenly spread over it: its quantiles are
    then known well enough, and calibrating a 100,000-entry FAQ does not rank 100,000 questions."""
    entries = own_questions(searcher, most)
    return np.array([r.similarity for r in _scored(searcher, [e.question for e in entries], [e.id for e in entries])],
                    dtype=np.float64)


def kept_off_topic(searcher: Searcher, off_topic: Sequence[str],
                   own: np.ndarray | None = None) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """The off-topic lines that are off topic for this corpus, their scores, and the FAQ's own questions' scores."""
    own = own_question_scores(searcher) if own is None else own
    scores = np.array([r.similarity for r in _scored(searcher, off_topic)], dtype=np.float64)
    ceiling = float(np.quantile(own, TOO_CLOSE)) if len(own) else float("inf")
    keep = scores < ceiling
    if keep.sum() < 20:  # a FAQ about everything: keep the least similar half rather than nothing
        keep = scores <= np.sort(scores)[max(0, len(scores) // 2 - 1)]
    return tuple(q for q, k in zip(off_topic, keep) if k), scores[keep], own


def fit_norms(searcher: Searcher, kept_scores: np.ndarray, entries: Sequence[Entry], full: Sequence[Scored]) -> Norms:
    """Where this corpus's own questions (`full`: `entries` ranked with their own vectors left out), terse versions of
    them and the kept off-topic lines score: the scale every help center's evidence is put on (index.deciding.evidence)."""
    df = document_frequencies(searcher)
    short = _scored(searcher, [terse_version(e.question, searcher.analyzer, df) for e in entries], [e.id for e in entries])
    models = list(full[0].by_model) if full else []
    spread = lambda rows, name: Spread.of([r.by_model.get(name, r.similarity) for r in rows])  # noqa: E731
    return Norms(own=Spread.of([r.similarity for r in full]), own_terse=Spread.of([r.similarity for r in short]),
                 off_topic=Spread.of(kept_scores), own_by_model={m: spread(full, m) for m in models},
                 own_terse_by_model={m: spread(short, m) for m in models})


def fit_threshold(searcher: Searcher, off_topic: Sequence[str]) -> LabelFreeFit:
    """The per-corpus part of the decision, from the FAQ itself and the off-topic lines that are off topic for it."""
    entries = own_questions(searcher)
    full = _scored(searcher, [e.question for e in entries], [e.id for e in entries])
    own = np.array([r.similarity for r in full], dtype=np.float64)
    lines, kept, own = kept_off_topic(searcher, off_topic, own)
    norms = fit_norms(searcher, kept, entries, full)
    threshold = float(np.quantile(kept, QUANTILE))
    median = float(np.median(own)) if len(own) else threshold + 0.1
    # confidence 0.5 at the threshold, ~0.88 for a question scoring like the FAQ's own median one
    scale = max((median - threshold) / 2, 0.01)
    calibration = Calibration(threshold=threshold, scale=scale, off_topic_margin=MARGIN, method="label-free",
                              retrieval=searcher.config.key(), questions=len(off_topic), norms=norms,
                              learnt=searcher.learnt.model_copy(update={"off_topic_lines": lines}))
    return LabelFreeFit(calibration, len(kept), len(off_topic) - len(kept), len(own), median)


def document_frequencies(searcher: Searcher) -> dict[str, int]:
    """In how many entries each index term occurs: what makes a word a question's content word."""
    df: dict[str, int] = {}
    for e in searcher.index.records.entries:
        for t in set(searcher.analyzer.terms(f"{e.question} {e.answer}")):
            df[t] = df.get(t, 0) + 1
    return df


def terse_version(question: str, analyze: Analyzer, df: dict[str, int], keep: int = 2) -> str:
    """What a search box gets for a question: its `keep` rarest content words, in their order ("délai remboursement")."""
    candidates = []
    for position, word in enumerate(words(question)):
        terms = analyze.terms(word)
        if terms and len(word) > 2 and not word.isdigit():
            candidates.append((df.get(terms[0], 0) or 10**6, position, word))
    if not candidates:
        return question
    chosen = sorted(candidates)[:keep]
    return " ".join(word for _, _, word in sorted(chosen, key=lambda c: c[1])).lower()


def _scored(searcher: Searcher, questions: Sequence[str], leave_out: Sequence[str | None] | None = None) -> list[Scored]:
    """Each question's top entry (`leave_out`: by question, the entry whose own question vectors are left out), ranked as
    `Searcher.rank` ranks it, the questions embedded up front (Searcher.rank_many)."""
    return [_top(ranking) for ranking in searcher.rank_many(questions, limit=1, leave_out=leave_out)]


def _top(ranking: Ranking) -> Scored:
    if not ranking.hits:
        return Scored(-1.0, {})
    dense = len(ranking.query_vectors)  # the dense models come first in signal_names, each with its question vector
    return Scored(ranking.hits[0].similarity, {name: float(ranking.signal_values[0, j])
                                               for j, name in enumerate(ranking.signal_names[:dense])})
