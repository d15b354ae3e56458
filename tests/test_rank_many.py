"""Label-free calibration ranks its hundreds of questions together (Searcher.rank_many): the same rankings, the same
calibration as ranking them one at a time (Searcher.rank)."""

from collections.abc import Sequence

import numpy as np
import pytest

from faq.retrieval import RetrievalConfig
from index.deciding.label_free import off_topic_questions
from index.disk.calibration import QueryBank
from index.disk.storage import load_index
from index.pipeline import MIN_QUERY_BANK, fit_label_free, open_searcher
from index.ranking.search import Ranking, Searcher

from fakes import FakeEmbedder, fake_use


class Dear(FakeEmbedder):
    """A fake that says it is not cheap: the searcher embeds its questions on its threads, as it does a real model's."""

    cheap = False


def one_at_a_time(searcher: Searcher, questions: Sequence[str], limit: int | None = None,
                  leave_out: Sequence[str | None] | None = None) -> list[Ranking]:
    """What calibration ranked before rank_many: each question through `rank`, alone."""
    outs = leave_out if leave_out is not None else [None] * len(questions)
    return [searcher.rank(q, limit=limit, leave_out=out) for q, out in zip(questions, outs)]


def bank_one_at_a_time(searcher: Searcher, questions: Sequence[str]) -> dict[str, QueryBank]:
    """`Searcher.query_bank_of` as it was: each question's dense scores, one question at a time."""
    columns: list[list[np.ndarray]] = [[] for _ in searcher._dense()]
    for q in questions:
        for column, scores in zip(columns, searcher._dense_scores(searcher._strip(q))):
            column.append(scores.similarity)
    return {signal.name: QueryBank.of(np.stack(column)) for signal, column in zip(searcher._dense(), columns)}


def same(a: Ranking, b: Ranking) -> None:
    assert a.hits == b.hits and a.lang == b.lang and a.filtered_out == b.filtered_out
    assert a.off_topic_margin == b.off_topic_margin and a.signal_names == b.signal_names
    np.testing.assert_array_equal(a.signal_values, b.signal_values)
    np.testing.assert_array_equal(a.known_out_of_scope, b.known_out_of_scope)
    assert a.query_vectors.keys() == b.query_vectors.keys()
    for name in a.query_vectors:
        np.testing.assert_array_equal(a.query_vectors[name], b.query_vectors[name])


@pytest.fixture(scope="module")
def models() -> list[FakeEmbedder]:
    use = fake_use()
    return [FakeEmbedder(), Dear(dim=use.dim, salt="use", prefix=use.name.split(":")[0], roles=use.roles,
                                 languages=use.languages)]


@pytest.mark.parametrize("limit", [1, None])
def test_rank_many_ranks_each_question_as_rank_does(fake_index_dir, fake_models, limit):
    searcher = open_searcher(load_index(fake_index_dir), RetrievalConfig(), fake_models)  # its calibration's learnt: a bank
    entries = searcher.index.records.entries
    questions = [*(e.question for e in entries), *off_topic_questions("dev")[:40], "", "garantie"]
    leave_out = [*(e.id for e in entries), *[None] * 42]
    many = searcher.rank_many(questions, limit=limit, leave_out=leave_out)
    assert len(many) == len(questions)
    for a, b in zip(many, one_at_a_time(searcher, questions, limit, leave_out)):
        same(a, b)
    assert searcher.rank_many([]) == []
    with pytest.raises(ValueError, match="leave_out"):
        searcher.rank_many(questions[:2], leave_out=leave_out[:1])


def test_rank_many_embeds_a_dear_models_questions_on_the_searchers_threads_the_same(fake_raw_index_dir, models):
    searcher = open_searcher(load_index(fake_raw_index_dir), RetrievalConfig(), models)
    questions = list(off_topic_questions("dev")[:30])
    for a, b in zip(searcher.rank_many(questions, limit=3), one_at_a_time(searcher, questions, 3)):
        same(a, b)


def test_a_label_free_fit_is_the_fit_of_one_question_at_a_time(fake_raw_index_dir, models, monkeypatch):
    """The whole fit (its query bank, the off-topic lines kept, the norms, the threshold) bit for bit, and the
    vectors it keeps for the next ingest. On 60 of the off-topic lines: enough for a query bank (MIN_QUERY_BANK), a
    fifth of a full fit's work."""
    index, config, off_topic = load_index(fake_raw_index_dir), RetrievalConfig(), off_topic_questions("dev")[:60]
    assert len(off_topic) >= 3 * MIN_QUERY_BANK
    _, batched = fit_label_free(index, config, models, off_topic)
    monkeypatch.setattr(Searcher, "rank_many", one_at_a_time)
    monkeypatch.setattr(Searcher, "query_bank_of", bank_one_at_a_time)
    _, alone = fit_label_free(index, config, models, off_topic)
    assert batched.calibration == alone.calibration
    assert (batched.off_topic_used, batched.off_topic_dropped, batched.faq_questions, batched.faq_median) == (
        alone.off_topic_used, alone.off_topic_dropped, alone.faq_questions, alone.faq_median)
    assert batched.embedded.keys() == alone.embedded.keys()
    for name, vectors in alone.embedded.items():
        assert batched.embedded[name].keys() == vectors.keys()
        for text, vector in vectors.items():
            np.testing.assert_array_equal(batched.embedded[name][text], vector)
