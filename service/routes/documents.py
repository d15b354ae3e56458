"""GET /v1/documents: what the index knows, as documents › sections › questions."""

from __future__ import annotations

from fastapi import APIRouter

from service.deps import AnswererDep
from service.present import calibration_of
from service.schemas import DocumentInfo, DocumentsResponse, QuestionInfo, SectionInfo

router = APIRouter(prefix="/v1", tags=["documents"])


@router.get("/documents", response_model=DocumentsResponse)
def documents(answerer: AnswererDep) -> DocumentsResponse:
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
    return DocumentsResponse(documents=out, **calibration_of(answerer.searcher.index.manifest))
