"""An index calibrated for another configuration (an upgrade, a changed setting) is recalibrated before it is served."""

import json
import shutil

import pytest

from faq.settings import Settings
from index.disk.storage import load_index
from usecases.fit_to_serve import recalibrate_if_stale

from conftest import CALIBRATION_SET, CORPUS


@pytest.mark.model
def test_an_index_calibrated_for_another_configuration_is_recalibrated(index_dir, tmp_path):
    stale = tmp_path / "index"
    shutil.copytree(index_dir, stale)
    manifest = json.loads((stale / "manifest.json").read_text(encoding="utf-8"))
    manifest["calibration"]["retrieval"] = "an older configuration"
    (stale / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    settings = Settings(index_dir=stale, corpus=CORPUS, calibration_set=CALIBRATION_SET)

    assert recalibrate_if_stale(stale, settings)

    info = load_index(stale).manifest.calibration
    assert info.retrieval == settings.retrieval().key()
    assert info.query_bank and info.out_of_scope and "montr" in info.background_terms


def test_an_index_calibrated_for_this_configuration_is_left_alone(fake_index_dir):
    settings = Settings(index_dir=fake_index_dir, corpus=CORPUS, calibration_set=CALIBRATION_SET)
    assert not recalibrate_if_stale(fake_index_dir, settings)
