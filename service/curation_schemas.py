"""Request and response models of the team's rules under /v1/admin/ (service.routes.curation)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from faq.curation import PinKind
from faq.limits import MAX_QUESTION_CHARS, MAX_TOP_K
from index.deciding.decide import Outcome

_TERMS = Field(max_length=50, description="at most 50, each up to 500 characters")
# a term or an example: not blank (the schema says what the store accepts, so a client generating requests from it
# never meets a 422 it could not foresee). A character str.strip() keeps: JSON schema's \s leaves out \x1c-\x1f and
# \x85, which Python counts as spaces
_VISIBLE = r"[^\s\x1c-\x1f\x85]"
Text = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=_VISIBLE)]
_FILLED: dict[str, Any] = {"type": "string", "pattern": _VISIBLE}


class SynonymIn(BaseModel):
    # two-way: 2 terms at least; one way: a term and a target at least
    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": [
        {"properties": {"terms": {"minItems": 2}}}, {"properties": {"targets": {"minItems": 1}}, "required": ["targets"]}]})

    lang: str = Field(min_length=1, max_length=20, pattern=_VISIBLE,
                      description="the language the terms are in ('de', 'fr'): each is analysed its own way")
    terms: list[Text] = Field(min_length=1, max_length=50, json_schema_extra={"uniqueItems": True},
                              description="equivalent terms (at least 2), or with `targets` the terms that expand one way")
    targets: list[Text] = Field(default_factory=list, max_length=50, json_schema_extra={"uniqueItems": True},
                                description="one way: a question saying a term is also searched for these")


class SynonymOut(SynonymIn):
    id: int
    stale: bool = False
    fired: int = Field(0, description="logged questions this rule fired for")


class PinIn(BaseModel):
    # an answer pin names its entry; a "never" pin names none
    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": [
        {"properties": {"kind": {"const": "never"}, "entry_id": {"type": "null"}}, "required": ["kind"]},
        {"properties": {"entry_id": _FILLED}, "required": ["entry_id"]}]})

    kind: PinKind = Field("answer", description="answer: questions like the examples get the entry as the answer; never: no answer")
    examples: list[Text] = Field(min_length=1, max_length=50, json_schema_extra={"uniqueItems": True},
                                 description="example questions (at least 1)")
    entry_id: str | None = Field(None, max_length=500, description="the entry an answer pin answers with (by id)")


class PinOut(PinIn):
    id: int
    stale: bool = Field(False, description="its entry is not in the served FAQ any more")
    fired: int = 0


class HiddenIn(BaseModel):
    # an entry or a section
    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": [
        {"properties": {"entry_id": _FILLED}, "required": ["entry_id"]}, {"properties": {"section": _FILLED}, "required": ["section"]}]})

    entry_id: str | None = Field(None, max_length=500, description="an entry to take out of every answer")
    section: str | None = Field(None, max_length=500, description="or a whole section")


class HiddenOut(HiddenIn):
    id: int
    stale: bool = Field(False, description="its entry or section is not in the served FAQ any more")
    fired: int = 0


class TryRequest(BaseModel):
    # all rules against none, or one rule named by kind and id
    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": [
        {"properties": {"kind": {"type": "null"}}}, {"properties": {"id": {"type": "integer"}}, "required": ["id"]}]})

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
