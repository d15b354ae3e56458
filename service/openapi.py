"""The limits the middlewares enforce (service.middleware) in the OpenAPI document, declared once for every route
they apply to: 413 where a body is read, 429 on the rate-limited paths. The middlewares answer before any route
runs, so the routes' own `responses` cannot say it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from service.middleware import rate_limited
from service.schemas import ErrorResponse

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}


def document_limits(app: FastAPI, max_body_bytes: int, rate_limit: bool) -> None:
    """Make `app.openapi()` add the limits' responses to the schema FastAPI generates (and caches)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_limits(generate(), max_body_bytes, rate_limit)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the document


def with_limits(schema: dict[str, Any], max_body_bytes: int, rate_limit: bool) -> dict[str, Any]:
    """`schema` with 413 on every operation that takes a body and, when `rate_limit`, 429 on every rate-limited path."""
    too_large = {"description": f"The body is larger than {max_body_bytes} bytes (FAQ_MAX_BODY_BYTES)", "content": _ERROR}
    too_many = {"description": "Past the client's rate limit (FAQ_RATE_LIMIT_PER_MINUTE, FAQ_RATE_LIMIT_BURST)",
                "headers": {"Retry-After": {"description": "seconds until a request will be accepted",
                                            "schema": {"type": "integer"}}},
                "content": _ERROR}
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                responses.setdefault("413", too_large)
            if rate_limit and rate_limited(path):
                responses.setdefault("429", too_many)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "ErrorResponse" not in components:  # every route that declares errors references it already; added if none does
        error = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(error.pop("$defs", {}))
        components["ErrorResponse"] = error
    return schema
