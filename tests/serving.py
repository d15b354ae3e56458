"""A service as the tests start one: a free loopback port for it, in a process of its own and the wait until it answers
/readyz (tests/test_robustness.py, tests/test_replicas_real.py, tests/fake_workers.py), or on a uvicorn server in a thread
of the test's process (`in_thread`: tests/test_eval_http.py, tests/test_probes.py, tests/browser/conftest.py)."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from starlette.types import ASGIApp


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


@contextmanager
def in_thread(app: ASGIApp, timeout: float = 120) -> Iterator[str]:
    """`app` served by uvicorn on a free port of 127.0.0.1 in a background thread until the block ends; yields its base
    URL once uvicorn has started. Raises AssertionError when the thread dies or `timeout` seconds pass first."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive():
            raise AssertionError("the uvicorn server thread died while starting")
        if time.monotonic() > deadline:
            raise AssertionError(f"the service did not start within {timeout:g} s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
