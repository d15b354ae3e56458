"""The scheduled sync (FAQ_SYNC_INTERVAL, usecases.sync, service.sync): the service reads FAQ_CORPUS again every
interval and, when it changed, builds a new version through `faq ingest`'s build_version and switches to it; one
worker (a file lock) or one replica (a PostgreSQL advisory lock) syncs; /readyz and /metrics show the last sync; a
failed sync leaves the served version serving. Fake models throughout; the help-center site is tests/test_site_fetch.py's
real HTTP server on loopback."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient

from faq.errors import SettingsError
from faq.retrieval import RetrievalConfig
from faq.settings import Settings, get_settings
from index.disk.versions import current_version, resolve
from index.pipeline import open_answerer
from replication.leader import AdvisoryLock, FileLock
from replication.published import connect_in_background
from service import create_app
from usecases.sync import Syncer, sync_once
from usecases.versions import build_version

from conftest import CORPUS
from fakes import FakeEmbedder, RecordingEmbedder, fake_use
from test_site_fetch import TIMEOUT, Site

ANSWER = "dépendra de votre banque émettrice ou de la plateforme de paiement."  # the last entry's answer (editing an earlier
# one shifts the offsets of every entry after it, which build_version counts as changed too)
LOOPBACK = ("127.0.0.1", 50000)  # /metrics answers loopback clients
QUESTION = "Combien de temps faudra-t-il pour que ma commande arrive ?"
T = TypeVar("T")


def wait_for(check: Callable[[], T | None], seconds: float = 20) -> T:
    """What `check()` returned once it was truthy, asking again every 50 ms for `seconds` at most."""
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return found


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A copy of the bundled FAQ folder, to edit."""
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    return folder


def edit(corpus_dir: Path, old: str = ANSWER, new: str = "apparaîtra sous trois jours ouvrables.") -> None:
    faq = corpus_dir / "enigme-ba793-faq.fr.txt"
    text = faq.read_text(encoding="utf-8")
    assert old in text
    faq.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def short_interval(monkeypatch: pytest.MonkeyPatch) -> float:
    """A sync interval under the 1 s FAQ_SYNC_INTERVAL allows (faq.settings.MIN_SYNC_SECONDS, lowered for the test): the
    service's first sync comes one interval after it starts, which the tests using this wait for. Only where later
    syncs, as soon after, cannot change what the test reads (a failed sync fails again; a replica that does not hold
    the lock only shows another's)."""
    import faq.settings

    monkeypatch.setattr(faq.settings, "MIN_SYNC_SECONDS", 0.2)
    return 0.2


def settings_for(tmp_path: Path, corpus: Path | str, name: str = "a", **more) -> Settings:
    return Settings(corpus=corpus, index_dir=tmp_path / name / "index", data_dir=tmp_path / name / "data", calibration_set=None,
                    rate_limit_per_minute=0, **more)


# --- the setting ------------------------------------------------------------------------------------


def test_the_sync_is_off_by_default():
    assert Settings().sync_interval is None


@pytest.mark.parametrize(("given", "seconds"), [("3600", 3600), ("90s", 90), ("15m", 900), ("1h30m", 5400), ("1d", 86400),
                                                ("off", None), ("", None)])
def test_an_interval_is_seconds_or_a_duration(given, seconds):
    assert Settings(sync_interval=given).sync_interval == seconds


@pytest.mark.parametrize(("given", "message"), [
    ("soon", "FAQ_SYNC_INTERVAL: 'soon' is not a duration: give seconds (3600) or a number and a unit, d h m s (15m, 1h30m, 1d)"),
    ("0", "FAQ_SYNC_INTERVAL: must be at least 1 second(s) (a sync re-reads the whole corpus); got 0. Leave it unset to turn "
          "the sync off"),
])
def test_a_malformed_or_too_short_interval_is_refused_naming_the_variable(given, message, monkeypatch):
    monkeypatch.setenv("FAQ_SYNC_INTERVAL", given)
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError) as refused:
            get_settings()
    finally:
        get_settings.cache_clear()
    assert str(refused.value) == f"invalid settings:\n  {message}"


