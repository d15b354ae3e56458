"""The support team's part: store reports (sessions, languages, CSV, migration), the sign-in cookie, the endpoints (fake models)."""

from __future__ import annotations

import csv
import io
import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from faq.settings import Settings
from feedback.sqlite import SqliteFeedbackStore
from feedback.store import FeedbackStore
from service import create_app
from service.team_session import COOKIE, parse, sign
from usecases.gaps import group_gaps

from conftest import ADMIN_TOKEN, CORPUS

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SAME_ORIGIN = {"Origin": "http://testserver"}  # what a browser sends with a write from the service's own page
AGENT_TOKEN = "agent-token-for-the-tests-0123"


@pytest.fixture
def store(feedback_store: FeedbackStore) -> FeedbackStore:
    """Each backend in turn (conftest.feedback_store)."""
    return feedback_store


def test_a_typing_session_counts_once_its_settled_query(store):
    t = 1_700_000_000.0
    for i, text in enumerate(["ga", "garan", "garantie ?"]):
        store.log_query(text, "search", False, 0.1, None, lang="fr", session="burst-aaaa", ts=t + i)
    store.log_query("garantie ?", "search", False, 0.1, None, lang="fr", session="burst-bbbb", ts=t + 50)
    store.log_query("warranty?", "api", True, 0.9, "e1", lang="en", ts=t + 60)
    data = store.analytics()
    assert data["totals"] == {"queries": 3, "unanswered": 2, "related": 0, "none": 2}
    assert data["top_questions"][0] == {"question": "garantie ?", "count": 2}
    assert [q for q, _ in store.unanswered()] == ["garantie ?"]


def test_by_language_and_click_through_count_settled_queries(store):
    early = store.log_query("retour", "search", True, 0.9, "e1", lang="fr", session="sess-0001", ts=1.0)
    store.log_query("retour colis", "search", True, 0.9, "e1", lang="fr", session="sess-0001", ts=2.0)
    store.log_query("refund", "api", True, 0.9, "e2", lang="en", ts=3.0)
    store.log_query("??", "api", False, 0.1, None, ts=4.0)
    store.record(early, "e1", "click")  # a click on an earlier keystroke's result engages the whole session
    store.record(early, "e1", "helpful")
    langs = {r["lang"]: r for r in store.by_language()}
    assert langs["fr"] == {"lang": "fr", "queries": 1, "unanswered": 0, "engaged": 1}
    assert langs["en"]["queries"] == 1 and langs["unknown"]["unanswered"] == 1
    rates = store.engagement()
    assert rates["click_through"] == pytest.approx(1 / 3, abs=1e-3) and rates["helpful_rate"] == 1.0


def test_per_day_lists_every_day_oldest_first(store):
    now = 86400 * 20000 + 3600.0
    store.log_query("a", "api", True, 0.9, None, ts=now - 86400)
    store.log_query("b", "api", False, 0.1, None, ts=now)
    days = store.per_day(days=3, now=now)
    assert [d["queries"] for d in days] == [0, 1, 1] and days[-1]["unanswered"] == 1


def test_queries_csv_marks_counted_rows_and_defuses_formulas(store):
    store.log_query("=HYPERLINK(1)", "search", False, 0.1, None, lang="en", session="sess-0002", ts=1.0)
    store.log_query("=HYPERLINK(1) ok", "search", False, 0.1, None, lang="en", session="sess-0002", ts=2.0)
    rows = list(csv.DictReader(io.StringIO(store.queries_csv())))
    assert [r["counted"] for r in rows] == ["0", "1"]
    assert rows[0]["question"].startswith("'=")


