"""The feedback store's two backends: the same answers from SQLite and PostgreSQL, replicas sharing one
database, concurrent writers, and a database that drops connections, goes down or was never up."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from faq.database import RECONNECT_EVERY_S
from faq.errors import DatabaseError, UnknownQueryError
from faq.settings import Settings
from feedback.factory import open_feedback_store
from feedback.postgres import PostgresFeedbackStore
from feedback.sqlite import SqliteFeedbackStore
from feedback.store import FeedbackStore, Verdict
from service import create_app
from usecases.versions import build_version

from conftest import ADMIN_TOKEN, CORPUS, ROOT

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
UNREACHABLE = "postgresql://faq:s3cret-pw@127.0.0.1:1/faq"  # port 1: nothing listens, the connection is refused at once
T0 = 86400 * 20000 + 3600.0


def _script(store: FeedbackStore) -> None:
    """Queries and verdicts that exercise every report: case and accents, a typing session with a tie in time,
    languages missing or empty, each verdict, a phrasing proposed twice, formulas in the CSV."""
    ids = [store.log_query(q, "api", a, c, e, lang=lang, ts=T0 + i) for i, (q, a, c, e, lang) in enumerate([
        ("Combien dure la garantie ?", True, 0.91234, "e1", "fr"),
        ("combien dure la garantie ?", True, 0.9, "e1", "fr"),
        ("Été indien ?", False, 0.1, None, "fr"),
        ("été indien ?", False, 0.12, None, None),
        ("=HYPERLINK(1)", False, 0.05, None, ""),
        ("refund", True, 0.8, "e2", "en"),
    ])]
    for i, text in enumerate(["gar", "garan", "garantie ?"]):
        store.log_query(text, "search", False, 0.2, None, lang="fr", session="burst-0001", ts=T0 + 100 + min(i, 1))
    store.log_query("garantie ?", "search", True, 0.7, "e1", lang="fr", session="burst-0002", ts=T0 - 86400)
    verdicts: list[tuple[str, str, Verdict]] = [
        (ids[0], "e1", "helpful"), (ids[1], "e3", "not_relevant"), (ids[2], "e3", "not_relevant"), (ids[5], "e2", "not_helpful"),
        (ids[5], "e2", "click"), (ids[0], "e1", "used"), (ids[0], "e1", "used"), (ids[5], "e2", "used")]
    for query_id, entry, verdict in verdicts:
        store.record(query_id, entry, verdict)
    store.review(1, accept=True)


def _everything(store: FeedbackStore) -> dict:
    """Every read the callers make, less the ids: random for queries, and PostgreSQL's identity skips a number
    where a phrasing proposed again was not inserted."""
    csv_rows = [line.split(",", 1)[1] for line in store.queries_csv().splitlines()]
    return {"analytics": store.analytics(), "per_day": store.per_day(days=3, now=T0 + 200), "by_language": store.by_language(),
            "engagement": store.engagement(), "unanswered": store.unanswered(), "csv": csv_rows,
            "phrasings": [(p.entry_id, p.text, p.status) for p in store.phrasings()], "accepted": store.accepted_phrasings(), "logged": store.logged_questions()}


def test_both_backends_give_the_same_reports_and_csv(tmp_path: Path, pg_url: str) -> None:
    with SqliteFeedbackStore(tmp_path / "f.sqlite3") as lite, PostgresFeedbackStore(pg_url) as pg:
        _script(lite)
        _script(pg)
        assert _everything(pg) == _everything(lite)
        assert lite.analytics()["top_questions"][0] == {"question": "Combien dure la garantie ?", "count": 2}
        assert [q for q, _ in lite.unanswered()] == ["=HYPERLINK(1)", "garantie ?", "Été indien ?", "été indien ?"]


def test_feedback_on_an_unknown_query_records_nothing(feedback_store: FeedbackStore) -> None:
    with pytest.raises(UnknownQueryError):
        feedback_store.record("0" * 32, "e1", "used")
    assert feedback_store.engagement()["helpful"] == 0 and feedback_store.phrasings() == []


def test_reviewing_an_unknown_phrasing_is_a_lookup_error(feedback_store: FeedbackStore) -> None:
    with pytest.raises(LookupError, match="no phrasing with id 7"):
        feedback_store.review(7, accept=True)


def test_two_replicas_on_one_database_see_each_others_writes(pg_url: str) -> None:
    with PostgresFeedbackStore(pg_url) as one, PostgresFeedbackStore(pg_url) as two:
        query_id = one.log_query("Où est mon colis ?", "agent", True, 0.9, "e1")
        two.record(query_id, "e1", "used")  # a query logged by one replica, judged on another
        assert [p.text for p in one.phrasings("candidate")] == ["Où est mon colis ?"]
        one.review(one.phrasings()[0].id, accept=True)
        assert two.accepted_phrasings() == {"e1": ("Où est mon colis ?",)}
        assert two.analytics()["totals"] == {"queries": 1, "unanswered": 0, "related": 0, "none": 0}


def test_concurrent_writers_lose_nothing(feedback_store: FeedbackStore) -> None:
    def work(i: int) -> None:
        query_id = feedback_store.log_query(f"question {i % 10}", "api", i % 2 == 0, 0.5, "e1")
        feedback_store.record(query_id, f"e{i % 3}", "used" if i % 4 == 0 else "helpful")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(200)))
    assert feedback_store.analytics()["totals"] == {"queries": 200, "unanswered": 100, "related": 0, "none": 100}
    assert feedback_store.engagement()["helpful"] == 150
    assert len(feedback_store.phrasings()) == 15  # 50 "used" verdicts on 15 distinct (entry, question) pairs: one phrasing each


def test_a_connection_the_server_killed_is_replaced_on_the_next_call(pg_url: str) -> None:
    with PostgresFeedbackStore(pg_url) as store:
        store.log_query("avant", "api", True, 0.9, None)
        with psycopg.connect(pg_url, autocommit=True) as admin:
            killed = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                   "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchall()
        assert killed and all(ok for (ok,) in killed)
        store.log_query("après", "api", True, 0.9, None)
        assert store.analytics()["totals"]["queries"] == 2


@pytest.mark.slow  # waits on purpose for a database to stop and start again
def test_the_service_answers_503_while_the_database_is_down_and_recovers_after_it_restarts(
        fake_index_dir, fake_models, tmp_path, postgres_server, pg_url) -> None:
    settings = Settings(index_dir=fake_index_dir, data_dir=tmp_path, admin_token=SecretStr(ADMIN_TOKEN), database_url=pg_url, database_timeout=1)
    with TestClient(create_app(settings, models=fake_models), raise_server_exceptions=False) as client:
        assert client.post("/v1/query", json={"question": "garantie"}).status_code == 200
        postgres_server.halt()
        try:
            down = client.post("/v1/query", json={"question": "garantie"})
            analytics = client.get("/v1/analytics", headers=ADMIN)
        finally:
            postgres_server.resume()
        assert down.status_code == 503 and down.headers["retry-after"] == "5"
        assert down.json()["error"]["message"] == "The database is unavailable right now; try again in a few seconds."
        assert analytics.status_code == 503
        assert _first_ok(lambda: client.post("/v1/query", json={"question": "garantie"}), within=RECONNECT_EVERY_S + 3) is not None
        assert client.get("/v1/analytics", headers=ADMIN).json()["queries"] == 2


@pytest.mark.slow  # holds the database down for seconds on purpose
def test_after_a_long_outage_the_service_answers_again_within_seconds_of_the_database_s_return(
        fake_index_dir, fake_models, tmp_path, postgres_server, pg_url) -> None:
    # psycopg_pool's own schedule retries after 1, 2, 4, 8 s: down for 8 s, the next try came 7 s after the restart
    settings = Settings(index_dir=fake_index_dir, data_dir=tmp_path, database_url=pg_url, database_timeout=1)
    with TestClient(create_app(settings, models=fake_models), raise_server_exceptions=False) as client:
        assert client.post("/v1/query", json={"question": "garantie"}).status_code == 200
        postgres_server.halt()
        try:
            assert client.post("/v1/query", json={"question": "garantie"}).status_code == 503
            time.sleep(8)
        finally:
            postgres_server.resume()
        back = _first_ok(lambda: client.post("/v1/query", json={"question": "garantie"}), within=RECONNECT_EVERY_S + 3)
        assert back is not None, "still 503 seconds after the database came back"


def _first_ok(ask, within: float) -> float | None:
    """Seconds until `ask()` answered 200, asking again until `within` seconds have passed; None if it never did."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if ask().status_code == 200:
            return time.monotonic() - started
        time.sleep(0.1)
    return None


