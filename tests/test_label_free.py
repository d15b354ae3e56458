"""A FAQ with no labelled questions still gets an honest "no answer" (index.deciding.label_free)."""

import json
import shutil

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cli.main import app as cli, build
from faq.errors import CorpusError
from faq.retrieval import RetrievalConfig
from faq.settings import Settings
from feedback.factory import open_feedback_store
from index.deciding.label_free import off_topic_questions, own_question_scores
from index.disk.storage import load_index
from index.pipeline import fit_label_free, open_answerer, open_searcher, store_calibration
from service import create_app
from usecases.calibrate import calibrate_index

from conftest import CORPUS, calibration_of

OFF_TOPIC = [
    "Quelle est la capitale de l'Australie ?", "Who won the football world cup in 2018?", "Quel temps fera-t-il demain à Lyon ?",
    "Raconte-moi une blague sur les chats", "Wie spät ist es in Tokio?", "¿Cuál es el mejor restaurante de Madrid?",
]
IN_SCOPE = ["Combien de temps dure la garantie ?", "How can I track my parcel?", "Quels moyens de paiement acceptez-vous ?",
            "Comment retourner un article ?"]


@pytest.fixture(scope="module")
def label_free_dir(index_dir, tmp_path_factory, embedder, use_embedder):
    """The bundled FAQ's index calibrated as a new help center's would be: no labelled question."""
    path = tmp_path_factory.mktemp("label-free") / "index"
    shutil.copytree(index_dir, path)
    config = RetrievalConfig()
    searcher, found = fit_label_free(load_index(path), config, [embedder, use_embedder], off_topic_questions("dev"))
    store_calibration(path, found.calibration.model_copy(update={"source": "label-free test"}))
    return path


@pytest.fixture(scope="module")
def answerer(label_free_dir, embedder, use_embedder):
    return open_answerer(label_free_dir, RetrievalConfig(), [embedder, use_embedder])


@pytest.fixture(scope="module")
def fake_label_free_dir(fake_raw_index_dir, tmp_path_factory, fake_models):
    """`label_free_dir` with the fake embedders: what calibration records, not how well it refuses."""
    path = tmp_path_factory.mktemp("fake-label-free") / "index"
    shutil.copytree(fake_raw_index_dir, path)
    config = RetrievalConfig()
    searcher, found = fit_label_free(load_index(path), config, fake_models, off_topic_questions("dev"))
    store_calibration(path, found.calibration.model_copy(update={"source": "label-free test"}))
    return path


def test_the_bundled_off_topic_set_has_two_halves_in_six_languages():
    dev, test = off_topic_questions("dev"), off_topic_questions("test")
    assert len(dev) >= 250 and len(test) >= 250
    assert not set(dev) & set(test)
    langs = {json.loads(line)["lang"] for line in (CORPUS.parent / "index" / "deciding" / "data" / "off_topic.jsonl").read_text().splitlines()}
    assert langs == {"fr", "en", "es", "de", "it", "pt"}


