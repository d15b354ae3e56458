"""Loading the served index, swapping in a new version without a restart, and watching the index folder.

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
from pathlib import Path

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from faq.errors import FaqError
from faq.settings import Settings
from feedback.store import FeedbackStore
from index.disk.manifest import MANIFEST
from index.disk.versions import resolve
from index.embedders import Embedder
from replication.follower import Announcements, Follower, SyncStatus
from replication.published import connect_in_background
from service.state import Fingerprint, ServiceState
from usecases.answering import open_answerer

log = logging.getLogger("faq.service")


def index_fingerprint(root: Path) -> Fingerprint | None:
    """What identifies the served index on disk: version name and its manifest's inode, mtime_ns and size.

    A stat, not a hash: it costs no read however large the manifest grows (the query bank holds
    per-entry statistics), and `faq calibrate` replaces the manifest with os.replace, so a rewrite
    gets a new inode even when its size and, on a coarse-clock filesystem, its mtime stay the same.
    None when no index can be resolved (a missing pointer target, no index yet).
    """
    try:
        path, version = resolve(root)
        stat = (path / MANIFEST).stat()
    except (FaqError, OSError):
        return None
    return version, stat.st_ino, stat.st_mtime_ns, stat.st_size


def load_state(settings: Settings, store: FeedbackStore | None = None, models: Sequence[Embedder] | None = None) -> ServiceState:
    """Load the index and warm the models with one query; a failure becomes a not-ready reason, not a crash.

    An index unfit to serve (usecases.fit_to_serve: uncalibrated, calibrated for other settings, built with another
    model) is refused here, never repaired: that is `faq serve`'s, before the app starts.

    `models`: the ones the served index already uses; a new index version is opened with them.
    """
    started = time.perf_counter()
    source = index_fingerprint(settings.index_dir)  # taken before loading: a change during the load is seen next poll
    try:
        answerer = open_answerer(settings, models=models)
        answerer.answer("warm up", top_k=1)
    except (FaqError, OSError) as e:
        log.error("index not loaded: %s", e)
        return ServiceState(answerer=None, feedback=store, not_ready_reason=str(e), source=source)
    return ServiceState(answerer=answerer, feedback=store, load_seconds=time.perf_counter() - started, source=source)


def reload(app: FastAPI) -> ServiceState:
    """Load the pointed-to version and swap it in; on failure keep serving the old one and record why."""
    settings: Settings = app.state.settings
    old: ServiceState = app.state.service
    new = load_state(settings, old.feedback, old.answerer.searcher.models if old.answerer else app.state.models)
    if new.answerer is None and old.answerer is not None:
        app.state.service = replace(old, not_ready_reason=new.not_ready_reason)
    else:
        app.state.service = new
    if new.answerer is None:
        app.state.metrics.reload_failed()
    app.state.metrics.served(old, app.state.service)
    return app.state.service


def open_follower(settings: Settings) -> tuple[Follower, Announcements] | None:
    """The replica's follower and what wakes it, when FAQ_DATABASE_URL is set; they connect when the database is there."""
    if settings.database_url is None:
        return None
    url = settings.database_url.get_secret_value()
    return Follower(connect_in_background(url), settings.index_dir, settings.keep_versions), Announcements(url)


def follow(app: FastAPI, follower: Follower) -> SyncStatus:
    """One step of the replica's follower (replication.follower); its status is what /readyz reports."""
    before: SyncStatus | None = app.state.replication
    status = follower.sync()
    if status.fetched and status.last_fetch:
        log.info("fetched index version %s from the database in %.2f s", *status.last_fetch)
    if status.error and (before is None or before.error != status.error):  # said once, not every poll
        log.warning("cannot follow the database's index version, serving %s: %s", status.local, status.error)
    app.state.replication = status
    return status


async def watch_pointer(app: FastAPI, every: float, follower: Follower | None = None,
                        announcements: Announcements | None = None) -> None:
    """Reload when the served index changes on disk: the pointer names another version (`faq ingest`,
    `faq rollback`) or the served version's manifest was rewritten (`faq calibrate`), with or without
    a CURRENT pointer. Each change is tried once: a failed reload keeps the last good index serving
    and is not retried until the files change again.

    With a `follower` (FAQ_DATABASE_URL), each poll first brings the folder to the database's served
    version, so the same reload swaps in what an ingest on another host published; `announcements`
    end the wait early when the database says the served version changed.
    """
    root: Path = app.state.settings.index_dir
    seen = app.state.service.source
    while True:
        if announcements is not None:
            await announcements.wait(every)
        else:
            await asyncio.sleep(every)
        if follower is not None:
            try:
                await run_in_threadpool(follow, app, follower)
            except Exception:  # like a bad reload: the watcher outlives it
                log.exception("following the database's index version failed")
        now = index_fingerprint(root)
        if now == seen:
            continue
        seen = now
        if now is not None and now == app.state.service.source:
            continue  # already swapped in (POST /v1/admin/reload)
        try:
            state = await run_in_threadpool(reload, app)
        except Exception:  # the watcher must outlive any one bad reload
            log.exception("reloading the index failed")
            app.state.metrics.reload_failed()
            continue
        served = state.version
        log.info("index changed on disk (%s); serving %s%s", now[0] if now else "no index", served,
                 f", last reload failed: {state.not_ready_reason}" if state.not_ready_reason else "")