def test_an_old_database_gets_the_new_columns(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript("""CREATE TABLE queries (id TEXT PRIMARY KEY, ts REAL NOT NULL, surface TEXT NOT NULL, question TEXT NOT NULL,
        answerable INTEGER NOT NULL, confidence REAL NOT NULL, top_entry TEXT);
        INSERT INTO queries VALUES ('0123', 1.0, 'api', 'old question', 0, 0.1, NULL);""")
    db.commit()
    db.close()
    store = SqliteFeedbackStore(path)
    store.log_query("new question", "search", True, 0.9, "e1", lang="fr", session="sess-0003")
    assert store.analytics()["totals"]["queries"] == 2
    assert {r["lang"] for r in store.by_language()} == {"fr", "unknown"}
    store.close()
    SqliteFeedbackStore(path).close()  # opening again: nothing to add, no error


def test_gaps_group_near_identical_questions(fake_models):
    gaps = group_gaps([("livraison au Japon ?", 3), ("livraison au japon", 2), ("payer en bitcoin", 1)], fake_models[1])
    assert [(g.question, g.count, len(g.questions)) for g in gaps] == [("livraison au Japon ?", 5, 2), ("payer en bitcoin", 1, 1)]


def test_session_cookie_signature_and_expiry():
    value = sign(ADMIN_TOKEN, now=1000.0)
    session = parse(value, ADMIN_TOKEN, now=1001.0)
    assert session is not None and session.role == "admin"
    assert parse(value, "another-token-entirely", now=1001.0) is None
    assert parse(value, ADMIN_TOKEN, now=1000.0 + 9 * 3600) is None
    assert parse(value.replace(".", ".0", 1), ADMIN_TOKEN, now=1001.0) is None
    assert parse(value.replace("admin.", "agent.", 1), ADMIN_TOKEN, now=1001.0) is None  # the role is signed too
    assert ADMIN_TOKEN not in value


def test_each_sign_in_gets_a_session_of_its_own():
    one, other = parse(sign(ADMIN_TOKEN), ADMIN_TOKEN), parse(sign(ADMIN_TOKEN), ADMIN_TOKEN)
    assert one is not None and other is not None and one.id != other.id


def _team_client(index_dir: Path, models: list, data_dir: Path, database_url: SecretStr | None = None) -> Iterator[TestClient]:
    settings = Settings(index_dir=index_dir, corpus=CORPUS, data_dir=data_dir, admin_token=SecretStr(ADMIN_TOKEN), database_url=database_url)
    with TestClient(create_app(settings, models=models)) as client:
        yield client


@pytest.fixture
def team_client(fake_index_dir, fake_models, tmp_path) -> Iterator[TestClient]:
    yield from _team_client(fake_index_dir, fake_models, tmp_path / "data")


@pytest.fixture
def each_backend_client(fake_index_dir, fake_models, tmp_path, database_url) -> Iterator[TestClient]:
    """`team_client` on each feedback store backend in turn."""
    yield from _team_client(fake_index_dir, fake_models, tmp_path / "data", database_url)


def test_sign_in_sets_a_strict_httponly_cookie_that_admin_endpoints_accept(team_client, caplog):
    caplog.set_level(logging.DEBUG)
    assert team_client.get("/v1/admin/session").json() == {"enabled": True, "signed_in": False, "role": None}
    assert team_client.get("/v1/analytics").status_code == 401
    assert team_client.post("/v1/admin/session", json={"token": "wrong-token-wrong"}).status_code == 403
    response = team_client.post("/v1/admin/session", json={"token": ADMIN_TOKEN})
    assert response.status_code == 204
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie  # plain http in tests
    assert ADMIN_TOKEN.lower() not in cookie
    assert team_client.get("/v1/admin/session").json()["signed_in"] is True
    assert team_client.get("/v1/analytics").status_code == 200
    assert team_client.get("/v1/admin/phrasings").status_code == 200
    assert team_client.delete("/v1/admin/session", headers=SAME_ORIGIN).status_code == 204
    team_client.cookies.clear()
    assert team_client.get("/v1/analytics").status_code == 401
    assert ADMIN_TOKEN not in caplog.text


def test_a_signed_out_session_cookie_is_refused_everywhere_before_its_expiry(each_backend_client):
    client = each_backend_client
    assert client.post("/v1/admin/session", json={"token": ADMIN_TOKEN}).status_code == 204
    copied = client.cookies[COOKIE]
    assert client.delete("/v1/admin/session", headers=SAME_ORIGIN).status_code == 204
    client.cookies.set(COOKIE, copied)  # a copy kept by someone else, or a browser that did not drop it
    assert client.get("/v1/analytics").status_code == 401
    assert client.get("/v1/admin/session").json()["signed_in"] is False


def test_a_cookie_write_from_another_origin_is_refused(team_client):
    team_client.post("/v1/admin/session", json={"token": ADMIN_TOKEN})
    for other in ({"Origin": "http://testserver:9999"}, {"Origin": "https://evil.example"}, {}):
        response = team_client.post("/v1/admin/reload", headers=other)
        assert response.status_code == 403 and "Origin" in response.json()["error"]["message"], other
    assert team_client.post("/v1/admin/reload", headers=SAME_ORIGIN).status_code == 200
    assert team_client.post("/v1/admin/reload", headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert team_client.get("/v1/analytics").status_code == 200  # reads need no Origin


def test_a_bearer_token_write_needs_no_origin(team_client):
    assert team_client.post("/v1/admin/reload", headers=ADMIN).status_code == 200


@pytest.fixture
def agent_client(fake_index_dir, fake_models, tmp_path) -> Iterator[TestClient]:
    settings = Settings(index_dir=fake_index_dir, corpus=CORPUS, data_dir=tmp_path / "data", admin_token=SecretStr(ADMIN_TOKEN),
                        agent_token=SecretStr(AGENT_TOKEN))
    with TestClient(create_app(settings, models=fake_models)) as client:
        yield client


def _used(client: TestClient, **headers) -> int:
    hit = client.post("/v1/query", json={"question": "Que couvre la garantie ?"}).json()
    return client.post("/v1/feedback", headers=headers,
                       json={"query_id": hit["query_id"], "entry_id": hit["results"][0]["entry_id"], "verdict": "used"}).status_code


def test_an_anonymous_used_verdict_is_refused_and_proposes_no_phrasing(agent_client):
    assert _used(agent_client) == 401
    assert agent_client.get("/v1/admin/phrasings", headers=ADMIN).json() == []


def test_an_agent_marks_an_answer_used_with_the_agent_token_or_its_session(agent_client):
    assert _used(agent_client, Authorization=f"Bearer {AGENT_TOKEN}") == 201
    assert agent_client.post("/v1/admin/session", json={"token": AGENT_TOKEN}).status_code == 204
    assert agent_client.get("/v1/admin/session").json() == {"enabled": True, "signed_in": True, "role": "agent"}
    assert _used(agent_client, **SAME_ORIGIN) == 201
    assert _used(agent_client, Origin="http://testserver:9999") == 403


def test_an_agent_cannot_use_the_admin_endpoints(agent_client):
    assert agent_client.get("/v1/analytics", headers={"Authorization": f"Bearer {AGENT_TOKEN}"}).status_code == 403
    agent_client.post("/v1/admin/session", json={"token": AGENT_TOKEN})
    assert agent_client.get("/v1/analytics").status_code == 403


def test_other_verdicts_stay_open_to_the_search_box(agent_client):
    hit = agent_client.post("/v1/query", json={"question": "Que couvre la garantie ?"}).json()
    for verdict in ("helpful", "not_helpful", "not_relevant", "click"):
        body = {"query_id": hit["query_id"], "entry_id": hit["results"][0]["entry_id"], "verdict": verdict}
        assert agent_client.post("/v1/feedback", json=body).status_code == 201


def test_a_forged_cookie_is_refused_and_a_wrong_bearer_wins_over_a_good_cookie(team_client):
    team_client.cookies.set(COOKIE, f"admin.{'1' * 32}.{int(time.time()) + 3600}.{'0' * 64}")
    assert team_client.get("/v1/analytics").status_code == 401
    team_client.cookies.set(COOKIE, sign(ADMIN_TOKEN))
    assert team_client.get("/v1/analytics").status_code == 200
    assert team_client.get("/v1/analytics", headers={"Authorization": "Bearer wrong-token-wrong"}).status_code == 403


def test_the_team_pages_say_admin_is_off_without_a_token(fake_index_dir, fake_models, tmp_path):
    with TestClient(create_app(Settings(index_dir=fake_index_dir, data_dir=tmp_path / "d"), models=fake_models)) as client:
        assert client.get("/v1/admin/session").json() == {"enabled": False, "signed_in": False, "role": None}
        assert client.post("/v1/admin/session", json={"token": "anything-at-all"}).status_code == 403
        page = client.get("/team")
        assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]


def test_analytics_endpoint_counts_sessions_languages_gaps_and_exports_csv(each_backend_client):
    ask = lambda q, **kw: each_backend_client.post("/v1/query", json={"question": q, **kw}).json()  # noqa: E731
    for partial in ("Puis-je payer", "Puis-je payer en bitcoin", "Puis-je payer en bitcoin ?"):
        ask(partial, surface="search", session="typing-session-1")
    ask("Puis-je payer en bitcoin ?", surface="search", session="typing-session-2")
    hit = ask("Que couvre la garantie ?")
    each_backend_client.post("/v1/feedback", json={"query_id": hit["query_id"], "entry_id": hit["results"][0]["entry_id"], "verdict": "click"})
    assert each_backend_client.post("/v1/query", json={"question": "x", "session": "bad session!"}).status_code == 422
    body = each_backend_client.get("/v1/analytics", headers=ADMIN).json()
    assert body["queries"] == 3
    assert sum(d["queries"] for d in body["per_day"]) == 3 and len(body["per_day"]) == 30
    assert sum(r["queries"] for r in body["by_language"]) == 3
    assert body["click_through"] == pytest.approx(1 / 3, abs=1e-3)
    for key in ("top_questions", "unanswered_questions", "not_relevant_entries", "unanswered", "gaps", "helpful_rate"):
        assert key in body
    queries = each_backend_client.get("/v1/analytics/queries.csv", headers=ADMIN)
    assert queries.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(queries.text)))
    assert len(rows) == 5 and sum(r["counted"] == "1" for r in rows) == 3
    gaps = each_backend_client.get("/v1/analytics/gaps.csv", headers=ADMIN)
    assert gaps.status_code == 200 and gaps.text.startswith("group,group_question,group_count,question,count")
    assert each_backend_client.get("/v1/analytics/gaps.csv").status_code == 401


@pytest.mark.model
def test_gaps_group_paraphrases_with_use(use_embedder):
    gaps = group_gaps([("Do you ship to Japan?", 3), ("Can you deliver to Japan?", 2), ("Is shipping to Japan possible?", 1),
                       ("Can I pay with bitcoin?", 1)], use_embedder)
    assert gaps[0].count == 6 and len(gaps) == 2
