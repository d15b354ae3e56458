"""Choosing the "no answer" threshold of an index from labelled dev questions.

The threshold maximises end-to-end accuracy on the dev questions (an in-scope question counts when
it is answered and the first result is right; an out-of-scope one when it is not answered),
optionally among thresholds whose abstention precision is at least `min_precision` (a 0.9 floor
abstained on only 2 of 16 out-of-scope dev questions of the watch-shop set, so it is off by
default). Without out-of-scope questions it keeps `answer_rate` of the in-scope ones answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.deciding.answer import DECISION_DEPTH, abstention_score, decider_for, nearest_known_out_of_scope
from index.disk.calibration import Calibration, Norms
from index.ranking.search import Searcher
from ingest.corpus import Corpus
from ingest.questions import read_questions

# how much a question's closeness to a known out-of-scope question counts against answering it (index.deciding.decide), tried per index
KNOWN_WEIGHTS = (0.0, 2.0, 4.0, 8.0)


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
              answer_rate: float = 0.97, norms: Norms | None = None) -> Calibration:
    """The old similarity threshold (kept for `Answer.score` and indexes without norms), and with `norms` the decision's
    refinement: the threshold on the answer probability and the weight of known out-of-scope questions that put the
    most dev questions right end to end (index.deciding.decide). The calibration holds what the searcher learnt, for its
    retrieval configuration."""
    scores, correct, in_scope, rankings, nearest = [], [], [], [], []
    known = {text: j for j, text in enumerate(searcher.learnt.known_out_of_scope)}
    for q in questions:
        ranking = searcher.rank(q.text, limit=DECISION_DEPTH)
        top = ranking.hits[0]
        # a known out-of-scope question is scored against the others, as an unseen one would be
        near = nearest_known_out_of_scope(ranking, leave_out=known.get(q.text))
        scores.append(abstention_score(top.similarity, near))
        correct.append(top.entry_id in q.relevant)
        in_scope.append(bool(q.relevant))
        rankings.append(ranking)
        nearest.append(near)
    s, ok, ins = np.array(scores), np.array(correct), np.array(in_scope)

    def e2e_of(answered: np.ndarray) -> float:
        """End-to-end accuracy: in scope answered with the right entry first, or out of scope not answered."""
        return float(((answered & ok & ins) | (~answered & ~ins)).mean())

    spread = float(s.std()) / 2 or 0.01
    if ins.all():
        threshold = float(np.quantile(s, 1 - answer_rate))
    else:
        best = (-1.0, float(s.min()))
        for t in np.unique(s):
            answered = s >= t
            abstained = ~answered
            precision = (abstained & ~ins).sum() / abstained.sum() if abstained.any() else 1.0
            if precision < min_precision:
                continue
            e2e = e2e_of(answered)
            if e2e > best[0]:
                best = (float(e2e), float(t))
        threshold = best[1]
    old_e2e = e2e_of(s >= threshold)
    calibration = Calibration(threshold=threshold, scale=spread, method="labelled", retrieval=searcher.config.key(),
                              questions=len(questions), learnt=searcher.learnt, norms=norms)
    if norms is None:
        return calibration
    # the decision's answer threshold and known-question weight, on the same dev questions
    choice = (-1.0, 0.0, 0.0)
    base = decider_for(searcher, calibration)
    shipped = base.model.answer_at
    for weight in KNOWN_WEIGHTS if known else (0.0,):
        decider = base.with_calibration(calibration.model_copy(update={"known_weight": weight}))
        decisions = [decider.decide(q.text, r, n) for q, r, n in zip(questions, rankings, nearest)]
        p = np.array([d.confidence for d in decisions])
        relevant = np.array([d.relevance >= decider.related_at and d.reason == "model" for d in decisions])
        # within a factor of two of the shipped threshold: a few dozen dev questions must not undo what many corpora taught
        for t in np.clip(np.unique(np.concatenate([p, [shipped]])), shipped / 2, min(2 * shipped, 0.9)):
            e2e = e2e_of((p >= t) & relevant)
            # ties: the shipped threshold's side, then the smaller weight
            if e2e > choice[0] + 1e-9 or (abs(e2e - choice[0]) < 1e-9 and abs(t - shipped) < abs(choice[1] - shipped)):
                choice = (e2e, float(t), weight)
    if old_e2e > choice[0] + 1e-9:  # the dev questions say this corpus's similarity threshold does better than the model
        return calibration.model_copy(update={"rule": "threshold"})
    # chosen for the shipped decision model: another version's probabilities differ (index.pipeline.answer_at_current)
    return calibration.model_copy(update={"answer_at": round(choice[1], 5), "known_weight": choice[2], "decision_model": base.model.version})
