"""Request and response models of the team's rules under /v1/admin/ (service.routes.curation)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from faq.curation import PinKind
from faq.limits import MAX_QUESTION_CHARS, MAX_TOP_K
from index.deciding.decide import Outcome

_TERMS = Field(max_length=50, description="at most 50, each up to 500 characters")


class SynonymIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lang: str = Field(min_length=1, max_length=20, description="the language the terms are in ('de', 'fr'): each is analysed its own way")
    terms: list[str] = Field(max_length=50, description="equivalent terms (at least 2), or with `targets` the terms that expand one way")
    targets: list[str] = Field(default_factory=list, max_length=50, description="one way: a question saying a term is also searched for these")


class SynonymOut(SynonymIn):
    id: int
    stale: bool = False
    fired: int = Field(0, description="logged questions this rule fired for")


class PinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: PinKind = Field("answer", description="answer: questions like the examples get the entry as the answer; never: no answer")
    examples: list[str] = Field(max_length=50, description="example questions (at least 1)")
    entry_id: str | None = Field(None, max_length=500, description="the entry an answer pin answers with (by id)")


class PinOut(PinIn):
    id: int
    stale: bool = Field(False, description="its entry is not in the served FAQ any more")
    fired: int = 0


class HiddenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entry_id: str | None = Field(None, max_length=500, description="an entry to take out of every answer")
    section: str | None = Field(None, max_length=500, description="or a whole section")


class HiddenOut(HiddenIn):
    id: int
    stale: bool = Field(False, description="its entry or section is not in the served FAQ any more")
    fired: int = 0


class TryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    kind: Literal["synonym", "pin", "hidden"] | None = Field(None, description="the rule to try; none: all rules against none")
    id: int | None = None
    top_k: int = Field(5, ge=1, le=MAX_TOP_K)


class Tried(BaseModel):
    outcome: Outcome
    entries: list[str] = Field(description="the entry ids ranked, best first")
    rules_fired: list[str]


class TryResponse(BaseModel):
    question: str
    with_rule: Tried
    without_rule: Tried


class AuditOut(BaseModel):
    id: int = Field(description="the change's audit id (the rules' version after it)")
    at: str = Field(description="when, ISO 8601 UTC")
    who: str = Field(description="'admin token', or the team session that made it ('admin session 1a2b3c4d')")
    action: str = Field(description="add, edit or delete")
    kind: str = Field(description="synonym, pin or hidden")
    rule_id: int
    detail: dict[str, Any] = Field(description="the rule as stored by the change (empty for a delete)")


class AuditPage(BaseModel):
    changes: list[AuditOut] = Field(description="newest first")
    next_before: int | None = Field(None, description="pass as `before` for the next (older) page; null: this was the last")
