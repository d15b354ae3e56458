"""Every request, seen once: its route template, status and latency go to the metrics and to one JSON log line.

A route that answers questions says so with `note_answer`: the metrics count the question (answered
or refused, from the cache or not) and the log line gets `surface` and `answerable`. The question
text reaches the log only when FAQ_LOG_QUESTIONS is on: it is the customers' own words, and then redacted as
the query log is (faq.redact).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.routing import iter_route_contexts
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faq.redact import redact
from index.deciding.answer import Answer
from service.metrics import UNMATCHED, Metrics

access_log = logging.getLogger("faq.access")

_ANSWERS = "faq_answers"  # key in the request's state: [(surface, question, answerable), ...]
_VERSION = "faq_index_version"


def note_answer(request: Request, surface: str, answer: Answer, cached: bool, index_version: str) -> None:
    """A route answered one question (`cached`: from the answer cache): counted, and described in the request's log line."""
    request.app.state.metrics.observe_answer(surface, answer, cached)
    state = request.scope.setdefault("state", {})
    state.setdefault(_ANSWERS, []).append((surface, answer.question, answer.answerable))
    state[_VERSION] = index_version


def route_template(app: Any, scope: Scope, original: Scope) -> str:
    """The template of the route that served the request ("/v1/admin/phrasings/{phrasing_id}"), never the raw path.

    FastAPI leaves its route in the scope; a request answered before routing (413, 429), a mount (the
    static files) or a wrong method is matched again on the scope as it came in."""
    route = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return route.path
    for candidate in iter_route_contexts(app.routes):  # the included routers' routes, with their prefixes
        match, _ = candidate.matches(original)
        if match is not Match.NONE:
            template = candidate.path or UNMATCHED  # a route without a path (none of ours) has no template
            return f"{template}/{{path}}" if isinstance(candidate.original_route, Mount) else template
    return UNMATCHED


class ObserveRequests:
    """Times each HTTP request to its last byte; then metrics and the access log line (status 500 when the app raised)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, log_questions: bool = False,
                 redact: Callable[[str], str] = redact) -> None:
        self.app = app
        self.metrics = metrics
        self.log_questions = log_questions
        self.redact = redact

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        original = dict(scope)  # routing rewrites the scope (a mount's root_path): matched again on this when needed
        state = scope.setdefault("state", {})
        status = 500

        async def seen_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, seen_send)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope["app"], scope, original)
            self.metrics.observe_request(route, scope["method"], status, seconds)
            access_log.info("%s %s %s", scope["method"], route, status,
                            extra=self._fields(scope, state, route, status, seconds))

    def _fields(self, scope: Scope, state: dict, route: str, status: int, seconds: float) -> dict[str, Any]:
        client = scope.get("client")
        fields: dict[str, Any] = {
            "method": scope["method"], "route": route, "status": status, "latency_ms": round(seconds * 1000, 2),
            "index_version": state.get(_VERSION) or getattr(getattr(scope["app"].state, "service", None), "version", None), "client": client[0] if client else None,
        }
        answers = state.get(_ANSWERS)
        if answers:
            fields["surface"] = answers[0][0]
            fields["answerable"] = [answerable for _, _, answerable in answers]
            if self.log_questions:
                fields["questions"] = [self.redact(question) for _, question, _ in answers]
        return fields


_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,128}")


def valid_request_id(value: str) -> bool:
    """An incoming X-Request-ID is kept when it is 8 to 128 letters, digits, '.', '_' or '-' (nginx's $request_id is
    32 hex digits, a UUID 36 characters); anything else is replaced, so a log line never carries what a client injected."""
    return _REQUEST_ID.fullmatch(value) is not None
