"""`faq eval` over HTTP against a real uvicorn server on 127.0.0.1, as the team's scripts call it."""

import socket
import threading
import time

import pytest
import uvicorn

from eval.clients import over_http
from eval.datasets import load_dataset
from eval.run import evaluate
from faq.settings import Settings
from service import create_app


@pytest.fixture(scope="module")
def base_url(index_dir, tmp_path_factory):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(Settings(index_dir=index_dir, data_dir=tmp_path_factory.mktemp("data"))), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_http_eval_scores_the_running_service(base_url):
    evalset = load_dataset("watch-faq").split("test")
    run = evaluate(evalset, over_http(base_url), "http", show_progress=False)
    overall = run["overall"]
    assert overall["questions"] == len(evalset.queries)
    assert overall["hit@1"] >= 0.70
    assert overall["abstention_recall"] > 0.5  # the service's own calibrated "no answer" is what is measured
    assert overall["latency_ms"]["p50"] > 0
    assert set(run["by_kind"]) >= {"crosslingual", "out_of_scope", "typo"}
