"""POST /v1/query: a question in, the best FAQ passages out, each with its citation."""

from __future__ import annotations

import time

from fastapi import APIRouter

from index.search import Hit
from service.deps import SearcherDep
from service.schemas import ErrorResponse, QueryRequest, QueryResponse, Result

router = APIRouter(prefix="/v1", tags=["query"])


def citation(section: str, question: str) -> str:
    return " › ".join(part for part in (section, question) if part)


def to_result(hit: Hit) -> Result:
    chunk = hit.chunk
    return Result(
        rank=hit.rank, score=round(hit.score, 4), passage=chunk.text, document=chunk.document_title,
        document_id=chunk.document_id, section=chunk.section, question=chunk.question, entry_id=chunk.entry_id,
        chunk_id=chunk.id, citation=citation(chunk.section, chunk.question),
    )


@router.post("/query", response_model=QueryResponse, responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}})
def query(request: QueryRequest, searcher: SearcherDep) -> QueryResponse:
    """Rank the FAQ's entries for a question; one result per entry, best first."""
    started = time.perf_counter()
    hits = searcher.search(request.question, top_k=request.top_k)
    took = (time.perf_counter() - started) * 1000
    return QueryResponse(question=request.question, results=[to_result(h) for h in hits], took_ms=round(took, 2))
