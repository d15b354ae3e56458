"""GET /v1/documents: what the index knows, as documents › sections › questions; GET /v1/helpcenter: whose FAQ it is."""

from __future__ import annotations

from fastapi import APIRouter, Request

from index.deciding.answer import Answerer
from ingest.helpcenter import MAX_TOPICS, HelpCenter
from service.deps import AnswererDep, StateDep
from service.present import calibration_of
from service.schemas import DocumentInfo, DocumentsResponse, QuestionInfo, SectionInfo

router = APIRouter(prefix="/v1", tags=["documents"])


@router.get("/documents", response_model=DocumentsResponse)
def documents(request: Request, answerer: AnswererDep) -> DocumentsResponse:
    """List the indexed documents with their sections and questions, in FAQ order."""
    records = answerer.searcher.index.records
    out = []
    for doc in records.documents:
        sections: dict[str, list[QuestionInfo]] = {}
        for entry in records.entries:
            if entry.document_id == doc.id:
                sections.setdefault(entry.section, []).append(QuestionInfo(entry_id=entry.id, question=entry.question))
        out.append(
            DocumentInfo(id=doc.id, title=doc.title, lang=doc.lang, source=doc.source,
                         sections=[SectionInfo(title=t, questions=qs) for t, qs in sections.items()])
        )
    return DocumentsResponse(documents=out, helpcenter=helpcenter_of(request.app.state.helpcenter, answerer),
                             **calibration_of(answerer.searcher.index.manifest))


@router.get("/helpcenter", response_model=HelpCenter)
def helpcenter(request: Request, state: StateDep) -> HelpCenter:
    """The help center's name, contacts, suggested topics and UI language, which the pages show.

    Answers while the index is still loading too, so the pages can show whose help center this is
    (topics then come only from the file)."""
    return helpcenter_of(request.app.state.helpcenter, state.answerer)


def helpcenter_of(configured: HelpCenter, answerer: Answerer | None) -> HelpCenter:
    """The configured help center; without topics of its own, the FAQ's section titles suggest them."""
    if configured.topics or answerer is None:
        return configured
    sections = dict.fromkeys(e.section for e in answerer.searcher.index.records.entries if e.section)
    return configured.model_copy(update={"topics": tuple(list(sections)[:MAX_TOPICS])})
