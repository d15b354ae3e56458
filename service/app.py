"""The FastAPI app. Importing it is instant: the index and model load in the lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from faq.curation import NO_RULES
from faq.redact import Redactor
from faq.settings import Settings, get_settings
from feedback.factory import open_feedback_store
from index.embedders import Embedder
from ingest.helpcenter import load_helpcenter
from service.curation import load_rules, watch_rules
from service.errors import install_error_handlers
from service.lifecycle import follow, load_state, open_follower, watch_pointer
from service.metrics import Metrics
from service.middleware import BodyLimit, RateLimit, SecurityHeaders, per_worker
from service.observe import ObserveRequests, valid_request_id
from service.openapi import document_limits
from service.pages import mount_pages
from service.routes import admin, curation, documents, feedback, health, metrics, query, suggest, team
from service.state import ServiceState
from service.sync import ScheduledSync


def create_app(settings: Settings | None = None, models: Sequence[Embedder] | None = None) -> FastAPI:
    """`models`: embedders already loaded for `settings.retrieval()`, primary first (tests pass fakes);
    None loads them from the settings. Raises HelpCenterError for a malformed helpcenter.json: read
    here rather than in the lifespan, so `faq serve` says what to fix before it listens."""
    settings = settings or get_settings()
    helpcenter = load_helpcenter(settings.corpus, settings.helpcenter)
    observed = Metrics.create(settings.metrics_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = await run_in_threadpool(open_feedback_store, settings)  # DatabaseError here: startup fails, saying why
        app.state.service = ServiceState(answerer=None, feedback=store, not_ready_reason="starting")
        follower, announcements = open_follower(settings) or (None, None)
        app.state.published = follower.registry if follower is not None else None
        if follower is not None and announcements is not None:  # an empty index folder gets the published version before the first load
            await announcements.listen()
            await run_in_threadpool(follow, app, follower)
        app.state.service = await run_in_threadpool(load_state, settings, store, models)
        observed.served(None, app.state.service)
        app.state.rules = await run_in_threadpool(load_rules, store)
        rules_watcher = asyncio.create_task(watch_rules(app))
        watcher = (asyncio.create_task(watch_pointer(app, settings.reload_poll_seconds, follower, announcements))
                   if settings.reload_poll_seconds else None)
        syncing = ScheduledSync.start(app, settings)  # None unless FAQ_SYNC_INTERVAL is set
        yield
        rules_watcher.cancel()
        if syncing is not None:
            await syncing.stop()
        if watcher is not None:
            watcher.cancel()
            await asyncio.wait({watcher}, timeout=5)  # out of its LISTEN before that connection closes
        if follower is not None and announcements is not None:
            await announcements.close()
            follower.close()
        store.close()
        observed.close()

    app = FastAPI(
        title="FAQ answers",
        summary="Ask the help center's FAQ in any language; get cited passages back.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by service.pages from local assets: the default loads Swagger UI from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.helpcenter = helpcenter
    app.state.models = models  # what a reload uses when no index is being served yet
    app.state.metrics = observed
    app.state.sync = None  # the scheduled sync's state (usecases.sync.SyncState) with FAQ_SYNC_INTERVAL
    app.state.rules = NO_RULES  # the team's rules in force (service.curation), read at start and polled
    app.state.replication = None  # the follower's last status (replication.follower.SyncStatus) with FAQ_DATABASE_URL
    app.state.published = None  # the database of published versions and last runs (replication.published) with FAQ_DATABASE_URL
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(query.router)
    app.include_router(documents.router)
    app.include_router(suggest.router)
    app.include_router(feedback.router)
    app.include_router(admin.router)
    app.include_router(curation.router)
    app.include_router(team.router)
    app.include_router(metrics.router)
    mount_pages(app)
    document_limits(app, settings.max_body_bytes, rate_limit=settings.rate_limit_per_minute > 0)
    # added last runs first: the size check happens before anything else touches the request
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "Authorization"])
    app.add_middleware(SecurityHeaders)
    if settings.rate_limit_per_minute:
        per_minute, burst = per_worker(settings.rate_limit_per_minute, settings.rate_limit_burst, settings.workers)
        app.add_middleware(RateLimit, per_minute=per_minute, burst=burst)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    # outermost: every response, a 413 or 429 included, is counted, logged and carries its X-Request-ID
    app.add_middleware(ObserveRequests, metrics=observed, log_questions=settings.log_questions,
                       redact=Redactor.from_settings(settings).redact)
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID", validator=valid_request_id)
    return app
