"""Dependencies routes receive; tests swap them with `app.dependency_overrides`."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from faq.settings import Settings
from index.answer import Answerer
from feedback.store import FeedbackStore
from service.state import ServiceState
from service.team_session import COOKIE, valid


async def get_state(request: Request) -> ServiceState:
    return request.app.state.service


async def get_answerer(state: Annotated[ServiceState, Depends(get_state)]) -> Answerer:
    if state.answerer is None:
        raise HTTPException(status_code=503, detail=f"The service is not ready: {state.not_ready_reason}")
    return state.answerer


StateDep = Annotated[ServiceState, Depends(get_state)]


async def get_settings_of(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings_of)]
AnswererDep = Annotated[Answerer, Depends(get_answerer)]


async def get_feedback(state: StateDep) -> FeedbackStore:
    if state.feedback is None:
        raise HTTPException(status_code=503, detail="The feedback store is not available")
    return state.feedback


_bearer = HTTPBearer(auto_error=False)


async def require_admin(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    """Admin endpoints are off without a configured token; 401 without a token, 403 with a wrong one.

    The token comes as `Authorization: Bearer`, or as the team pages' signed session cookie (service.team_session).
    """
    configured = request.app.state.settings.admin_token
    if configured is None:
        raise HTTPException(status_code=403, detail="Admin endpoints are disabled. Set FAQ_ADMIN_TOKEN to enable them.")
    if credentials is None:
        if valid(request.cookies.get(COOKIE), configured.get_secret_value()):
            return
        raise HTTPException(status_code=401, detail="This endpoint needs 'Authorization: Bearer <admin token>' "
                                                    "or a team session (sign in at /team).",
                            headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(credentials.credentials.encode(), configured.get_secret_value().encode()):
        raise HTTPException(status_code=403, detail="The admin token is not valid.")


def trusted_scraper(host: str | None, allowed: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    """A loopback client, or one in a FAQ_METRICS_ALLOW network; a host that is no IP address (a Unix socket, a test client) is neither."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 from a dual-stack socket
    return address.is_loopback or any(address in network for network in allowed)


async def require_metrics_access(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    """/metrics is closed by default: open to loopback and FAQ_METRICS_ALLOW clients, to others only with the admin token."""
    settings: Settings = request.app.state.settings
    if trusted_scraper(request.client.host if request.client else None, settings.metrics_allow):
        return
    if settings.admin_token is None:
        raise HTTPException(status_code=403, detail="Metrics are served to loopback clients and FAQ_METRICS_ALLOW networks only "
                                                    "(or with the admin token; FAQ_ADMIN_TOKEN is not set).")
    await require_admin(request, credentials)


FeedbackDep = Annotated[FeedbackStore, Depends(get_feedback)]


@dataclass(frozen=True)
class Serving:
    """What an answering route needs, in one dependency: FastAPI's cost is per dependency, and the search box asks
    on every keystroke (four nested ones took a fifth of a cached question's time in the app)."""

    answerer: Answerer
    feedback: FeedbackStore
    settings: Settings


async def get_serving(request: Request) -> Serving:
    state: ServiceState = request.app.state.service
    return Serving(await get_answerer(state), await get_feedback(state), request.app.state.settings)


ServingDep = Annotated[Serving, Depends(get_serving)]
AdminDep = Annotated[None, Depends(require_admin)]
MetricsAccessDep = Annotated[None, Depends(require_metrics_access)]
