"""The team pages' sign-in: POST the admin token once, get a signed HttpOnly cookie (service.team_session)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, HTTPException, Request, Response

from service.deps import SettingsDep
from service.schemas import AdminStatus, ErrorResponse, SessionRequest
from service.team_session import COOKIE, clear_cookie, set_cookie, valid

router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.get("/session", response_model=AdminStatus)
def session_status(request: Request, settings: SettingsDep) -> AdminStatus:
    """Whether admin is on (FAQ_ADMIN_TOKEN set), and whether this browser is signed in."""
    token = settings.admin_token
    return AdminStatus(enabled=token is not None,
                       signed_in=token is not None and valid(request.cookies.get(COOKIE), token.get_secret_value()))


@router.post("/session", status_code=204, responses={403: {"model": ErrorResponse}})
def sign_in(body: SessionRequest, request: Request, settings: SettingsDep) -> Response:
    """Check the token and set the session cookie; the token travels in the body only, never in a URL."""
    if settings.admin_token is None:
        raise HTTPException(status_code=403, detail="Admin endpoints are disabled. Set FAQ_ADMIN_TOKEN to enable them.")
    configured = settings.admin_token.get_secret_value()
    if not hmac.compare_digest(body.token.encode(), configured.encode()):
        raise HTTPException(status_code=403, detail="The admin token is not valid.")
    response = Response(status_code=204)
    set_cookie(response, request, configured)
    return response


@router.delete("/session", status_code=204)
def sign_out(request: Request) -> Response:
    response = Response(status_code=204)
    clear_cookie(response, request)
    return response
