"""The scheduled sync in the service (FAQ_SYNC_INTERVAL): a task that, every interval, runs usecases.sync's tick on a
thread of its own, never on the event loop nor on the pool that runs the questions' handlers, so a sync of minutes
blocks no query. A daemon thread: a service told to stop does not wait for a build to finish (an interrupted build
leaves nothing served nor published, and the next one removes its staging folder: usecases.versions).

When the tick switched the served version, this process swaps it in at once (service.lifecycle.reload: requests in
flight finish on the version they began with); the other workers and replicas follow as after `faq ingest`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import FastAPI

from faq.settings import Settings
from service.lifecycle import index_fingerprint, reload
from usecases.sync import Syncer, SyncReport, SyncState, open_sync_lock

log = logging.getLogger("faq.sync")
T = TypeVar("T")


@dataclass(frozen=True)
class ScheduledSync:
    """The running sync of one app: its task and its syncer (which holds the lock)."""

    task: asyncio.Task[None]
    syncer: Syncer

    @classmethod
    def start(cls, app: FastAPI, settings: Settings) -> ScheduledSync | None:
        """None when FAQ_SYNC_INTERVAL is unset."""
        if settings.sync_interval is None:
            return None
        # with FAQ_DATABASE_URL the follower's database (app.state.published, closed after the sync stops), not a second pool
        syncer = Syncer(settings, open_sync_lock(settings), shared=app.state.published)
        app.state.sync = SyncState(settings.sync_interval)
        return cls(asyncio.create_task(sync_every(app, syncer, settings.sync_interval)), syncer)

    async def stop(self) -> None:
        """Stop ticking and release the lock (another process takes it at its next tick); a sync in progress is left to
        its daemon thread, which ends with the process."""
        self.task.cancel()
        await asyncio.wait({self.task}, timeout=5)
        self.syncer.close()


async def sync_every(app: FastAPI, syncer: Syncer, every: float) -> None:
    """Tick every `every` seconds (the first one `every` after the start: `faq serve` has just built or checked the index);
    one tick at a time, so a sync longer than the interval delays the next one."""
    while True:
        await asyncio.sleep(every)
        await in_daemon_thread(tick, app, syncer)


async def in_daemon_thread(work: Callable[[FastAPI, Syncer], T], app: FastAPI, syncer: Syncer) -> T:
    """`work` on a new daemon thread, awaited without blocking the loop."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if done.cancelled():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)  # type: ignore[arg-type]  # T when there is no error

    def run() -> None:
        result, error = None, None
        try:
            result = work(app, syncer)
        except BaseException as e:  # handed to the awaiting task, which re-raises it
            error = e
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:  # the loop closed meanwhile (the service stopped): nobody waits any more
            pass

    threading.Thread(target=run, name="faq-sync", daemon=True).start()
    return await done


def tick(app: FastAPI, syncer: Syncer) -> SyncState:
    """One tick on the sync thread: sync (or read the holder's last sync), swap a switched version in, record the state.
    Never raises: the task must outlive any one bad sync."""
    try:
        state = syncer.tick()
    except Exception as e:  # a bug, not a site or file problem (those are reports): said with its traceback, then shown
        log.exception("the scheduled sync failed")
        state = SyncState(app.state.sync.interval, holder=True, last=SyncReport(time.time(), 0.0, "failed", None, error=repr(e)),
                          ran=True)
    report = state.last
    if state.ran and report is not None:
        if report.outcome == "switched" and index_fingerprint(app.state.settings.index_dir) != app.state.service.source:
            try:
                reload(app)  # at once, not at the pointer watcher's next poll (which may be off)
            except Exception:
                log.exception("reloading the synced version failed")
        _log(report)
        app.state.metrics.synced(report)
    elif report is not None:  # the holder's, read from the database (another replica) or the shared folder
        app.state.metrics.last_sync(report)
    app.state.sync = state
    return state


def _log(report: SyncReport) -> None:
    pages = f", {report.pages_fetched} page(s) read ({report.pages_unchanged} unchanged, {report.pages_failed} failed)" \
        if report.pages_fetched or report.pages_failed else ""
    if report.outcome == "failed":
        log.warning("sync failed, still serving %s: %s", report.version, report.error)
    elif report.outcome == "switched":
        log.info("sync switched to %s in %.1f s%s: %d added, %d changed, %d removed, %d text(s) embedded", report.version,
                 report.seconds, pages, report.entries_added, report.entries_changed, report.entries_removed, report.texts_embedded)
    else:
        log.info("sync: nothing changed since %s%s", report.version, pages)
