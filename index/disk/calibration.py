"""An index's calibration: one frozen type, stored in the index folder's manifest as it is (index.disk.manifest).

`Calibration` is what calibrating an index chose (index.deciding.calibrate on labelled questions, index.deciding.label_free
without): the decision reads its thresholds and `norms` (index.deciding.decide), the ranking its `learnt` part
(index.ranking.search.Searcher). Nothing converts it: the manifest holds the same model the fit returned, written with
its floats rounded to 5 decimals.

Two kinds of questions outside the FAQ, never to be confused:
- known out-of-scope questions (`Learnt.known_out_of_scope`): labelled calibration's dev questions that no entry of this
  FAQ answers; a question close to one of them is less likely answerable, whatever entry ranks first;
- generic off-topic lines (`Learnt.off_topic_lines`): the bundled, label-free lines (index/deciding/data/off_topic.jsonl:
  greetings, trivia, other shops' questions) that are off topic for this FAQ; a question much closer to one of them than
  to anything in the FAQ is not the FAQ's to answer (`Calibration.off_topic_margin`, and `Norms.off_topic`).

On disk the manifest's "calibration" object keeps the layout every earlier version wrote: the learnt part's fields sit
beside the thresholds, the known out-of-scope questions under "out_of_scope" and the off-topic lines under "off_topic",
so index folders calibrated before still open (tests/test_old_manifests.py) and older replicas read newer manifests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    field_serializer,
    model_serializer,
    model_validator,
)

CalibrationMethod = Literal["labelled", "label-free"]


@dataclass(frozen=True)
class Spread:
    """Where a kind of question usually scores against this corpus: mean and standard deviation."""

    mean: float
    std: float

    def z(self, value: float) -> float:
        return (value - self.mean) / max(self.std, 1e-3)

    @classmethod
    def of(cls, values: Sequence[float] | np.ndarray) -> Spread:
        v = np.asarray(values, dtype=np.float64)
        return cls(float(v.mean()), float(max(v.std(), 0.01))) if len(v) else cls(0.0, 1.0)


@dataclass(frozen=True)
class Norms:
    """Per corpus, fitted without labels: how its own questions (left out of the index), terse versions of them,
    and the bundled off-topic lines score, on the dense models' mean similarity and on each model's own.

    Keys of the per-model mappings are signal names as `Ranking.signal_names` gives them. On disk each spread is a
    [mean, std] pair (`to_dict`, `from_dict`)."""

    own: Spread
    own_terse: Spread
    off_topic: Spread  # the generic off-topic lines kept for this corpus
    own_by_model: Mapping[str, Spread] = field(default_factory=dict)
    own_terse_by_model: Mapping[str, Spread] = field(default_factory=dict)

    def to_dict(self) -> dict:
        pair = lambda s: [round(s.mean, 5), round(s.std, 5)]  # noqa: E731
        return {"own": pair(self.own), "own_terse": pair(self.own_terse), "off_topic": pair(self.off_topic),
                "own_by_model": {k: pair(v) for k, v in self.own_by_model.items()},
                "own_terse_by_model": {k: pair(v) for k, v in self.own_terse_by_model.items()}}

    @classmethod
    def from_dict(cls, data: Mapping) -> Norms:
        spread = lambda p: Spread(float(p[0]), float(p[1]))  # noqa: E731
        return cls(spread(data["own"]), spread(data["own_terse"]), spread(data["off_topic"]),
                   {k: spread(v) for k, v in data.get("own_by_model", {}).items()},
                   {k: spread(v) for k, v in data.get("own_terse_by_model", {}).items()})


def _norms(value: Any) -> Norms:
    if isinstance(value, Norms):
        return value
    if isinstance(value, Mapping):
        return Norms.from_dict(value)
    raise ValueError(f"norms must be an object of [mean, std] pairs, not {type(value).__name__}")


StoredNorms = Annotated[Norms, PlainValidator(_norms), PlainSerializer(Norms.to_dict)]


class QueryBank(BaseModel):
    """Per entry, the mean and spread of one dense model's scores over a bank of real questions (index.ranking.signals)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mean: tuple[float, ...]
    std: tuple[float, ...]

    @classmethod
    def of(cls, scores: np.ndarray) -> QueryBank:
        """From a (questions, entries) matrix of scores, in float32; no entry's spread is taken as under half the median one."""
        std = scores.std(axis=0)
        return cls(mean=tuple(scores.mean(axis=0).astype(np.float32).tolist()),
                   std=tuple(np.maximum(std, 0.5 * np.median(std)).astype(np.float32).tolist()))


