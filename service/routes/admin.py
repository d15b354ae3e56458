"""Admin: reload the index, and review the phrasings agents confirmed (indexed at the next `faq ingest`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from starlette.concurrency import run_in_threadpool

from index.deciding.answer import Answerer
from service.deps import AdminDep, FeedbackDep, StateDep
from service.lifecycle import reload
from service.schemas import ErrorResponse, PhrasingOut, PhrasingReview, ReloadResponse


def entry_titles(answerer: Answerer | None) -> dict[str, str]:
    """Entry id -> its question in the served index; empty while no index is served."""
    if answerer is None:
        return {}
    return {e.id: e.question for e in answerer.searcher.index.records.entries}


router = APIRouter(prefix="/v1/admin", tags=["admin"], responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}})


@router.get("/phrasings", response_model=list[PhrasingOut])
def list_phrasings(store: FeedbackDep, state: StateDep, _: AdminDep, status: str | None = None) -> list[PhrasingOut]:
    """Phrasings learned from agents' "used" verdicts: candidate, accepted or rejected, with their entry's question."""
    titles = entry_titles(state.answerer)
    return [PhrasingOut(**vars(p), entry_question=titles.get(p.entry_id)) for p in store.phrasings(status)]


@router.post("/phrasings/{phrasing_id}", response_model=PhrasingOut, responses={404: {"model": ErrorResponse}})
def review_phrasing(phrasing_id: Annotated[int, Path(ge=1, le=2**63 - 1)], review: PhrasingReview, store: FeedbackDep,
                    state: StateDep, _: AdminDep) -> PhrasingOut:
    """Accept or reject a candidate phrasing; an accepted one is added to its entry at the next `faq ingest`."""
    try:
        p = store.review(phrasing_id, review.accept)
        return PhrasingOut(**vars(p), entry_question=entry_titles(state.answerer).get(p.entry_id))
    except LookupError as e:
        raise HTTPException(status_code=404, detail=str(e)) from None


@router.post("/reload", response_model=ReloadResponse, responses={503: {"model": ErrorResponse}})
async def reload_index(request: Request, _: AdminDep) -> ReloadResponse:
    """Load the index version the pointer names and swap it in; requests in flight finish on the old one."""
    state = await run_in_threadpool(reload, request.app)
    if state.answerer is None:
        raise HTTPException(status_code=503, detail=f"No index could be loaded: {state.not_ready_reason}")
    return ReloadResponse(index_version=state.answerer.searcher.index.version, ok=state.not_ready_reason is None,
                          reason=state.not_ready_reason)
