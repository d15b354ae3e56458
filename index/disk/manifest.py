"""The manifest that says what an index folder holds, so a mismatch is caught before any search."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FORMAT_VERSION = 1
MANIFEST = "manifest.json"  # the file in an index folder: written last, so a folder with it is complete
CalibrationMethod = Literal["labelled", "label-free"]


class QueryBankInfo(BaseModel):
    """How the calibration questions scored against each entry with one model (index.ranking.signals.QueryBank)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mean: tuple[float, ...]
    std: tuple[float, ...]


class CalibrationInfo(BaseModel):
    """The "no answer" threshold chosen for this index, and what it was chosen on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    threshold: float
    scale: float = Field(gt=0)
    method: CalibrationMethod = Field(
        "labelled", description="labelled: from a set of labelled questions; label-free: from the FAQ itself and generic off-topic questions")
    retrieval: str = Field(description="the retrieval configuration the threshold applies to")
    source: str
    questions: int
    background_terms: tuple[str, ...] = Field((), description="index terms left out of questions before scoring (index.ranking.background)")
    out_of_scope: tuple[str, ...] = Field((), description="questions known not to be answered by this FAQ (index.deciding.answer)")
    query_bank: dict[str, QueryBankInfo] = Field(default_factory=dict, description="per dense model (index.ranking.signals)")
    phrasing_discount: float = Field(0.0, ge=0, description="how much less a known phrasing counts than the entry's question")
    off_topic: tuple[str, ...] = Field((), description="label-free: the bundled off-topic questions kept for this FAQ (index.deciding.label_free)")
    off_topic_margin: float | None = Field(None, description="label-free: refuse questions this much closer to an off-topic question than to the FAQ")
    norms: dict | None = Field(None, description="the decision's per-corpus scale (index.deciding.evidence.Norms); None: calibrated before the "
                                                 "decision model, decided by `threshold` alone")
    answer_at: float | None = Field(None, description="labelled: the answer probability from which to answer (None: the shipped model's)")
    decision_model: str = Field("", description="labelled: the version of the shipped decision model `answer_at` was chosen "
                                                "for (index.deciding.decide.shipped_model); another version ignores it")
    known_weight: float = Field(0.0, ge=0, description="labelled: how much closeness to a known out-of-scope question counts against answering")
    rule: Literal["model", "threshold"] = Field("model", description="labelled: answer by the model's probability, or by `threshold` "
                                                                     "when the dev questions said it does better")


class IndexManifest(BaseModel):
    """Written last into the index folder; loading checks it against the files and the embedder."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format_version: int = FORMAT_VERSION
    embedder: str = Field(description="the primary embedder: the one every query is embedded with")
    dim: int = Field(gt=0)
    extra_embedders: dict[str, int] = Field(default_factory=dict, description="ensemble members: name -> dimension")
    sentence_model: str | None = Field(
        None, description="the model whose sentence vectors the folder stores for short answers (index.disk.sentence_vectors); "
                          "None: none stored, each passage's sentences are embedded on first use")
    corpus_checksum: str
    document_count: int = Field(ge=0)
    entry_count: int = Field(ge=0)
    chunk_count: int = Field(ge=0)
    vector_count: int = Field(ge=0)
    vector_kinds: tuple[str, ...]
    built_at: str
    build_seconds: float = Field(ge=0)
    calibration: CalibrationInfo | None = None
