"""A load run against a service on this machine: N concurrent clients for a fixed time, then stop.

Loopback only, bounded in time and in request count, so it can never flood anything else.

    python -m benchmarks.load [--url http://127.0.0.1:8000] [-c 1 -c 8 -c 32] [--seconds 60] [--repeated]
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import time
from collections import Counter
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlparse

import httpx
import numpy as np
import typer

from cli.shell import console, fail
from faq.errors import FaqError, InvalidRequestError

QUESTIONS = [
    "Combien de temps dure la garantie ?", "Quels moyens de paiement acceptez-vous ?", "où est mon colis",
    "How long does delivery take?", "je veux annuler ma commande", "la réparation est payante ?",
    "¿Cuánto cuesta el envío?", "Wie kann ich meine Uhr zurückgeben?", "quand serai-je remboursé",
    "ma montre est arrivée cassée", "Quel temps fera-t-il demain ?", "livraison gratuite ?",
]


@dataclass(frozen=True)
class LoadResult:
    clients: int
    seconds: float
    requests: int
    errors: dict[str, int]
    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


def check_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise InvalidRequestError(f"load runs only against this machine (127.0.0.1, localhost, ::1); got {host!r}. Point --url at a service here.")


async def _client(http: httpx.AsyncClient, deadline: float, budget: list[int], latencies: list[float], errors: Counter,
                  seed: int, unique: bool) -> None:
    rng = random.Random(seed)
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        question = rng.choice(QUESTIONS)
        if unique:  # a number the cache has not seen: every request pays for embedding
            question = f"{question} {rng.randrange(10**9)}"
        started = time.perf_counter()
        try:
            response = await http.post("/v1/query", json={"question": question, "top_k": 5})
            if response.status_code != 200:
                errors[str(response.status_code)] += 1
                continue
        except httpx.HTTPError as e:
            errors[type(e).__name__] += 1
            continue
        latencies.append((time.perf_counter() - started) * 1000)


async def run_load(url: str, clients: int, seconds: float, max_requests: int = 200_000, unique: bool = True) -> LoadResult:
    check_loopback(url)
    latencies: list[float] = []
    errors: Counter = Counter()
    budget = [max_requests]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url.rstrip("/"), timeout=30, limits=limits) as http:
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(*(_client(http, deadline, budget, latencies, errors, i, unique) for i in range(clients)))
        elapsed = time.monotonic() - started
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99]) if latencies else (0.0, 0.0, 0.0)
    return LoadResult(clients, round(elapsed, 2), len(latencies) + sum(errors.values()), dict(errors),
                      round(len(latencies) / elapsed, 1), round(float(p50), 1), round(float(p95), 1), round(float(p99), 1))


app = typer.Typer(add_completion=False, help="Drive a running service with concurrent clients for a fixed time (loopback only).")


@app.command()
def main(
    url: Annotated[str, typer.Option(help="a service on this machine")] = "http://127.0.0.1:8000",
    clients: Annotated[list[int], typer.Option("--clients", "-c", help="concurrent clients (repeatable)")] = [1, 8, 32],  # noqa: B006
    seconds: Annotated[float, typer.Option(min=1, max=600)] = 60.0,
    max_requests: Annotated[int, typer.Option(min=1, max=1_000_000)] = 200_000,
    unique: Annotated[bool, typer.Option("--unique/--repeated", help="new questions (embedding every time) or a fixed set (cache hits)")] = True,
) -> None:
    """Drive a running service with concurrent clients for a fixed time (loopback only); report throughput and latency."""
    from rich.table import Table

    try:
        check_loopback(url)  # before any event loop: refused in one line, whatever runs around the command
    except FaqError as e:
        fail(e)
    table = Table("clients", "seconds", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors")
    for n in clients:
        try:
            r = asyncio.run(run_load(url, n, seconds, max_requests, unique))
        except FaqError as e:
            fail(e)
        table.add_row(str(n), str(r.seconds), str(r.requests), str(r.throughput), str(r.p50_ms), str(r.p95_ms),
                      str(r.p99_ms), ", ".join(f"{k}: {v}" for k, v in r.errors.items()) or "0")
    console.print(table)


if __name__ == "__main__":
    app()
