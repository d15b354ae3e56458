"""Every way of serving an index (`faq serve`, `uvicorn service.asgi:app`, a reload, `faq ask`) serves it only when it
is calibrated for the configured retrieval: an uncalibrated index would answer every question with confidence 1.
One rule states it (usecases.fit_to_serve): `faq serve` builds or recalibrates, the other ways in only refuse."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

import usecases.fit_to_serve
from cli.main import app
from faq.errors import IndexMismatchError, IndexNotFoundError
from faq.settings import Settings, get_settings
from index.disk.storage import read_manifest
from service import create_app
from usecases.answering import open_answerer, unfit_to_serve
from usecases.fit_to_serve import Fitness, check_fit, make_fit_to_serve

from conftest import ADMIN_TOKEN, CALIBRATION_SET, CORPUS, calibration_of

OFF_TOPIC = "quelle est la capitale de l'australie ?"


def _uncalibrated(fake_raw_index_dir: Path, tmp_path: Path) -> Path:
    path = tmp_path / "index"
    shutil.copytree(fake_raw_index_dir, path)
    assert read_manifest(path).calibration is None
    return path


def _calibrated_for_another_configuration(fake_index_dir: Path, tmp_path: Path) -> Path:
    path = tmp_path / "index"
    shutil.copytree(fake_index_dir, path)
    manifest = read_manifest(path)
    info = calibration_of(manifest).model_copy(update={"retrieval": "some-other-configuration"})
    (path / "manifest.json").write_text(manifest.model_copy(update={"calibration": info}).model_dump_json())
    return path


def test_the_app_refuses_to_serve_an_uncalibrated_index_and_says_why(fake_raw_index_dir, fake_models, tmp_path):
    settings = Settings(index_dir=_uncalibrated(fake_raw_index_dir, tmp_path), data_dir=tmp_path / "data")
    with TestClient(create_app(settings, models=fake_models)) as client:
        ready = client.get("/readyz")
        answer = client.post("/v1/query", json={"question": OFF_TOPIC})
    assert ready.status_code == 503 and "not calibrated" in ready.text and "faq serve" in ready.text
    assert answer.status_code == 503


def test_the_app_refuses_an_index_calibrated_for_another_configuration(fake_index_dir, fake_models, tmp_path):
    settings = Settings(index_dir=_calibrated_for_another_configuration(fake_index_dir, tmp_path), data_dir=tmp_path / "data")
    with TestClient(create_app(settings, models=fake_models)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503 and "some-other-configuration" in ready.text


def test_a_reload_to_an_uncalibrated_index_keeps_the_calibrated_one_serving(fake_index_dir, fake_raw_index_dir, fake_models, tmp_path):
    path = tmp_path / "index"
    shutil.copytree(fake_index_dir, path)
    settings = Settings(index_dir=path, data_dir=tmp_path / "data", admin_token=SecretStr(ADMIN_TOKEN), reload_poll_seconds=0)
    with TestClient(create_app(settings, models=fake_models)) as client:
        shutil.copy(fake_raw_index_dir / "manifest.json", path / "manifest.json")  # the same index, its calibration gone
        reloaded = client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()
        answer = client.post("/v1/query", json={"question": OFF_TOPIC})
    assert reloaded["ok"] is False and "not calibrated" in reloaded["reason"]
    assert answer.status_code == 200 and answer.json()["outcome"] != "answer"


def test_faq_ask_refuses_an_uncalibrated_index(fake_raw_index_dir, tmp_path):
    settings = Settings(index_dir=_uncalibrated(fake_raw_index_dir, tmp_path), data_dir=tmp_path / "data")
    with pytest.raises(IndexMismatchError, match="not calibrated, so it would answer every question; run faq serve"):
        open_answerer(settings)


def test_a_calibrated_index_is_fit_to_serve(fake_index_dir, tmp_path):
    assert unfit_to_serve(Settings(index_dir=fake_index_dir, data_dir=tmp_path)) is None


# --- the rule itself (usecases.fit_to_serve): what is unfit, what `faq serve` repairs, what the others refuse -------------


def _built_with_another_model(fake_index_dir: Path, tmp_path: Path) -> Path:
    """Calibrated for the configured retrieval, but its vectors are another model's (an upgrade of the int8 recipe)."""
    path = tmp_path / "index"
    shutil.copytree(fake_index_dir, path)
    manifest = read_manifest(path)
    (path / "manifest.json").write_text(manifest.model_copy(update={"embedder": "fake:an-older-model"}).model_dump_json())
    return path


def _settings(path: Path, tmp_path: Path) -> Settings:
    return Settings(index_dir=path, corpus=CORPUS, calibration_set=CALIBRATION_SET, data_dir=tmp_path / "data")


def test_a_calibrated_index_of_the_model_is_fit_and_nothing_is_repaired(fake_index_dir, fake_embedder, tmp_path):
    found = check_fit(_settings(fake_index_dir, tmp_path), model=fake_embedder.name)
    assert found.fit and found.problems == () and found.repair is None and found.reason is None
    assert found.path == fake_index_dir and found.manifest is not None and found.manifest.embedder == fake_embedder.name


