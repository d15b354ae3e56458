"""POST /v1/feedback and GET /v1/analytics: verdicts on answers, and the content gaps they reveal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from service.deps import AdminDep, AnswererDep, FeedbackDep
from feedback.store import UnknownQueryError
from service.schemas import AnalyticsResponse, EntryCount, ErrorResponse, FeedbackRequest, FeedbackResponse, QuestionCount

router = APIRouter(prefix="/v1", tags=["feedback"])


@router.post("/feedback", status_code=201, response_model=FeedbackResponse,
             responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}})
def feedback(request: FeedbackRequest, store: FeedbackDep, answerer: AnswererDep) -> FeedbackResponse:
    """Record a verdict (used, not relevant, helpful, not helpful) on one result of one query."""
    if request.entry_id not in answerer.searcher.entry_ids:
        raise HTTPException(status_code=404, detail=f"No FAQ entry {request.entry_id!r} in the served index.")
    try:
        store.record(request.query_id, request.entry_id, request.verdict)
    except UnknownQueryError:
        raise HTTPException(status_code=404, detail=f"No query {request.query_id!r}; send the query_id a query response gave.") from None
    return FeedbackResponse()


@router.get("/analytics", response_model=AnalyticsResponse, responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}})
def analytics(store: FeedbackDep, answerer: AnswererDep, _: AdminDep,
              limit: Annotated[int, Query(ge=1, le=200)] = 20) -> AnalyticsResponse:
    """Most asked questions, questions with no confident answer, entries most often marked not relevant (admin)."""
    data = store.analytics(limit=limit)
    titles = {e.id: e.question for e in answerer.searcher.index.records.entries}
    return AnalyticsResponse(
        queries=data["totals"]["queries"], unanswered=data["totals"]["unanswered"],
        top_questions=[QuestionCount(**r) for r in data["top_questions"]],
        unanswered_questions=[QuestionCount(**r) for r in data["unanswered_questions"]],
        not_relevant_entries=[EntryCount(entry_id=r["entry_id"], question=titles.get(r["entry_id"]), count=r["count"])
                              for r in data["not_relevant_entries"]],
    )