def test_the_service_does_not_start_on_an_unreachable_database(fake_index_dir, fake_models, tmp_path) -> None:
    settings = Settings(index_dir=fake_index_dir, data_dir=tmp_path, database_url=SecretStr(UNREACHABLE))
    with pytest.raises(DatabaseError, match=r"postgresql://faq:\*\*\*@127\.0\.0\.1:1/faq") as caught:
        with TestClient(create_app(settings, models=fake_models)):
            pass
    assert "s3cret-pw" not in str(caught.value) and "Connection refused" in str(caught.value)


def test_faq_serve_names_the_unreachable_database_and_exits(tmp_path, monkeypatch) -> None:
    """`faq serve` in-process (Typer's CliRunner; a subprocess spent ~2 s importing the service for one error line)."""
    from typer.testing import CliRunner

    from cli.main import app
    from faq.settings import get_settings

    monkeypatch.setenv("FAQ_DATABASE_URL", UNREACHABLE)
    monkeypatch.setenv("FAQ_INDEX_DIR", str(tmp_path / "none"))
    monkeypatch.chdir(ROOT)
    get_settings.cache_clear()
    try:
        done = CliRunner().invoke(app, ["serve", "--port", "1"])
    finally:
        get_settings.cache_clear()
    assert done.exit_code == 1
    said = " ".join(done.stdout.split() + done.stderr.split())
    assert "Cannot connect to the database postgresql://faq:***@127.0.0.1:1/faq" in said and "s3cret-pw" not in said
    assert isinstance(done.exception, SystemExit)  # typer.Exit from the error's one line, not an exception's traceback
    assert "Traceback" not in said and not (tmp_path / "none").exists()  # failed before building any index


