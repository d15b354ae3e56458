"""Choosing the "no answer" threshold of an index from labelled dev questions.

The threshold maximises end-to-end accuracy on the dev questions (an in-scope question counts when
it is answered and the first result is right; an out-of-scope one when it is not answered),
optionally among thresholds whose abstention precision is at least `min_precision` (a 0.9 floor
abstained on only 2 of 16 out-of-scope dev questions of the watch-shop set, so it is off by
default). Without out-of-scope questions it keeps `answer_rate` of the in-scope ones answered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.answer import Calibration, abstention_score, off_topic
from index.search import Searcher
from ingest.corpus import Corpus
from ingest.questions import read_questions


@dataclass(frozen=True)
class LabelledQuestion:
    text: str
    relevant: frozenset[str]


def read_labelled(path: Path, split: str = "dev", corpus: Corpus | None = None) -> list[LabelledQuestion]:
    """One split of a questions file (the format `faq eval --queries` reads, see ingest.questions).

    `corpus` resolves `relevant_questions` titles. Unknown entry ids are kept, not refused, so the
    caller can say that a calibration set was written for another corpus and carry on uncalibrated."""
    return [LabelledQuestion(q.text, q.relevant) for q in read_questions(path, corpus, check_ids=False) if q.split == split]


def calibrate(searcher: Searcher, questions: list[LabelledQuestion], min_precision: float = 0.0,
              answer_rate: float = 0.97) -> Calibration:
    scores, correct, in_scope = [], [], []
    known = {text: j for j, text in enumerate(searcher.learnt.out_of_scope)}
    for q in questions:
        ranking = searcher.rank(q.text, limit=1)
        top = ranking.hits[0]
        # a known out-of-scope question is scored against the others, as an unseen one would be
        scores.append(abstention_score(top.similarity, off_topic(ranking, leave_out=known.get(q.text))))
        correct.append(top.entry_id in q.relevant)
        in_scope.append(bool(q.relevant))
    s, ok, ins = np.array(scores), np.array(correct), np.array(in_scope)
    spread = float(s.std()) / 2 or 0.01
    if ins.all():
        return Calibration(threshold=float(np.quantile(s, 1 - answer_rate)), scale=spread)
    best = (-1.0, float(s.min()))
    for t in np.unique(s):
        answered = s >= t
        abstained = ~answered
        precision = (abstained & ~ins).sum() / abstained.sum() if abstained.any() else 1.0
        if precision < min_precision:
            continue
        e2e = ((answered & ok & ins) | (abstained & ~ins)).mean()
        if e2e > best[0]:
            best = (float(e2e), float(t))
    return Calibration(threshold=best[1], scale=spread)
