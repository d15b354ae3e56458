"""The FastAPI app. Importing it is instant: the index and model load in the lifespan."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from faq.errors import FaqError
from faq.settings import Settings, get_settings
from index.pipeline import open_answerer
from service.errors import install_error_handlers
from service.feedback import FeedbackStore
from service.pages import mount_pages
from service.routes import admin, documents, feedback, health, query, suggest
from service.state import ServiceState

log = logging.getLogger("faq.service")


def load_state(settings: Settings, store: FeedbackStore | None = None) -> ServiceState:
    """Load the index and warm the model with one query; a failure becomes a not-ready reason, not a crash."""
    started = time.perf_counter()
    try:
        answerer = open_answerer(settings.index_dir, settings.retrieval())
        answerer.answer("warm up", top_k=1)
    except (FaqError, ValueError) as e:
        log.error("index not loaded: %s", e)
        return ServiceState(answerer=None, feedback=store, not_ready_reason=str(e))
    return ServiceState(answerer=answerer, feedback=store, load_seconds=time.perf_counter() - started)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = FeedbackStore(settings.data_dir / "feedback.sqlite3")
        app.state.service = ServiceState(answerer=None, feedback=store, not_ready_reason="starting")
        app.state.service = load_state(settings, store)
        yield
        store.close()

    app = FastAPI(
        title="FAQ answers",
        summary="Ask the help center's FAQ in any language; get cited passages back.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(query.router)
    app.include_router(documents.router)
    app.include_router(suggest.router)
    app.include_router(feedback.router)
    app.include_router(admin.router)
    mount_pages(app)
    return app
