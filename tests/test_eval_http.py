"""`faq eval` over HTTP against a real uvicorn server on 127.0.0.1, as the team's scripts call it.

The scores come from the real models (`base_url`); the corpus check needs none (`fake_base_url`)."""

import json

import pytest
from typer.testing import CliRunner

from cli.main import app
from eval.clients import over_http
from eval.datasets import load_dataset
from eval.run import evaluate
from faq.settings import Settings
from service import create_app

from conftest import CORPUS
from serving import in_thread


def serve(index_dir, data_dir, models=None, **settings):
    """A uvicorn server in a thread over the index; yields its base URL."""
    with in_thread(create_app(Settings(index_dir=index_dir, data_dir=data_dir, **settings), models=models), 60) as url:
        yield url


@pytest.fixture(scope="module")
def base_url(index_dir, tmp_path_factory):
    yield from serve(index_dir, tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def fake_base_url(fake_index_dir, fake_models, tmp_path_factory):
    yield from serve(fake_index_dir, tmp_path_factory.mktemp("fake-data"), fake_models)


@pytest.mark.model
def test_http_eval_scores_the_running_service(base_url):
    evalset = load_dataset("watch-faq").split("test")
    run = evaluate(evalset, over_http(base_url), "http", show_progress=False)
    overall = run["overall"]
    assert overall["questions"] == len(evalset.queries)
    assert overall["hit@1"] >= 0.70
    assert overall["abstention_recall"] > 0.5  # the service's own calibrated "no answer" is what is measured
    assert overall["latency_ms"]["p50"] > 0
    assert set(run["by_kind"]) >= {"crosslingual", "out_of_scope", "typo"}


@pytest.mark.model
def test_http_eval_scores_a_teams_own_questions(base_url, tmp_path):
    questions = tmp_path / "mine.jsonl"
    questions.write_text(
        '{"text": "Combien coûte la livraison ?", "relevant_questions": ["Quels modes d\'expédition proposez-vous et quels sont les frais de livraison ?"], "split": "test"}\n'
        '{"text": "How long is the warranty?", "relevant_entry_ids": ["enigme-ba793-faq:3.1"], "split": "test", "lang": "en"}\n'
        '{"text": "Avez-vous une boutique à Lyon ?", "relevant_entry_ids": [], "split": "test"}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "--corpus", str(CORPUS), "--queries", str(questions), "--url", base_url, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    [run] = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert (run["dataset"], run["system"]) == ("mine", "http")
    assert (run["overall"]["questions"], run["overall"]["in_scope"], run["overall"]["hit@3"]) == (3, 2, 1.0)


def test_http_eval_refuses_questions_for_a_corpus_the_service_does_not_serve(fake_base_url, tmp_path):
    faq = tmp_path / "shop.en.jsonl"
    faq.write_text('{"id": "1", "question": "Opening hours", "answer": "9 to 5."}\n', encoding="utf-8")
    questions = tmp_path / "shop-questions.jsonl"
    questions.write_text('{"text": "open on sunday?", "relevant_questions": ["opening hours"]}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "--corpus", str(faq), "--queries", str(questions), "--url", fake_base_url, "--split", "all"])
    assert result.exit_code == 1
    assert f"{fake_base_url} does not serve shop:1" in " ".join(result.output.split())


@pytest.mark.slow  # waits on purpose for the service's Retry-After (1 s, the header's smallest value)
def test_http_eval_waits_out_the_service_s_rate_limit(fake_index_dir, fake_models, tmp_path):
    running = serve(fake_index_dir, tmp_path, fake_models, rate_limit_per_minute=120, rate_limit_burst=1)
    url = next(running)
    try:
        ask = over_http(url)
        answers = [ask(q) for q in ("Combien coûte la livraison ?", "Quelle est la garantie ?")]  # the second one meets a 429 first
    finally:
        next(running, None)
    assert all(a.ranked for a in answers)