def test_a_malformed_off_topic_file_names_its_line(tmp_path):
    bad = tmp_path / "off_topic.jsonl"
    bad.write_text('{"text": "hello", "split": "dev"}\n{"text": "no split"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"off_topic.jsonl:2"):
        off_topic_questions("dev", bad)


@pytest.mark.model
@pytest.mark.parametrize("question", OFF_TOPIC)
def test_a_label_free_index_refuses_what_no_faq_entry_answers(answerer, question):
    answer = answerer.answer(question)
    assert not answer.answerable and answer.confidence < 0.5


@pytest.mark.model
@pytest.mark.parametrize("question", IN_SCOPE)
def test_a_label_free_index_answers_what_its_faq_answers(answerer, question):
    answer = answerer.answer(question)
    assert answer.outcome == "answer" and answer.answerable and answer.confidence >= answerer.decider.answer_at


def test_the_manifest_says_the_index_was_calibrated_label_free(fake_label_free_dir):
    info = calibration_of(load_index(fake_label_free_dir).manifest)
    assert info.method == "label-free"
    assert not info.learnt.background_terms and not info.learnt.known_out_of_scope  # both need labels


def test_leaving_an_entrys_own_question_out_lowers_its_score(fake_index_dir, fake_models):
    searcher = open_searcher(load_index(fake_index_dir), RetrievalConfig(), fake_models)
    entry = searcher.index.records.entries[0]
    seen = searcher.rank(entry.question, limit=1).hits[0]
    unseen = searcher.rank(entry.question, limit=1, leave_out=entry.id).hits[0]
    assert seen.entry_id == entry.id and unseen.similarity < seen.similarity
    assert len(own_question_scores(searcher)) == len(searcher.index.records.entries)


def test_a_large_faq_scores_an_even_sample_of_its_own_questions(fake_index_dir, fake_models):
    searcher = open_searcher(load_index(fake_index_dir), RetrievalConfig(), fake_models)
    every = own_question_scores(searcher)
    assert len(every) == 12
    np.testing.assert_array_equal(own_question_scores(searcher, most=4), every[[0, 4, 7, 11]])


def test_ingest_without_labels_calibrates_label_free_and_says_how_to_fix_it(fake_everywhere, tmp_path, capsys):
    unrelated = tmp_path / "labels.jsonl"
    unrelated.write_text('{"text": "x", "relevant_entry_ids": ["another-faq:1"], "split": "dev"}\n', encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index", corpus=CORPUS, calibration_set=unrelated, data_dir=tmp_path / "data")
    build(CORPUS, tmp_path / "index", settings)
    said = " ".join(capsys.readouterr().out.split())
    assert "label-free" in said and "faq calibrate FILE" in said
    assert "decision model" in said and "No answer\" below" not in said  # what decides now, not the old threshold
    assert calibration_of(load_index(tmp_path / "index").manifest).method == "label-free"


@pytest.mark.model
@pytest.mark.parametrize("question", ["Comment ouvrir un compte bancaire ?", "What is the baggage allowance on my flight?"])
def test_a_question_much_closer_to_an_off_topic_one_than_to_the_faq_is_refused(answerer, question):
    answer = answerer.answer(question)
    assert not answer.answerable


def test_faq_calibrate_with_a_file_that_labels_nothing_here_is_an_error(fake_index_dir, tmp_path):
    copy = tmp_path / "index"
    shutil.copytree(fake_index_dir, copy)
    unrelated = tmp_path / "labels.jsonl"
    unrelated.write_text('{"text": "x", "relevant_entry_ids": ["another-faq:1"], "split": "dev"}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["calibrate", str(unrelated), "--index", str(copy)])
    assert result.exit_code == 1
    assert "another-faq:1" in result.output


def test_logged_questions_become_the_query_bank(fake_index_dir, fake_everywhere, tmp_path, database_url):
    copy = tmp_path / "index"
    shutil.copytree(fake_index_dir, copy)
    settings = Settings(index_dir=copy, corpus=CORPUS, data_dir=tmp_path / "data", calibration_set=None, database_url=database_url)
    with open_feedback_store(settings) as store:
        for i in range(25):
            store.log_query(f"question numéro {i} sur la livraison ?", "search", True, 0.9, None)
    calibrate_index(copy, None, settings)
    info = calibration_of(load_index(copy).manifest)
    assert info.method == "label-free" and info.learnt.query_bank and "25 logged questions" in info.source


def test_readyz_and_documents_say_how_the_index_was_calibrated(fake_label_free_dir, fake_models, tmp_path):
    with TestClient(create_app(Settings(index_dir=fake_label_free_dir, corpus=CORPUS, data_dir=tmp_path), models=fake_models)) as client:
        assert client.get("/readyz").json()["calibration"] == "label-free"
        assert client.get("/v1/documents").json()["calibration"] == "label-free"