# --- one sync ---------------------------------------------------------------------------------------


def test_a_sync_of_an_unchanged_corpus_builds_nothing(fake_everywhere, corpus_dir, tmp_path):
    settings = settings_for(tmp_path, corpus_dir)
    first = build_version(corpus_dir, settings.index_dir, settings)
    report = sync_once(settings)
    assert (report.outcome, report.version, report.error) == ("unchanged", first.version, None)
    assert current_version(settings.index_dir) == first.version


def test_a_sync_of_a_changed_corpus_builds_and_switches_to_a_new_version(fake_everywhere, corpus_dir, tmp_path):
    settings = settings_for(tmp_path, corpus_dir)
    first = build_version(corpus_dir, settings.index_dir, settings)
    edit(corpus_dir)
    report = sync_once(settings)
    assert report.outcome == "switched" and report.version != first.version and report.error is None
    assert (report.entries_added, report.entries_changed, report.entries_removed) == (0, 1, 0) and report.texts_embedded > 0
    assert current_version(settings.index_dir) == report.version


def test_a_malformed_corpus_fails_the_sync_and_the_served_version_stays(fake_everywhere, corpus_dir, tmp_path):
    settings = settings_for(tmp_path, corpus_dir)
    first = build_version(corpus_dir, settings.index_dir, settings)
    (corpus_dir / "enigme-ba793-faq.fr.txt").write_text("not a faq", encoding="utf-8")
    report = sync_once(settings)
    assert (report.outcome, report.version) == ("failed", first.version) and report.error
    assert current_version(settings.index_dir) == first.version


# --- a help center's site (goal: 3 pages changed, 1 added, 1 removed) -------------------------------------------------

CHANGED = {"/help/fr/articles/2-1": "Nouveau : la livraison express en 48 heures est proposée.",
           "/help/en/articles/1-2": "New: you also get a text message at each step.",
           "/help/fr/articles/3-3": "Nouveau : le devis de réparation est gratuit."}
ADDED = "/help/en/articles/5-1"
REMOVED = "/help/en/articles/4-3"


def entry_id(path: str) -> str:
    return path.removeprefix("/").replace("/", "-") + ":1"


def change_site(site: Site) -> None:
    for path, sentence in CHANGED.items():
        site.pages[path] = site.pages[path].replace(b"</main>", f"<p>{sentence}</p></main>".encode())
        site.changed.add(path)  # a new Last-Modified for the French pages; the English ones get a new ETag with their body
    site.pages[ADDED] = (b'<html lang="en"><head><title>Gift wrap</title></head><body><main><h1>Can you gift wrap my watch?</h1>'
                         b"<p>Yes, gift wrapping is free: tick the box at checkout.</p></main></body></html>")
    del site.pages[REMOVED]


def recorded(models: list[RecordingEmbedder]) -> set[tuple[str, str, str]]:
    """(model, role, text) of everything the models were asked to embed since the last call: the build's and the calibration's."""
    texts = {(m.name, "query", t) for m in models for t in m.questions}
    texts |= {(m.name, "passage", t) for m in models for call in m.passage_calls for t in call}
    for m in models:
        m.questions.clear()
        m.passage_calls.clear()
    return texts


def answers(index_dir: Path, questions: list[str]) -> dict[str, tuple]:
    answerer = open_answerer(resolve(index_dir)[0], RetrievalConfig(), [FakeEmbedder(), fake_use()])
    out = {}
    for q in questions:
        a = answerer.answer(q)
        out[q] = (a.outcome, a.hits[0].entry_id if a.hits else None, a.short_answer.text if a.short_answer else None,
                  [h.entry_id for h in answerer.searcher.rank(q, limit=50).hits])
    return out


