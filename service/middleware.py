"""Protections in front of every route: body size, rate limit, security headers, CORS.

Plain ASGI middlewares, so an oversized body is refused before anything reads or parses it.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> tuple[dict, bytes]:
    body = json.dumps({"error": {"code": code, "message": message, "details": []}}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return {"type": "http.response.start", "status": status, "headers": raw}, body


class BodyLimit:
    """413 for a body over `max_bytes`, by Content-Length or, when chunked, by counting as it arrives."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(send)
        seen = 0
        started = refused = False

        async def counting_receive() -> Message:
            # past the limit: answer 413 now and tell the app the client left, so it stops reading
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes and not started:
                    refused = True
                    await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, send: Send) -> None:
        start, body = _error(413, "payload_too_large", f"The request body is larger than {self.max_bytes} bytes.")
        await send(start)
        await send({"type": "http.response.body", "body": body})


def rate_limited(path: str) -> bool:
    """Whether RateLimit counts requests to `path`: the API; pages and health probes are not limited."""
    return path.startswith("/v1/")


def per_worker(per_minute: int, burst: int, workers: int) -> tuple[float, float]:
    """One worker process's share of the service's limit per client address, (per minute, burst).

    Each of `faq serve --workers N` keeps its own buckets: with the whole limit each, a client spread over
    the workers got N times it. A burst share is at least one request, or a worker would refuse everything.
    """
    return per_minute / workers, max(1.0, burst / workers)


class RateLimit:
    """A token bucket per client address: `per_minute` requests a minute, bursts up to `burst`; 429 with Retry-After.

    Only the API is limited (paths under /v1/); pages and health probes are not. The buckets are this process's:
    with several workers, give each its share (per_worker).
    """

    def __init__(self, app: ASGIApp, per_minute: float, burst: float, max_clients: int = 50_000) -> None:
        self.app = app
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def _take(self, client: str) -> float:
        """0 when allowed, else the seconds until a token is free."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[client] = (tokens - 1 if tokens >= 1 else tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        return wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not rate_limited(scope["path"]):
            return await self.app(scope, receive, send)
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self._take(client)
        if wait > 0:
            retry = str(max(1, math.ceil(wait)))
            start, body = _error(429, "too_many_requests", f"Too many requests; retry in {retry} s.", {"Retry-After": retry})
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class SecurityHeaders:
    """nosniff and no-referrer everywhere; the pages also get a CSP that allows only the service's own files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        is_page = path in ("/", "/agent", "/team", "/docs") or path.startswith(("/static/", "/team/", "/docs-assets/"))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
                if is_page:
                    headers += [(b"content-security-policy", PAGE_CSP.encode()), (b"x-frame-options", b"DENY")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
