"""POST /v1/query: a question in, the best FAQ passages out, each with its citation."""

from __future__ import annotations

import time

from fastapi import APIRouter

from service.deps import AnswererDep, FeedbackDep
from service.present import below_threshold, log_answer, to_filters, to_result, to_short_answer
from service.schemas import ErrorResponse, QueryRequest, QueryResponse

router = APIRouter(prefix="/v1", tags=["query"])


@router.post("/query", response_model=QueryResponse, responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}})
def query(request: QueryRequest, answerer: AnswererDep, feedback: FeedbackDep) -> QueryResponse:
    """Rank the FAQ's entries for a question, one result per entry, and say whether the FAQ answers it."""
    started = time.perf_counter()
    answer = answerer.answer(request.question, top_k=request.top_k, filters=to_filters(request.filters))
    query_id = log_answer(feedback, request.question, request.surface, answer)
    took = (time.perf_counter() - started) * 1000
    return QueryResponse(
        question=request.question, query_id=query_id, index_version=answerer.searcher.index.version, answerable=answer.answerable, confidence=answer.confidence,
        answer=to_short_answer(answer), results=[to_result(h, request.question, answerer) for h in answer.hits],
        below_threshold=below_threshold(answer, answerer), filtered_out=answer.filtered_out, took_ms=round(took, 2),
    )