@pytest.fixture(scope="module")
def site_synced(tmp_path_factory) -> Iterator[dict]:
    """The loopback site synced once, changed (3 pages, 1 added, 1 removed), synced again; what was embedded each time.
    Once for the module: the tests below each read one part of it."""
    import usecases.versions

    models = [RecordingEmbedder(FakeEmbedder()), RecordingEmbedder(fake_use())]
    tmp_path = tmp_path_factory.mktemp("site-sync")
    (tmp_path / "saved").mkdir()
    site = Site(tmp_path / "saved")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(usecases.versions, "load_embedders", lambda config: models)
        settings = settings_for(tmp_path, f"{site.origin}/sitemap.xml", site_timeout=TIMEOUT, site_max_page_bytes=100_000)
        try:
            first = sync_once(settings)
            embedded_first = recorded(models)
            entries = {e.id: e for e in resolve_entries(settings.index_dir)}
            questions = [e.question for e in entries.values()]
            before = answers(settings.index_dir, questions)
            change_site(site)
            second = sync_once(settings)
        finally:
            site.close()
        synced = {"first": first, "second": second, "embedded_first": embedded_first, "embedded": recorded(models),
               "entries_after": {e.id: e for e in resolve_entries(settings.index_dir)},
               "entries": entries, "before": before, "after": answers(settings.index_dir, questions), "index": settings.index_dir}
    yield synced


def resolve_entries(index_dir: Path) -> tuple:
    from index.disk.records import Records

    return Records.load(resolve(index_dir)[0] / "records.json").entries


def test_a_site_sync_counts_the_pages_read_and_the_entries_changed(site_synced):
    first, second = site_synced["first"], site_synced["second"]
    assert (first.outcome, first.pages_fetched, first.pages_unchanged, first.pages_failed) == ("switched", 25, 0, 5)
    assert (second.outcome, second.pages_fetched, second.pages_failed) == ("switched", 25, 5)
    assert second.pages_unchanged == 25 - 3 - 1  # every page but the 3 changed and the added one answered 304
    assert (second.entries_added, second.entries_changed, second.entries_removed) == (1, 3, 1)


def test_a_site_sync_embeds_only_the_texts_of_the_changed_and_added_pages(site_synced):
    embedded = site_synced["embedded"]
    passages = {(model, text) for model, role, text in embedded if role == "passage"}
    entry_questions = {e.question for e in site_synced["entries_after"].values()}
    questions = {(model, text) for model, role, text in embedded if role == "query" and text in entry_questions}
    touched = [*CHANGED.values(), "Yes, gift wrapping is free: tick the box at checkout."]
    assert all(any(t in text for t in touched) for _, text in passages)  # every passage embedded is from a changed or added page
    assert all(sum(t in text for _, text in passages) >= 2 for t in touched)  # and each one's, by both models
    assert {text for _, text in questions} == {"Can you gift wrap my watch?"}  # a changed page's question is the same text: reused
    # what the index stores is exactly that; the rest the models were asked is the calibration's questions, not stored
    assert site_synced["second"].texts_embedded == len(passages) + len(questions) == 13


def test_a_page_removed_from_the_site_is_gone_from_the_answers(site_synced):
    removed = entry_id(REMOVED)
    question = site_synced["entries"][removed].question
    assert site_synced["before"][question][1] == removed
    assert removed not in site_synced["after"][question][3]
    assert removed not in {e.id for e in resolve_entries(site_synced["index"])}


def test_the_answers_of_unchanged_pages_stay_the_same(site_synced):
    touched = {entry_id(p) for p in [*CHANGED, REMOVED]}
    unchanged = {q: a for q, a in site_synced["before"].items() if a[1] not in touched and a[0] == "answer"}
    assert len(unchanged) >= 15
    assert {q: site_synced["after"][q][:3] for q in unchanged} == {q: a[:3] for q, a in unchanged.items()}


def test_a_site_that_is_down_fails_the_sync_and_the_served_version_stays(fake_everywhere, tmp_path):
    (tmp_path / "saved").mkdir()
    site = Site(tmp_path / "saved")
    settings = settings_for(tmp_path, f"{site.origin}/sitemap.xml", site_timeout=TIMEOUT, site_max_page_bytes=100_000)
    try:
        first = sync_once(settings)
    finally:
        site.close()
    report = sync_once(settings)
    assert (report.outcome, report.version) == ("failed", first.version) and "127.0.0.1" in (report.error or "")
    assert current_version(settings.index_dir) == first.version


