"""GET /metrics: the Prometheus text format, for a scraper on this machine, on FAQ_METRICS_ALLOW networks, or with the admin token."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from service.deps import MetricsAccessDep
from service.metrics import CONTENT_TYPE_LATEST

router = APIRouter(tags=["ops"])


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, _: MetricsAccessDep) -> Response:
    """Requests, latency, stages, answer cache, answered and refused questions, the served index (see the README's "Metrics")."""
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
