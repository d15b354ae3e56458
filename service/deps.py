"""Dependencies routes receive; tests swap them with `app.dependency_overrides`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from index.answer import Answerer
from service.state import ServiceState


def get_state(request: Request) -> ServiceState:
    return request.app.state.service


def get_answerer(state: Annotated[ServiceState, Depends(get_state)]) -> Answerer:
    if state.answerer is None:
        raise HTTPException(status_code=503, detail=f"The service is not ready: {state.not_ready_reason}")
    return state.answerer


StateDep = Annotated[ServiceState, Depends(get_state)]
AnswererDep = Annotated[Answerer, Depends(get_answerer)]
