"""Query bank: how the calibration questions score against each entry tempers entries that every question comes close to."""

import numpy as np
import pytest

from faq.retrieval import RetrievalConfig
from index.deciding.calibrate import read_labelled
from index.disk.calibration import QueryBank
from index.disk.storage import load_index
from index.pipeline import MIN_QUERY_BANK, fit, open_searcher

from conftest import CALIBRATION_SET, calibration_of

WARRANTY = "enigme-ba793-faq:3.1"


def test_calibration_stores_a_query_bank_for_each_dense_model(fake_index_dir, fake_embedder, fake_use_embedder):
    bank = calibration_of(load_index(fake_index_dir).manifest).learnt.query_bank
    assert set(bank) == {fake_embedder.name, fake_use_embedder.name}
    assert all(len(b.mean) == len(b.std) == 12 for b in bank.values())


def test_a_bank_is_each_entrys_mean_and_spread_over_the_questions():
    bank = QueryBank.of(np.array([[0.2, 0.5, 0.1], [0.4, 0.5, 0.3]], dtype=np.float32))
    assert bank.mean == pytest.approx([0.3, 0.5, 0.2])
    assert bank.std == pytest.approx([0.1, 0.05, 0.1])  # an entry every question scored alike gets half the median spread


def test_too_few_calibration_questions_make_no_bank(fake_index_dir, fake_embedder, fake_use_embedder):
    few = read_labelled(CALIBRATION_SET, "dev")[: MIN_QUERY_BANK - 1]
    searcher, _ = fit(load_index(fake_index_dir), RetrievalConfig(), [fake_embedder, fake_use_embedder], few)
    assert searcher.learnt.query_bank == {}


def test_an_entry_every_question_comes_close_to_loses_its_lead_but_not_its_similarity(fake_index_dir, fake_embedder, fake_use_embedder, fake_searcher):
    question = "Combien de temps dure la garantie ?"
    before = fake_searcher.rank(question, limit=12).hits
    assert before[0].entry_id == WARRANTY
    position = [e.id for e in fake_searcher.index.records.entries].index(WARRANTY)
    crowded = {}
    for name, bank in fake_searcher.learnt.query_bank.items():
        mean = np.asarray(bank.mean, np.float32)
        mean[position] += 0.5  # as if every bank question had been half a cosine closer to the warranty entry
        crowded[name] = QueryBank(mean=tuple(mean.tolist()), std=bank.std)
    tempered = open_searcher(load_index(fake_index_dir), RetrievalConfig(), [fake_embedder, fake_use_embedder],
                             fake_searcher.learnt.model_copy(update={"query_bank": crowded}))
    after = tempered.rank(question, limit=12).hits
    assert after[0].entry_id != WARRANTY
    assert {h.entry_id: h.similarity for h in after}[WARRANTY] == pytest.approx(before[0].similarity)
