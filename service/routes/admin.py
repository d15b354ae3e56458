"""Admin: review the phrasings agents confirmed; accepted ones are indexed at the next `faq ingest`."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from service.deps import AdminDep, FeedbackDep
from service.schemas import ErrorResponse, PhrasingOut, PhrasingReview

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}})


@router.get("/phrasings", response_model=list[PhrasingOut])
def list_phrasings(store: FeedbackDep, _: AdminDep, status: str | None = None) -> list[PhrasingOut]:
    """Phrasings learned from agents' "used" verdicts: candidate, accepted or rejected."""
    return [PhrasingOut(**vars(p)) for p in store.phrasings(status)]


@router.post("/phrasings/{phrasing_id}", response_model=PhrasingOut, responses={404: {"model": ErrorResponse}})
def review_phrasing(phrasing_id: int, review: PhrasingReview, store: FeedbackDep, _: AdminDep) -> PhrasingOut:
    """Accept or reject a candidate phrasing."""
    try:
        return PhrasingOut(**vars(store.review(phrasing_id, review.accept)))
    except LookupError as e:
        raise HTTPException(status_code=404, detail=str(e)) from None
