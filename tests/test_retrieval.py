"""Real questions, real model: the right FAQ entry is in the top 3. The ranking's shape and cache: fake embedders."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pytest

from faq.errors import InvalidRequestError

if TYPE_CHECKING:
    import numpy as np

    from index.embedders import Embedder

    from fakes import FakeEmbedder

# (question, expected entry local id): French, English, typos, no accents, colloquial
TOP3 = [
    ("Est-ce que je peux payer avec PayPal ?", "1.1"),
    ("Do you accept Apple Pay?", "1.1"),
    ("ou en est ma comande", "1.2"),
    ("je me suis trompé de taille, je peux changer ma commande ?", "1.3"),
    ("la livraison est gratuite ?", "2.1"),
    ("How long will delivery take?", "2.2"),
    ("j'ai pas reçu de numéro de suivi, comment je trace mon colis", "2.3"),
    ("combien de temps dure la garantie", "3.1"),
    ("What does the warranty cover?", "3.1"),
    ("ma montre ne marche plus, comment la faire réparer ?", "3.2"),
    ("la reparation est payante ?", "3.3"),
    ("comment renvoyer un produit", "4.1"),
    ("my watch arrived broken", "4.2"),
    ("quand est-ce que je serai rembourse", "4.3"),
]


@pytest.mark.model
@pytest.mark.parametrize(("question", "expected"), TOP3)
def test_right_entry_in_top_3(searcher, question, expected):
    hits = searcher.search(question, top_k=3)
    assert f"enigme-ba793-faq:{expected}" in [h.entry_id for h in hits], [h.chunk.question for h in hits]


def test_results_are_one_per_entry_best_first(fake_searcher):
    hits = fake_searcher.search("garantie", top_k=12)
    assert len({h.entry_id for h in hits}) == len(hits) == 12
    assert [h.rank for h in hits] == list(range(1, 13))
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))


@pytest.mark.parametrize("top_k", [0, -1, 21])
def test_top_k_outside_the_limits_is_refused_by_search(fake_searcher, top_k):
    with pytest.raises(InvalidRequestError, match=rf"top_k must be between 1 and 20 .*got {top_k}"):
        fake_searcher.search("garantie", top_k=top_k)


@pytest.mark.parametrize("top_k", [0, 21])
def test_top_k_outside_the_limits_is_refused_on_the_answer_path(fake_searcher, top_k):
    from index.deciding.answer import Answerer

    with pytest.raises(InvalidRequestError, match="top_k must be between 1 and 20"):
        Answerer(fake_searcher, None).answer("garantie", top_k=top_k)


def test_repeated_question_is_answered_from_the_cache(fake_searcher):
    from index.deciding.answer import Answerer

    answerer = Answerer(fake_searcher, None)
    first = answerer.answer("Combien de temps dure la garantie ?")
    again = answerer.answer("combien de temps  dure la garantie ?")
    assert again.hits is first.hits  # same ranking object: nothing was recomputed
    assert again.question == "combien de temps  dure la garantie ?"


class _Rendezvous:
    """Wraps an embedder so its question embedding waits, at most a few seconds, until the other model's has started too."""

    cheap = False  # it waits: the searcher embeds the members on its threads, as for a real model

    def __init__(self, model: FakeEmbedder, barrier: threading.Barrier) -> None:
        self.model, self.barrier = model, barrier
        self.name, self.dim, self.roles, self.languages = model.name, model.dim, model.roles, model.languages

    def warm_up(self) -> None:
        self.model.warm_up()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.barrier.wait(timeout=5)  # raises BrokenBarrierError when the models embed one after the other
        return self.model.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.encode_passages(texts)


def test_the_ensemble_member_embeds_the_question_while_the_primary_does(fake_raw_index_dir, fake_models):
    import threading

    from faq.retrieval import RetrievalConfig
    from index.disk.storage import load_index
    from index.pipeline import open_searcher

    barrier = threading.Barrier(2)
    models: list[Embedder] = [_Rendezvous(m, barrier) for m in fake_models]
    searcher = open_searcher(load_index(fake_raw_index_dir), RetrievalConfig(), models)
    ranking = searcher.rank("combien de temps dure la garantie")
    alone = open_searcher(load_index(fake_raw_index_dir), RetrievalConfig(), fake_models).rank("combien de temps dure la garantie")
    assert [h.entry_id for h in ranking.hits] == [h.entry_id for h in alone.hits]
    assert {name for name, _ in ranking.timings} >= {f"score:{m.name.split(':')[0]}" for m in fake_models}


