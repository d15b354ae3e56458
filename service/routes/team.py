"""The team's sign-in: POST the admin or agent token once, get a signed HttpOnly cookie (service.team_session)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from service.deps import SettingsDep, StateDep, check_origin, role_of_token, session_of
from service.schemas import AdminStatus, ErrorResponse, SessionRequest
from service.team_session import clear_cookie, set_cookie

router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.get("/session", response_model=AdminStatus)
def session_status(request: Request, settings: SettingsDep) -> AdminStatus:
    """Whether admin is on (FAQ_ADMIN_TOKEN set), whether this browser is signed in, and as what."""
    session = session_of(request)
    return AdminStatus(enabled=settings.admin_token is not None, signed_in=session is not None,
                       role=session.role if session else None)


@router.post("/session", status_code=204, responses={403: {"model": ErrorResponse}})
def sign_in(body: SessionRequest, request: Request, settings: SettingsDep) -> Response:
    """Check the token (the admin token, or FAQ_AGENT_TOKEN for the agent panel) and set the session cookie;
    the token travels in the body only, never in a URL."""
    if settings.admin_token is None:
        raise HTTPException(status_code=403, detail="Admin endpoints are disabled. Set FAQ_ADMIN_TOKEN to enable them.")
    role = role_of_token(body.token, settings)
    if role is None:
        raise HTTPException(status_code=403, detail="The token is not valid.")
    response = Response(status_code=204)
    set_cookie(response, request, settings.admin_token.get_secret_value(), role)
    return response


@router.delete("/session", status_code=204, responses={403: {"model": ErrorResponse}})
def sign_out(request: Request, state: StateDep) -> Response:
    """Sign this session out everywhere: the cookie is cleared here and refused from now on by every worker and
    replica, should a copy of it be sent again."""
    session = session_of(request)
    if session is not None:
        check_origin(request)
        if state.feedback is not None:
            state.feedback.revoke_session(session.id, session.expiry)
    response = Response(status_code=204)
    clear_cookie(response, request)
    return response