class Learnt(BaseModel):
    """What calibration taught the ranking about one index (index.ranking.search.Searcher reads it)."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    background_terms: tuple[str, ...] = Field((), description="index terms left out of questions before scoring, sorted "
                                                              "(index.ranking.background)")
    known_out_of_scope: tuple[str, ...] = Field((), alias="out_of_scope", description="labelled: dev questions known not to "
                                                "be answered by this FAQ (index.deciding.answer)")
    query_bank: dict[str, QueryBank] = Field(default_factory=dict, description="per dense model (index.ranking.signals)")
    phrasing_discount: float = Field(0.0, ge=0, description="how much less a known phrasing counts than the entry's question")
    off_topic_lines: tuple[str, ...] = Field((), alias="off_topic", description="the bundled generic off-topic lines kept "
                                             "for this FAQ (index.deciding.label_free)")


NOTHING_LEARNT = Learnt()  # an index never calibrated, or calibrated for another retrieval configuration

# the learnt part's keys as the manifest writes them, beside the thresholds (its field names are read too)
_LEARNT_KEYS = frozenset(Learnt.model_fields) | {f.alias for f in Learnt.model_fields.values() if f.alias}


class Calibration(BaseModel):
    """The "no answer" decision's calibration of one index, what the ranking learnt for it, and what it was chosen on.

    `threshold`/`scale`: the similarity threshold (`Answer.score`); an index calibrated before the decision model (no
    `norms`) is decided by it alone until it is recalibrated. `off_topic_margin`: for such an index, a question this much
    closer (USE cosine) to a generic off-topic line than to any FAQ vector is `none` (with norms the model weighs it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    threshold: float
    scale: float = Field(gt=0)
    method: CalibrationMethod = Field(
        "labelled", description="labelled: from a set of labelled questions; label-free: from the FAQ itself and generic off-topic lines")
    retrieval: str = Field("", description="the retrieval configuration (RetrievalConfig.key) the calibration applies to")
    source: str = Field("", description="what it was chosen on, in words")
    questions: int = Field(0, description="labelled dev questions, or generic off-topic lines scored")
    learnt: Learnt = Field(NOTHING_LEARNT, description="the ranking's part (on disk its fields sit beside these)")
    off_topic_margin: float | None = Field(None, description="label-free: refuse questions this much closer to a generic off-topic "
                                                             "line than to the FAQ (an index without norms)")
    norms: StoredNorms | None = Field(None, description="the decision's per-corpus scale (index.deciding.evidence); None: calibrated "
                                                        "before the decision model, decided by `threshold` alone")
    answer_at: float | None = Field(None, description="labelled: the answer probability from which to answer (None: the shipped model's)")
    decision_model: str = Field("", description="labelled: the version of the shipped decision model `answer_at` was chosen "
                                                "for (index.deciding.decide.shipped_model); another version ignores it")
    known_weight: float = Field(0.0, ge=0, description="labelled: the answer logit falls by this much per unit of (similarity to the "
                                                       "nearest known out-of-scope question - the top entry's) / the corpus's own "
                                                       "spread, once the question is closer to it")
    rule: Literal["model", "threshold"] = Field("model", description="labelled: answer by the model's probability, or by `threshold` "
                                                                     "when the dev questions said it does better (the model then "
                                                                     "still grades what is not answered: related or none)")

    @model_validator(mode="before")
    @classmethod
    def _learnt_beside(cls, data: Any) -> Any:
        """The manifest's layout: the learnt part's fields beside the others."""
        if isinstance(data, Mapping) and "learnt" not in data and _LEARNT_KEYS & data.keys():
            return {**{k: v for k, v in data.items() if k not in _LEARNT_KEYS},
                    "learnt": {k: v for k, v in data.items() if k in _LEARNT_KEYS}}
        return data

    @model_serializer(mode="wrap")
    def _learnt_flat(self, handler: Any) -> Any:
        data = handler(self)
        if not isinstance(data, dict) or not isinstance(data.get("learnt"), dict):
            return data
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat.update(value if key == "learnt" else {key: value})
        return flat

    @field_serializer("threshold", "scale")
    def _rounded(self, value: float) -> float:
        return round(value, 5)
