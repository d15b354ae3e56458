"""`faq ask` over HTTP: ask a running service instead of loading the models in this process."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from faq.errors import FaqError


@dataclass(frozen=True)
class Passage:
    rank: int
    section: str
    question: str
    score: float
    text: str
    document: str


@dataclass(frozen=True)
class Reply:
    """What `faq ask` prints, wherever the answer came from."""

    answerable: bool
    confidence: float
    short_answer: str | None
    passages: list[Passage]


class ServiceError(FaqError):
    """The service answered with an error; carries its message."""


def default_url(host: str, port: int) -> str:
    """The address of `faq serve` on this machine (a wildcard listen address is reached on loopback)."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def ask_service(base_url: str, question: str, top_k: int, ready_timeout: float = 0.3, timeout: float = 10.0) -> Reply | None:
    """POST /v1/query on the service at base_url; None when no ready service answers there (then ask in process).

    Raises ServiceError with the service's own message when it refuses the question (4xx) or fails (5xx)."""
    base = base_url.rstrip("/")
    try:
        with httpx.Client(base_url=base, timeout=ready_timeout, trust_env=False) as client:
            if client.get("/readyz").status_code != 200:
                return None
            response = client.post("/v1/query", json={"question": question, "top_k": top_k}, timeout=timeout)
    except httpx.HTTPError:
        return None
    if response.status_code >= 400:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text.strip() or response.reason_phrase
        raise ServiceError(f"{base} answered {response.status_code}: {message}")
    body = response.json()
    answer = body.get("answer")
    return Reply(
        answerable=bool(body["answerable"]),
        confidence=float(body["confidence"]),
        short_answer=answer["text"] if answer else None,
        passages=[Passage(r["rank"], r["section"], r["question"], r["score"], r["passage"], r["document"]) for r in body["results"]],
    )
