"""faq.database: the pool and the versioned migrations every PostgreSQL-backed store starts with."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from faq.database import Migration, apply_migrations, load_migrations, open_pool, redact
from faq.errors import DatabaseError

V1 = Migration(1, "init", "CREATE TABLE items (id SERIAL PRIMARY KEY, name TEXT NOT NULL);")
V2 = Migration(2, "add_note", "ALTER TABLE items ADD COLUMN note TEXT;")


def test_redact_hides_the_password_only() -> None:
    assert redact("postgresql://faq:s3cret@db.example:5432/faq") == "postgresql://faq:***@db.example:5432/faq"
    assert redact("postgresql://faq@db/faq") == "postgresql://faq@db/faq"


def _package_with_migrations(root: Path, monkeypatch: pytest.MonkeyPatch, name: str, files: dict[str, str]) -> str:
    """An importable package `name` whose migrations/ folder holds `files`."""
    (root / name / "migrations").mkdir(parents=True)
    (root / name / "__init__.py").write_text("")
    for file, sql in files.items():
        (root / name / "migrations" / file).write_text(sql)
    monkeypatch.syspath_prepend(str(root))
    return name


def test_load_migrations_reads_numbered_files_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = _package_with_migrations(tmp_path, monkeypatch, "somepkg", {"0002_more.sql": "SELECT 2;", "0001_init.sql": "SELECT 1;"})
    assert [(m.version, m.name) for m in load_migrations(package)] == [(1, "init"), (2, "more")]


def test_load_migrations_refuses_a_gap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = _package_with_migrations(tmp_path, monkeypatch, "gappkg", {"0001_init.sql": "SELECT 1;", "0003_late.sql": "SELECT 3;"})
    with pytest.raises(DatabaseError, match="without gaps"):
        load_migrations(package)


def test_open_pool_names_the_database_it_cannot_reach() -> None:
    with pytest.raises(DatabaseError, match=r"postgresql://u:\*\*\*@127.0.0.1:1/x"):
        open_pool("postgresql://u:pw@127.0.0.1:1/x", timeout=1)


def test_migrations_apply_once_and_then_only_the_new_ones(pg_url: str) -> None:
    pool = open_pool(pg_url)
    try:
        assert apply_migrations(pool, "things", [V1]) == [1]
        assert apply_migrations(pool, "things", [V1]) == []
        assert apply_migrations(pool, "things", [V1, V2]) == [2]
        with pool.connection() as db:
            db.execute("INSERT INTO items (name, note) VALUES ('a', 'b')")
    finally:
        pool.close()


def test_a_failing_migration_names_itself_and_leaves_the_schema_as_it_was(pg_url: str) -> None:
    pool = open_pool(pg_url)
    try:
        apply_migrations(pool, "things", [V1])
        broken = Migration(2, "broken", "ALTER TABLE items ADD COLUMN x TEXT; ALTER TABLE nowhere ADD COLUMN y TEXT;")
        with pytest.raises(DatabaseError, match="0002_broken.sql"):
            apply_migrations(pool, "things", [V1, broken])
        with pool.connection() as db:
            columns = {r[0] for r in db.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'items'")}
        assert columns == {"id", "name"}
        assert apply_migrations(pool, "things", [V1, V2]) == [2]
    finally:
        pool.close()


def test_a_database_newer_than_the_code_is_refused(pg_url: str) -> None:
    pool = open_pool(pg_url)
    try:
        apply_migrations(pool, "things", [V1, V2])
        with pytest.raises(DatabaseError, match="newer than this release"):
            apply_migrations(pool, "things", [V1])
    finally:
        pool.close()


def test_replicas_migrating_at_once_apply_each_version_once(pg_url: str) -> None:
    pools = [open_pool(pg_url) for _ in range(4)]
    results: list[list[int]] = []
    try:
        threads = [threading.Thread(target=lambda p=p: results.append(apply_migrations(p, "things", [V1, V2]))) for p in pools]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == [[], [], [], [1, 2]]
    finally:
        for p in pools:
            p.close()
