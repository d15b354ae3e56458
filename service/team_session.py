"""The team's sign-in: a signed, expiring cookie, so a token never sits in a URL, a page or a log.

The cookie holds `role.id.expiry.signature`, an HMAC-SHA256 keyed by a key derived from the admin
token: changing FAQ_ADMIN_TOKEN signs everyone out. `role` is `admin` (signed in with the admin
token: the team pages) or `agent` (FAQ_AGENT_TOKEN: the agent panel's verdicts). `id` is random:
signing out records it as revoked in the feedback store, which every worker and replica reads, so
a copied cookie stops working at sign-out, not at its expiry. HttpOnly (page scripts cannot read
it), SameSite=Strict, Secure over https; writes made with the cookie must also come from the
service's own origin (service.deps.check_origin): SameSite does not stop another port of the same host.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Literal

from fastapi import Request, Response

COOKIE = "faq_team_session"
TTL_SECONDS = 8 * 3600  # a working day
Role = Literal["admin", "agent"]
ROLES: tuple[Role, ...] = ("admin", "agent")


@dataclass(frozen=True)
class Session:
    role: Role
    id: str
    expiry: int


def _key(admin_token: str) -> bytes:
    return hmac.new(admin_token.encode(), b"faq team session v2", hashlib.sha256).digest()


def _signature(admin_token: str, payload: str) -> str:
    return hmac.new(_key(admin_token), payload.encode(), hashlib.sha256).hexdigest()


def sign(admin_token: str, role: Role = "admin", now: float | None = None) -> str:
    payload = f"{role}.{secrets.token_hex(16)}.{int((time.time() if now is None else now) + TTL_SECONDS)}"
    return f"{payload}.{_signature(admin_token, payload)}"


def parse(value: str | None, admin_token: str, now: float | None = None) -> Session | None:
    """The session a cookie this token signed holds, unexpired; None otherwise (revocation is the store's to say)."""
    parts = (value or "").split(".")
    if len(parts) != 4:
        return None
    role, session_id, expiry, signature = parts
    if role not in ROLES or not expiry.isdigit():
        return None
    if not hmac.compare_digest(signature.encode(), _signature(admin_token, f"{role}.{session_id}.{expiry}").encode()):
        return None
    if int(expiry) <= (time.time() if now is None else now):
        return None
    return Session(role, session_id, int(expiry))


def set_cookie(response: Response, request: Request, admin_token: str, role: Role = "admin") -> None:
    response.set_cookie(COOKIE, sign(admin_token, role), max_age=TTL_SECONDS, path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https")
