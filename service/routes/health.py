"""Liveness and readiness probes.

Both are `async def` and do no blocking work: a sync handler would queue on the thread pool behind
the questions being embedded there, and a probe that waits seconds under load gets a busy process
restarted or taken out of the load balancer.
"""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from replication.follower import SyncStatus
from service.deps import StateDep
from service.present import calibration_of
from usecases.sync import SyncState

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "index not loaded yet, or failed to load"}})
async def readyz(state: StateDep, request: Request) -> JSONResponse:
    """The index is loaded and the model warmed: queries will be answered. With FAQ_DATABASE_URL, `replication`
    says which version this replica serves and which the database publishes; a replica that cannot follow
    stays ready (200) on its last good version, since the database being away would take out every replica."""
    followed: SyncStatus | None = request.app.state.replication
    if state.answerer is None:
        return JSONResponse(status_code=503, content={"status": "not ready", "reason": state.not_ready_reason,
                                                      **replication_of(followed, None),
                                                      **sync_of(request.app.state.sync)})
    index = state.answerer.searcher.index
    manifest = index.manifest
    if state.not_ready_reason:  # the last reload failed: still answering from the last good version
        return JSONResponse(status_code=503, content={"status": "not ready", "reason": state.not_ready_reason,
                                                      "serving": index.version, **replication_of(followed, index.version),
                                                      **sync_of(request.app.state.sync)})
    return JSONResponse(
        content={"status": "ready", "index_version": index.version, "embedder": manifest.embedder, "entries": manifest.entry_count,
                 "built_at": manifest.built_at,
                 "calibrated": state.answerer.calibration is not None, **calibration_of(manifest),
                 "load_seconds": round(state.load_seconds, 3), **replication_of(followed, index.version),
                 **sync_of(request.app.state.sync)}
    )


def replication_of(followed: SyncStatus | None, serving: str | None) -> dict:
    """The `replication` field: absent without FAQ_DATABASE_URL."""
    if followed is None:
        return {}
    checked = datetime.fromtimestamp(followed.checked_at, timezone.utc).isoformat(timespec="seconds") if followed.checked_at else None
    return {"replication": {"served": serving, "published": followed.published,
                            "in_sync": serving is not None and serving == followed.published,
                            "error": followed.error, "checked_at": checked,
                            "last_fetch": ({"what": followed.last_fetch[0], "seconds": followed.last_fetch[1]}
                                           if followed.last_fetch else None)}}


def sync_of(state: SyncState | None) -> dict:
    """The `sync` field: absent without FAQ_SYNC_INTERVAL. A failed last sync leaves the service ready (its version stays)."""
    if state is None:
        return {}
    last = state.last
    return {"sync": {"interval_seconds": state.interval, "this_process_syncs": state.holder,
                     "last": None if last is None else {
                         "at": datetime.fromtimestamp(last.started_at, timezone.utc).isoformat(timespec="seconds"),
                         "seconds": round(last.seconds, 3), "outcome": last.outcome, "version": last.version,
                         "pages_fetched": last.pages_fetched, "pages_unchanged": last.pages_unchanged,
                         "pages_failed": last.pages_failed, "entries_added": last.entries_added,
                         "entries_changed": last.entries_changed, "entries_removed": last.entries_removed,
                         "texts_embedded": last.texts_embedded, "error": last.error}}}
