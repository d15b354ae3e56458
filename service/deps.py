"""Dependencies routes receive; tests swap them with `app.dependency_overrides`."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool

from faq.curation import NO_RULES, Rules
from faq.settings import Settings
from feedback.store import FeedbackStore
from index.deciding.answer import Answerer
from service.state import ServiceState
from service.team_session import COOKIE, Role, Session, parse


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


bearer = HTTPBearer(auto_error=False)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def session_of(request: Request) -> Session | None:
    """The request's team session: signed by this admin token, unexpired and not signed out (on any replica)."""
    configured = request.app.state.settings.admin_token
    if configured is None:
        return None
    session = parse(request.cookies.get(COOKIE), configured.get_secret_value())
    store = request.app.state.service.feedback
    if session is None or store is None or store.session_revoked(session.id):
        return None  # without the store, a revocation cannot be checked: the session is not trusted
    return session


def check_origin(request: Request) -> None:
    """A write carried by the session cookie must come from a page of this service: SameSite=Strict does not stop
    another site on the same host (another port), whose no-cors POST still sends the cookie. Browsers send Origin on
    every such write; a request without it (and without Sec-Fetch-Site: same-origin) is refused."""
    if request.method in _SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is None:
        if request.headers.get("sec-fetch-site") == "same-origin":
            return
    elif urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower():
        return
    raise HTTPException(status_code=403, detail="A write with the team session cookie must come from this service's own "
                                                "pages (its Origin header did not match). Scripts send 'Authorization: Bearer <token>' instead.")


def role_of_token(token: str, settings: Settings) -> Role | None:
    """Whose token this is (admin or agent), compared in constant time; None for neither."""
    given = token.encode()
    tokens: tuple[tuple[Role, SecretStr | None], ...] = (("admin", settings.admin_token), ("agent", settings.agent_token))
    for role, secret in tokens:
        if secret is not None and hmac.compare_digest(given, secret.get_secret_value().encode()):
            return role
    return None


def _require(request: Request, credentials: HTTPAuthorizationCredentials | None, roles: frozenset[str], what: str) -> None:
    settings: Settings = request.app.state.settings
    if settings.admin_token is None:
        raise HTTPException(status_code=403, detail="Admin endpoints are disabled. Set FAQ_ADMIN_TOKEN to enable them.")
    if credentials is not None:
        role = role_of_token(credentials.credentials, settings)
        if role is None:
            raise HTTPException(status_code=403, detail="The token is not valid.")
        if role not in roles:
            raise HTTPException(status_code=403, detail=f"The agent token cannot {what}; use the admin token.")
        return
    session = session_of(request)
    if session is None:
        raise HTTPException(status_code=401, detail=f"To {what}, send 'Authorization: Bearer <token>' or sign in "
                                                    f"(the team pages at /team, the agent panel at /agent).",
                            headers={"WWW-Authenticate": "Bearer"})
    if session.role not in roles:
        raise HTTPException(status_code=403, detail=f"An agent session cannot {what}; sign in with the admin token.")
    check_origin(request)


def require_admin(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
    """Admin endpoints are off without a configured token; 401 without a token, 403 with a wrong one.

    Not `async`: a session is checked against the feedback store (a network round trip with PostgreSQL), so FastAPI
    runs it on the thread pool, never on the event loop.

    The token comes as `Authorization: Bearer`, or as the team pages' signed session cookie (service.team_session).
    """
    _require(request, credentials, frozenset({"admin"}), "use this endpoint")


def require_agent(request: Request, credentials: HTTPAuthorizationCredentials | None) -> None:
    """An agent (FAQ_AGENT_TOKEN, or the admin token) by bearer token or session: who may mark an answer `used`,
    which proposes the question as a phrasing to the team."""
    _require(request, credentials, frozenset({"admin", "agent"}), "mark an answer used")


def trusted_scraper(host: str | None, allowed: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    """A loopback client, or one in a FAQ_METRICS_ALLOW network; a host that is no IP address (a Unix socket, a test client) is neither."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 from a dual-stack socket
    return address.is_loopback or any(address in network for network in allowed)


async def require_metrics_access(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
    """/metrics is closed by default: open to loopback and FAQ_METRICS_ALLOW clients, to others only with the admin token."""
    settings: Settings = request.app.state.settings
    if trusted_scraper(request.client.host if request.client else None, settings.metrics_allow):
        return
    if settings.admin_token is None:
        raise HTTPException(status_code=403, detail="Metrics are served to loopback clients and FAQ_METRICS_ALLOW networks only "
                                                    "(or with the admin token; FAQ_ADMIN_TOKEN is not set).")
    await run_in_threadpool(require_admin, request, credentials)  # a scrape from a trusted network never waits for the pool


FeedbackDep = Annotated[FeedbackStore, Depends(get_feedback)]


@dataclass(frozen=True)
class Serving:
    """What an answering route needs, in one dependency: FastAPI's cost is per dependency, and the search box asks
    on every keystroke (four nested ones took a fifth of a cached question's time in the app)."""

    answerer: Answerer
    feedback: FeedbackStore
    settings: Settings
    rules: Rules = NO_RULES  # the team's rules in force when the request came (service.curation)


async def get_serving(request: Request) -> Serving:
    state: ServiceState = request.app.state.service
    return Serving(await get_answerer(state), await get_feedback(state), request.app.state.settings, request.app.state.rules)


ServingDep = Annotated[Serving, Depends(get_serving)]
AdminDep = Annotated[None, Depends(require_admin)]
MetricsAccessDep = Annotated[None, Depends(require_metrics_access)]
