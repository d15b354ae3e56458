"""The support team's sign-in: a signed, expiring cookie, so the admin token never sits in a URL, a page or a log.

The cookie holds `expiry.signature`, an HMAC-SHA256 keyed by a key derived from the admin token:
changing FAQ_ADMIN_TOKEN signs everyone out, and nothing needs storing server side. HttpOnly (page
scripts cannot read it), SameSite=Strict (another site cannot make the browser send it: no CSRF),
Secure when served over https.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from fastapi import Request, Response

COOKIE = "faq_team_session"
TTL_SECONDS = 8 * 3600  # a working day


def _key(admin_token: str) -> bytes:
    return hmac.new(admin_token.encode(), b"faq team session v1", hashlib.sha256).digest()


def sign(admin_token: str, now: float | None = None) -> str:
    expiry = str(int((time.time() if now is None else now) + TTL_SECONDS))
    return f"{expiry}.{hmac.new(_key(admin_token), expiry.encode(), hashlib.sha256).hexdigest()}"


def valid(value: str | None, admin_token: str, now: float | None = None) -> bool:
    """True for a cookie this token signed that has not expired."""
    if not value or "." not in value:
        return False
    expiry, signature = value.split(".", 1)
    if not expiry.isdigit():
        return False
    expected = hmac.new(_key(admin_token), expiry.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature.encode(), expected.encode()) and int(expiry) > (time.time() if now is None else now)


def set_cookie(response: Response, request: Request, admin_token: str) -> None:
    response.set_cookie(COOKIE, sign(admin_token), max_age=TTL_SECONDS, path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https")
