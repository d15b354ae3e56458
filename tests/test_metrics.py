"""GET /metrics: Prometheus text that moves with the traffic, labelled by route template, closed to the outside by default."""

import shutil
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from faq.settings import Settings
from index.disk.versions import new_version_path, switch
from service import create_app

from conftest import ADMIN_TOKEN, CORPUS
from fake_workers import two_fake_workers

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
LOOPBACK = ("127.0.0.1", 50000)
REMOTE = ("203.0.113.7", 50000)  # TEST-NET-3: never a real client


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """(sample name, labels) -> value, from the text format as a scraper parses it."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def app_with(tmp_path: Path, index_dir: Path, models, **settings):
    base = {"index_dir": index_dir, "corpus": CORPUS, "data_dir": tmp_path, "admin_token": ADMIN_TOKEN, "rate_limit_per_minute": 0,
            "reload_poll_seconds": 0}
    return create_app(Settings(**{**base, **settings}), models=models)


@pytest.fixture(scope="module")
def service(tmp_path_factory, fake_index_dir, fake_models):
    """The fake index served; requests come from loopback unless a test says otherwise."""
    app = app_with(tmp_path_factory.mktemp("metrics-data"), fake_index_dir, fake_models)
    with TestClient(app, client=LOOPBACK) as local:
        yield local


def scrape(client: TestClient) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return response.text


def test_metrics_text_parses_into_the_documented_families(service):
    service.post("/v1/query", json={"question": "Combien de temps dure la garantie ?"})
    names = {family.name for family in text_string_to_metric_families(scrape(service))}
    assert {"faq_http_requests", "faq_http_request_duration_seconds", "faq_stage_duration_seconds", "faq_answer_cache",
            "faq_questions", "faq_index_info", "faq_index_load_seconds", "faq_index_reload_failures"} <= names


def test_each_decision_outcome_is_counted_per_surface(service):
    before = scrape(service)
    body = service.post("/v1/query", json={"question": "Quel temps fera-t-il demain à Oslo ?", "surface": "search"}).json()
    after = scrape(service)
    assert body["outcome"] == "none"
    assert value(after, "faq_outcomes_total", surface="search", outcome="none") \
        == value(before, "faq_outcomes_total", surface="search", outcome="none") + 1


def test_a_question_searched_with_its_spelling_corrected_is_counted_per_surface(service):
    before = scrape(service)
    service.post("/v1/query", json={"question": "Que couvre la garantei ?", "surface": "search"})
    service.post("/v1/query", json={"question": "Que couvre la garantie ?", "surface": "search"})
    after = scrape(service)
    assert value(after, "faq_questions_corrected_total", surface="search") \
        == value(before, "faq_questions_corrected_total", surface="search") + 1


def test_a_query_moves_the_request_latency_and_question_counters(service):
    before = scrape(service)
    answered = service.post("/v1/query", json={"question": "Quels moyens de paiement acceptez-vous ?", "surface": "search"}).json()
    after = scrape(service)
    route = {"route": "/v1/query"}
    assert value(after, "faq_http_requests_total", method="POST", status="200", **route) \
        == value(before, "faq_http_requests_total", method="POST", status="200", **route) + 1
    assert value(after, "faq_http_request_duration_seconds_count", **route) == value(before, "faq_http_request_duration_seconds_count", **route) + 1
    verdict = "true" if answered["answerable"] else "false"
    assert value(after, "faq_questions_total", surface="search", answerable=verdict) \
        == value(before, "faq_questions_total", surface="search", answerable=verdict) + 1


def test_requests_are_labelled_by_route_template_never_by_raw_path(service):
    service.post("/v1/admin/phrasings/987654", json={"accept": True}, headers=ADMIN)
    service.get("/no/such/page-123456")
    service.get("/static/no-such-file-424242.js")
    text = scrape(service)
    routes = {dict(labels).get("route") for name, labels in samples(text) if name == "faq_http_requests_total"}
    assert {"/v1/admin/phrasings/{phrasing_id}", "<unmatched>", "/static/{path}"} <= routes
    assert not any(n in text for n in ("987654", "123456", "424242"))


def test_a_body_refused_before_routing_is_counted_under_its_route(service):
    before = scrape(service)
    assert service.post("/v1/query", content=b"x" * 70_000, headers={"content-type": "application/json"}).status_code == 413
    after = scrape(service)
    labels = {"route": "/v1/query", "method": "POST", "status": "413"}
    assert value(after, "faq_http_requests_total", **labels) == value(before, "faq_http_requests_total", **labels) + 1


def test_a_repeated_question_is_a_cache_hit_and_its_stages_are_timed_once(service):
    question = {"question": "Puis-je changer l'adresse de livraison après la commande ?"}
    before = scrape(service)
    service.post("/v1/query", json=question)
    once = scrape(service)
    service.post("/v1/query", json=question)
    twice = scrape(service)
    assert value(once, "faq_answer_cache_total", result="miss") == value(before, "faq_answer_cache_total", result="miss") + 1
    assert value(twice, "faq_answer_cache_total", result="hit") == value(once, "faq_answer_cache_total", result="hit") + 1
    timed = lambda text: value(text, "faq_stage_duration_seconds_count", stage="answer")  # noqa: E731
    assert timed(once) == timed(before) + 1
    assert timed(twice) == timed(once)


def test_each_model_and_stage_has_its_own_latency_histogram(service, fake_models):
    service.post("/v1/query", json={"question": "Livrez-vous à l'étranger ?"})
    stages = {dict(labels)["stage"] for name, labels in samples(scrape(service)) if name == "faq_stage_duration_seconds_count"}
    models = {f"score:{m.name.split(':')[0]}" for m in fake_models}
    assert stages == models | {"score:bm25", "rank", "short answer", "answer"}


def test_suggest_counts_each_question_of_the_message_on_the_agent_surface(service):
    text = lambda: scrape(service)  # noqa: E731
    count = lambda t: sum(value(t, "faq_questions_total", surface="agent", answerable=a) for a in ("true", "false"))  # noqa: E731
    before = text()
    response = service.post("/v1/suggest", json={"message": "Bonjour, combien coûte la livraison ? Et la garantie dure combien de temps ?"})
    assert response.status_code == 200
    assert count(text()) == count(before) + len(response.json()["suggestions"])


def test_the_served_index_version_and_its_load_time_are_exported(service):
    version = service.get("/readyz").json()["index_version"]
    text = scrape(service)
    assert value(text, "faq_index_info", version=version) == 1
    assert value(text, "faq_index_load_seconds") > 0


# --- reloads ------------------------------------------------------------------------------------


@pytest.fixture
def versions_root(tmp_path, fake_index_dir):
    """A versions root serving a copy of the fake index."""
    root = tmp_path / "index"
    first = new_version_path(root)
    shutil.copytree(fake_index_dir, first)
    switch(root, first.name)
    return root, first.name


def test_a_failed_reload_is_counted_and_the_old_version_stays_the_served_one(tmp_path, versions_root, fake_models):
    root, first = versions_root
    with TestClient(app_with(tmp_path, root, fake_models), client=LOOPBACK) as c:
        broken = root / "versions" / "29990101T000000-dead"
        broken.mkdir()
        (broken / "manifest.json").write_text("{not json")
        (root / "CURRENT").write_text(broken.name + "\n")  # switch refuses it: the pointer was damaged by hand
        assert c.post("/v1/admin/reload", headers=ADMIN).json()["ok"] is False
        text = scrape(c)
    assert value(text, "faq_index_reload_failures_total") == 1
    assert value(text, "faq_index_info", version=first) == 1


def test_a_reload_to_a_new_version_moves_the_version_gauge(tmp_path, versions_root, fake_models, fake_index_dir):
    root, first = versions_root
    with TestClient(app_with(tmp_path, root, fake_models), client=LOOPBACK) as c:
        second = new_version_path(root)
        assert second.name > first  # names sort in build order: stamped to the microsecond (index.disk.versions)
        shutil.copytree(fake_index_dir, second)
        switch(root, second.name)
        assert c.post("/v1/admin/reload", headers=ADMIN).json() == {"index_version": second.name, "ok": True, "reason": None}
        text = scrape(c)
    assert value(text, "faq_index_info", version=second.name) == 1
    assert value(text, "faq_index_info", version=first) == 0
    assert value(text, "faq_index_reload_failures_total") == 0


# --- who may read it ----------------------------------------------------------------------------


def test_a_remote_client_without_a_token_gets_401(service):
    response = TestClient(service.app, client=REMOTE).get("/metrics")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_remote_client_with_a_wrong_token_gets_403(service):
    response = TestClient(service.app, client=REMOTE).get("/metrics", headers={"Authorization": "Bearer not-the-admin-token"})
    assert response.status_code == 403


def test_a_remote_client_with_the_admin_token_gets_the_metrics(service):
    response = TestClient(service.app, client=REMOTE).get("/metrics", headers=ADMIN)
    assert response.status_code == 200
    assert "faq_http_requests_total" in response.text


def test_a_client_in_an_allowed_network_needs_no_token(tmp_path, fake_index_dir, fake_models):
    app = app_with(tmp_path, fake_index_dir, fake_models, metrics_allow=["203.0.113.0/24"])
    with TestClient(app, client=REMOTE) as allowed:
        assert allowed.get("/metrics").status_code == 200
        assert TestClient(app, client=("198.51.100.9", 50000)).get("/metrics").status_code == 401


def test_without_an_admin_token_only_loopback_may_read_them(tmp_path, fake_index_dir, fake_models):
    app = app_with(tmp_path, fake_index_dir, fake_models, admin_token=None)
    with TestClient(app, client=LOOPBACK) as local:
        assert local.get("/metrics").status_code == 200
        refused = TestClient(app, client=REMOTE).get("/metrics", headers={"Authorization": "Bearer anything-at-all-1234"})
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == ("Metrics are served to loopback clients and FAQ_METRICS_ALLOW networks only "
                                                  "(or with the admin token; FAQ_ADMIN_TOKEN is not set).")


def test_a_client_that_is_no_ip_address_is_not_loopback(service):
    assert TestClient(service.app).get("/metrics").status_code == 401  # TestClient's default client is "testclient"


# --- several workers ----------------------------------------------------------------------------

@pytest.mark.slow  # two worker processes start: ~10-20 s
def test_two_workers_metrics_add_up_whichever_worker_is_scraped(fake_index_dir, tmp_path):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    settings = {"FAQ_INDEX_DIR": str(fake_index_dir), "FAQ_DATA_DIR": str(tmp_path), "FAQ_RATE_LIMIT_PER_MINUTE": "0",
                "FAQ_RELOAD_POLL_SECONDS": "0", "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    with two_fake_workers(settings) as base:
        asked = 30
        for i in range(asked):  # a new connection each: the kernel hands them to either worker
            assert httpx.post(f"{base}/v1/query", json={"question": f"garantie {i}"}).status_code == 200
        scrapes = [httpx.get(f"{base}/metrics").text for _ in range(6)]
        writers = {p.name for p in shared.glob("counter_*.db")}
    assert len(writers) == 2, f"both workers should have answered: {writers}"
    totals = {sum(value(t, "faq_questions_total", surface="api", answerable=a) for a in ("true", "false")) for t in scrapes}
    assert totals == {asked}
