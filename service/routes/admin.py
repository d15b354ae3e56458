"""Admin: reload the index, and review the phrasings agents confirmed (indexed at the next `faq ingest`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from starlette.concurrency import run_in_threadpool

from service.deps import AdminDep, FeedbackDep
from service.lifecycle import reload
from service.schemas import ErrorResponse, PhrasingOut, PhrasingReview, ReloadResponse

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}})


@router.get("/phrasings", response_model=list[PhrasingOut])
def list_phrasings(store: FeedbackDep, _: AdminDep, status: str | None = None) -> list[PhrasingOut]:
    """Phrasings learned from agents' "used" verdicts: candidate, accepted or rejected."""
    return [PhrasingOut(**vars(p)) for p in store.phrasings(status)]


@router.post("/phrasings/{phrasing_id}", response_model=PhrasingOut, responses={404: {"model": ErrorResponse}})
def review_phrasing(phrasing_id: Annotated[int, Path(ge=1, le=2**63 - 1)], review: PhrasingReview, store: FeedbackDep, _: AdminDep) -> PhrasingOut:
    """Accept or reject a candidate phrasing."""
    try:
        return PhrasingOut(**vars(store.review(phrasing_id, review.accept)))
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