def test_no_index_is_built_by_faq_serve_and_refused_by_the_others_with_its_own_error(fake_embedder, tmp_path):
    settings = _settings(tmp_path / "none", tmp_path)
    found = check_fit(settings, model=fake_embedder.name)
    assert found.problems == ("no index",) and found.repair == "build" and isinstance(found.error, IndexNotFoundError)
    with pytest.raises(IndexNotFoundError, match="faq ingest"):
        unfit_to_serve(settings)


@pytest.mark.parametrize("make, problem", [(_uncalibrated, "not calibrated"),
                                           (_calibrated_for_another_configuration, "calibrated for other settings")])
def test_a_stale_calibration_is_recalibrated_by_faq_serve_and_refused_by_the_others(
        make, problem, fake_index_dir, fake_raw_index_dir, fake_embedder, tmp_path):
    path = make(fake_raw_index_dir if make is _uncalibrated else fake_index_dir, tmp_path)
    found = check_fit(_settings(path, tmp_path), model=fake_embedder.name)
    assert found.problems == (problem,) and found.repair == "calibrate"
    assert "run faq serve (it calibrates before serving) or faq calibrate" in (found.reason or "")


def test_an_index_of_another_model_is_built_again_by_faq_serve_and_refused_by_the_others(fake_index_dir, fake_embedder, tmp_path):
    settings = _settings(_built_with_another_model(fake_index_dir, tmp_path), tmp_path)
    found = check_fit(settings, model=fake_embedder.name)
    assert found.problems == ("built with another model",) and found.repair == "build"
    assert found.reason == (f"The index at {settings.index_dir} was built with 'fake:an-older-model', questions would be embedded "
                            f"with {fake_embedder.name!r}; run faq serve (it builds the index again from FAQ_CORPUS) or faq ingest")
    assert unfit_to_serve(settings) is None  # no model named: the index's own check refuses it when it opens


def test_uncalibrated_and_of_another_model_names_the_calibration_first_and_the_fix_that_covers_both(
        fake_raw_index_dir, tmp_path):
    found = check_fit(_settings(_uncalibrated(fake_raw_index_dir, tmp_path), tmp_path), model="fake:an-older-model")
    assert found.problems == ("not calibrated", "built with another model") and found.repair == "build"
    assert (found.reason or "").endswith("is not calibrated, so it would answer every question; run faq serve (it builds the index "
                                 "again from FAQ_CORPUS) or faq ingest")


