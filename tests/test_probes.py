"""Health probes answer at once, even when every thread of the pool is busy answering questions.

A real uvicorn server on 127.0.0.1 (in a thread): the questions' embedding blocks on an event until the
probe has answered, so a probe queued behind them on the thread pool would never come back in time.
"""

import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest

from faq.settings import Settings
from service import create_app

from conftest import CORPUS
from fakes import FakeEmbedder, fake_use
from serving import in_thread, wait_ready

POOL = 40  # anyio's default thread limiter: the threads run_in_threadpool (and sync handlers) share
CLIENTS = 48  # as in the report: more questions in flight than the pool has threads


class GatedEmbedder(FakeEmbedder):
    """The primary fake, whose question embedding waits on `gate` once `armed`; `blocked` counts the waiting ones."""

    def __init__(self) -> None:
        super().__init__()
        self.gate, self.armed = threading.Event(), False
        self.blocked, self._lock = 0, threading.Lock()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if self.armed:
            with self._lock:
                self.blocked += 1
            self.gate.wait(timeout=120)
        return super().encode_queries(texts)


@pytest.fixture
def busy_server(fake_index_dir, tmp_path) -> Iterator[tuple[str, GatedEmbedder]]:
    """A server whose thread pool is full of questions blocked in the model; yields its URL and the model."""
    model = GatedEmbedder()
    settings = Settings(index_dir=fake_index_dir, corpus=CORPUS, data_dir=tmp_path, rate_limit_per_minute=0, reload_poll_seconds=0)
    with in_thread(create_app(settings, models=[model, fake_use()]), 60) as base:
        wait_ready(base, 60)
        model.armed = True
        # one client for the 48 threads, a connection each: a client per request spent ~35 ms loading CA certificates
        with httpx.Client(timeout=120, limits=httpx.Limits(max_connections=CLIENTS)) as http, ThreadPoolExecutor(CLIENTS) as clients:
            asked = [clients.submit(http.post, f"{base}/v1/query", json={"question": f"garantie numéro {i}"})
                     for i in range(CLIENTS)]
            deadline = time.monotonic() + 60
            while model.blocked < POOL and time.monotonic() < deadline:
                time.sleep(0.01)
            try:
                yield base, model
            finally:
                model.gate.set()
                assert [a.result().status_code for a in asked] == [200] * CLIENTS


@pytest.mark.parametrize("probe", ["/healthz", "/readyz"])
def test_probe_answers_while_every_pool_thread_is_busy(busy_server, probe):
    base, model = busy_server
    assert model.blocked == POOL  # the pool is full: the other questions wait for a thread
    response = httpx.get(f"{base}{probe}", timeout=10)
    assert response.status_code == 200
    assert not model.gate.is_set()  # answered while the questions were still blocked
