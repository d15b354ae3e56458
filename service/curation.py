"""The team's rules in the service: loaded from the feedback store at start, and polled so that a change made on any
replica or worker applies here within `RULES_POLL_SECONDS` (one indexed read of the rules' version per poll).

The rules in force are one frozen `faq.curation.Rules` on `app.state.rules`, replaced in one assignment: a question
reads it once, at its start, and passes it to the answerer (never global state in the index).
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from faq.curation import NO_RULES, Rules
from faq.errors import FaqError
from feedback.store import FeedbackStore

log = logging.getLogger("faq.service")

RULES_POLL_SECONDS = 1.0  # the issue asks for every replica within 5 s; a poll is one indexed read


def load_rules(store: FeedbackStore | None) -> Rules:
    """The store's rules; none when there is no store or it cannot be read now (the next poll tries again)."""
    if store is None:
        return NO_RULES
    try:
        return store.rules()
    except (FaqError, OSError) as e:
        log.warning("cannot read the team's rules, answering without them for now: %s", e)
        return NO_RULES


def refresh_rules(app: FastAPI) -> Rules:
    """Read the rules again when their version moved (or now, after this worker changed them)."""
    store: FeedbackStore | None = app.state.service.feedback
    current: Rules = app.state.rules
    if store is None:
        return current
    try:
        if store.rules_version() == current.version:
            return current
    except (FaqError, OSError):
        return current  # said by the query route's 503s and /readyz; the rules in force stay
    app.state.rules = load_rules(store)
    log.info("team rules version %d in force (%d synonyms, %d pins, %d hidden)", app.state.rules.version,
             len(app.state.rules.synonyms), len(app.state.rules.pins), len(app.state.rules.hidden))
    return app.state.rules


async def watch_rules(app: FastAPI, every: float = RULES_POLL_SECONDS) -> None:
    """Poll the rules' version for the life of the app."""
    while True:
        await asyncio.sleep(every)
        try:
            await run_in_threadpool(refresh_rules, app)
        except Exception:  # the watcher outlives any one failure
            log.exception("refreshing the team's rules failed")