class _Threads:
    """Wraps an embedder and records the thread each question is embedded on; `cheap` as given (None: not said)."""

    def __init__(self, model, cheap) -> None:  # noqa: ANN001 - a FakeEmbedder, and True, False or None
        self.model, self.name, self.dim, self.roles = model, model.name, model.dim, model.roles
        self.languages = model.languages
        if cheap is not None:
            self.cheap = cheap
        self.threads: list[str] = []

    def warm_up(self) -> None:
        self.model.warm_up()

    def encode_queries(self, texts):  # noqa: ANN001, ANN201
        self.threads.append(threading.current_thread().name)
        return self.model.encode_queries(texts)

    def encode_passages(self, texts):  # noqa: ANN001, ANN201
        return self.model.encode_passages(texts)


@pytest.mark.parametrize(("cheap", "inline"), [(None, True), (True, True), (False, False)])
def test_a_cheap_member_embeds_on_the_calling_thread_and_ranks_the_same(fake_raw_index_dir, fake_models, cheap, inline):
    # the fakes say they are cheap (a wrapper saying nothing is as cheap as its model); a model that is not embeds on the
    # searcher's threads. Either way the ranking is the same
    from faq.retrieval import RetrievalConfig
    from index.disk.storage import load_index
    from index.pipeline import open_searcher

    primary, member = fake_models[0], _Threads(fake_models[1], cheap)
    question = "combien de temps dure la garantie"
    ranking = open_searcher(load_index(fake_raw_index_dir), RetrievalConfig(), [primary, member]).rank(question)
    alone = open_searcher(load_index(fake_raw_index_dir), RetrievalConfig(), fake_models).rank(question)
    assert [(h.entry_id, h.score) for h in ranking.hits] == [(h.entry_id, h.score) for h in alone.hits]
    assert len(member.threads) == 1
    assert (member.threads[0] == threading.current_thread().name) is inline
    assert member.threads[0].startswith("faq-embed") is not inline


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_zscore_is_numpys_formula_bit_for_bit(dtype):
    import numpy as np

    from index.ranking.signals import zscore, zscore_in_place

    rng = np.random.default_rng(7)
    arrays = [(rng.standard_normal(int(n)) * scale + shift).astype(dtype)
              for n, scale, shift in zip(rng.integers(1, 2000, 300), rng.uniform(1e-3, 100, 300), rng.uniform(-50, 50, 300))]
    arrays += [np.full(12, 0.25, dtype), np.array([1.0], dtype), rng.random((3, 40)).astype(dtype)]
    for x in arrays:
        expected = (x - x.mean()) / (x.std() + 1e-9)
        got = zscore(x)
        assert got.dtype == expected.dtype and got.shape == expected.shape and got.tobytes() == expected.tobytes()
        mine = x.copy()
        got = zscore_in_place(mine)  # written over its input, the same bits
        assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes() and np.shares_memory(got, mine)


def test_sorted_unique_is_numpys_unique():
    import numpy as np

    from index.ranking.signals import sorted_unique

    rng = np.random.default_rng(3)
    for x in [np.empty(0, np.int64), np.array([5]), np.array([2, 2, 2]), *(rng.integers(0, int(m), int(k)) for m, k in
                                                                        zip(rng.integers(1, 3000, 50), rng.integers(1, 2000, 50)))]:
        got, expected = sorted_unique(x), np.unique(x)
        assert got.dtype == expected.dtype and np.array_equal(got, expected)


