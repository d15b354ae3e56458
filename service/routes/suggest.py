"""POST /v1/suggest: the agent panel pastes a customer's message; each question in it gets suggested entries."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request

from service.deps import AnswererDep, FeedbackDep
from service.observe import note_answer
from service.present import log_answer, to_results, to_short_answer
from service.schemas import ErrorResponse, Suggestion, SuggestRequest, SuggestResponse
from service.split_message import split_questions

router = APIRouter(prefix="/v1", tags=["agent"])


@router.post("/suggest", response_model=SuggestResponse, responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}})
def suggest(request: SuggestRequest, answerer: AnswererDep, feedback: FeedbackDep, http: Request) -> SuggestResponse:
    """Split a customer's message into its questions and suggest FAQ entries for each."""
    started = time.perf_counter()
    suggestions = []
    for question in split_questions(request.message):
        rules = http.app.state.rules  # the team's rules (service.curation)
        cached = answerer.cached(question, request.top_k, rules=rules)
        answer = cached or answerer.answer(question, top_k=request.top_k, rules=rules)
        note_answer(http, "agent", answer, cached is not None, answerer.searcher.index.version)
        query_id = log_answer(feedback, question, "agent", answer)
        suggestions.append(Suggestion(
            question=question, query_id=query_id, answerable=answer.answerable, outcome=answer.outcome, confidence=answer.confidence,
            answer=to_short_answer(answer), results=to_results(answer), question_lang=answer.question_lang,
            corrected=answer.corrected,
        ))
    return SuggestResponse(suggestions=suggestions, no_question=not suggestions, index_version=answerer.searcher.index.version, took_ms=round((time.perf_counter() - started) * 1000, 2))
