"""The team's rules under /v1/admin/ (issue #33): synonyms, pins, hidden entries; list, add, edit, delete, try; and
who changed them when (GET /v1/admin/rules/audit).

Admin only. A change is stored with an audit row (who: the admin token or the team session) and is in force on this
worker at once, on every other worker and replica within service.curation.RULES_POLL_SECONDS. Entry ids and sections
are checked against the served FAQ; a rule whose entry has since left the FAQ is listed with `stale: true`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Annotated, TypeVar

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response

from faq.curation import NO_RULES, Hidden, Pin, RuleKind, Rules, Synonym
from index.deciding.answer import Answer, Answerer
from service.curation import refresh_rules
from service.curation_schemas import (
    AuditOut,
    AuditPage,
    HiddenIn,
    HiddenOut,
    PinIn,
    PinOut,
    SynonymIn,
    SynonymOut,
    Tried,
    TryRequest,
    TryResponse,
)
from service.deps import AdminDep, FeedbackDep, StateDep, session_of
from service.schemas import ErrorResponse
from service.state import ServiceState

router = APIRouter(prefix="/v1/admin", tags=["curation"], responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse},
                                                                     422: {"model": ErrorResponse}})
T = TypeVar("T")
RuleId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _who(request: Request) -> str:
    """The audit row's who: the admin token, or the team session (its id's start: sessions have no names)."""
    if request.headers.get("authorization"):
        return "admin token"
    session = session_of(request)
    return f"{session.role} session {session.id[:8]}" if session is not None else "admin"


def _served(state: ServiceState) -> Answerer:
    if state.answerer is None:
        raise HTTPException(status_code=503, detail=f"No index is served, so entry ids cannot be checked: {state.not_ready_reason}")
    return state.answerer


def _check_entry(state: ServiceState, entry_id: str | None) -> None:
    if entry_id is not None and entry_id not in _served(state).searcher.table.ids:
        raise HTTPException(status_code=404, detail=f"Unknown entry id {entry_id!r}: the served FAQ has no such entry. "
                                                    "Entry ids are listed by GET /v1/documents.")


def _check_section(state: ServiceState, section: str | None) -> None:
    if section is not None and section not in {e.section for e in _served(state).searcher.index.records.entries}:
        raise HTTPException(status_code=404, detail=f"Unknown section {section!r}: no entry of the served FAQ is in it.")


def _stale(state: ServiceState, entry_id: str | None = None, section: str | None = None) -> bool:
    if state.answerer is None:
        return False  # nothing to compare with
    if entry_id is not None:
        return entry_id not in state.answerer.searcher.table.ids
    return section is not None and section not in {e.section for e in state.answerer.searcher.index.records.entries}


def _changed(request: Request, call: Callable[[], T]) -> T:
    """Run a store change; ValueError is a 422 with its message, LookupError a 404. The rules are re-read after it."""
    try:
        result = call()
    except ValueError as e:
        raise HTTPException(status_code=422, detail=str(e)) from None
    except LookupError as e:
        raise HTTPException(status_code=404, detail=str(e)) from None
    refresh_rules(request.app)
    return result


def _synonym_out(s: Synonym, fires: dict[str, int]) -> SynonymOut:
    return SynonymOut(id=s.id, lang=s.lang, terms=list(s.terms), targets=list(s.targets), fired=fires.get(s.key, 0))


def _pin_out(p: Pin, state: ServiceState, fires: dict[str, int]) -> PinOut:
    return PinOut(id=p.id, kind=p.kind, examples=list(p.examples), entry_id=p.entry_id, stale=_stale(state, p.entry_id),
                  fired=fires.get(p.key, 0))


def _hidden_out(h: Hidden, state: ServiceState, fires: dict[str, int]) -> HiddenOut:
    return HiddenOut(id=h.id, entry_id=h.entry_id, section=h.section, stale=_stale(state, h.entry_id, h.section),
                     fired=fires.get(h.key, 0))


@router.get("/synonyms", response_model=list[SynonymOut])
def list_synonyms(store: FeedbackDep, _: AdminDep) -> list[SynonymOut]:
    """Synonym groups and one-way synonyms, oldest first, with how often each fired."""
    fires = store.rule_fires()
    return [_synonym_out(s, fires) for s in store.rules().synonyms]


@router.post("/synonyms", response_model=SynonymOut, status_code=201)
def add_synonym(body: SynonymIn, store: FeedbackDep, request: Request, _: AdminDep) -> SynonymOut:
    """Add a group of equivalent terms, or one-way terms -> targets; in force within seconds on every replica."""
    return _synonym_out(_changed(request, lambda: store.add_synonym(_who(request), body.lang, body.terms, body.targets)), {})


@router.put("/synonyms/{rule_id}", response_model=SynonymOut, responses={404: {"model": ErrorResponse}})
def edit_synonym(rule_id: RuleId, body: SynonymIn, store: FeedbackDep, request: Request, _: AdminDep) -> SynonymOut:
    """Replace a synonym rule's language and terms."""
    return _synonym_out(_changed(request, lambda: store.edit_synonym(_who(request), rule_id, body.lang, body.terms, body.targets)), {})


@router.get("/pins", response_model=list[PinOut])
def list_pins(store: FeedbackDep, state: StateDep, _: AdminDep) -> list[PinOut]:
    """Pinned answers and "never answer" examples; `stale` when the entry left the FAQ."""
    fires = store.rule_fires()
    return [_pin_out(p, state, fires) for p in store.rules().pins]