def test_the_app_refuses_an_index_of_another_model_and_leaves_it_as_it_is(fake_index_dir, fake_models, tmp_path):
    path = _built_with_another_model(fake_index_dir, tmp_path)
    before = (path / "manifest.json").read_bytes()
    with TestClient(create_app(_settings(path, tmp_path), models=fake_models)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503 and "built with 'fake:an-older-model'" in ready.json()["reason"]
    assert (path / "manifest.json").read_bytes() == before and not (path / "versions").exists()


@pytest.fixture
def configured_fake(monkeypatch, fake_embedder):
    """FAQ_EMBEDDER stands for the fake primary: `faq serve` compares the index with it."""
    monkeypatch.setattr(usecases.fit_to_serve, "configured_model", lambda settings: fake_embedder.name)


def test_faq_serve_recalibrates_a_stale_index_in_place_and_builds_nothing(fake_raw_index_dir, fake_everywhere, configured_fake,
                                                                          fake_embedder, tmp_path):
    settings = _settings(_uncalibrated(fake_raw_index_dir, tmp_path), tmp_path)
    built: list[Fitness] = []
    made = make_fit_to_serve(settings, built.append)
    assert built == [] and not made.built and made.found.problems == ("not calibrated",)
    assert made.calibration is not None and made.republished is None  # no database
    assert check_fit(settings, model=fake_embedder.name).fit


@pytest.mark.parametrize("make", [lambda index, tmp: tmp / "none", _built_with_another_model], ids=["no index", "another model"])
def test_faq_serve_builds_when_there_is_no_index_or_it_is_another_models(make, fake_index_dir, configured_fake, tmp_path):
    settings = _settings(make(fake_index_dir, tmp_path), tmp_path)
    built: list[Fitness] = []
    made = make_fit_to_serve(settings, built.append)
    assert made.built and built == [made.found] and made.found.repair == "build" and made.calibration is None


def test_faq_serve_leaves_a_fit_index_alone(fake_index_dir, configured_fake, tmp_path):
    path = tmp_path / "index"
    shutil.copytree(fake_index_dir, path)
    before = (path / "manifest.json").read_bytes()
    made = make_fit_to_serve(_settings(path, tmp_path), lambda found: pytest.fail("built a fit index"))
    assert made.found.fit and not made.built and made.calibration is None
    assert (path / "manifest.json").read_bytes() == before


def test_the_serve_command_recalibrates_then_serves(fake_raw_index_dir, fake_everywhere, configured_fake, monkeypatch, tmp_path):
    path = _uncalibrated(fake_raw_index_dir, tmp_path)
    served = []
    monkeypatch.setattr("uvicorn.run", lambda app, **where: served.append(where))
    monkeypatch.setenv("FAQ_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FAQ_CORPUS", str(CORPUS))
    monkeypatch.setenv("FAQ_CALIBRATION_SET", str(CALIBRATION_SET))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["serve", "--index", str(path), "--port", "8123"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "index not calibrated: calibrating it" in result.output and "building" not in result.output
    assert served and served[0]["port"] == 8123
    assert read_manifest(path).calibration is not None


@pytest.fixture
def edited_faq(tmp_path, fake_models) -> tuple[Settings, Path]:
    """The bundled FAQ copied and indexed (a versions root), so a test can edit it after the build; and its text file."""
    from ingest.corpus import load_corpus, with_phrasings
    from usecases.versions import build_loaded

    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    settings = Settings(index_dir=tmp_path / "index", corpus=folder, calibration_set=None, data_dir=tmp_path / "data")
    loaded = load_corpus(folder)
    accepted = {loaded.entries[0].id: ("Je peux payer en bitcoin ?",)}  # a phrasing accepted before that ingest
    build_loaded(with_phrasings(loaded, accepted), settings.index_dir, settings, fake_models)
    return settings, next(folder.glob("*.txt"))


def test_faq_serve_leaves_an_index_of_faq_corpus_alone_whatever_phrasings_it_was_built_with(edited_faq, configured_fake):
    settings, _ = edited_faq
    made = make_fit_to_serve(settings, lambda found: pytest.fail("built an index of FAQ_CORPUS as it is"))
    assert made.found.fit and made.found.drift is None and not made.built


def test_faq_serve_builds_again_when_faq_corpus_was_edited_since(edited_faq, configured_fake):
    settings, text = edited_faq
    text.write_text(text.read_text(encoding="utf-8").replace("24 mois", "36 mois"), encoding="utf-8")
    built: list[Fitness] = []
    made = make_fit_to_serve(settings, built.append)
    assert made.built and built == [made.found] and made.found.repair is None
    drift = made.found.drift
    assert drift is not None and drift.same_faq and (drift.added, drift.changed, drift.removed) == (0, 1, 0)
    assert drift.describe() == (f"FAQ_CORPUS={settings.corpus} changed since version {drift.version} was built: "
                                "0 entries added, 1 changed, 0 removed")


def test_faq_serve_serves_an_index_of_another_faq_as_it_is_and_says_so(edited_faq, configured_fake, tmp_path):
    settings, _ = edited_faq
    other = tmp_path / "other"
    other.mkdir()
    (other / "pedal.en.md").write_text("# Pedal & Co\n\n## Booking\n\n### How do I book a bike?\nOnline.\n", encoding="utf-8")
    elsewhere = Settings(index_dir=settings.index_dir, corpus=other, calibration_set=None, data_dir=settings.data_dir)
    made = make_fit_to_serve(elsewhere, lambda found: pytest.fail("replaced an index of another FAQ"))
    drift = made.found.drift
    assert not made.built and drift is not None and not drift.same_faq and (drift.added, drift.removed) == (1, 12)
    assert drift.describe() == (f"version {drift.version} holds another FAQ than FAQ_CORPUS={other} (no document in common); "
                                f"run faq ingest to index {other}, or set FAQ_CORPUS to the FAQ you indexed")


def test_with_a_database_faq_serve_only_reports_an_edited_corpus(edited_faq, configured_fake):
    settings, text = edited_faq
    text.write_text(text.read_text(encoding="utf-8").replace("24 mois", "36 mois"), encoding="utf-8")
    replica = settings.model_copy(update={"database_url": "postgresql://unused"})  # never connected: nothing is built
    made = make_fit_to_serve(replica, lambda found: pytest.fail("a replica built its own version"))
    assert not made.built and made.found.drift is not None and made.found.drift.changed == 1


def test_the_serve_command_says_why_it_builds_again_then_serves_the_edited_faq(edited_faq, fake_everywhere, configured_fake,
                                                                               monkeypatch, faq_env):
    settings, text = edited_faq
    text.write_text(text.read_text(encoding="utf-8").replace("24 mois", "36 mois"), encoding="utf-8")
    before = read_manifest(settings.index_dir / "versions" / (settings.index_dir / "CURRENT").read_text().strip())
    monkeypatch.setattr("uvicorn.run", lambda app, **where: None)
    faq_env(data_dir=settings.data_dir, corpus=settings.corpus, calibration_set=CALIBRATION_SET)
    result = CliRunner().invoke(app, ["serve", "--index", str(settings.index_dir)])
    assert result.exit_code == 0, result.output
    assert f"FAQ_CORPUS={settings.corpus} changed since version" in result.output and "1 changed" in result.output
    after = read_manifest(settings.index_dir / "versions" / (settings.index_dir / "CURRENT").read_text().strip())
    assert after.corpus_checksum != before.corpus_checksum
