"""Known out-of-scope questions: the calibration set's unanswerable questions pull similar questions' confidence down."""

import numpy as np
import pytest

from faq.retrieval import RetrievalConfig
from index.deciding.answer import nearest_known_out_of_scope
from index.disk.storage import load_index
from index.pipeline import open_answerer
from index.ranking.search import Ranking

from conftest import calibration_of


def test_calibration_keeps_the_dev_sets_out_of_scope_questions_as_known_ones(fake_index_dir):
    known = calibration_of(load_index(fake_index_dir).manifest).learnt.known_out_of_scope
    assert len(known) == 17
    assert "Quel temps fera-t-il demain à Lyon ?" in known


def test_a_known_out_of_scope_question_is_nearest_to_itself(fake_searcher):
    j = fake_searcher.learnt.known_out_of_scope.index("Vous avez une boutique physique à Paris ?")
    known = fake_searcher.rank("Vous avez une boutique physique à Paris ?", limit=1).known_out_of_scope
    assert int(np.argmax(known)) == j
    assert known[j] > 0.99


def test_calibration_can_leave_one_known_question_out():
    ranking = Ranking(hits=[], filtered_out=0, known_out_of_scope=np.array([0.9, 0.4], dtype=np.float32))
    assert nearest_known_out_of_scope(ranking) == np.float32(0.9)
    assert nearest_known_out_of_scope(ranking, leave_out=0) == np.float32(0.4)
    assert nearest_known_out_of_scope(Ranking(hits=[], filtered_out=0)) == 0.0


@pytest.mark.model
def test_a_question_like_a_known_out_of_scope_one_is_refused(index_dir, embedder, use_embedder):
    # the dev set knows "Is the BA-793 water resistant to 100m?"; the FAQ says nothing about water
    answer = open_answerer(index_dir, RetrievalConfig(), [embedder, use_embedder]).answer("Est-ce que la montre est étanche ?")
    assert not answer.answerable
    assert answer.known_out_of_scope > 0.5


@pytest.mark.model
def test_an_in_scope_question_is_still_answered(index_dir, embedder, use_embedder):
    answer = open_answerer(index_dir, RetrievalConfig(), [embedder, use_embedder]).answer("Combien de temps dure la garantie ?")
    assert answer.answerable
    assert answer.hits[0].entry_id == "enigme-ba793-faq:3.1"
