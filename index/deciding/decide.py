"""The one place that says answer, related or none for a ranked question, how confident, and why.

Two logistic models, trained once on many help centers' questions (eval.decision) and shipped in
`index/deciding/data/decider.json`, weigh the question's evidence (index.deciding.evidence), put on this corpus's own
scale by its `Norms` (fitted on day one without labels, index.deciding.label_free):

- `answer`: the probability that the first entry answers the question: `confidence`;
- `domain`: the probability that the question is about what this help center covers at all, even
  if no entry answers it ("is it waterproof?" in a watch shop, against "capital of France").

The outcome: `answer` when the first is likely enough to be right (a short answer is given);
`related` when the question is about this help center but no entry is sure (the entries are shown
as related articles, with the contact card); `none` when nothing here is relevant. Plain rules stay
as guards before any score: junk ("😀", "merci", "asdfgh") and an empty ranking are `none`.
Labelled questions refine a corpus's thresholds (index.deciding.calibrate); the models stay the same.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from faq.junk import junk_reason
from index.deciding.evidence import FEATURES, CorpusTerms, Evidence, gather
from index.disk.calibration import Calibration
from index.ranking.search import Ranking

MODEL_FILE = Path(__file__).resolve().parent / "data" / "decider.json"
Outcome = Literal["answer", "related", "none"]
# how much the nearest known out-of-scope question counts against answering; on the watch-shop dev
# split 0.25 / 0.5 / 0.75 gave end-to-end accuracy 0.855 / 0.882 / 0.855 (0.803 without any)
KNOWN_OUT_OF_SCOPE_WEIGHT = 0.5


def abstention_score(similarity: float, nearest_known_out_of_scope: float) -> float:
    """The similarity threshold's score: the top entry's mean dense similarity, less half the question's similarity
    to the nearest known out-of-scope question (an index calibrated before the decision model, or `rule: threshold`)."""
    return similarity - KNOWN_OUT_OF_SCOPE_WEIGHT * nearest_known_out_of_scope


def grade(p_answer: float, p_domain: float, answer_at: float, related_at: float) -> Outcome:
    """The model's outcome: a question not about this help center is `none` whatever entry ranks first; one about it is
    answered when the first entry is likely enough to answer it, `related` otherwise (eval.decision.outcomes, vectorised)."""
    if p_domain < related_at:
        return "none"
    return "answer" if p_answer >= answer_at else "related"


def sigmoid(logit: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(logit, 50.0), -50.0)))


@dataclass(frozen=True)
class Logistic:
    """One logistic model over standardised evidence."""

    weights: tuple[float, ...]
    bias: float

    def probability(self, z: np.ndarray, shift: float = 0.0) -> float:
        return sigmoid(float(np.dot(self.weights, z) + self.bias) + shift)

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """`probability` of each row of standardised evidence (eval.decision scores thousands at once)."""
        logits = np.clip(rows @ np.asarray(self.weights) + self.bias, -50.0, 50.0)
        return 1.0 / (1.0 + np.exp(-logits))


@dataclass(frozen=True)
class DecisionModel:
    """The shipped part: standardisation of the evidence, the two models and their default thresholds."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    answer: Logistic
    domain: Logistic
    answer_at: float
    related_at: float
    version: str = ""

    def standardise(self, evidence: Evidence) -> np.ndarray:
        return self.standardise_rows(evidence.vector())

    def standardise_rows(self, rows: np.ndarray) -> np.ndarray:
        """The evidence this model weighs, standardised, from evidence in FEATURES order (one row, or rows × FEATURES).
        The model reads its `features` by name: some gathered evidence is not weighed, and an older model may name
        evidence no longer gathered, read as 0."""
        columns, gone = self._columns
        x = rows[..., columns]  # a copy
        x[..., gone] = 0.0
        return (x - np.asarray(self.mean)) / np.asarray(self.scale)

    @cached_property
    def _columns(self) -> tuple[np.ndarray, np.ndarray]:
        """Where each of this model's features is among FEATURES, and which it names that are no longer gathered."""
        gone = np.array([name not in FEATURES for name in self.features], dtype=bool)
        columns = np.array([FEATURES.index(name) if name in FEATURES else 0 for name in self.features], dtype=np.intp)
        return columns, gone

    def to_dict(self) -> dict:
        return {"version": self.version, "features": list(self.features), "mean": list(self.mean), "scale": list(self.scale),
                "answer": {"weights": list(self.answer.weights), "bias": self.answer.bias},
                "domain": {"weights": list(self.domain.weights), "bias": self.domain.bias},
                "answer_at": self.answer_at, "related_at": self.related_at}

    @classmethod
    def from_dict(cls, data: Mapping) -> DecisionModel:
        logistic = lambda d: Logistic(tuple(float(w) for w in d["weights"]), float(d["bias"]))  # noqa: E731
        return cls(tuple(RENAMED.get(name, name) for name in data["features"]), tuple(map(float, data["mean"])), tuple(map(float, data["scale"])),
                   logistic(data["answer"]), logistic(data["domain"]), float(data["answer_at"]), float(data["related_at"]),
                   str(data.get("version", "")))


