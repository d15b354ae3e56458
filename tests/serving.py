"""A service in a process of its own, as the tests start one: a free loopback port for it, and the wait until it answers
/readyz (tests/test_robustness.py, tests/test_replicas_real.py, tests/fake_workers.py)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx


def free_port() -> int:
    """A loopback port no process listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, timeout: float, process: subprocess.Popen | None = None, log: Path | Callable[[], str] | None = None,
               client: httpx.Client | None = None, every: float = 0.05, times: int = 1) -> None:
    """Polls `url`/readyz until it answers 200 `times` times in a row (several workers behind one port: without `client`,
    each poll on a new connection), `every` seconds apart while it does not. Raises AssertionError, with the end of
    `log` (a file, or what reads one), when `process` exits first or `timeout` seconds pass."""
    def tail() -> str:
        text = log() if callable(log) else log.read_text(errors="replace") if log is not None else ""
        return f":\n{text[-3000:]}" if text else ""

    if client is None:  # one client, each poll on a new connection: a client made per poll took ~40 ms of CPU (its TLS context)
        with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0)) as fresh:
            return wait_ready(url, timeout, process, log, fresh, every, times)
    ready, deadline = 0, time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{url} exited ({process.returncode}) before it was ready{tail()}")
        try:
            ready = ready + 1 if client.get(f"{url}/readyz", timeout=5).status_code == 200 else 0
        except httpx.TransportError:
            ready = 0
        if ready >= times:
            return
        if not ready:
            time.sleep(every)
    raise AssertionError(f"{url} not ready in {timeout:g} s{tail()}")
