"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from service.deps import StateDep
from service.present import calibration_of

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "index not loaded yet, or failed to load"}})
def readyz(state: StateDep) -> JSONResponse:
    """The index is loaded and the model warmed: queries will be answered."""
    if state.answerer is None:
        return JSONResponse(status_code=503, content={"status": "not ready", "reason": state.not_ready_reason})
    index = state.answerer.searcher.index
    manifest = index.manifest
    if state.not_ready_reason:  # the last reload failed: still answering from the last good version
        return JSONResponse(status_code=503, content={"status": "not ready", "reason": state.not_ready_reason,
                                                      "serving": index.version})
    return JSONResponse(
        content={"status": "ready", "index_version": index.version, "embedder": manifest.embedder, "entries": manifest.entry_count,
                 "built_at": manifest.built_at,
                 "calibrated": state.answerer.calibration is not None, **calibration_of(manifest),
                 "load_seconds": round(state.load_seconds, 3)}
    )

