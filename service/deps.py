"""Dependencies routes receive; tests swap them with `app.dependency_overrides`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from index.search import Searcher
from service.state import ServiceState


def get_state(request: Request) -> ServiceState:
    return request.app.state.service


def get_searcher(state: Annotated[ServiceState, Depends(get_state)]) -> Searcher:
    if state.searcher is None:
        raise HTTPException(status_code=503, detail=f"The service is not ready: {state.not_ready_reason}")
    return state.searcher


StateDep = Annotated[ServiceState, Depends(get_state)]
SearcherDep = Annotated[Searcher, Depends(get_searcher)]
