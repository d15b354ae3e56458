"""One error format for every endpoint: {"error": {"code", "message", "details"}}; never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from faq.errors import DatabaseError, InvalidRequestError

log = logging.getLogger("faq.service")

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          413: "payload_too_large", 415: "unsupported_media_type", 422: "invalid_request", 429: "too_many_requests",
          503: "not_ready"}


def _body(status: int, message: str, details: list[dict] | None = None) -> dict:
    return {"error": {"code": _CODES.get(status, "error"), "message": message, "details": details or []}}


async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
    details = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        if err.get("type") == "json_invalid":
            loc, message = [], f"the request body is not valid JSON ({err.get('ctx', {}).get('error', 'parse error')})"
        details.append({"field": ".".join(loc) or "body", "message": message})
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details)
    return JSONResponse(status_code=422, content=_body(422, f"Invalid request. {summary}", details))


def _invalid_body(reason: str) -> JSONResponse:
    return JSONResponse(status_code=422, content=_body(422, f"Invalid request. body: {reason}", [{"field": "body", "message": reason}]))


def unparsable_body(exc: StarletteHTTPException) -> str | None:
    """Why a body could not be parsed, when `exc` is FastAPI's 400 for it (raised from the parser's own error), else None.

    Invalid UTF-8 and JSON nested deeper than the parser's recursion allows get that 400, with no detail and
    no field; every other unreadable body (malformed JSON) is a 422 naming the body, so these are too."""
    cause = exc.__cause__
    if exc.status_code != 400 or cause is None:
        return None
    if isinstance(cause, UnicodeDecodeError):
        return f"the request body is not valid UTF-8 ({cause.reason} at byte {cause.start}); send JSON encoded as UTF-8"
    if isinstance(cause, RecursionError):
        return "the request body is nested too deeply to parse; send the fields the schema lists"
    if isinstance(cause, ValueError):
        return f"the request body could not be parsed ({type(cause).__name__})"
    return None


async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    reason = unparsable_body(exc)
    if reason is not None:
        return _invalid_body(reason)
    return JSONResponse(status_code=exc.status_code, content=_body(exc.status_code, str(exc.detail)),
                        headers=getattr(exc, "headers", None))


async def _invalid(_: Request, exc: InvalidRequestError) -> JSONResponse:
    """A limit checked below the schema (faq.limits): the same 422 as a schema error."""
    return JSONResponse(status_code=422, content=_body(422, f"Invalid request. {exc}", [{"field": "body", "message": str(exc)}]))


async def _database(request: Request, exc: DatabaseError) -> JSONResponse:
    """PostgreSQL down or gone mid-call: 503 and a retry hint; the reason (host, no password) goes to the log only."""
    log.error("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(status_code=503, headers={"Retry-After": "5"},
                        content=_body(503, "The database is unavailable right now; try again in a few seconds."))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    # answered by Starlette's outermost middleware, past the one that adds X-Request-ID to every other response
    request_id = correlation_id.get()
    return JSONResponse(status_code=500, content=_body(500, "Internal error; it has been logged."),
                        headers={"X-Request-ID": request_id} if request_id else None)


E = TypeVar("E", bound=Exception)


def _handle(app: FastAPI, kind: type[E], handler: Callable[[Request, E], Awaitable[JSONResponse]]) -> None:
    """`handler` answers the `kind` errors: it is given only those, which Starlette's signature (any Exception) cannot say."""
    app.add_exception_handler(kind, handler)  # type: ignore[arg-type]


def install_error_handlers(app: FastAPI) -> None:
    _handle(app, RequestValidationError, _validation)
    _handle(app, StarletteHTTPException, _http)
    _handle(app, InvalidRequestError, _invalid)
    _handle(app, DatabaseError, _database)
    _handle(app, Exception, _unexpected)
