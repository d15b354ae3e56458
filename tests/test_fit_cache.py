"""The test run's kept calibrations (tests/fit_cache.py) are the ones the fit makes, and only plain fakes' are kept."""

import pickle
import shutil
from types import SimpleNamespace

from fit_cache import FitCache, digest, install

from faq.retrieval import RetrievalConfig
from index import load_index
from index.deciding.label_free import off_topic_questions
from index.pipeline import fit, fit_label_free

from fakes import FakeEmbedder, RecordingEmbedder

QUESTIONS = ["Comment changer le bracelet ?", "bonjour", "Quelle est la durée de la garantie ?"]


def test_a_kept_label_free_fit_is_the_fit_of_the_same_index_built_again(fake_raw_index_dir, fake_models, tmp_path):
    calls = []

    def counted(*a):
        calls.append(1)
        return fit_label_free(*a)

    module = SimpleNamespace(fit_label_free=counted, fit=fit)
    install(FitCache(tmp_path / "cache"), module, setattr)
    off_topic = off_topic_questions("dev")
    fitted, found = module.fit_label_free(load_index(fake_raw_index_dir), RetrievalConfig(), fake_models, off_topic)
    again = tmp_path / "again"
    shutil.copytree(fake_raw_index_dir, again)  # another folder of the same bytes: what a second ingest of the FAQ builds
    kept, kept_found = module.fit_label_free(load_index(again), RetrievalConfig(), fake_models, off_topic)
    assert len(calls) == 1 and kept.index.path == again
    assert (kept.learnt, kept_found) == (fitted.learnt, found)
    assert pickle.dumps(kept.vectors) == pickle.dumps(fitted.vectors)
    for question in QUESTIONS:
        assert kept.rank(question).hits == fitted.rank(question).hits


def test_other_questions_or_a_recording_model_are_not_the_same_fit(fake_raw_index_dir, fake_models):
    index, config = load_index(fake_raw_index_dir), RetrievalConfig()
    key = digest("label-free", index, config, fake_models, ("a",), (), {})
    assert key is not None and key != digest("label-free", index, config, fake_models, ("b",), (), {})
    assert key != digest("label-free", index, config, [fake_models[0], FakeEmbedder(dim=128, salt="x")], ("a",), (), {})
    assert digest("label-free", index, config, [RecordingEmbedder(m) for m in fake_models], ("a",), (), {}) is None
