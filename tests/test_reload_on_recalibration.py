"""A running service picks up `faq calibrate` rewriting the served manifest, without a restart.

(The pointer naming another version is covered by test_robustness.test_service_follows_the_pointer_without_a_restart.)
"""

import shutil
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faq.settings import Settings
from index.disk.storage import read_manifest
from index.disk.versions import switch
from index.pipeline import store_calibration
from service import create_app
from service.lifecycle import index_fingerprint

from conftest import CORPUS, calibration_of

IN_SCOPE = "Comment puis-je suivre mon colis ?"  # the fake embedder matches words, not meaning: a FAQ title's own words


def _layout(index_dir: Path, tmp_path: Path, pointer: bool) -> tuple[Path, Path]:
    """A private copy of the session index: (what FAQ_INDEX_DIR names, the served version's folder)."""
    if not pointer:
        root = tmp_path / "index"
        shutil.copytree(index_dir, root)
        return root, root
    root = tmp_path / "root"
    version = root / "versions" / "20260101T000000-abcd"
    shutil.copytree(index_dir, version)
    switch(root, version.name)
    return root, version


POLL = 0.05  # the service checks the served manifest this often; the tests ask again as often


def _wait_for(c: TestClient, answerable: bool, question: str = IN_SCOPE, seconds: float = 10) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        body = c.post("/v1/query", json={"question": question}).json()
        if body["answerable"] is answerable or time.monotonic() > deadline:
            return body
        time.sleep(POLL)


@pytest.mark.parametrize("pointer", [False, True], ids=["single-index-folder", "versions-root"])
def test_a_recalibrated_manifest_is_served_without_a_restart(fake_index_dir, fake_models, tmp_path, pointer):
    root, served = _layout(fake_index_dir, tmp_path, pointer)
    settings = Settings(index_dir=root, corpus=CORPUS, data_dir=tmp_path / "data", reload_poll_seconds=POLL, rate_limit_per_minute=0)
    app = create_app(settings, models=fake_models)
    with TestClient(app) as c:
        assert c.post("/v1/query", json={"question": IN_SCOPE}).json()["answerable"] is True
        before = index_fingerprint(root)
        info = calibration_of(read_manifest(served))
        store_calibration(served, info.model_copy(update={"threshold": 10.0, "answer_at": 1.01}))  # nothing can score that high
        assert index_fingerprint(root) != before

        # the cached answer is dropped with the old answerer: the same question is scored again
        assert _wait_for(c, answerable=False)["answerable"] is False
        assert app.state.service.answerer.calibration.threshold == 10.0
        assert c.get("/readyz").status_code == 200

        store_calibration(served, info)  # and back
        assert _wait_for(c, answerable=True)["answerable"] is True


def test_a_corrupt_rewritten_manifest_keeps_the_last_good_index_serving(fake_index_dir, fake_models, tmp_path):
    root, served = _layout(fake_index_dir, tmp_path, pointer=False)
    settings = Settings(index_dir=root, corpus=CORPUS, data_dir=tmp_path / "data", reload_poll_seconds=POLL, rate_limit_per_minute=0)
    with TestClient(create_app(settings, models=fake_models)) as c:
        good = (served / "manifest.json").read_text(encoding="utf-8")
        (served / "manifest.json").write_text("{not json", encoding="utf-8")
        deadline = time.monotonic() + 10
        while c.get("/readyz").status_code == 200 and time.monotonic() < deadline:
            time.sleep(POLL)
        ready = c.get("/readyz")
        assert ready.status_code == 503 and "corrupt" in ready.json()["reason"]
        answer = c.post("/v1/query", json={"question": "Quel est le délai de livraison ?"})
        assert answer.status_code == 200 and answer.json()["results"]

        (served / "manifest.json").write_text(good, encoding="utf-8")  # fixed in place: seen at the next poll
        deadline = time.monotonic() + 10
        while c.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(POLL)
        assert c.get("/readyz").status_code == 200
