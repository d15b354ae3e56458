"""The test run's kept calibrations (tests/fit_cache.py) are the ones the fit makes, and only plain fakes' are kept."""

import json
import pickle
import shutil
from types import SimpleNamespace

from fit_cache import FitCache, banked_traffic, digest, install, same_fit, unlike_fresh

from faq.retrieval import RetrievalConfig
from index import build_index, load_index
from index.deciding.label_free import off_topic_questions
from index.disk.known import CALIBRATION_QUERIES, load_known
from index.pipeline import MIN_QUERY_BANK, fit, fit_label_free, store_calibration
from ingest import load_corpus

from fakes import FakeEmbedder, RecordingEmbedder

SOME = 2 * MIN_QUERY_BANK  # off-topic lines, of the bundled ~300: enough for a query bank, and a fit of a fraction of the time
QUESTIONS = ["Comment changer le bracelet ?", "bonjour", "Quelle est la durée de la garantie ?"]


def test_a_kept_label_free_fit_is_the_fit_of_the_same_index_built_again(fake_raw_index_dir, fake_models, tmp_path, monkeypatch):
    monkeypatch.delenv("FIT_CACHE_VERIFY", raising=False)  # which fits again whatever is kept
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


def test_earlier_vectors_the_models_give_and_too_few_logged_questions_are_not_part_of_the_input(fake_raw_index_dir, fake_models, tmp_path):
    """What the key leaves out does not change the fit: an earlier fit's vectors are the ones the fakes give their texts,
    and fewer than MIN_QUERY_BANK logged questions are not used."""
    folder = tmp_path / "index"
    shutil.copytree(fake_raw_index_dir, folder)
    config, off_topic = RetrievalConfig(), off_topic_questions("dev")[:SOME]
    fitted, found = fit_label_free(load_index(folder), config, fake_models, off_topic)
    store_calibration(folder, found.calibration, fitted.vectors, found.embedded)  # writes calibration-queries.npz too
    earlier = load_known(folder, CALIBRATION_QUERIES)
    assert earlier and unlike_fresh(earlier, fake_models) == {}
    few = ["Do you ship abroad?", "bonjour"] * MIN_QUERY_BANK  # 2 different questions
    assert banked_traffic(few) == ()
    index = load_index(folder)
    plain = digest("label-free", index, config, fake_models, off_topic, banked_traffic(()), unlike_fresh(None, fake_models))
    assert plain == digest("label-free", index, config, fake_models, off_topic, banked_traffic(few), unlike_fresh(earlier, fake_models))
    for traffic, given in [((), None), (few, earlier)]:
        again, again_found = fit_label_free(load_index(folder), config, fake_models, off_topic, traffic, given)
        assert same_fit((fitted.learnt, fitted.vectors, found), (again.learnt, again.vectors, again_found))

    name, by_text = next(iter(earlier.items()))
    text = next(iter(by_text))
    other = {**earlier, name: {**by_text, text: -by_text[text]}}  # a vector the model does not give: the fit takes it
    assert list(unlike_fresh(other, fake_models)[name]) == [text]
    assert plain != digest("label-free", index, config, fake_models, off_topic, (), unlike_fresh(other, fake_models))
    narrow = {**earlier, name: {**by_text, text: by_text[text][:4]}}  # another width: embedded again
    assert unlike_fresh(narrow, fake_models) == {}
    enough = [f"question {i}" for i in range(MIN_QUERY_BANK)]
    assert banked_traffic(enough + enough) == tuple(enough)


def test_the_port_of_a_loopback_site_is_not_part_of_the_input(fake_models, tmp_path):
    """The same pages fetched from a test server on another port: the fit reads no URL, so it is the same fit."""
    config, off_topic, fits = RetrievalConfig(), off_topic_questions("dev")[:SOME], []
    for port in (41234, 35678):
        corpus = tmp_path / f"corpus-{port}" / "faq.jsonl"
        corpus.parent.mkdir()
        corpus.write_text("".join(json.dumps({"id": f"e{i}", "question": question, "answer": answer,
                                              "url": f"http://127.0.0.1:{port}/help/en/articles/{i}"}) + "\n"
                                  for i, (question, answer) in enumerate(PAGES)), encoding="utf-8")
        build_index(load_corpus(corpus), fake_models, tmp_path / f"index-{port}")
        index = load_index(tmp_path / f"index-{port}")
        assert f"127.0.0.1:{port}" in (tmp_path / f"index-{port}" / "records.json").read_text(encoding="utf-8")
        fitted, found = fit_label_free(index, config, fake_models, off_topic)
        fits.append((digest("label-free", index, config, fake_models, off_topic, (), {}), (fitted.learnt, fitted.vectors, found)))
    (key, made), (other_key, other_made) = fits
    assert key == other_key and same_fit(made, other_made)


PAGES = [("What payment methods do you accept?", "Cards, PayPal and bank transfers."),
         ("How long does delivery take?", "Two to four working days in Europe."),
         ("Can I return a watch?", "Within 30 days, unworn, in its box."),
         ("Is my watch waterproof?", "Up to 50 metres: it survives rain and swimming, not diving.")]
