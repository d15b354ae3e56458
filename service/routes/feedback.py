"""POST /v1/feedback and GET /v1/analytics: verdicts on answers, and the content gaps they reveal."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials

from faq.errors import UnknownQueryError
from feedback import reports
from service.deps import AdminDep, AnswererDep, FeedbackDep, bearer, require_agent
from service.routes.admin import entry_titles
from service.schemas import (
    AnalyticsResponse,
    DayCount,
    EntryCount,
    ErrorResponse,
    FeedbackRequest,
    FeedbackResponse,
    GapGroup,
    LangCount,
    QuestionCount,
)
from usecases.gaps import Gap, group_gaps, grouping_model

GAP_QUESTIONS = 300  # distinct unanswered questions embedded per request: bounded, as the page asks on every visit

router = APIRouter(prefix="/v1", tags=["feedback"])


@router.post("/feedback", status_code=201, response_model=FeedbackResponse,
             responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}, 404: {"model": ErrorResponse},
                        422: {"model": ErrorResponse}})
def feedback(request: FeedbackRequest, store: FeedbackDep, answerer: AnswererDep, http: Request,
             credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> FeedbackResponse:
    """Record a verdict (used, not relevant, helpful, not helpful, click) on one result of one query.

    `used` needs an agent (FAQ_AGENT_TOKEN or the admin token, as a bearer token or a session signed in at /agent):
    it proposes the question to the team as a phrasing of the entry, which nobody anonymous may do."""
    if request.verdict == "used":
        require_agent(http, credentials)
    if request.entry_id not in answerer.searcher.entry_ids:
        raise HTTPException(status_code=404, detail=f"No FAQ entry {request.entry_id!r} in the served index.")
    try:
        store.record(request.query_id, request.entry_id, request.verdict)
    except UnknownQueryError:
        raise HTTPException(status_code=404, detail=f"No query {request.query_id!r}; send the query_id a query response gave.") from None
    return FeedbackResponse()


ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}}


def _gaps(store: FeedbackDep, answerer: AnswererDep) -> list[Gap]:
    return group_gaps(store.unanswered(GAP_QUESTIONS), grouping_model(answerer.searcher.models))


@router.get("/analytics", response_model=AnalyticsResponse, responses=ADMIN_ERRORS)
def analytics(store: FeedbackDep, answerer: AnswererDep, _: AdminDep,
              limit: Annotated[int, Query(ge=1, le=200)] = 20) -> AnalyticsResponse:
    """What the team's analytics page shows (admin): searches per day and by language, most asked questions,
    content gaps (unanswered questions grouped by similarity), entries marked not relevant, helpful rate, click-through.

    A search-as-you-type session counts once: its settled query.
    """
    data = store.analytics(limit=limit)
    rates = store.engagement()
    titles = entry_titles(answerer)
    return AnalyticsResponse(
        per_day=[DayCount(**d) for d in store.per_day()], by_language=[LangCount(**r) for r in store.by_language()],
        gaps=[GapGroup(question=g.question, count=g.count, questions=[QuestionCount(question=q, count=n) for q, n in g.questions])
              for g in _gaps(store, answerer)[:limit]],
        helpful_rate=rates["helpful_rate"], click_through=rates["click_through"],
        queries=data["totals"]["queries"], unanswered=data["totals"]["unanswered"],
        top_questions=[QuestionCount(**r) for r in data["top_questions"]],
        unanswered_questions=[QuestionCount(**r) for r in data["unanswered_questions"]],
        not_relevant_entries=[EntryCount(entry_id=r["entry_id"], question=titles.get(r["entry_id"]), count=r["count"])
                              for r in data["not_relevant_entries"]],
    )


def _csv(text: str, name: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.get("/analytics/queries.csv", response_class=Response, responses=ADMIN_ERRORS)
def queries_csv(store: FeedbackDep, _: AdminDep) -> Response:
    """Every logged query as CSV (admin); the `counted` column marks what analytics count."""
    return _csv(store.queries_csv(), "queries.csv")


@router.get("/analytics/gaps.csv", response_class=Response, responses=ADMIN_ERRORS)
def gaps_csv(store: FeedbackDep, answerer: AnswererDep, _: AdminDep) -> Response:
    """The content gaps as CSV (admin): one row per question, with its group and the group's total."""
    rows: list[list[object]] = [[i, g.question, g.count, q, n] for i, g in enumerate(_gaps(store, answerer), 1) for q, n in g.questions]
    return _csv(reports.rows_csv(["group", "group_question", "group_count", "question", "count"], rows), "gaps.csv")
