"""`faq ask` asks a running service first (no models loaded in the CLI), and falls back to the index in process."""


import pytest
from test_eval_http import serve
from typer.testing import CliRunner

import usecases.answering
from cli.main import app

from serving import free_port

QUESTION = "Combien de temps dure la garantie ?"


@pytest.fixture(scope="module")
def service_url(fake_index_dir, fake_models, tmp_path_factory):
    yield from serve(fake_index_dir, tmp_path_factory.mktemp("ask-data"), fake_models)


@pytest.fixture
def no_local_models(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("faq ask loaded the index in process")

    monkeypatch.setattr(usecases.answering, "open_answerer", refuse)


def test_ask_uses_the_running_service_and_prints_answer_and_passages(service_url, no_local_models, fake_answerer):
    result = CliRunner().invoke(app, ["ask", QUESTION, "--url", service_url, "-k", "2"])
    assert result.exit_code == 0, result.output
    expected = fake_answerer.answer(QUESTION, top_k=2)
    if expected.answerable and expected.short_answer is not None:
        assert expected.short_answer.text.split()[0] in result.output
        assert "confidence" in result.output
    elif not expected.answerable:
        assert "No confident answer" in result.output
    assert "1. " in result.output and "2. " in result.output and "3. " not in result.output
    assert expected.hits[0].chunk.section in result.output


def test_ask_prints_the_services_error_message(service_url, no_local_models):
    result = CliRunner().invoke(app, ["ask", "   ", "--url", service_url])
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "422" in output and "question must contain some text" in output


def test_ask_falls_back_in_process_when_no_service_answers(monkeypatch, fake_answerer):
    opened = []

    def open_answerer(settings, index):
        opened.append(index)
        return fake_answerer

    monkeypatch.setattr(usecases.answering, "open_answerer", open_answerer)
    result = CliRunner().invoke(app, ["ask", QUESTION, "--url", f"http://127.0.0.1:{free_port()}"])
    assert result.exit_code == 0, result.output
    assert opened == [None]
    assert fake_answerer.answer(QUESTION, top_k=3).hits[0].chunk.section in result.output


def test_ask_with_local_or_an_explicit_index_does_not_ask_the_service(service_url, monkeypatch, fake_answerer, tmp_path):
    opened = []

    def open_answerer(settings, index):
        opened.append(index)
        return fake_answerer

    monkeypatch.setattr(usecases.answering, "open_answerer", open_answerer)
    assert CliRunner().invoke(app, ["ask", QUESTION, "--url", service_url, "--local"]).exit_code == 0
    assert CliRunner().invoke(app, ["ask", QUESTION, "--url", service_url, "--index", str(tmp_path)]).exit_code == 0
    assert opened == [None, tmp_path]
