"""`faq eval --corpus --queries` and `faq calibrate` on a team's own questions file, end to end: the scores with the
real models, the checks and the calibration's bookkeeping with the fakes."""

import json
import shutil

import pytest
from typer.testing import CliRunner

from cli.main import app
from faq.settings import Settings
from index.disk.storage import read_manifest

from conftest import CORPUS, calibration_of

runner = CliRunner()


def said(result) -> str:
    """The command's output with Rich's line wrapping undone."""
    return " ".join(result.output.split())

# four dev questions calibrate the systems, four test questions are scored; titles and ids mixed, two out of scope
QUESTIONS = [
    {"text": "Je peux payer avec PayPal ?", "relevant_entry_ids": ["enigme-ba793-faq:1.1"], "split": "dev"},
    {"text": "où en est mon colis, je voudrais le suivre", "relevant_questions": ["Comment puis-je suivre mon colis ?"], "split": "dev"},
    {"text": "Quelle est la durée de la garantie ?", "relevant_questions": ["que couvre precisement la politique de garantie"], "split": "dev"},
    {"text": "Vous vendez des cartes cadeaux ?", "relevant_entry_ids": [], "split": "dev"},
    {"text": "Combien coûte la livraison ?", "relevant_entry_ids": ["enigme-ba793-faq:2.1"], "split": "test", "fact": "livraison gratuite"},
    {"text": "How do I return a watch?", "relevant_questions": ["Comment effectuer un retour ?"], "split": "test", "lang": "en"},
    {"text": "Quand serai-je remboursé ?", "relevant_questions": ["Combien de temps faut-il pour traiter un remboursement ?"], "split": "test"},
    {"text": "Avez-vous une boutique à Lyon ?", "relevant_entry_ids": [], "split": "test"},
]


@pytest.fixture
def questions(tmp_path):
    path = tmp_path / "my-questions.jsonl"
    path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUESTIONS), encoding="utf-8")
    return path


@pytest.mark.model
def test_faq_eval_scores_a_teams_own_questions_and_writes_the_report(questions, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["eval", "--corpus", str(CORPUS), "--queries", str(questions), "-s", "default",
                                 "--out", str(out), "--cache", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    [run] = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert (run["dataset"], run["system"], run["split"]) == ("my-questions", "default", "test")
    overall = run["overall"]
    assert (overall["questions"], overall["in_scope"], overall["out_of_scope"]) == (4, 3, 1)
    assert overall["hit@3"] >= 2 / 3  # the bundled FAQ answers these plainly; a miss here means the gold did not resolve
    assert set(run["by_lang"]) == {"fr", "en", "und"} and set(run["by_kind"]) == {"question"}
    assert (out / "report.md").exists() and (out / "my-questions.png").exists()
    assert "my-questions · default" in said(result)


def test_faq_eval_wants_corpus_and_queries_together(questions):
    result = runner.invoke(app, ["eval", "--queries", str(questions)])
    assert result.exit_code == 1 and "--corpus and --queries go together" in said(result)


def test_faq_eval_names_the_bad_line_of_a_questions_file(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"text": "garantie", "relevant_questions": ["Que couvre la garantie ?"]}\n', encoding="utf-8")
    result = runner.invoke(app, ["eval", "--corpus", str(CORPUS), "--queries", str(bad)])
    assert result.exit_code == 1 and "bad.jsonl:2: relevant_questions names" in said(result)


def test_faq_eval_refuses_a_split_the_file_does_not_have(tmp_path):
    dev_only = tmp_path / "dev-only.jsonl"
    dev_only.write_text('{"text": "garantie ?", "split": "dev"}\n', encoding="utf-8")
    result = runner.invoke(app, ["eval", "--corpus", str(CORPUS), "--queries", str(dev_only)])
    assert result.exit_code == 1 and "dev-only has no test questions (1 dev)" in said(result)


def test_faq_calibrate_resolves_question_titles_against_the_index(fake_index_dir, fake_everywhere, questions, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(fake_index_dir, index)
    settings = Settings(index_dir=index, corpus=CORPUS, data_dir=tmp_path / "data")
    result = runner.invoke(app, ["calibrate", str(questions), "--index", str(index)], env={"FAQ_DATA_DIR": str(tmp_path / "data")})
    assert result.exit_code == 0, result.output
    info = calibration_of(read_manifest(index))
    assert info.questions == 4 and info.source == f"{questions} (dev)"
    assert info.learnt.known_out_of_scope == ("Vous vendez des cartes cadeaux ?",) and info.retrieval == settings.retrieval().key()


def test_faq_eval_on_all_splits_says_the_dev_questions_it_scores_are_the_ones_it_calibrated_on(questions, tmp_path, monkeypatch, fake_models):
    import eval.systems

    monkeypatch.setattr(eval.systems, "eval_embedders", lambda: list(fake_models))
    result = runner.invoke(app, ["eval", "--corpus", str(CORPUS), "--queries", str(questions), "--split", "all", "-s", "bm25",
                                 "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    assert "--split all scores the 4 dev questions the systems calibrate on" in said(result)
