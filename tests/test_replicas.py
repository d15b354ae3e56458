"""Replicas follow the index version the database serves: fetched when missing, verified, switched; a replica
that cannot follow keeps its last good version and says so. Fake models; the real two-process run is
tests/test_replicas_real.py."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from cli.main import app as cli
from faq.errors import DatabaseError, IndexNotFoundError
from faq.settings import Settings, get_settings
from index.disk.storage import read_manifest
from index.disk.versions import current_version, switch, versions
from index.pipeline import store_calibration
from replication.follower import Follower
from replication.published import PublishedVersions, connect_in_background, published_versions
from service import create_app
from usecases.versions import build_version, fetch_published, rollback

from conftest import CORPUS, calibration_of

V1, V2 = "20260101T000000-aaaa", "20260102T000000-bbbb"
IN_SCOPE = "Combien de temps dure la garantie ?"


@pytest.fixture
def registry(pg_url: str) -> Iterator[PublishedVersions]:
    with published_versions(pg_url) as published:
        yield published


def publish_copy(registry: PublishedVersions, fake_index_dir: Path, where: Path, name: str, serve: bool = True) -> Path:
    """Publish a copy of the calibrated fake index as version `name` (built on another host: `where`)."""
    folder = where / "versions" / name
    shutil.copytree(fake_index_dir, folder)
    registry.publish(folder, name)
    if serve:
        registry.serve(name)
    return folder


def corrupt(pg_url: str, version: str, path: str = "records.json") -> None:
    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute("UPDATE index_chunks SET data = overlay(data placing '\\x00ff'::bytea from 20) WHERE version = %s AND path = %s",
                   (version, path))


def wait_for(c: TestClient, check, seconds: float = 20) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        body = c.get("/readyz").json()
        if check(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


# --- the follower ---------------------------------------------------------------------------------


def test_a_follower_fetches_the_published_version_into_an_empty_folder_and_points_at_it(registry, fake_index_dir, tmp_path):
    publish_copy(registry, fake_index_dir, tmp_path / "builder", V1)
    root = tmp_path / "replica"
    status = Follower(registry, root, keep=3).step()
    assert (status.local, status.published, status.fetched, status.error) == (V1, V1, V1, None)
    assert current_version(root) == V1 and read_manifest(root) == read_manifest(fake_index_dir)
    assert [p.name for p in (root / "versions").iterdir()] == [V1]  # no temporary folder left


def test_a_follower_in_step_fetches_nothing(registry, fake_index_dir, tmp_path):
    publish_copy(registry, fake_index_dir, tmp_path / "builder", V1)
    follower = Follower(registry, tmp_path / "replica", keep=3)
    follower.step()
    assert follower.step().fetched is None


def test_a_republished_manifest_is_fetched_alone(registry, fake_index_dir, tmp_path):
    built = publish_copy(registry, fake_index_dir, tmp_path / "builder", V1)
    root = tmp_path / "replica"
    follower = Follower(registry, root, keep=3)
    follower.step()
    vectors = (root / "versions" / V1 / "vectors.faiss").stat().st_ino
    store_calibration(built, calibration_of(read_manifest(built)).model_copy(update={"threshold": 0.5}))
    registry.republish_manifest(built, V1)
    assert follower.step().fetched == f"{V1} (manifest)"
    assert calibration_of(read_manifest(root)).threshold == 0.5
    assert (root / "versions" / V1 / "vectors.faiss").stat().st_ino == vectors


def test_a_corrupt_chunk_leaves_the_last_good_version_in_place(registry, fake_index_dir, tmp_path, pg_url):
    publish_copy(registry, fake_index_dir, tmp_path / "builder", V1)
    root = tmp_path / "replica"
    follower = Follower(registry, root, keep=3)
    follower.step()
    publish_copy(registry, fake_index_dir, tmp_path / "builder", V2)
    corrupt(pg_url, V2)
    status = follower.sync()
    assert (status.local, status.published) == (V1, V2)
    assert status.error is not None and f"{V2}/records.json" in status.error and "corrupt" in status.error
    assert current_version(root) == V1 and [p.name for p in (root / "versions").iterdir()] == [V1]


def test_a_follower_follows_a_rollback_to_a_version_it_still_has(registry, fake_index_dir, tmp_path):
    publish_copy(registry, fake_index_dir, tmp_path / "builder", V1)
    root = tmp_path / "replica"
    follower = Follower(registry, root, keep=3)
    follower.step()
    publish_copy(registry, fake_index_dir, tmp_path / "builder", V2)
    follower.step()
    registry.serve(V1)
    assert follower.step().fetched is None and current_version(root) == V1


def test_a_follower_that_cannot_reach_the_database_reports_it_and_changes_nothing(fake_index_dir, tmp_path):
    root = tmp_path / "replica"
    shutil.copytree(fake_index_dir, root / "versions" / V1)
    switch(root, V1)
    follower = Follower(connect_in_background("postgresql://u@127.0.0.1:1/x", timeout=0.2), root, keep=3)
    try:
        status = follower.sync()
    finally:
        follower.close()
    assert status.local == V1 and status.published is None and status.error is not None and "Cannot reach the database" in status.error
    assert current_version(root) == V1


@pytest.mark.slow  # waits on purpose for the connection pool to reconnect after the server dropped it (psycopg_pool retries after ~1 s)
def test_a_follower_catches_up_once_the_database_is_back(fake_index_dir, pg_url, tmp_path):
    follower = Follower(connect_in_background(pg_url), tmp_path / "replica", keep=3)
    try:
        assert follower.sync().published is None
        with psycopg.connect(pg_url, autocommit=True) as db:  # what a database restart does to the follower's connection
            db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
        with published_versions(pg_url) as registry:
            publish_copy(registry, fake_index_dir, tmp_path / "builder", V1)
        status = follower.sync()
        assert (status.error, status.local, status.fetched) == (None, V1, V1)
    finally:
        follower.close()


def test_a_single_index_folder_cannot_follow(registry, fake_index_dir, tmp_path):
    shutil.copytree(fake_index_dir, tmp_path / "single")
    with pytest.raises(IndexNotFoundError, match="single index folder"):
        Follower(registry, tmp_path / "single", keep=3).step()


# --- the use cases: faq ingest, faq rollback, faq calibrate, faq serve's start ----------------------


def settings_for(root: Path, pg_url: str, tmp_path: Path, **more) -> Settings:
    return Settings(index_dir=root, corpus=CORPUS, data_dir=tmp_path / "data", database_url=SecretStr(pg_url), **more)


def test_an_ingest_publishes_its_version_and_serves_it(fake_everywhere, pg_url, tmp_path):
    result = build_version(CORPUS, tmp_path / "builder", settings_for(tmp_path / "builder", pg_url, tmp_path))
    with published_versions(pg_url) as registry:
        served = registry.served()
        assert result.published and served is not None and served[0] == result.version and registry.versions() == [result.version]


def test_an_ingest_the_database_refuses_switches_nothing(fake_everywhere, pg_url, tmp_path):
    with psycopg.connect(pg_url, autocommit=True) as db:  # a newer release migrated it: this one must not write there
        db.execute("CREATE TABLE schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, "
                   "applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (component, version))")
        db.execute("INSERT INTO schema_migrations VALUES ('index', 99, 'future')")
    root = tmp_path / "builder"
    with pytest.raises(DatabaseError, match="was built at .* but not published, so nothing was switched: .*newer than this release"):
        build_version(CORPUS, root, settings_for(root, pg_url, tmp_path))
    assert current_version(root) is None


def test_rollback_serves_the_previous_published_version_everywhere(fake_everywhere, pg_url, tmp_path):
    root = tmp_path / "builder"
    settings = settings_for(root, pg_url, tmp_path)
    first = build_version(CORPUS, root, settings).version
    second = build_version(CORPUS, root, settings).version
    done = rollback(root, settings)
    assert (done.version, done.was) == (first, second)
    with published_versions(pg_url) as registry:
        served = registry.served()
        assert served is not None and served[0] == first
    assert current_version(root) == first
    with pytest.raises(IndexNotFoundError, match="No earlier index version in the database"):
        rollback(root, settings)


def test_keep_versions_applies_to_the_database_too(fake_everywhere, pg_url, tmp_path):
    root = tmp_path / "builder"
    settings = settings_for(root, pg_url, tmp_path, keep_versions=2)
    built = [build_version(CORPUS, root, settings).version for _ in range(3)]
    with published_versions(pg_url) as registry:
        assert registry.versions() == built[1:]
    assert versions(root) == built[1:]


def test_a_replica_starting_empty_fetches_the_published_version_instead_of_building(registry, fake_index_dir, pg_url, tmp_path):
    publish_copy(registry, fake_index_dir, tmp_path / "builder", V1)
    status = fetch_published(settings_for(tmp_path / "replica", pg_url, tmp_path))
    assert status is not None and status.fetched == V1 and current_version(tmp_path / "replica") == V1


def test_faq_calibrate_republishes_the_served_manifest(registry, fake_index_dir, fake_everywhere, pg_url, tmp_path, monkeypatch):
    publish_copy(registry, fake_index_dir, tmp_path / "builder", V1)
    before = registry.served()
    questions = tmp_path / "questions.jsonl"
    questions.write_text('{"text": "Je peux payer avec PayPal ?", "relevant_entry_ids": ["enigme-ba793-faq:1.1"], "split": "dev"}\n',
                         encoding="utf-8")
    monkeypatch.setenv("FAQ_DATABASE_URL", pg_url)
    monkeypatch.setenv("FAQ_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["calibrate", str(questions), "--index", str(tmp_path / "replica")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"republished the manifest of {V1}" in " ".join(result.output.split())
    assert registry.served()[0] == V1 and registry.served()[1] != before[1]
    registry.download(V1, tmp_path / "copy", only="manifest.json")
    assert calibration_of(read_manifest(tmp_path / "copy")).questions == 1


# --- the service ----------------------------------------------------------------------------------


def replica(root: Path, pg_url: str, tmp_path: Path, fake_models) -> TestClient:
    settings = settings_for(root, pg_url, tmp_path, reload_poll_seconds=0.1, rate_limit_per_minute=0)
    return TestClient(create_app(settings, models=fake_models))


def test_a_service_starting_with_an_empty_index_folder_serves_the_published_version(registry, fake_index_dir, fake_models, pg_url, tmp_path):
    publish_copy(registry, fake_index_dir, tmp_path / "builder", V1)
    with replica(tmp_path / "replica", pg_url, tmp_path, fake_models) as c:
        ready = c.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["index_version"] == V1
        replication = ready.json()["replication"]
        assert replication | {"checked_at": None, "last_fetch": None} == {"served": V1, "published": V1, "in_sync": True,
                                                                            "error": None, "checked_at": None, "last_fetch": None}
        assert replication["last_fetch"]["what"] == V1 and replication["checked_at"]


def test_two_services_follow_a_publication_and_a_rollback(registry, fake_index_dir, fake_models, pg_url, tmp_path):
    publish_copy(registry, fake_index_dir, tmp_path / "builder", V1)
    with replica(tmp_path / "a", pg_url, tmp_path, fake_models) as a, replica(tmp_path / "b", pg_url, tmp_path, fake_models) as b:
        publish_copy(registry, fake_index_dir, tmp_path / "builder", V2)
        for c in (a, b):
            assert wait_for(c, lambda body: body.get("index_version") == V2)["replication"]["in_sync"] is True
            assert c.post("/v1/query", json={"question": IN_SCOPE}).json()["index_version"] == V2
        registry.serve(V1)
        for c in (a, b):
            assert wait_for(c, lambda body: body.get("index_version") == V1)["index_version"] == V1


def test_a_replica_that_cannot_verify_a_new_version_stays_ready_on_its_last_good_one(registry, fake_index_dir, fake_models, pg_url, tmp_path):
    publish_copy(registry, fake_index_dir, tmp_path / "builder", V1)
    with replica(tmp_path / "replica", pg_url, tmp_path, fake_models) as c:
        publish_copy(registry, fake_index_dir, tmp_path / "builder", V2, serve=False)
        corrupt(pg_url, V2)
        registry.serve(V2)
        body = wait_for(c, lambda body: body["replication"]["error"] is not None)
        assert c.get("/readyz").status_code == 200
        assert body["index_version"] == V1 and body["replication"]["served"] == V1 and body["replication"]["in_sync"] is False
        assert f"{V2}/records.json" in body["replication"]["error"]
        answer = c.post("/v1/query", json={"question": IN_SCOPE})
        assert answer.status_code == 200 and answer.json()["index_version"] == V1


def test_a_service_polling_rarely_follows_at_once_when_the_database_announces_a_change(registry, fake_index_dir, fake_models,
                                                                                        pg_url, tmp_path):
    publish_copy(registry, fake_index_dir, tmp_path / "builder", V1)
    settings = settings_for(tmp_path / "replica", pg_url, tmp_path, reload_poll_seconds=300, rate_limit_per_minute=0)
    with TestClient(create_app(settings, models=fake_models)) as c:
        publish_copy(registry, fake_index_dir, tmp_path / "builder", V2)  # NOTIFY: no waiting for the poll 300 s away
        assert wait_for(c, lambda body: body.get("index_version") == V2, seconds=60)["index_version"] == V2
