"""Loading the served index, swapping in a new version without a restart, and watching the pointer.

A swap replaces `app.state.service` in one assignment: a request resolves its state once, at its
start, so requests in flight finish on the index they began with. A failed load never replaces a
working index; it is reported by /readyz while the last good index keeps answering.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import replace

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from faq.errors import FaqError
from faq.settings import Settings
from index.embedders import Embedder
from index.pipeline import open_answerer
from index.versions import current_version
from service.feedback import FeedbackStore
from service.state import ServiceState

log = logging.getLogger("faq.service")


def load_state(settings: Settings, store: FeedbackStore | None = None, models: Sequence[Embedder] | None = None) -> ServiceState:
    """Load the index and warm the models with one query; a failure becomes a not-ready reason, not a crash.

    `models`: the ones the served index already uses; a new index version is opened with them.
    """
    started = time.perf_counter()
    try:
        answerer = open_answerer(settings.index_dir, settings.retrieval(), models)
        answerer.answer("warm up", top_k=1)
    except (FaqError, ValueError, OSError) as e:
        log.error("index not loaded: %s", e)
        return ServiceState(answerer=None, feedback=store, not_ready_reason=str(e))
    return ServiceState(answerer=answerer, feedback=store, load_seconds=time.perf_counter() - started)


def reload(app: FastAPI) -> ServiceState:
    """Load the pointed-to version and swap it in; on failure keep serving the old one and record why."""
    settings: Settings = app.state.settings
    old: ServiceState = app.state.service
    new = load_state(settings, old.feedback, old.answerer.searcher.models if old.answerer else None)
    if new.answerer is None and old.answerer is not None:
        app.state.service = replace(old, not_ready_reason=new.not_ready_reason)
    else:
        app.state.service = new
    return app.state.service


async def watch_pointer(app: FastAPI, every: float) -> None:
    """Reload when the index pointer names another version (a `faq ingest` or `faq rollback` elsewhere)."""
    settings: Settings = app.state.settings
    seen = current_version(settings.index_dir)
    while True:
        await asyncio.sleep(every)
        now = current_version(settings.index_dir)
        if now != seen:
            seen = now
            state = await run_in_threadpool(reload, app)
            served = state.answerer.searcher.index.version if state.answerer else None
            log.info("index pointer now %s; serving %s", now, served)
