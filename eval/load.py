"""A load run against a service on this machine: N concurrent clients for a fixed time, then stop.

Loopback only, bounded in time and in request count, so it can never flood anything else.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import time
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlparse

import httpx
import numpy as np

from faq.errors import InvalidRequestError

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