# --- one syncer at a time ---------------------------------------------------------------------------------------


class Builds:
    """A build_version that counts its calls (and can be held back, to see what happens meanwhile)."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = threading.Event()
        self.release.set()
        self.started = threading.Event()

    def __call__(self, corpus, index_dir, settings):
        self.calls += 1
        self.started.set()
        assert self.release.wait(30)
        return build_version(corpus, index_dir, settings)


def test_of_two_workers_on_one_index_folder_one_syncs_and_the_other_reports_its_sync(fake_everywhere, corpus_dir, tmp_path):
    settings = settings_for(tmp_path, corpus_dir, sync_interval=1)
    build_version(corpus_dir, settings.index_dir, settings)
    edit(corpus_dir)
    a, b = Builds(), Builds()
    first, second = Syncer(settings, FileLock(settings.index_dir / ".sync.lock"), a), Syncer(settings, FileLock(settings.index_dir / ".sync.lock"), b)
    try:
        one, other = first.tick(), second.tick()
        assert (one.holder, other.holder) == (True, False) and (a.calls, b.calls) == (1, 0)
        assert one.last is not None and one.last.outcome == "switched" and other.last == one.last
        assert first.tick().holder is True and second.tick().holder is False  # the same worker each time
    finally:
        first.close()
    assert second.tick().holder is True  # its holder gone, another worker takes over
    second.close()


def test_of_two_replicas_one_holds_the_database_sync_lock_until_it_stops(pg_url):
    a, b = AdvisoryLock(pg_url), AdvisoryLock(pg_url)
    try:
        assert a.hold() is True and b.hold() is False
        assert a.hold() is True and b.hold() is False
        a.close()
        assert b.hold() is True and AdvisoryLock(pg_url).hold() is False
    finally:
        a.close()
        b.close()


# --- the service ------------------------------------------------------------------------------------------------


def sync_state(c: TestClient) -> dict[str, Any] | None:
    body = c.get("/readyz").json()
    return body["sync"]["last"]


def test_readyz_and_metrics_show_the_last_sync(fake_everywhere, fake_models, corpus_dir, tmp_path):
    settings = settings_for(tmp_path, corpus_dir, sync_interval=1, reload_poll_seconds=0)
    first = build_version(corpus_dir, settings.index_dir, settings)
    edit(corpus_dir)
    with TestClient(create_app(settings, models=fake_models), client=LOOPBACK) as c:
        assert c.get("/readyz").json()["sync"] == {"interval_seconds": 1.0, "this_process_syncs": None, "last": None}
        last = wait_for(lambda: sync_state(c))
        ready = c.get("/readyz")
        assert ready.status_code == 200 and ready.json()["sync"]["this_process_syncs"] is True
        assert last["outcome"] == "switched" and last["version"] != first.version and last["error"] is None
        assert (last["entries_added"], last["entries_changed"], last["entries_removed"]) == (0, 1, 0) and last["at"]
        assert ready.json()["index_version"] == last["version"]  # swapped in at once, with the pointer watcher off
        metrics = c.get("/metrics").text
    assert 'faq_syncs_total{outcome="switched"} 1.0' in metrics
    assert 'faq_sync_last{figure="success"} 1.0' in metrics and 'faq_sync_last{figure="entries_changed"} 1.0' in metrics


def test_a_failed_sync_is_shown_while_the_served_version_keeps_answering(fake_everywhere, fake_models, corpus_dir, tmp_path,
                                                                        short_interval):
    settings = settings_for(tmp_path, corpus_dir, sync_interval=short_interval, reload_poll_seconds=0)
    first = build_version(corpus_dir, settings.index_dir, settings)
    (corpus_dir / "enigme-ba793-faq.fr.txt").write_text("not a faq", encoding="utf-8")
    with TestClient(create_app(settings, models=fake_models), client=LOOPBACK) as c:
        last = wait_for(lambda: sync_state(c))
        assert last["outcome"] == "failed" and last["version"] == first.version and "enigme-ba793-faq.fr.txt" in last["error"]
        assert c.get("/readyz").status_code == 200
        answer = c.post("/v1/query", json={"question": QUESTION})
        assert answer.status_code == 200 and answer.json()["index_version"] == first.version
        assert 'faq_sync_last{figure="success"} 0.0' in c.get("/metrics").text


def test_queries_are_answered_while_a_sync_runs(fake_everywhere, fake_models, corpus_dir, tmp_path, monkeypatch):
    import usecases.sync

    settings = settings_for(tmp_path, corpus_dir, sync_interval=1, reload_poll_seconds=0)
    build_version(corpus_dir, settings.index_dir, settings)
    edit(corpus_dir)
    builds = Builds()
    builds.release.clear()  # the build waits until the questions below were answered
    monkeypatch.setattr(usecases.sync, "build_version", builds)
    with TestClient(create_app(settings, models=fake_models)) as c:
        try:
            assert builds.started.wait(20)
            started = time.monotonic()
            for _ in range(20):
                assert c.post("/v1/query", json={"question": QUESTION}).status_code == 200
            assert c.get("/readyz").json()["sync"]["last"] is None  # the sync is still running
            assert time.monotonic() - started < 5
        finally:
            builds.release.set()
        assert wait_for(lambda: sync_state(c))["outcome"] == "switched"


# --- replicas (PostgreSQL): one syncs and publishes, the other follows, no query fails ---------------------------


# end to end and timing-bound (two replicas, PostgreSQL, two sync intervals, four threads asking in a loop): ~10 s, the
# slowest test of make test-fast. What it puts together stays in the fast run: test_queries_are_answered_while_a_sync_runs
# (queries during a sync), test_of_two_replicas_one_holds_the_database_sync_lock_until_it_stops (one replica syncs),
# test_replicas.py::test_two_services_follow_a_publication_and_a_rollback (the other follows the database) and
# test_robustness.py::test_queries_during_repeated_swaps_never_fail_and_come_from_one_version (no query fails at a switch).
@pytest.mark.slow
def test_no_query_fails_on_either_replica_while_a_scheduled_sync_switches_versions(fake_everywhere, fake_models, corpus_dir,
                                                                                    pg_url, tmp_path):
    """Both replicas have FAQ_SYNC_INTERVAL; one holds the advisory lock, syncs and publishes, the other follows the
    database. Questions go to both in a loop while two edits of the corpus are synced and switched to."""
    a, b = (settings_for(tmp_path, corpus_dir, name, database_url=pg_url, sync_interval=1, reload_poll_seconds=0.1)
            for name in ("a", "b"))
    first = build_version(corpus_dir, a.index_dir, a).version  # published: b starts empty and fetches it
    with TestClient(create_app(a, models=fake_models)) as ca, TestClient(create_app(b, models=fake_models)) as cb:
        stop, failures = threading.Event(), []
        served: dict[str, list[str]] = {"a": [], "b": []}

        def ask(name: str, c: TestClient) -> None:
            # a question every few ms per thread (hundreds during each switch), not a busy loop: four threads asking
            # back to back took both cores from the sync they wait for and from the other test workers
            while not stop.wait(0.005):
                r = c.post("/v1/query", json={"question": QUESTION})
                if r.status_code != 200:
                    failures.append((name, r.status_code, r.text[:200]))
                else:
                    served[name].append(r.json()["index_version"])

        threads = [threading.Thread(target=ask, args=(name, c)) for name, c in (("a", ca), ("b", cb)) for _ in range(2)]
        for t in threads:
            t.start()
        try:
            versions = [first]
            for new in ("apparaîtra sous trois jours ouvrables.", "apparaîtra sous deux jours ouvrables."):
                edit(corpus_dir, ANSWER if len(versions) == 1 else "apparaîtra sous trois jours ouvrables.", new)
                def new_sync() -> dict[str, Any] | None:
                    s = sync_state(ca) or sync_state(cb)
                    return s if s and s["version"] not in versions else None

                last = wait_for(new_sync, 30)
                versions.append(last["version"])
                for c in (ca, cb):
                    def serves_it(c: TestClient = c) -> bool:
                        return c.get("/readyz").json()["index_version"] == versions[-1]

                    wait_for(serves_it, 30)
            time.sleep(0.3)
        finally:
            stop.set()
            for t in threads:
                t.join()
        holders = [c.get("/readyz").json()["sync"]["this_process_syncs"] for c in (ca, cb)]
    print(f"\nSYNC replicas: {len(served['a'])} + {len(served['b'])} questions answered, {len(failures)} failed, "
          f"versions served a={sorted(set(served['a']))} b={sorted(set(served['b']))}")
    assert failures == []
    assert sorted(holders) == [False, True]  # exactly one replica syncs
    assert set(served["a"]) == set(served["b"]) == set(versions) and len(versions) == 3  # both switched twice under load


def test_a_sync_on_one_replica_shows_in_the_readyz_and_metrics_of_another(fake_everywhere, fake_models, corpus_dir, pg_url,
                                                                           tmp_path, short_interval):
    """Replica a (another host: its own index folder) holds the lock and syncs; b's /readyz and /metrics show a's last
    sync (b's own count of syncs stays empty: it ran none)."""
    a, b = (settings_for(tmp_path, corpus_dir, name, database_url=pg_url, sync_interval=short_interval, reload_poll_seconds=0.1)
            for name in ("a", "b"))
    build_version(corpus_dir, a.index_dir, a)
    edit(corpus_dir)
    shared = connect_in_background(pg_url)
    syncer = Syncer(a, AdvisoryLock(pg_url), shared=shared)
    try:
        ran = syncer.tick()
        assert ran.holder is True and ran.last is not None and ran.last.outcome == "switched"
        with TestClient(create_app(b, models=fake_models), client=LOOPBACK) as c:
            shown = wait_for(lambda: sync_state(c))
            ready = c.get("/readyz").json()
            metrics = c.get("/metrics").text
    finally:
        syncer.close()
        shared.close()
    assert ready["sync"]["this_process_syncs"] is False and ready["index_version"] == ran.last.version
    assert shown["outcome"] == "switched" and shown["version"] == ran.last.version and shown["entries_changed"] == 1
    assert not (b.index_dir / ".last-sync.json").exists()
    started = next(float(line.split()[-1]) for line in metrics.splitlines() if line.startswith('faq_sync_last{figure="started"}'))
    assert started == pytest.approx(ran.last.started_at)
    assert 'faq_sync_last{figure="success"} 1.0' in metrics and 'faq_sync_last{figure="entries_changed"} 1.0' in metrics
    assert 'faq_syncs_total{outcome=' not in metrics


# --- faq serve --workers 2: one worker syncs -----------------------------------------------------------------------


@pytest.mark.slow  # two worker processes start: ~10-20 s
def test_of_two_worker_processes_one_syncs_and_both_show_its_last_sync(fake_index_dir, tmp_path):
    """The corpus is the index's own, so the sync finds it unchanged (and loads no model in the workers)."""
    import httpx

    from fake_workers import two_fake_workers

    shutil.copytree(fake_index_dir, tmp_path / "index")
    settings = {"FAQ_INDEX_DIR": str(tmp_path / "index"), "FAQ_DATA_DIR": str(tmp_path / "data"), "FAQ_CORPUS": str(CORPUS),
                "FAQ_RATE_LIMIT_PER_MINUTE": "0", "FAQ_SYNC_INTERVAL": "1", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    with two_fake_workers(settings) as base:
        def both_synced() -> list[dict] | None:  # a new connection each: the kernel hands them to either worker
            seen = [httpx.get(f"{base}/readyz").json()["sync"] for _ in range(12)]
            return seen if {s["this_process_syncs"] for s in seen} == {True, False} and all(s["last"] for s in seen) else None

        seen = wait_for(both_synced, 30)
        metrics = httpx.get(f"{base}/metrics").text  # every worker's files: the holder's figures
    assert {s["last"]["outcome"] for s in seen} == {"unchanged"}
    assert 'faq_sync_last{figure="success"} 1.0' in metrics and 'faq_syncs_total{outcome="unchanged"}' in metrics