@router.post("/pins", response_model=PinOut, status_code=201, responses={404: {"model": ErrorResponse}})
def add_pin(body: PinIn, store: FeedbackDep, state: StateDep, request: Request, _: AdminDep) -> PinOut:
    """Questions like the examples get this entry first and as the answer (kind answer), or no answer (kind never)."""
    _check_entry(state, body.entry_id)
    return _pin_out(_changed(request, lambda: store.add_pin(_who(request), body.kind, body.examples, body.entry_id)), state, {})


@router.put("/pins/{rule_id}", response_model=PinOut, responses={404: {"model": ErrorResponse}})
def edit_pin(rule_id: RuleId, body: PinIn, store: FeedbackDep, state: StateDep, request: Request, _: AdminDep) -> PinOut:
    """Replace a pin's kind, examples and entry."""
    _check_entry(state, body.entry_id)
    return _pin_out(_changed(request, lambda: store.edit_pin(_who(request), rule_id, body.kind, body.examples, body.entry_id)),
                    state, {})


@router.get("/hidden", response_model=list[HiddenOut])
def list_hidden(store: FeedbackDep, state: StateDep, _: AdminDep) -> list[HiddenOut]:
    """Entries and sections taken out of every answer; `stale` when they left the FAQ."""
    fires = store.rule_fires()
    return [_hidden_out(h, state, fires) for h in store.rules().hidden]


@router.post("/hidden", response_model=HiddenOut, status_code=201, responses={404: {"model": ErrorResponse}})
def add_hidden(body: HiddenIn, store: FeedbackDep, state: StateDep, request: Request, _: AdminDep) -> HiddenOut:
    """Take an entry or a section out of every answer, without re-ingesting."""
    _check_entry(state, body.entry_id)
    _check_section(state, body.section)
    return _hidden_out(_changed(request, lambda: store.add_hidden(_who(request), body.entry_id, body.section)), state, {})


def _delete(kind: RuleKind) -> Callable[..., Response]:
    def delete(rule_id: RuleId, store: FeedbackDep, request: Request, _: AdminDep) -> Response:
        _changed(request, lambda: store.delete_rule(_who(request), kind, rule_id))
        return Response(status_code=204)

    delete.__doc__ = f"Delete a {kind} rule (its audit rows stay)."
    return delete


_KINDS: tuple[tuple[RuleKind, str], ...] = (("synonym", "synonyms"), ("pin", "pins"), ("hidden", "hidden"))
for _kind, _path in _KINDS:
    router.add_api_route(f"/{_path}/{{rule_id}}", _delete(_kind), methods=["DELETE"], status_code=204,
                         responses={404: {"model": ErrorResponse}}, name=f"delete_{_kind}")


def _tried(answer: Answer) -> Tried:
    return Tried(outcome=answer.outcome, entries=[h.entry_id for h in answer.hits], rules_fired=list(answer.rules_fired))


def _without(rules: Rules, kind: str, rule_id: int) -> Rules:
    """`rules` less one rule (version 0: compiled for this question only)."""
    return Rules(0, tuple(s for s in rules.synonyms if not (kind == "synonym" and s.id == rule_id)),
                 tuple(p for p in rules.pins if not (kind == "pin" and p.id == rule_id)),
                 tuple(h for h in rules.hidden if not (kind == "hidden" and h.id == rule_id)))


@router.post("/try", response_model=TryResponse, responses={404: {"model": ErrorResponse}, 503: {"model": ErrorResponse}})
def try_rule(body: TryRequest, store: FeedbackDep, state: StateDep, _: AdminDep) -> TryResponse:
    """A question answered with and without one rule (or with all rules and with none); nothing is logged or cached."""
    answerer = _served(state)
    rules = store.rules()
    if body.kind is None:
        without = NO_RULES
    else:
        if body.id is None:
            raise HTTPException(status_code=422, detail=f"To try a {body.kind} rule, give its id as well.")
        without = _without(rules, body.kind, body.id)
        if without == Rules(0, rules.synonyms, rules.pins, rules.hidden):
            raise HTTPException(status_code=404, detail=f"no {body.kind} rule with id {body.id}")
    with_rule = answerer.answer_uncached(body.question, body.top_k, rules=rules, remember=False)
    without_rule = answerer.answer_uncached(body.question, body.top_k, rules=without, remember=False)
    return TryResponse(question=body.question, with_rule=_tried(with_rule), without_rule=_tried(without_rule))


@router.get("/rules/audit", response_model=AuditPage)
def rules_audit(store: FeedbackDep, _: AdminDep,
                limit: Annotated[int, Query(ge=1, le=500, description="changes per page")] = 50,
                before: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="only changes older than this audit id "
                                                                                    "(the previous page's next_before)")] = None,
                ) -> AuditPage:
    """Who added, edited or deleted which rule when, newest first, a page at a time (deleted rules' rows stay)."""
    rows = store.rules_audit(limit + 1, before)  # one more: is there a next page?
    changes = [AuditOut(id=i, at=datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds"), who=who, action=action,
                        kind=kind, rule_id=rule_id, detail=_detail(detail))
               for i, ts, who, action, kind, rule_id, detail in rows[:limit]]
    return AuditPage(changes=changes, next_before=changes[-1].id if len(rows) > limit else None)


def _detail(text: str) -> dict:
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