def test_a_model_not_trained_on_the_questions_language_has_no_say_in_its_ranking(fake_raw_index_dir, fake_models):
    # the fake USE declares USE's languages, which have no Hindi: a Hindi question is ranked as without USE, a French one
    # with it
    from faq.retrieval import RetrievalConfig
    from index.disk.storage import load_index
    from index.pipeline import open_searcher

    with_use = open_searcher(load_index(fake_raw_index_dir), RetrievalConfig(), fake_models)
    primary_only = open_searcher(load_index(fake_raw_index_dir), RetrievalConfig(ensemble=()), fake_models[:1])

    def ranked(searcher, question):  # noqa: ANN001, ANN202 - the order and the scores' proportions (their scale is kept)
        hits = searcher.rank(question).hits
        return [(h.entry_id, round(h.score / hits[0].score, 4)) for h in hits]

    hindi, french = "मेरी घड़ी की वारंटी कितने समय की है?", "combien de temps dure la garantie de ma montre"
    assert with_use.rank(hindi).lang == "hi"
    assert ranked(with_use, hindi) == ranked(primary_only, hindi)
    assert ranked(with_use, french) != ranked(primary_only, french)
    # two words written with vowel marks are a question in Hindi too (faq.language._words), not one too short to tell
    short = "शिपिंग चार्ज"
    assert with_use.rank(short).lang == "hi"
    assert ranked(with_use, short) == ranked(primary_only, short)


def test_a_question_in_another_of_the_members_languages_than_the_faqs_weighs_that_member_more(fake_raw_index_dir, fake_models):
    # USE was trained to match translations across its languages: on a cross-lingual question its weight is times
    # `cross_lingual`; on a question in the FAQ's language it is as configured
    from dataclasses import replace

    from faq.retrieval import RetrievalConfig
    from index.disk.storage import load_index
    from index.pipeline import open_searcher

    default = RetrievalConfig()
    boosted = open_searcher(load_index(fake_raw_index_dir), default, fake_models)
    configured = replace(default, ensemble=(("usem3", 0.5 * default.cross_lingual),), cross_lingual=1.0)
    heavier = open_searcher(load_index(fake_raw_index_dir), configured, fake_models)
    plain = open_searcher(load_index(fake_raw_index_dir), replace(default, cross_lingual=1.0), fake_models)

    def ranked(searcher, question):  # noqa: ANN001, ANN202 - the order and the scores' proportions (their scale is kept)
        hits = searcher.rank(question).hits
        return [(h.entry_id, round(h.score / hits[0].score, 4)) for h in hits]

    english, french = "how long is the warranty on my watch", "combien de temps dure la garantie de ma montre"
    assert boosted.rank(english).lang == "en" and default.cross_lingual > 1
    assert ranked(boosted, english) == ranked(heavier, english) != ranked(plain, english)
    assert ranked(boosted, french) == ranked(plain, french) != ranked(heavier, french)


def test_a_model_that_knows_neither_the_question_nor_the_faq_language_has_no_weight(fake_raw_index_dir, fake_models):
    # USE has no Hindi: over a Hindi FAQ it has no weight for a Hindi question (the FAQ's own language), for one too short
    # to tell, nor for one in another language (its vectors of the Hindi entries are noise); over a French FAQ it keeps its
    # weight on French, has none on Hindi, and `cross_lingual` times its weight on English. The sum stays the configured one.
    from faq.retrieval import RetrievalConfig
    from index.disk.storage import load_index
    from index.pipeline import open_searcher

    config = RetrievalConfig()
    searcher = open_searcher(load_index(fake_raw_index_dir), config, fake_models)
    total = 1.0 + config.ensemble[0][1]
    assert searcher.table.langs == ["fr"]
    assert searcher._dense_weights("fr") == [1.0, config.ensemble[0][1]]
    assert searcher._dense_weights("unknown") == [1.0, config.ensemble[0][1]]
    assert searcher._dense_weights("hi") == [total, 0.0]
    english = searcher._dense_weights("en")
    assert english[1] / english[0] == config.ensemble[0][1] * config.cross_lingual and sum(english) == total
    searcher.table.langs = ["hi"]  # the same entries, as if the FAQ were in Hindi
    try:
        for lang in ("hi", "unknown", "en", "fr"):
            assert searcher._dense_weights(lang) == [total, 0.0]
    finally:
        searcher.table.langs = ["fr"]