# evidence renamed since a model was written: the ensemble member's was named after USE's signal (models 4 to 7)
RENAMED = {"z_own_usem3": "z_own_member", "agree_usem3": "agree_member"}


@lru_cache(maxsize=4)
def shipped_model(path: Path = MODEL_FILE) -> DecisionModel:
    return DecisionModel.from_dict(json.loads(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    confidence: float  # the probability that the first entry answers the question
    relevance: float  # the probability that the question is about this help center
    reason: str  # what decided: "model", "junk", "no entries", "pin", "off-topic", "threshold" (an index without norms)
    evidence: Mapping[str, float] = field(default_factory=dict, compare=False)

    @property
    def answerable(self) -> bool:
        return self.outcome == "answer"


class Decider:
    """Decides for one index: its calibration (index.disk.calibration), its terms and languages, and the shipped model."""

    def __init__(self, calibration: Calibration | None, terms: CorpusTerms | None, faq_langs: frozenset[str],
                 model: DecisionModel | None = None) -> None:
        self.calibration = calibration
        self.terms = terms
        self.faq_langs = faq_langs
        self.model = model or shipped_model()
        at = calibration.answer_at if calibration is not None else None
        self.answer_at = at if at is not None else self.model.answer_at
        self.related_at = self.model.related_at

    def with_calibration(self, calibration: Calibration) -> Decider:
        """The same index's decider under another calibration (labelled calibration tries several)."""
        return Decider(calibration, self.terms, self.faq_langs, self.model)

    def evidence(self, question: str, ranking: Ranking, known_out_of_scope: float = 0.0) -> Evidence | None:
        norms = self.calibration.norms if self.calibration is not None else None
        if norms is None or not ranking.hits:
            return None
        hits = ranking.hits
        return gather(question, [h.similarity for h in hits], [h.score for h in hits], ranking.signal_names,
                      ranking.signal_values, [h.entry_id for h in hits], norms, self.terms, ranking.lang, self.faq_langs,
                      ranking.off_topic_margin, known_out_of_scope, ranking.dense_weights)

    def decide(self, question: str, ranking: Ranking, known_out_of_scope: float = 0.0) -> Decision:
        if junk_reason(question) is not None:  # "😀", "merci", "asdfgh": never answered, whatever the index scores
            return Decision("none", 0.0, 0.0, "junk")
        if not ranking.hits:
            return Decision("none", 0.0, 0.0, "no entries")
        if ranking.pin is not None:  # the team's rule (index.ranking.curation): its entry is first, or no answer at all
            if ranking.pin.pin.kind == "never":
                return Decision("none", 0.0, 0.0, "pin")
            return Decision("answer", 1.0, 1.0, "pin")
        calibration = self.calibration
        if calibration is None:  # never calibrated: everything ranked is an answer (faq serve calibrates first)
            return Decision("answer", 1.0, 1.0, "uncalibrated")
        evidence = self.evidence(question, ranking, known_out_of_scope)
        score = abstention_score(ranking.hits[0].similarity, known_out_of_scope)
        # the similarity threshold's confidence: 0.5 at the threshold
        confidence = sigmoid((score - calibration.threshold) / calibration.scale)
        if evidence is None:  # calibrated before the decision model: its similarity threshold, answer or none
            # and its off-topic margin rule; the model weighs that margin as evidence instead (a hard rule on it refused
            # 0.48 of terse in-scope dev questions, leave-one-corpus-out, against 0.035 without: eval.decision)
            margin = calibration.off_topic_margin
            if margin is not None and ranking.off_topic_margin is not None and ranking.off_topic_margin > margin:
                return Decision("none", min(confidence, 0.25), 0.0, "off-topic")
            graded: Outcome = "answer" if score >= calibration.threshold else "none"
            return Decision(graded, confidence, confidence, "threshold")
        z = self.model.standardise(evidence)
        shift = 0.0
        if calibration.known_weight and known_out_of_scope and calibration.norms is not None:
            closer = (known_out_of_scope - ranking.hits[0].similarity) / max(calibration.norms.own.std, 1e-3)
            shift = -calibration.known_weight * max(closer + 0.5, 0.0)
        p_answer, p_domain = self.model.answer.probability(z, shift), self.model.domain.probability(z)
        if calibration.rule == "threshold":
            if score >= calibration.threshold:
                return Decision("answer", confidence, p_domain, "threshold", evidence.as_dict())
            graded = "related" if p_domain >= self.related_at else "none"
            return Decision(graded, confidence, p_domain, "threshold", evidence.as_dict())
        return Decision(grade(p_answer, p_domain, self.answer_at, self.related_at), p_answer, p_domain, "model", evidence.as_dict())

