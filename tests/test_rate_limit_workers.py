"""FAQ_RATE_LIMIT_PER_MINUTE and FAQ_RATE_LIMIT_BURST are the limit per client address for the whole service:
with `faq serve --workers N`, each worker process enforces its 1/N share."""

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from conftest import ROOT
from faq.settings import Settings
from service.middleware import RateLimit, per_worker

FAKE_WORKERS = ("import sys; sys.path.insert(0, 'tests'); from service.workers import serve_workers; "
                "serve_workers('fake_asgi:app', 2, host='127.0.0.1', port=int(sys.argv[1]))")


def test_one_worker_enforces_the_whole_limit():
    assert per_worker(600, 60, workers=1) == (600, 60)


def test_two_workers_each_enforce_half_of_the_limit():
    assert per_worker(600, 60, workers=2) == (300, 30)


def test_a_worker_s_burst_never_falls_below_one_request():
    assert per_worker(600, 3, workers=4) == (150, 1)


def test_the_app_takes_its_share_from_the_workers_setting(fake_index_dir, fake_models, tmp_path):
    from service import create_app

    app = create_app(Settings(index_dir=fake_index_dir, data_dir=tmp_path, rate_limit_per_minute=600, rate_limit_burst=60,
                              workers=2), models=fake_models)
    [limit] = [m for m in app.user_middleware if m.cls is RateLimit]
    assert (limit.kwargs["per_minute"], limit.kwargs["burst"]) == (300, 30)


def test_faq_serve_says_each_worker_s_share_of_the_limit():
    from cli.main import rate_limit_line

    line = rate_limit_line(Settings(rate_limit_per_minute=600, rate_limit_burst=60, workers=2, _env_file=None))
    assert line == "rate limit per client address: 600/min, burst 60, shared out: 300/min, burst 30 in each of 2 workers"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # two worker processes start: ~10-20 s
def test_two_workers_together_let_through_no_more_than_the_burst(fake_index_dir, tmp_path):
    port, burst, asked = _free_port(), 10, 40
    env = {**os.environ, "FAQ_INDEX_DIR": str(fake_index_dir), "FAQ_DATA_DIR": str(tmp_path), "FAQ_RELOAD_POLL_SECONDS": "0",
           "FAQ_RATE_LIMIT_PER_MINUTE": "1", "FAQ_RATE_LIMIT_BURST": str(burst), "PYTHONPATH": str(ROOT)}
    env.pop("FAQ_WORKERS", None)
    proc = subprocess.Popen([sys.executable, "-c", FAKE_WORKERS, str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        ready, deadline = 0, time.monotonic() + 90
        while ready < 8 and time.monotonic() < deadline:  # both workers up: several ready answers on new connections
            try:
                ready = ready + 1 if httpx.get(f"{base}/readyz").status_code == 200 else 0
            except httpx.TransportError:
                time.sleep(0.2)
        statuses = [httpx.get(f"{base}/v1/helpcenter").status_code for _ in range(asked)]  # a new connection each
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    assert set(statuses) == {200, 429}
    assert statuses.count(200) <= burst  # 1 a minute refills nothing meanwhile; each worker's own limit let 2 × burst through
