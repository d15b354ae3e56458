"""Calibration keeps the vectors of its known questions beside the manifest, so opening an index embeds none of them."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from faq.retrieval import RetrievalConfig
from faq.settings import Settings
from index.deciding.label_free import off_topic_questions
from index.disk.known import KNOWN, load_known
from index.disk.storage import load_index
from index.embedders import Embedder
from index.pipeline import fit_label_free, open_answerer, store_calibration

from conftest import calibration_of
from fakes import RecordingEmbedder as Counting

QUESTIONS = ["Combien de temps dure la garantie ?", "où est mon colis", "Quel temps fera-t-il demain ?", "bonjour"]


def _answers(answerer, questions=QUESTIONS) -> list[tuple]:
    return [(tuple(h.entry_id for h in a.hits), a.answerable, a.confidence, a.score)
            for a in (answerer.answer_uncached(q, 5) for q in questions)]


@pytest.fixture(scope="module")
def label_free_dir(tmp_path_factory: pytest.TempPathFactory, fake_raw_index_dir: Path, fake_models: list) -> Path:
    path = tmp_path_factory.mktemp("known") / "label-free"
    shutil.copytree(fake_raw_index_dir, path)
    config = RetrievalConfig()
    searcher, found = fit_label_free(load_index(path), config, fake_models, off_topic_questions("dev"))
    store_calibration(path, found.calibration.model_copy(update={"source": "label-free test"}), searcher.vectors)
    return path


def test_opening_a_labelled_calibration_embeds_none_of_its_known_questions(fake_index_dir: Path, fake_models: list) -> None:
    counting = [Counting(m) for m in fake_models]
    answerer = open_answerer(fake_index_dir, RetrievalConfig(), counting)
    assert answerer.searcher.learnt.known_out_of_scope  # there are known out-of-scope questions to compare with
    assert [c.questions for c in counting] == [[], []]


def test_opening_a_label_free_calibration_embeds_none_of_its_off_topic_lines(label_free_dir: Path, fake_models: list) -> None:
    counting = [Counting(m) for m in fake_models]
    answerer = open_answerer(label_free_dir, RetrievalConfig(), counting)
    assert len(answerer.searcher.learnt.off_topic_lines) > 100
    assert [c.questions for c in counting] == [[], []]


def test_the_file_holds_each_models_vectors_of_the_known_questions(label_free_dir: Path, fake_models: list) -> None:
    known = load_known(label_free_dir)
    off_topic = calibration_of(load_index(label_free_dir).manifest).learnt.off_topic_lines
    use = fake_models[1]  # the off-topic margin is measured with USE (here its fake)
    assert set(known[use.name]) == set(off_topic)
    text = off_topic[0]
    np.testing.assert_array_equal(known[use.name][text], use.encode_queries([text])[0])


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_answers_are_the_same_without_the_stored_vectors(fake_index_dir: Path, label_free_dir: Path, fake_models: list,
                                                         tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture) -> None:
    for source in (fake_index_dir, label_free_dir):
        copy = tmp_path / source.name
        shutil.copytree(source, copy)
        if damage == "missing":
            (copy / KNOWN).unlink()
        else:
            (copy / KNOWN).write_bytes(b"not a zip file")
        with caplog.at_level(logging.WARNING, logger="faq.index"):
            again = open_answerer(copy, RetrievalConfig(), fake_models)
        assert _answers(again) == _answers(open_answerer(source, RetrievalConfig(), fake_models))
        assert ("cannot be read" in caplog.text) == (damage == "corrupt")
        shutil.rmtree(copy)


def test_ingest_keeps_the_known_questions_vectors(fake_everywhere: list, tmp_path: Path) -> None:
    from usecases.versions import build_version

    corpus = Path(__file__).resolve().parent.parent / "corpus"
    settings = Settings(index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    result = build_version(corpus, tmp_path / "index", settings)
    folder = tmp_path / "index" / "versions" / result.version
    assert (folder / KNOWN).exists()
    assert set(load_known(folder)) == {m.name for m in fake_everywhere}


def test_label_free_calibration_takes_the_faqs_own_question_vectors_from_the_index(fake_raw_index_dir: Path,
                                                                                    fake_models: list) -> None:
    from faq.text import normalize

    counting = [Counting(m) for m in fake_models]
    models: list[Embedder] = [*counting]
    index = load_index(fake_raw_index_dir)
    fit_label_free(index, RetrievalConfig(), models, off_topic_questions("dev"))
    own = {normalize(e.question) for e in index.records.entries}
    assert all(c.questions for c in counting)  # the off-topic lines were embedded
    assert [own & set(c.questions) for c in counting] == [set(), set()]
