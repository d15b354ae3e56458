"""What customers type is stored redacted, kept FAQ_QUERY_LOG_DAYS, deleted on request (`faq forget`), in a file only
its owner reads; on both feedback store backends."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from cli.main import app as cli
from faq.settings import Settings
from feedback.factory import open_feedback_store
from feedback.sqlite import SqliteFeedbackStore
from feedback.store import FeedbackStore

PERSONAL = "Remboursez 4111 1111 1111 1111 sur FR76 3000 6000 0112 3456 7890 189, je suis au 06 12 34 56 78 ou marie@example.fr"
REDACTED = "Remboursez <card> sur <iban>, je suis au <phone> ou <email>"
DAY = 86400


def _ask(store: FeedbackStore, question: str, ts: float | None = None, answerable: bool = False) -> str:
    return store.log_query(question, "search", answerable, 0.2, "e1" if answerable else None, lang="fr", ts=ts)


def test_the_query_log_stores_the_question_redacted(feedback_store: FeedbackStore) -> None:
    _ask(feedback_store, PERSONAL)
    assert feedback_store.logged_questions() == [REDACTED]


def test_analytics_gaps_and_csv_show_only_the_redacted_question(feedback_store: FeedbackStore) -> None:
    _ask(feedback_store, PERSONAL)
    assert feedback_store.analytics()["top_questions"] == [{"question": REDACTED, "count": 1}]
    assert feedback_store.unanswered() == [(REDACTED, 1)]
    csv_text = feedback_store.queries_csv()
    assert "<card>" in csv_text and "4111" not in csv_text and "marie@" not in csv_text


def test_a_used_verdict_proposes_the_redacted_question_as_a_phrasing(feedback_store: FeedbackStore) -> None:
    feedback_store.record(_ask(feedback_store, "mon mail marie@example.fr ne reçoit rien"), "e1", "used")
    assert [p.text for p in feedback_store.phrasings()] == ["mon mail <email> ne reçoit rien"]


def test_questions_that_differ_only_by_whose_data_they_carry_group_together(feedback_store: FeedbackStore) -> None:
    _ask(feedback_store, "rappelez-moi au 06 12 34 56 78")
    _ask(feedback_store, "rappelez-moi au +33 7 81 22 90 14")
    assert feedback_store.analytics()["top_questions"] == [{"question": "rappelez-moi au <phone>", "count": 2}]


def test_a_team_pattern_from_the_settings_is_redacted_in_the_store(tmp_path: Path) -> None:
    with open_feedback_store(Settings(data_dir=tmp_path, redact_patterns={"order": r"CMD-\d{6}"})) as store:
        _ask(store, "où en est CMD-004512 ?")
        assert store.logged_questions() == ["où en est <order> ?"]


# --- retention ---------------------------------------------------------------------------------


def test_queries_and_verdicts_older_than_the_retention_are_deleted_when_the_store_opens(database_url: SecretStr | None, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=database_url, query_log_days=90)
    now = time.time()
    with open_feedback_store(settings) as store:
        old, recent = _ask(store, "vieille question", ts=now - 91 * DAY), _ask(store, "question récente", ts=now - 89 * DAY)
        store.record(old, "e1", "helpful")
        store.record(recent, "e1", "helpful")
    with open_feedback_store(settings) as store:
        assert store.logged_questions() == ["question récente"]
        assert store.engagement()["helpful"] == 1


def test_the_retention_runs_again_on_a_write_a_day_later(feedback_store: FeedbackStore) -> None:
    feedback_store.retention_days = 30
    _ask(feedback_store, "vieille question", ts=time.time() - 31 * DAY)
    assert feedback_store.logged_questions() == ["vieille question"]  # the day's purge already ran at open
    feedback_store._next_purge = time.time() - 1  # a day later
    _ask(feedback_store, "nouvelle question")
    assert feedback_store.logged_questions() == ["nouvelle question"]


def test_a_retention_of_zero_days_keeps_everything(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, query_log_days=0)
    with open_feedback_store(settings) as store:
        _ask(store, "question de 2001", ts=1e9)
    with open_feedback_store(settings) as store:
        assert store.purge_expired() == 0 and store.logged_questions() == ["question de 2001"]


# --- forget ------------------------------------------------------------------------------------


def test_forget_removes_every_question_containing_the_value_in_any_case(feedback_store: FeedbackStore) -> None:
    dupont = _ask(feedback_store, "Commande de Mme DUPONT pas reçue")
    feedback_store.record(dupont, "e1", "used")
    feedback_store.record(dupont, "e1", "helpful")
    _ask(feedback_store, "élodie dupont demande un remboursement")
    _ask(feedback_store, "combien dure la garantie ?")
    removed = feedback_store.forget("Dupont")
    assert (removed.queries, removed.verdicts, removed.phrasings) == (2, 2, 1)
    assert feedback_store.logged_questions() == ["combien dure la garantie ?"] and feedback_store.phrasings() == []


def test_forget_matches_beyond_ascii_case(feedback_store: FeedbackStore) -> None:
    _ask(feedback_store, "ÉLODIE veut un échange")
    assert feedback_store.forget("élodie").queries == 1


def test_forget_refuses_an_empty_value(feedback_store: FeedbackStore) -> None:
    _ask(feedback_store, "combien dure la garantie ?")
    with pytest.raises(ValueError, match="would match every stored question"):
        feedback_store.forget("  ")
    assert feedback_store.logged_questions() == ["combien dure la garantie ?"]


def test_faq_forget_prints_how_many_rows_it_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAQ_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("cli.main.get_settings", lambda: Settings())
    with open_feedback_store(Settings()) as store:
        _ask(store, "Commande de Mme Dupont")
        _ask(store, "garantie ?")
    result = CliRunner().invoke(cli, ["forget", "dupont"])
    assert result.exit_code == 0, result.output
    assert "removed 1 question(s) from the query log, 0 verdict(s) on them and 0 phrasing(s)" in result.output
    with open_feedback_store(Settings()) as store:
        assert store.logged_questions() == ["garantie ?"]


# --- the SQLite file ---------------------------------------------------------------------------


def test_the_sqlite_database_and_its_wal_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        with SqliteFeedbackStore(tmp_path / "feedback.sqlite3") as store:
            _ask(store, "garantie ?")
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    finally:
        os.umask(old)
    assert {"feedback.sqlite3", "feedback.sqlite3-wal", "feedback.sqlite3-shm"} <= set(modes)
    assert set(modes.values()) == {0o600}, modes


def test_a_database_an_older_release_created_0644_is_narrowed_to_0600(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    SqliteFeedbackStore(path).close()
    path.chmod(0o644)
    SqliteFeedbackStore(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
