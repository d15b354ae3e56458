"""GET /v1/documents: what the index knows, as documents › sections › questions; GET /v1/helpcenter: whose FAQ it is.

Entries and sections the team hid (issue #33, faq.curation.Hidden) are left out of both, as they are out of every
answer: the search page browses /v1/documents and suggests /v1/helpcenter's topics. An admin lists them too, marked
`hidden`, with `?include_hidden=true` (the team's rules page does, to name the entries its rules point at).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials

from faq.curation import Rules
from index.deciding.answer import Answerer
from ingest.helpcenter import MAX_TOPICS, HelpCenter
from service.deps import AnswererDep, StateDep, bearer, require_admin
from service.present import calibration_of
from service.schemas import DocumentInfo, DocumentsResponse, ErrorResponse, QuestionInfo, SectionInfo

router = APIRouter(prefix="/v1", tags=["documents"])


# the bearer token is asked for only with include_hidden: an empty requirement tells OpenAPI clients it is optional
@router.get("/documents", response_model=DocumentsResponse, responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}},
            openapi_extra={"security": [{}]})
def documents(request: Request, answerer: AnswererDep,
              credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
              include_hidden: Annotated[bool, Query(description="admins only: list the hidden entries too, marked `hidden`")] = False,
              ) -> DocumentsResponse:
    """List the indexed documents with their sections and questions, in FAQ order; the team's hidden entries and sections
    are left out (a document or section left empty is not listed), unless an admin asks for them with `include_hidden`."""
    if include_hidden:
        require_admin(request, credentials)
    rules: Rules = request.app.state.rules
    records = answerer.searcher.index.records
    out = []
    for doc in records.documents:
        sections: dict[str, list[QuestionInfo]] = {}
        for entry in records.entries:
            if entry.document_id != doc.id:
                continue
            hidden = rules.hides(entry.id, entry.section)
            if hidden and not include_hidden:
                continue
            sections.setdefault(entry.section, []).append(QuestionInfo(entry_id=entry.id, question=entry.question, hidden=hidden))
        if sections or not rules.hidden:
            out.append(
                DocumentInfo(id=doc.id, title=doc.title, lang=doc.lang, source=doc.source,
                             sections=[SectionInfo(title=t, questions=qs) for t, qs in sections.items()])
            )
    return DocumentsResponse(documents=out, helpcenter=helpcenter_of(request.app.state.helpcenter, answerer, rules),
                             **calibration_of(answerer.searcher.index.manifest))


@router.get("/helpcenter", response_model=HelpCenter)
def helpcenter(request: Request, state: StateDep) -> HelpCenter:
    """The help center's name, contacts, suggested topics and UI language, which the pages show.

    Answers while the index is still loading too, so the pages can show whose help center this is
    (topics then come only from the file)."""
    return helpcenter_of(request.app.state.helpcenter, state.answerer, request.app.state.rules)


def helpcenter_of(configured: HelpCenter, answerer: Answerer | None, rules: Rules | None = None) -> HelpCenter:
    """The configured help center; without topics of its own, the FAQ's section titles suggest them (but for a section
    whose every entry the team hid)."""
    if configured.topics or answerer is None:
        return configured
    entries = answerer.searcher.index.records.entries
    sections = dict.fromkeys(e.section for e in entries if e.section and (rules is None or not rules.hides(e.id, e.section)))
    return configured.model_copy(update={"topics": tuple(list(sections)[:MAX_TOPICS])})
