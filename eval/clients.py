"""The two ways to ask the system under test: in this process, or over HTTP like the team's scripts."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import httpx


@dataclass(frozen=True)
class Prediction:
    """What one question got back: entry ids best first, the text shown first, and the answer decision."""

    ranked: list[str]
    top_passage: str | None
    short_answer: str | None
    answerable: bool
    confidence: float | None
    top_score: float | None
    latency_ms: float
    lang: str = ""  # the first result's language (what a multilingual FAQ answered in)


Client = Callable[[str], Prediction]


def in_process(ask: Callable[[str], Prediction]) -> Client:
    """Time a local callable end to end (embedding, search, fusion, answer)."""

    def run(question: str) -> Prediction:
        started = time.perf_counter()
        p = ask(question)
        took = (time.perf_counter() - started) * 1000
        return replace(p, latency_ms=took)

    return run


def over_http(base_url: str, top_k: int = 10, timeout: float = 30.0, max_waits: int = 30) -> Client:
    """POST /v1/query on a running service; latency is the full round trip of the request that was answered.

    A 429 (the service's rate limit, 10 a second per client by default: a fast service answers an eval set
    faster than that) is waited out as its Retry-After says, up to `max_waits` times, then raised."""
    client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def run(question: str) -> Prediction:
        for _ in range(max_waits):
            started = time.perf_counter()
            response = client.post("/v1/query", json={"question": question[:1000], "top_k": top_k})
            took = (time.perf_counter() - started) * 1000
            if response.status_code != 429:
                break
            time.sleep(float(response.headers.get("Retry-After", "1")))
        response.raise_for_status()
        body = response.json()
        results = body["results"]
        answer = body.get("answer") or {}
        return Prediction(
            ranked=[r["entry_id"] for r in results],
            top_passage=results[0]["passage"] if results else None,
            short_answer=answer.get("text") if isinstance(answer, dict) else None,
            answerable=bool(body.get("answerable", True)),
            confidence=body.get("confidence"),
            top_score=results[0]["score"] if results else None,
            latency_ms=took,
            lang=results[0].get("lang", "") if results else "",
        )

    return run


def served_entry_ids(base_url: str, timeout: float = 30.0) -> set[str]:
    """The entry ids a running service answers from (GET /v1/documents), to check a questions file labels its corpus."""
    response = httpx.get(base_url.rstrip("/") + "/v1/documents", timeout=timeout)
    response.raise_for_status()
    return {q["entry_id"] for d in response.json()["documents"] for s in d["sections"] for q in s["questions"]}