def test_ingest_adds_the_phrasings_accepted_in_the_configured_store(fake_everywhere, tmp_path, database_url) -> None:
    settings = Settings(index_dir=tmp_path / "index", corpus=CORPUS, data_dir=tmp_path / "data", database_url=database_url,
                        calibration_set=None)
    with open_feedback_store(settings) as store:
        store.record(store.log_query("ma montre prend l'eau", "agent", True, 0.9, "enigme-ba793-faq:3.1"),
                     "enigme-ba793-faq:3.1", "used")
        store.review(store.phrasings()[0].id, accept=True)
    assert build_version(CORPUS, settings.index_dir, settings).phrasings == 1


def test_reading_commands_create_no_sqlite_file(fake_everywhere, tmp_path) -> None:
    settings = Settings(index_dir=tmp_path / "index", corpus=CORPUS, data_dir=tmp_path / "data", calibration_set=None)
    assert build_version(CORPUS, settings.index_dir, settings).phrasings == 0
    assert not (tmp_path / "data").exists()


def test_stores_opened_at_once_on_a_new_database_all_open(tmp_path):
    """`faq serve --workers 2`'s workers open the new database together: each used to see a column missing and add it,
    and one could find the database locked while switching it to WAL (2 of 150 rounds failed before that was retried)."""
    import threading

    from feedback.sqlite import SqliteFeedbackStore

    for attempt in range(20):
        path = tmp_path / f"feedback-{attempt}.sqlite3"
        barrier = threading.Barrier(8)

        def open_one(path: Path = path, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            SqliteFeedbackStore(path).close()

        with ThreadPoolExecutor(8) as pool:
            for future in [pool.submit(open_one) for _ in range(8)]:
                future.result()  # raises what opening raised
