"""Before a new index version is served, `faq ingest` asks the team's saved questions and the most-asked logged ones of
the served version and of the new one, reports what moved, and refuses to switch when the saved questions' hit@1 or
end-to-end accuracy drops past the tolerance (usecases.regression_check)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from eval.clients import Prediction
from eval.datasets import EvalQuery
from eval.metrics import contains_fact as eval_contains_fact
from eval.run import score_query, summarize
from faq.errors import CorpusError
from faq.settings import Settings
from feedback.factory import open_feedback_store
from index.disk.versions import VERSIONS, current_version, resolve
from ingest.corpus import Corpus, load_corpus
from service import create_app
from usecases.regression_check import (
    LAST_CHECK,
    CheckOptions,
    CheckQuestion,
    CheckRefusedError,
    QuestionResult,
    Reply,
    compare,
    contains_fact,
    forget_in_check,
    forget_in_shared_check,
    last_check,
    report_lines,
    save_check,
    scores,
    shown_check,
)
from usecases.versions import build_loaded

from conftest import ADMIN_TOKEN, CORPUS

BROKEN, DONOR = 6, 0  # enigme-ba793-faq:3.1 (the warranty) gets the answer of 1.1 (the means of payment)


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]


def saved_questions(corpus: Corpus, folder: Path) -> Path:
    """The team's saved questions: each entry asked by its answer's first sentence, and one the FAQ should not answer."""
    path = folder / "saved.jsonl"
    rows = [{"text": first_sentence(e.answer), "relevant_entry_ids": [e.id]} for e in corpus.entries]
    rows.append({"text": "Quel temps fera-t-il demain à Lyon ?", "relevant_entry_ids": []})
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


BIKES = {  # a small FAQ whose answers are one sentence each, so the answer shown is the whole answer
    "How do I book a bike?": "Book online or at the shop counter.",
    "Can I cancel a booking?": "Cancel for free up to 48 hours before.",
    "Do you rent electric bikes?": "Yes, twelve electric bikes with a 60 km battery.",
    "Is a helmet included?": "Every rental includes a helmet and a lock.",
    "Where is the shop?": "The shop is at 4 harbour street, next to the ferry.",
    "What are the opening hours?": "We open every day from 9 am to 7 pm.",
}


def bikes(folder: Path, answers: dict[str, str] = BIKES) -> Corpus:
    folder.mkdir(exist_ok=True)
    page = "# Pedal & Co\n\n## Renting\n\n" + "".join(f"### {q}\n{a}\n\n" for q, a in answers.items())
    (folder / "pedal.en.md").write_text(page, encoding="utf-8")
    return load_corpus(folder)


def titles_with_facts(folder: Path) -> Path:
    """Saved questions as teams often write them: each entry asked by its own title, with a fact its answer must state."""
    path = folder / "facts.jsonl"
    facts = ["online", "48 hours", "60 km", "helmet", "harbour street", "9 am"]
    rows = [{"text": q, "relevant_questions": [q], "fact": f} for q, f in zip(BIKES, facts, strict=True)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def broken(corpus: Corpus) -> Corpus:
    """An entry's answer replaced by another's: the deliberately broken change."""
    entries = list(corpus.entries)
    entries[BROKEN] = replace(entries[BROKEN], answer=entries[DONOR].answer)
    return replace(corpus, entries=tuple(entries), checksum=corpus.checksum + "-broken")


def improved(corpus: Corpus, saved: Path) -> Corpus:
    """Every saved in-scope question added to its entry as a known phrasing: the improving change."""
    by_entry: dict[str, list[str]] = {}
    for line in saved.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for entry_id in row["relevant_entry_ids"]:
            by_entry.setdefault(entry_id, []).append(row["text"])
    entries = tuple(replace(e, alt_questions=(*e.alt_questions, *by_entry.get(e.id, ()))) for e in corpus.entries)
    return replace(corpus, entries=entries, checksum=corpus.checksum + "-improved")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", data_dir=tmp_path / "data", keep_versions=3, calibration_set=None)


@pytest.fixture
def check(corpus: Corpus, tmp_path: Path) -> CheckOptions:
    return CheckOptions(questions=saved_questions(corpus, tmp_path))


def on_disk(settings: Settings) -> list[str]:
    """Everything under versions/, staging folders included."""
    return sorted(p.name for p in (settings.index_dir / VERSIONS).iterdir())


def test_a_broken_change_is_refused_and_the_served_version_stays_untouched(corpus, settings, check, fake_models):
    served = build_loaded(corpus, settings.index_dir, settings, fake_models, check=check)
    with pytest.raises(CheckRefusedError) as refused:
        build_loaded(broken(corpus), settings.index_dir, settings, fake_models, check=check)

    report = refused.value.report
    assert not report.passed and not report.switched and report.served == served.version
    assert report.before is not None and report.after.hit_at_1 is not None and report.before.hit_at_1 is not None
    assert report.before.hit_at_1 - report.after.hit_at_1 > check.tolerance
    assert str(refused.value).startswith("hit@1 of the saved questions fell from")
    assert f"version {served.version} stays served" in str(refused.value) and "--force" in str(refused.value)
    moved = {r.question.text: r for r in report.changes}
    warranty = first_sentence(corpus.entries[BROKEN].answer)
    assert moved[warranty].right(moved[warranty].before) and not moved[warranty].right(moved[warranty].after)

    assert current_version(settings.index_dir) == served.version
    assert on_disk(settings) == [served.version]  # the unserved build is cleaned up
    kept = last_check(settings.index_dir)
    assert kept is not None and kept["passed"] is False and kept["reason"] == str(refused.value)
    assert kept["candidate"] == report.candidate and kept["changed"] == len(report.changes)


def test_an_answer_replaced_by_anothers_is_caught_by_its_fact_when_the_entry_is_still_found(settings, fake_models, tmp_path):
    check = CheckOptions(questions=titles_with_facts(tmp_path))
    corpus = bikes(tmp_path / "bikes")
    served = build_loaded(corpus, settings.index_dir, settings, fake_models, check=check)
    assert served.check is not None and served.check.after.answer_accuracy == 1.0
    swapped = dict(BIKES, **{"Do you rent electric bikes?": BIKES["Is a helmet included?"]})
    with pytest.raises(CheckRefusedError) as refused:
        build_loaded(bikes(tmp_path / "bikes", swapped), settings.index_dir, settings, fake_models, check=check)
    report = refused.value.report
    assert report.before is not None and report.before.hit_at_1 == report.after.hit_at_1 == 1.0  # the title still finds it
    assert report.after.answer_accuracy == round(5 / 6, 4)
    assert str(refused.value).startswith("answer accuracy of the saved questions fell from 1.000 to 0.833 (-0.167)")
    (moved,) = report.changes
    assert moved.before == replace(moved.after, fact_found=True) and moved.after.fact_found is False
    assert any("; fact found -> missing]" in line for line in report_lines(report))
    assert current_version(settings.index_dir) == served.version


def test_an_unchanged_corpus_passes_with_nothing_moved(corpus, settings, check, fake_models):
    first = build_loaded(corpus, settings.index_dir, settings, fake_models, check=check)
    again = build_loaded(corpus, settings.index_dir, settings, fake_models, check=check)
    report = again.check
    assert report is not None and report.passed and report.served == first.version and not report.changes
    assert report.before == report.after
    assert current_version(settings.index_dir) == again.version


def test_an_improving_change_passes_and_is_switched_to(corpus, settings, check, fake_models):
    build_loaded(corpus, settings.index_dir, settings, fake_models, check=check)
    assert check.questions is not None
    better = build_loaded(improved(corpus, check.questions), settings.index_dir, settings, fake_models, check=check)
    report = better.check
    assert report is not None and report.passed and report.before is not None
    assert report.after.hit_at_1 is not None and report.before.hit_at_1 is not None
    assert report.after.hit_at_1 >= report.before.hit_at_1 and report.after.hit_at_1 == 1.0
    assert current_version(settings.index_dir) == better.version


def test_force_switches_to_a_refused_version_and_says_so(corpus, settings, check, fake_models):
    build_loaded(corpus, settings.index_dir, settings, fake_models, check=check)
    forced = build_loaded(broken(corpus), settings.index_dir, settings, fake_models, check=replace(check, force=True))
    report = forced.check
    assert report is not None and not report.passed and report.forced and report.switched
    assert current_version(settings.index_dir) == forced.version
    assert report_lines(report)[-1].startswith("refused, switched anyway (--force): hit@1 of the saved questions fell")


def test_a_drop_within_the_tolerance_passes(corpus, settings, check, fake_models):
    build_loaded(corpus, settings.index_dir, settings, fake_models, check=check)
    loose = build_loaded(broken(corpus), settings.index_dir, settings, fake_models, check=replace(check, tolerance=1.0))
    assert loose.check is not None and loose.check.passed and loose.check.changes


def test_logged_questions_are_reported_but_never_refuse(corpus, settings, fake_models):
    with open_feedback_store(settings) as store:
        for entry in corpus.entries:
            store.log_query(first_sentence(entry.answer), "search", True, 0.9, entry.id)
        warranty = first_sentence(corpus.entries[BROKEN].answer)
        for _ in range(4):  # the most asked
            store.log_query(warranty, "search", True, 0.9, corpus.entries[BROKEN].id)
    build_loaded(corpus, settings.index_dir, settings, fake_models)  # no saved questions: FAQ_CHECK_SET unset
    result = build_loaded(broken(corpus), settings.index_dir, settings, fake_models)

    report = result.check
    assert report is not None and report.passed and report.before is not None and report.before.questions == 0
    assert len(report.results) == len(corpus.entries) and report.results[0].question.asked == 5
    assert report.results[0].question.text == warranty and report.results[0].changed
    assert current_version(settings.index_dir) == result.version
    lines = report_lines(report)
    assert lines[0].endswith(f"0 saved question(s), {len(corpus.entries)} most-asked logged question(s)")
    assert any(line.startswith(f"    logged (5x) {json.dumps(warranty, ensure_ascii=False)}: enigme-ba793-faq:3.1") for line in lines)


def test_logged_questions_are_capped_at_the_most_asked(corpus, settings, fake_models):
    with open_feedback_store(settings) as store:
        for i, entry in enumerate(corpus.entries):
            for _ in range(i + 1):
                store.log_query(entry.question, "search", True, 0.9, entry.id)
    build_loaded(corpus, settings.index_dir, settings, fake_models)
    result = build_loaded(corpus, settings.index_dir, settings, fake_models, check=CheckOptions(logged=3))
    assert result.check is not None
    assert [q.question.text for q in result.check.results] == [e.question for e in corpus.entries[::-1][:3]]


def test_the_first_version_is_checked_against_nothing_and_served(corpus, settings, check, fake_models):
    first = build_loaded(corpus, settings.index_dir, settings, fake_models, check=check)
    assert first.check is not None and first.check.passed and first.check.before is None and first.check.served is None
    assert first.check.note == "no version was served before: nothing to compare with"
    assert first.check.after.questions == len(corpus.entries) + 1


def test_a_malformed_saved_questions_file_fails_before_anything_is_built(corpus, settings, fake_models, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "relevant_entry_ids": []}\n{"txt": "typo"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bad.jsonl:2: unknown field\(s\) \['txt'\]"):
        build_loaded(corpus, settings.index_dir, settings, fake_models, check=CheckOptions(questions=bad))
    assert not (settings.index_dir / VERSIONS).exists() or on_disk(settings) == []


def test_the_checks_scores_are_faq_evals_on_the_same_answers():
    """hit@1 and end-to-end accuracy mean what `faq eval` means by them (eval.run.summarize)."""
    questions = [CheckQuestion("a", "a?", frozenset({"e1"}), fact="24 mois"), CheckQuestion("b", "b?", frozenset({"e2"}), fact="USDC"),
                 CheckQuestion("c", "c?", frozenset({"e3"})), CheckQuestion("d", "d?", frozenset()),
                 CheckQuestion("e", "e?", frozenset()), CheckQuestion("f", "f?", None, asked=9)]
    shown = ["La garantie dure 24 Mois.", "Nous acceptons l’USDC.", "Oui.", "Non.", "Peut-être.", "Oui."]
    replies = [Reply("e1", "answer"), Reply("e2", "related"), Reply("e1", "answer"), Reply("e1", "related"), Reply("e2", "answer"),
               Reply("e3", "answer")]
    replies = [replace(r, fact_found=contains_fact(text, q.fact) if q.fact else None) for q, r, text in zip(questions, replies, shown, strict=True)]
    results = [QuestionResult(q, None, r) for q, r in zip(questions, replies, strict=True)]
    mine = scores(results, before=False)

    def client(r: Reply, text: str):  # noqa: ANN202
        return lambda _: Prediction([r.entry] if r.entry else [], text, None, r.outcome == "answer", None, None, 0.0)

    rows = [score_query(EvalQuery(q.id, q.text, q.relevant or frozenset(), q.fact, "question", "fr", "test"), client(r, text))
            for q, r, text in zip(questions[:5], replies[:5], shown[:5], strict=True)]
    theirs = summarize(rows)
    assert (mine.hit_at_1, mine.end_to_end, mine.answer_accuracy) == \
        (theirs["hit@1"], theirs["end_to_end_accuracy"], theirs["answer_accuracy"]) == (0.6667, 0.4, 1.0)
    assert (mine.questions, mine.in_scope) == (5, 3)
    assert [contains_fact(t, f) for t, f in [("24 Mois", "24 mois"), ("l’USDC", "l'USDC"), (None, "x"), ("x", "y")]] == \
        [eval_contains_fact(t, f) for t, f in [("24 Mois", "24 mois"), ("l’USDC", "l'USDC"), (None, "x"), ("x", "y")]]


def test_a_drop_of_exactly_the_tolerance_passes_and_a_larger_one_is_refused():
    questions = [CheckQuestion(str(i), f"q{i}", frozenset({f"e{i}"})) for i in range(50)]
    right = [Reply(f"e{i}", "answer") for i in range(50)]
    one_wrong = [Reply("x", "answer"), *right[1:]]  # -0.02
    two_wrong = [Reply("x", "answer"), Reply("x", "answer"), *right[2:]]  # -0.04
    assert compare(questions, right, one_wrong, "v1", "v2", CheckOptions()).passed
    refused = compare(questions, right, two_wrong, "v1", "v2", CheckOptions())
    assert refused.refused is not None and refused.refused.startswith(
        "hit@1 of the saved questions fell from 1.000 to 0.960 (-0.040) and end-to-end accuracy of the saved questions fell "
        "from 1.000 to 0.960 (-0.040), more than the tolerance 0.02: version v1 stays served")


def test_faq_ingest_json_carries_the_check_and_a_refusal(corpus, tmp_path, fake_everywhere, faq_env):
    from cli.main import app

    saved = saved_questions(corpus, tmp_path)
    folder = tmp_path / "corpus"
    folder.mkdir()
    seed = next(CORPUS.glob("*.txt"))
    for path in CORPUS.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    faq_env(index_dir=tmp_path / "index", data_dir=tmp_path / "data", corpus=folder, check_set=saved)
    first = CliRunner().invoke(app, ["ingest", "--json"])
    assert first.exit_code == 0, first.output
    out = json.loads(first.stdout)
    assert out["check"]["saved_questions"] == len(corpus.entries) + 1 and out["check"]["hit_at_1"]["before"] is None

    text = seed.read_text(encoding="utf-8")
    donor, warranty = corpus.entries[DONOR].answer, corpus.entries[BROKEN].answer
    assert text.count(warranty) == 1
    (folder / seed.name).write_text(text.replace(warranty, donor), encoding="utf-8")
    failed = CliRunner().invoke(app, ["ingest", "--json"])
    assert failed.exit_code == 1
    refused = json.loads(failed.stdout)
    assert refused["switched"] is False and refused["version"] == out["version"]
    c = refused["check"]
    assert c["passed"] is False and c["reason"] == refused["reason"] and c["changed"] >= 1
    assert c["hit_at_1"]["before"] > c["hit_at_1"]["after"] and c["served"] == out["version"]
    assert {"question", "before", "after", "right_before", "right_after"} <= set(c["changes"][0])

    printed = CliRunner().invoke(app, ["ingest", "--tolerance", "0.5"])
    assert printed.exit_code == 0, printed.output
    assert "saved questions: hit@1 " in printed.stdout and "passed (tolerance 0.5)" in printed.stdout
    assert resolve(tmp_path / "index")[1] != out["version"]

    forced = CliRunner().invoke(app, ["ingest", "--check", str(saved), "--tolerance", "0", "--force"])
    assert forced.exit_code == 0, forced.output


def test_the_team_api_shows_the_last_check(corpus, settings, check, fake_models):
    build_loaded(corpus, settings.index_dir, settings, fake_models, check=check)
    with pytest.raises(CheckRefusedError):
        build_loaded(broken(corpus), settings.index_dir, settings, fake_models, check=check)
    served = Settings(index_dir=settings.index_dir, data_dir=settings.data_dir, corpus=CORPUS, admin_token=SecretStr(ADMIN_TOKEN))
    app = create_app(served, models=fake_models)
    with TestClient(app) as client:
        assert client.get("/v1/admin/check").status_code == 401
        response = client.get("/v1/admin/check", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 200
    shown = response.json()["check"]
    assert shown == json.loads((settings.index_dir / LAST_CHECK).read_text(encoding="utf-8"))
    assert shown["passed"] is False and shown["reason"].startswith("hit@1 of the saved questions fell")


def test_with_a_database_a_refused_version_is_never_published(corpus, fake_models, check, pg_url, tmp_path):
    from replication.published import published_versions

    settings = Settings(index_dir=tmp_path / "index", data_dir=tmp_path / "data", calibration_set=None, database_url=pg_url)
    served = build_loaded(corpus, settings.index_dir, settings, fake_models, check=check)
    with pytest.raises(CheckRefusedError):
        build_loaded(broken(corpus), settings.index_dir, settings, fake_models, check=check)
    with published_versions(pg_url) as registry:
        assert registry.versions() == [served.version]
        served_now = registry.served()
        assert served_now is not None and served_now[0] == served.version
    assert current_version(settings.index_dir) == served.version and on_disk(settings) == [served.version]


def test_faq_forget_removes_a_logged_question_from_the_last_check_too(tmp_path):
    questions = [CheckQuestion("logged:1", "Commande de Mme DUPONT perdue", None, asked=3),
                 CheckQuestion("logged:2", "Où est mon colis ?", None, asked=2)]
    report = compare(questions, [Reply("e1", "answer"), Reply("e2", "answer")], [Reply("e2", "none"), Reply("e1", "none")],
                     "v1", "v2", CheckOptions())
    save_check(tmp_path, report)
    assert forget_in_check(tmp_path, "dupont") == 1
    kept = last_check(tmp_path)
    assert kept is not None and [c["question"] for c in kept["changes"]] == ["Où est mon colis ?"]
    assert forget_in_check(tmp_path, "dupont") == 0 and forget_in_check(tmp_path / "nothing-here", "colis") == 0


def replica(tmp_path: Path, name: str, pg_url: str) -> Settings:
    """A replica's settings: its own index folder (its host's disk), the deployment's database."""
    return Settings(index_dir=tmp_path / name / "index", data_dir=tmp_path / name / "data", corpus=CORPUS, calibration_set=None,
                    admin_token=SecretStr(ADMIN_TOKEN), database_url=SecretStr(pg_url), reload_poll_seconds=0)


