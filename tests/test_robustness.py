"""Bad input, floods, re-indexing while serving, and crashes: the service keeps answering."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from faq.settings import Settings
from feedback.store import SQLITE_FILE
from index import build_index, load_index
from index.disk.versions import current_version, new_version_path, switch, versions
from ingest import load_corpus
from service import create_app

from conftest import ADMIN_TOKEN, ROOT, calibrate_label_free
from fakes import FakeEmbedder, fake_use
from serving import free_port, wait_ready

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
OTHER_FAQ = """# Other shop

## Delivery

### Do you deliver on Sundays?
No, deliveries run Monday to Saturday.

### Can I pick up my order in store?
Yes, at any of our three stores, free of charge.
"""


def test_oversized_body_is_413_before_parsing(fake_client):
    response = fake_client.post("/v1/query", content=b'{"question": "' + b"x" * 70_000 + b'"}',
                           headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_oversized_chunked_body_is_413(fake_client):
    chunks = (b"x" * 16_384 for _ in range(8))
    response = fake_client.post("/v1/query", content=chunks, headers={"content-type": "application/json"})
    assert response.status_code == 413


@pytest.mark.parametrize("body", [b"[]", b'"question"', b"null", b'{"question": ["a"]}', b"\xff\xfe"])
def test_wrong_shapes_are_4xx_never_500(fake_client, body):
    response = fake_client.post("/v1/query", content=body, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["message"]


@pytest.mark.parametrize("body, reason", [
    (b'{"question": "caf\xe9 ?"}', "the request body is not valid UTF-8"),  # Latin-1, as an old form would send it
    (b"[" * 10_000 + b"]" * 10_000, "the request body is nested too deeply"),
    (b'{"question": ' + b'{"a":' * 10_000 + b"1" + b"}" * 10_000 + b"}", "the request body is nested too deeply"),
])
def test_an_unparsable_body_is_422_in_the_validation_error_shape(fake_client, body, reason):
    response = fake_client.post("/v1/query", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    invalid = fake_client.post("/v1/query", json={"question": ""}).json()["error"]  # a schema error, for its shape
    error = response.json()["error"]
    assert (set(error), error["code"]) == (set(invalid), invalid["code"])
    assert [d["field"] for d in error["details"]] == ["body"]
    assert error["details"][0]["message"].startswith(reason)
    assert error["message"] == f"Invalid request. body: {error['details'][0]['message']}"


def test_wrong_content_type_is_4xx(fake_client):
    response = fake_client.post("/v1/query", content=b"question=garantie", headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 422


def test_pages_carry_a_strict_content_security_policy(fake_client):
    csp = fake_client.get("/").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert "content-security-policy" not in fake_client.get("/healthz").headers
    assert fake_client.get("/healthz").headers["x-content-type-options"] == "nosniff"


def test_no_cors_by_default(fake_client):
    response = fake_client.options("/v1/query", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in response.headers


def test_configured_cors_origin_is_allowed(fake_index_dir, tmp_path, fake_models):
    settings = Settings(index_dir=fake_index_dir, data_dir=tmp_path, cors_origins=["https://help.example.com"])
    with TestClient(create_app(settings, models=fake_models)) as c:
        ok = c.options("/v1/query", headers={"Origin": "https://help.example.com", "Access-Control-Request-Method": "POST"})
        assert ok.headers["access-control-allow-origin"] == "https://help.example.com"
        other = c.options("/v1/query", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in other.headers


def test_rate_limit_answers_429_with_retry_after(fake_index_dir, tmp_path, fake_models):
    settings = Settings(index_dir=fake_index_dir, data_dir=tmp_path, rate_limit_per_minute=60, rate_limit_burst=3)
    with TestClient(create_app(settings, models=fake_models)) as c:
        statuses = [c.get("/v1/documents").status_code for _ in range(5)]
        assert statuses[:3] == [200, 200, 200]
        limited = c.get("/v1/documents")
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert c.get("/healthz").status_code == 200  # probes are never limited


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory, corpus, fake_embedder, fake_use_embedder):
    """A versions root with the watch FAQ (v1) and another shop's FAQ (v2); v1 is served."""
    root = tmp_path_factory.mktemp("versions")
    other = tmp_path_factory.mktemp("other") / "other-shop.en.md"
    other.write_text(OTHER_FAQ, encoding="utf-8")
    v1 = new_version_path(root)
    build_index(corpus, [fake_embedder, fake_use_embedder], v1)
    v2 = new_version_path(root)
    assert v2.name > v1.name  # newer: version names are stamped to the microsecond (index.disk.versions)
    build_index(load_corpus(other), [fake_embedder, fake_use_embedder], v2)
    for version in (v1, v2):
        calibrate_label_free(version, [fake_embedder, fake_use_embedder], tmp_path_factory.mktemp("data"))
    switch(root, v1.name)
    return root, v1.name, v2.name


