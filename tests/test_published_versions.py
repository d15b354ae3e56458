"""replication.published: index versions in PostgreSQL, uploaded whole or not at all, downloaded only when every file checks out."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from faq.database import open_pool
from faq.errors import DatabaseError, IndexError_, IndexNotFoundError, ReplicationError
from index.disk.storage import read_manifest
from index.pipeline import store_calibration
from replication.published import CHUNK_BYTES, PublishedVersions, published_versions

from conftest import calibration_of

V1, V2, V3, V4 = "20260101T000000-aaaa", "20260102T000000-bbbb", "20260103T000000-cccc", "20260104T000000-dddd"


@pytest.fixture
def registry(pg_url: str) -> Iterator[PublishedVersions]:
    with published_versions(pg_url) as published:
        yield published


def local_version(fake_index_dir: Path, root: Path, name: str) -> Path:
    """A copy of the calibrated fake index as version `name` under `root`/versions."""
    folder = root / "versions" / name
    shutil.copytree(fake_index_dir, folder)
    return folder


def contents(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_published_version_downloads_byte_for_byte(registry, fake_index_dir, tmp_path):
    folder = local_version(fake_index_dir, tmp_path, V1)
    published = registry.publish(folder, V1)
    assert {f.path for f in published} == set(contents(folder))
    assert all(f.sha256 == hashlib.sha256((folder / f.path).read_bytes()).hexdigest() for f in published)
    registry.download(V1, tmp_path / "copy")
    assert contents(tmp_path / "copy") == contents(folder)
    assert registry.versions() == [V1]


def test_a_file_larger_than_a_chunk_is_split_and_joined_again(registry, fake_index_dir, tmp_path, pg_url):
    folder = local_version(fake_index_dir, tmp_path, V1)
    (folder / "big.bin").write_bytes(os.urandom(2 * CHUNK_BYTES + 123))
    registry.publish(folder, V1)
    with psycopg.connect(pg_url) as db:
        rows = db.execute("SELECT length(data) FROM index_chunks WHERE path = 'big.bin' ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == [CHUNK_BYTES, CHUNK_BYTES, 123]
    registry.download(V1, tmp_path / "copy")
    assert (tmp_path / "copy" / "big.bin").read_bytes() == (folder / "big.bin").read_bytes()


def test_hidden_and_temporary_files_are_not_published(registry, fake_index_dir, tmp_path):
    folder = local_version(fake_index_dir, tmp_path, V1)
    (folder / "manifest.json.tmp").write_text("{half a manifest", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\0")
    assert {f.path for f in registry.publish(folder, V1)} == set(contents(fake_index_dir))


@pytest.mark.skipif(not os.access("/proc/self/mem", os.R_OK), reason="needs /proc/self/mem, a file whose read fails")
def test_an_upload_that_fails_midway_leaves_no_version_behind(registry, fake_index_dir, tmp_path, pg_url):
    folder = local_version(fake_index_dir, tmp_path, V1)
    (folder / "zz-unreadable.bin").symlink_to("/proc/self/mem")  # listed last, after the real files went in; reading it fails
    with pytest.raises(IndexError_, match="Nothing was published"):
        registry.publish(folder, V1)
    assert registry.versions() == []
    with psycopg.connect(pg_url) as db:
        assert db.execute("SELECT count(*) FROM index_chunks").fetchone() == (0,)


def test_publishing_a_complete_version_again_changes_nothing(registry, fake_index_dir, tmp_path):
    folder = local_version(fake_index_dir, tmp_path, V1)
    first = registry.publish(folder, V1)
    (folder / "records.json").write_text("[]", encoding="utf-8")
    assert registry.publish(folder, V1) == first


def test_serving_a_version_not_in_the_database_is_refused(registry, fake_index_dir, tmp_path):
    registry.publish(local_version(fake_index_dir, tmp_path, V1), V1)
    with pytest.raises(IndexNotFoundError, match=rf"No complete version '{V2}' in the database \(published: {V1}\)"):
        registry.serve(V2)
    assert registry.served() is None


def test_served_names_the_version_and_its_manifest_checksum(registry, fake_index_dir, tmp_path):
    folder = local_version(fake_index_dir, tmp_path, V1)
    registry.publish(folder, V1)
    registry.serve(V1)
    assert registry.served() == (V1, hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest())


@pytest.mark.parametrize(("damage", "message"), [
    ("UPDATE index_chunks SET data = substring(data from 1 for 10) WHERE path = 'records.json'", "bytes in the database copy"),
    ("UPDATE index_chunks SET data = overlay(data placing '\\x00ff'::bytea from 20) WHERE path = 'records.json'", "the database copy is corrupt"),
    ("DELETE FROM index_chunks WHERE path = 'records.json' AND seq = 0", "chunk 0 of 1 is missing"),
], ids=["truncated", "flipped-bytes", "missing-chunk"])
def test_a_damaged_chunk_fails_the_download_and_names_the_file(registry, fake_index_dir, tmp_path, pg_url, damage, message):
    registry.publish(local_version(fake_index_dir, tmp_path, V1), V1)
    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute(damage)
    with pytest.raises(ReplicationError, match=f"{V1}/records.json: .*{message}"):
        registry.download(V1, tmp_path / "copy")


def test_a_republished_manifest_replaces_only_the_manifest(registry, fake_index_dir, tmp_path):
    folder = local_version(fake_index_dir, tmp_path, V1)
    before = {f.path: f for f in registry.publish(folder, V1)}
    registry.serve(V1)
    info = calibration_of(read_manifest(folder))
    store_calibration(folder, info.model_copy(update={"threshold": 0.5}))
    republished = registry.republish_manifest(folder, V1)
    assert registry.served() == (V1, republished.sha256) and republished != before["manifest.json"]
    after = {f.path: f for f in registry.files(V1)}
    assert {p: f for p, f in after.items() if p != "manifest.json"} == {p: f for p, f in before.items() if p != "manifest.json"}
    registry.download(V1, tmp_path / "copy", only="manifest.json")
    assert calibration_of(read_manifest(tmp_path / "copy")).threshold == 0.5


def test_a_manifest_of_a_version_never_published_cannot_be_republished(registry, fake_index_dir, tmp_path):
    with pytest.raises(IndexNotFoundError, match="not published in the database"):
        registry.republish_manifest(local_version(fake_index_dir, tmp_path, V1), V1)


def test_prune_keeps_the_served_version_and_the_newest_others(registry, fake_index_dir, tmp_path):
    for name in (V1, V2, V3, V4):
        registry.publish(local_version(fake_index_dir, tmp_path, name), name)
    registry.serve(V1)
    assert registry.prune(keep=2) == [V2, V3]
    assert registry.versions() == [V1, V4]


def test_previous_is_the_newest_version_before_the_served_one(registry, fake_index_dir, tmp_path):
    for name in (V1, V2, V3):
        registry.publish(local_version(fake_index_dir, tmp_path, name), name)
    assert registry.previous() == V3  # nothing served yet: the newest
    registry.serve(V3)
    assert registry.previous() == V2
    registry.serve(V1)
    assert registry.previous() is None


def test_an_unreachable_database_is_a_database_error_saying_what_was_being_done():
    registry = PublishedVersions(open_pool("postgresql://u:pw@127.0.0.1:1/x", timeout=0.2, wait=False))
    try:
        with pytest.raises(DatabaseError, match="Cannot reach the database to read the served index version"):
            registry.served()
    finally:
        registry.close()


def test_the_last_run_of_a_kind_is_replaced_by_the_next_and_kinds_are_apart(registry):
    assert registry.last_run("check") is None
    registry.record_run("check", {"candidate": "v1"})
    registry.record_run("check", {"candidate": "v2"})
    registry.record_run("sync", {"outcome": "unchanged"})
    assert registry.last_run("check") == {"candidate": "v2"} and registry.last_run("sync") == {"outcome": "unchanged"}