def test_a_check_run_on_one_replica_shows_on_the_team_page_of_another(corpus, fake_models, check, pg_url, tmp_path):
    a, b = replica(tmp_path, "a", pg_url), replica(tmp_path, "b", pg_url)
    served = build_loaded(corpus, a.index_dir, a, fake_models, check=check)
    with pytest.raises(CheckRefusedError):
        build_loaded(broken(corpus), a.index_dir, a, fake_models, check=check)
    with TestClient(create_app(b, models=fake_models)) as client:
        response = client.get("/v1/admin/check", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 200 and not (b.index_dir / LAST_CHECK).exists()
    shown = response.json()["check"]
    assert shown == json.loads((a.index_dir / LAST_CHECK).read_text(encoding="utf-8"))
    assert shown["passed"] is False and shown["served"] == served.version


def test_faq_forget_removes_a_logged_question_from_the_databases_last_check_too(pg_url):
    from replication.published import published_versions

    questions = [CheckQuestion("logged:1", "Commande de Mme DUPONT perdue", None, asked=3),
                 CheckQuestion("logged:2", "Où est mon colis ?", None, asked=2)]
    report = compare(questions, [Reply("e1", "answer"), Reply("e2", "answer")], [Reply("e2", "none"), Reply("e1", "none")],
                     "v1", "v2", CheckOptions())
    with published_versions(pg_url) as registry:
        registry.record_run("check", report.summary())
        assert forget_in_shared_check(registry, "dupont") == 1
        kept = shown_check(Path("unused"), registry)
    assert kept is not None and [c["question"] for c in kept["changes"]] == ["Où est mon colis ?"]


def test_both_versions_answer_under_the_teams_rules_in_force(corpus, settings, check, fake_models):
    """Issue #33: the check asks both versions with the store's rules (a hidden entry is no one's first entry)."""
    hidden = corpus.entries[BROKEN].id
    build_loaded(corpus, settings.index_dir, settings, fake_models, check=check)
    with open_feedback_store(settings) as store:
        store.add_hidden("team", entry_id=hidden)
        version = store.rules_version()
    result = build_loaded(corpus, settings.index_dir, settings, fake_models, check=check)

    report = result.check
    assert report is not None and report.before is not None and report.rules.version == version
    assert [h.entry_id for h in report.rules.hidden] == [hidden]
    assert all(r.after.entry != hidden and r.before is not None and r.before.entry != hidden for r in report.results)
    warranty = next(r for r in report.results if r.question.relevant == frozenset({hidden}))
    assert warranty.right(warranty.before) is False and warranty.right(warranty.after) is False
    assert report.summary()["rules"] == {"version": version, "synonyms": 0, "pins": 0, "hidden": 1}
    assert f"under the team's rules version {version}: 0 synonym(s), 0 pin(s), 1 hidden" in report_lines(report)[1]
