"""Every way of serving an index (`faq serve`, `uvicorn service.asgi:app`, a reload, `faq ask`) serves it only when it
is calibrated for the configured retrieval: an uncalibrated index would answer every question with confidence 1."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faq.errors import IndexMismatchError
from faq.settings import Settings
from index.disk.storage import read_manifest
from service import create_app
from usecases.answering import open_answerer, unfit_to_serve

from conftest import ADMIN_TOKEN

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
    info = manifest.calibration.model_copy(update={"retrieval": "some-other-configuration"})
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
    settings = Settings(index_dir=path, data_dir=tmp_path / "data", admin_token=ADMIN_TOKEN, reload_poll_seconds=0)
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