def test_a_question_in_another_script_than_the_faqs_weighs_the_member_cross_script_times(fake_raw_index_dir, fake_models):
    # e5-small matches Arabic, Russian or Japanese to a French FAQ worse than English: USE's weight is times `cross_script`
    # there, times `cross_lingual` for another language in the FAQ's script; the sum stays the configured one
    from faq.retrieval import RetrievalConfig
    from index.disk.storage import load_index
    from index.pipeline import open_searcher

    config = RetrievalConfig()
    searcher = open_searcher(load_index(fake_raw_index_dir), config, fake_models)
    member = config.ensemble[0][1]
    assert config.cross_script > config.cross_lingual
    for lang in ("ar", "ru", "ja", "zh", "ko"):
        weights = searcher._dense_weights(lang)
        assert weights[1] / weights[0] == member * config.cross_script and sum(weights) == 1.0 + member
    english = searcher._dense_weights("en")
    assert english[1] / english[0] == member * config.cross_lingual
    searcher.table.langs = ["ja"]  # as if the FAQ were in Japanese: Chinese shares its script
    try:
        chinese = searcher._dense_weights("zh")
        assert chinese[1] / chinese[0] == member * config.cross_lingual
    finally:
        searcher.table.langs = ["fr"]


def test_a_model_without_weight_for_the_questions_language_is_left_out_of_its_similarity(fake_raw_index_dir, fake_models):
    # the hits' similarity (what "answer or not" reads) is the mean over the models that weigh in: USE's similarities for a
    # Hindi question are noise, and averaging them in pulled Hindi questions under the threshold
    from faq.retrieval import RetrievalConfig
    from index.disk.storage import load_index
    from index.pipeline import open_searcher

    searcher = open_searcher(load_index(fake_raw_index_dir), RetrievalConfig(), fake_models)
    question = "Combien de temps dure la garantie ?"
    for lang, expected in (("fr", lambda v: v[:, :2].mean(axis=1)), ("hi", lambda v: v[:, 0])):
        searcher.detect = lambda _question, lang=lang: lang  # type: ignore[assignment]
        ranking = searcher.rank(question, limit=5)
        assert ranking.signal_names[:2] == ("fake", "usem3-fake")  # the primary model, then USE's stand-in
        np.testing.assert_allclose([h.similarity for h in ranking.hits], expected(ranking.signal_values), rtol=1e-5)
        assert ranking.dense_weights == tuple(searcher._dense_weights(lang))  # what the decision reads (evidence.gather)


def test_the_off_topic_margin_is_left_out_where_its_model_has_no_weight(fake_searcher) -> None:  # noqa: ANN001
    # USE (the off_topic role) measures how close a question is to the generic off-topic lines; for a Hindi question it
    # weighs nothing, and its margin would be noise: the ranking says so (None) rather than the decision guessing
    question = "Combien de temps dure la garantie ?"
    assert fake_searcher.learnt.off_topic_lines
    detect = fake_searcher.detect
    try:
        fake_searcher.detect = lambda _question: "fr"
        french = fake_searcher.rank(question, limit=5)
        fake_searcher.detect = lambda _question: "hi"
        hindi = fake_searcher.rank(question, limit=5)
    finally:
        fake_searcher.detect = detect
    assert french.off_topic_margin is not None and french.off_topic_signal == "usem3-fake" and french.dense_weights[1] > 0
    assert hindi.off_topic_margin is None and hindi.off_topic_signal == "" and hindi.dense_weights[1] == 0.0


def test_explain_ranks_as_rank_and_gives_each_signals_own_scores(fake_searcher) -> None:  # noqa: ANN001
    # eval.signals reads what each signal alone would put first from these, instead of the searcher's private methods
    question = "Combien de temps dure la garantie ?"
    ranking, scored = fake_searcher.explain(question, limit=5)
    assert ranking.hits == fake_searcher.rank(question, limit=5).hits
    assert tuple(scored) == ranking.signal_names and len(ranking.dense_weights) == 2
    position = fake_searcher.table.position
    assert all(len(s.scores) == len(position) for s in scored.values())
    # the dense columns of the ranking's signal values are these scores' cosine similarities, hit by hit
    rows = [position[h.entry_id] for h in ranking.hits]
    for j, name in enumerate(ranking.signal_names[:2]):
        np.testing.assert_allclose(ranking.signal_values[:, j], scored[name].similarity[rows], rtol=1e-6)
