"""An index calibrated for another configuration (an upgrade, a changed setting) is recalibrated before it is served."""

import json
import shutil

import pytest

from faq.settings import Settings
from index.deciding.decide import shipped_model
from index.disk.storage import load_index
from index.pipeline import for_shipped_model
from usecases.fit_to_serve import recalibrate_if_stale

from conftest import CALIBRATION_SET, CORPUS, calibration_of


@pytest.mark.model
def test_an_index_calibrated_for_another_configuration_is_recalibrated(index_dir, tmp_path):
    stale = tmp_path / "index"
    shutil.copytree(index_dir, stale)
    manifest = json.loads((stale / "manifest.json").read_text(encoding="utf-8"))
    manifest["calibration"]["retrieval"] = "an older configuration"
    (stale / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    settings = Settings(index_dir=stale, corpus=CORPUS, calibration_set=CALIBRATION_SET)

    assert recalibrate_if_stale(stale, settings)

    info = calibration_of(load_index(stale).manifest)
    assert info.retrieval == settings.retrieval().key()
    assert info.learnt.query_bank and info.learnt.known_out_of_scope and "montr" in info.learnt.background_terms


def test_an_index_calibrated_for_this_configuration_is_left_alone(fake_index_dir):
    settings = Settings(index_dir=fake_index_dir, corpus=CORPUS, calibration_set=CALIBRATION_SET)
    assert not recalibrate_if_stale(fake_index_dir, settings)


def _with_calibration(src, dst, **changes):
    shutil.copytree(src, dst)
    manifest = json.loads((dst / "manifest.json").read_text(encoding="utf-8"))
    manifest["calibration"].update(changes)
    (dst / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return calibration_of(load_index(dst).manifest)


def test_a_labelled_answer_threshold_chosen_for_another_decision_model_is_set_aside(fake_index_dir, tmp_path):
    info = _with_calibration(fake_index_dir, tmp_path / "index", answer_at=0.9, decision_model="1")
    assert for_shipped_model(info).answer_at is None  # the shipped model's own threshold decides


def test_a_labelled_answer_threshold_chosen_for_the_shipped_decision_model_is_kept(fake_index_dir, tmp_path):
    info = _with_calibration(fake_index_dir, tmp_path / "index", answer_at=0.9, decision_model=shipped_model().version)
    assert for_shipped_model(info).answer_at == 0.9


@pytest.mark.model
def test_an_index_calibrated_for_another_decision_model_is_recalibrated(index_dir, tmp_path):
    stale = tmp_path / "index"
    _with_calibration(index_dir, stale, answer_at=0.9, decision_model="1")
    settings = Settings(index_dir=stale, corpus=CORPUS, calibration_set=CALIBRATION_SET)

    assert recalibrate_if_stale(stale, settings)

    assert calibration_of(load_index(stale).manifest).decision_model in ("", shipped_model().version)
