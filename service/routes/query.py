"""POST /v1/query: a question in, the best FAQ passages out, each with its citation."""

from __future__ import annotations

import time

from fastapi import APIRouter

from index.answer import Answerer
from index.search import Filters, Hit
from index.short_answer import highlights
from service.deps import AnswererDep
from service.schemas import ErrorResponse, QueryRequest, QueryResponse, Result, ShortAnswerOut

router = APIRouter(prefix="/v1", tags=["query"])


def citation(section: str, question: str) -> str:
    return " › ".join(part for part in (section, question) if part)


def to_result(hit: Hit, question: str, answerer: Answerer) -> Result:
    chunk = hit.chunk
    marks = highlights(question, chunk.text, answerer.extractor.analyzer) if answerer.extractor else ()
    return Result(
        rank=hit.rank, score=round(hit.score, 4), similarity=round(hit.similarity, 4), passage=chunk.text, document=chunk.document_title,
        document_id=chunk.document_id, section=chunk.section, question=chunk.question, entry_id=chunk.entry_id,
        chunk_id=chunk.id, citation=citation(chunk.section, chunk.question), highlights=list(marks),
    )


@router.post("/query", response_model=QueryResponse, responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}})
def query(request: QueryRequest, answerer: AnswererDep) -> QueryResponse:
    """Rank the FAQ's entries for a question, one result per entry, and say whether the FAQ answers it."""
    started = time.perf_counter()
    f = request.filters
    filters = None if f is None else Filters(
        documents=frozenset(f.documents) if f.documents is not None else None,
        sections=frozenset(f.sections) if f.sections is not None else None,
        langs=frozenset(f.langs) if f.langs is not None else None,
    )
    answer = answerer.answer(request.question, top_k=request.top_k, filters=filters)
    threshold = answerer.calibration.threshold if answerer.calibration else None
    below = sum(1 for h in answer.hits if threshold is not None and h.similarity < threshold)
    short = None
    if answer.short_answer is not None:
        a, top = answer.short_answer, answer.hits[0].chunk
        short = ShortAnswerOut(text=a.text, entry_id=top.entry_id, start=a.start, end=a.end, source_start=top.start + a.start,
                               source_end=top.start + a.end, highlights=list(a.highlights))
    took = (time.perf_counter() - started) * 1000
    return QueryResponse(
        question=request.question, answerable=answer.answerable, confidence=answer.confidence, answer=short,
        results=[to_result(h, request.question, answerer) for h in answer.hits], below_threshold=below, filtered_out=answer.filtered_out,
        took_ms=round(took, 2),
    )
