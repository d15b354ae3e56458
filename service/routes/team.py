"""The team's sign-in: POST the admin or agent token once, get a signed HttpOnly cookie (service.team_session); and the
last regression check `faq ingest` ran before switching versions, for the team's home page (with FAQ_DATABASE_URL the
database's, so every replica shows the check whichever host ran it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel

from service.deps import AdminDep, SettingsDep, StateDep, check_origin, role_of_token, session_of
from service.schemas import AdminStatus, ErrorResponse, SessionRequest
from service.team_session import clear_cookie, set_cookie
from usecases.regression_check import shown_check

router = APIRouter(prefix="/v1/admin", tags=["admin"])


class LastCheck(BaseModel):
    """`check`: the summary `faq ingest --json` prints (usecases.regression_check.CheckReport.summary); null before any."""

    check: dict[str, Any] | None


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


@router.get("/check", response_model=LastCheck, responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse},
                                                          503: {"model": ErrorResponse}})
def last_regression_check(request: Request, settings: SettingsDep, _: AdminDep) -> LastCheck:
    """The last regression check `faq ingest` ran before switching versions: scores before and after, what moved, the verdict."""
    return LastCheck(check=shown_check(settings.index_dir, request.app.state.published))