def test_queries_during_repeated_swaps_never_fail_and_come_from_one_version(two_versions, tmp_path, fake_models):
    root, v1, v2 = two_versions
    docs = {v1: "enigme-ba793-faq", v2: "other-shop"}
    settings = Settings(index_dir=root, data_dir=tmp_path, admin_token=SecretStr(ADMIN_TOKEN), reload_poll_seconds=0, rate_limit_per_minute=0)
    app = create_app(settings, models=fake_models)
    with TestClient(app) as c:
        models = app.state.service.answerer.searcher.models
        stop = threading.Event()
        seen: list[str] = []
        failures: list[int | str] = []

        def hammer():
            while not stop.is_set():
                r = c.post("/v1/query", json={"question": "delivery on sunday?", "top_k": 2})
                if r.status_code != 200:
                    failures.append(r.status_code)
                    continue
                body = r.json()
                seen.append(body["index_version"])
                if {x["document_id"] for x in body["results"]} != {docs[body["index_version"]]}:
                    failures.append("mixed")

        threads = [threading.Thread(target=hammer) for _ in range(3)]
        for t in threads:
            t.start()
        for version in [v2, v1, v2, v1, v2]:
            switch(root, version)
            assert c.post("/v1/admin/reload", headers=ADMIN).json()["index_version"] == version
            # each version answers 10 of the threads' questions before the next swap (was: 0.3 s each, whatever they did)
            answered = len(seen)
            deadline = time.monotonic() + 30
            while sum(v == version for v in seen[answered:]) < 10 and not failures:
                assert time.monotonic() < deadline, f"{version} answered too few questions within 30 s"
                time.sleep(0.01)
        stop.set()
        for t in threads:
            t.join()
        switch(root, v1)
        assert app.state.service.answerer.searcher.models == models  # the same loaded models serve every version
    assert failures == []
    assert set(seen) == {v1, v2}


def test_broken_new_version_keeps_the_last_good_one_serving(two_versions, tmp_path, fake_models):
    root, v1, _ = two_versions
    settings = Settings(index_dir=root, data_dir=tmp_path, admin_token=SecretStr(ADMIN_TOKEN), reload_poll_seconds=0)
    with TestClient(create_app(settings, models=fake_models)) as c:
        broken = root / "versions" / "29990101T000000-dead"
        broken.mkdir(parents=True)
        (broken / "manifest.json").write_text("{not json")
        (root / "CURRENT").write_text(broken.name + "\n")  # switch refuses it: a pointer damaged by hand
        try:
            reloaded = c.post("/v1/admin/reload", headers=ADMIN).json()
            assert reloaded == {"index_version": v1, "ok": False, "reason": reloaded["reason"]}
            assert "corrupt" in reloaded["reason"]
            ready = c.get("/readyz")
            assert ready.status_code == 503 and ready.json()["serving"] == v1
            answer = c.post("/v1/query", json={"question": "garantie"})
            assert answer.status_code == 200 and answer.json()["index_version"] == v1
        finally:
            switch(root, v1)
            shutil.rmtree(broken)


def test_service_follows_the_pointer_without_a_restart(two_versions, tmp_path, fake_models):
    root, v1, v2 = two_versions
    settings = Settings(index_dir=root, data_dir=tmp_path, reload_poll_seconds=0.05)
    with TestClient(create_app(settings, models=fake_models)) as c:
        assert c.post("/v1/query", json={"question": "garantie"}).json()["index_version"] == v1
        switch(root, v2)
        try:
            deadline = time.monotonic() + 30
            while c.get("/readyz").json().get("index_version") != v2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert c.post("/v1/query", json={"question": "sunday"}).json()["index_version"] == v2
        finally:
            switch(root, v1)


def _faq(*args, env):
    return subprocess.Popen([sys.executable, "-m", "cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.mark.model
def test_kill_9_during_ingest_leaves_the_served_index_intact(two_versions, tmp_path):
    root, v1, _ = two_versions
    before = versions(root)
    env = {**os.environ, "FAQ_INDEX_DIR": str(root), "FAQ_DATA_DIR": str(tmp_path)}
    big = ROOT / "eval" / "datasets" / "quebec-covid-faq" / "en_2020-05_crowd" / "faq.jsonl"
    proc = _faq("ingest", str(big), env=env)
    time.sleep(6)  # models loaded, embedding under way
    assert proc.poll() is None, proc.stdout.read().decode()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert current_version(root) == v1
    assert versions(root) == before  # the half-built version is a hidden temporary folder, never a version
    index = load_index(root)
    assert index.version == v1 and index.manifest.entry_count == 12
    for leftover in (root / "versions").glob(".*"):
        shutil.rmtree(leftover)


# `uvicorn service.asgi:app` (the app configured from FAQ_*), with the fake models: a process of its own to kill
FAKE_SERVICE = ("import sys, uvicorn; sys.path.insert(0, 'tests'); from fakes import FakeEmbedder, fake_use; "
                "from service import create_app; "
                "uvicorn.run(create_app(models=[FakeEmbedder(), fake_use()]), host='127.0.0.1', port=int(sys.argv[1]))")


def test_feedback_committed_before_kill_9_survives(fake_index_dir, fake_models, tmp_path):
    assert [m.name for m in fake_models] == [FakeEmbedder().name, fake_use().name]  # what the child process loads
    port = free_port()
    env = {**os.environ, "FAQ_INDEX_DIR": str(fake_index_dir), "FAQ_DATA_DIR": str(tmp_path), "FAQ_RATE_LIMIT_PER_MINUTE": "0"}
    proc = subprocess.Popen([sys.executable, "-c", FAKE_SERVICE, str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        # one client for the polls, the question and the 16 threads: a client per request spent ~20-50 ms of CPU loading CA
        # certificates (7 s in all for the feedback, and one more each 50 ms poll while the child process starts)
        with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=16)) as http, ThreadPoolExecutor(max_workers=16) as pool:
            wait_ready(base, 60, proc, client=http)
            query_id = http.post(f"{base}/v1/query", json={"question": "garantie"}, timeout=5).json()["query_id"]

            def send(i: int) -> int:
                verdict = ["click", "not_relevant", "helpful", "not_helpful"][i % 4]
                return http.post(f"{base}/v1/feedback", json={"query_id": query_id, "entry_id": "enigme-ba793-faq:3.1",
                                                              "verdict": verdict}).status_code

            statuses = list(pool.map(send, range(200)))
        assert statuses == [201] * 200
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with closing(sqlite3.connect(Path(tmp_path) / SQLITE_FILE)) as db:  # the file as the killed process left it
        assert db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 200
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
