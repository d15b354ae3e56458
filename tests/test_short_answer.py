"""The short answer's question-path work: the question embedded once (by the ranking) and analysed once per
language for the highlights of every hit, with the same highlights as each passage highlighted alone."""

import numpy as np

from faq.retrieval import RetrievalConfig
from faq.text import normalize
from index.deciding.short_answer import ShortAnswerer, highlights
from index.pipeline import open_answerer
from index.ranking.background import strip_terms
from index.ranking.lexical import Analyzer, analyzer

from fakes import RecordingEmbedder

QUESTION = "Quel est le délai de remboursement ?"
QUESTIONS = [QUESTION, "Combien coûte la livraison ?", "Que couvre la garantie ?", "puis-je retourner une montre portée ?"]


def test_ranking_carries_each_dense_models_question_vector(fake_searcher, fake_models):
    ranking = fake_searcher.rank(QUESTION, limit=3)
    as_scored = normalize(strip_terms(QUESTION, fake_searcher.background, fake_searcher.analyzer))
    assert set(ranking.query_vectors) == {m.name for m in fake_models}
    for model in fake_models:
        np.testing.assert_allclose(ranking.query_vectors[model.name], model.encode_queries([as_scored])[0], atol=1e-6)


def test_an_answer_embeds_the_question_once_per_model(fake_index_dir, fake_embedder, fake_use_embedder):
    primary, use = RecordingEmbedder(fake_embedder), RecordingEmbedder(fake_use_embedder)
    answerer = open_answerer(fake_index_dir, RetrievalConfig(), [primary, use])
    primary.questions.clear()
    use.questions.clear()
    answer = answerer.answer_uncached(QUESTION, 5)
    assert answer.short_answer is not None
    assert len(primary.questions) == len(use.questions) == 1


def test_short_answer_uses_the_question_vector_it_is_given(fake_use_embedder):
    passage = "La garantie couvre deux ans. Les frais de port sont offerts. Le remboursement prend une semaine."
    question = "frais de port ?"
    use = RecordingEmbedder(fake_use_embedder)
    extractor = ShortAnswerer(analyzer("fr"), use)
    embedded = extractor.extract(question, passage)
    given = extractor.extract(question, passage, query_vectors={use.name: use.model.encode_queries([question])[0]})
    assert use.questions == [question]  # the first call's only
    assert given == embedded


def test_highlights_of_every_hit_are_each_passage_highlighted_alone(fake_answerer):
    for question in QUESTIONS:
        answer = fake_answerer.answer_uncached(question, 10)
        alone = tuple(highlights(question, h.chunk.text, analyzer(h.chunk.lang)) for h in answer.hits)
        assert answer.highlights == alone and any(alone)


def test_highlights_of_passages_in_several_languages_use_each_ones_analyzer():
    question = "warranty garantie returns retours"
    passages = [("The warranty covers returns.", "en"), ("La garantie couvre les retours.", "fr"), ("Returns: 30 days.", "en")]
    marks = ShortAnswerer(analyzer("fr")).highlights_of(question, passages)
    assert marks == tuple(highlights(question, p, analyzer(lang)) for p, lang in passages)
    assert [[p[a:b] for a, b in m] for m, (p, _) in zip(marks, passages)] == [["warranty", "returns"], ["garantie", "retours"],
                                                                           ["Returns"]]


class CountingAnalyzer(Analyzer):
    """Counts how often one text (the question) is analysed."""

    def __init__(self, lang: str, text: str) -> None:
        super().__init__(lang)
        self.text, self.calls = text, 0

    def terms(self, text: str) -> list[str]:
        self.calls += text == self.text
        return super().terms(text)


def test_highlights_of_many_passages_analyse_the_question_once_per_language():
    question = "Quel est le délai de remboursement ?"
    counting = CountingAnalyzer("fr", question)
    passages = [("Le délai de remboursement est de 5 jours.", "fr"), ("Le remboursement est fait sur la carte.", None),
                ("Aucun délai.", "fr")]
    ShortAnswerer(counting).highlights_of(question, passages)
    assert counting.calls == 1


def test_highlights_keep_hindi_and_thai_words_whole():
    """Words with marks (issue #31): `\\w+` cut घड़ी at its nukta and vowel sign, and Thai words at every vowel mark,
    so the matched word was marked in pieces or not at all."""
    passage = "हाँ, घड़ी की वारंटी दो साल की है।"
    marks = highlights("क्या घड़ी की वारंटी है?", passage, analyzer("hi"))
    assert [passage[a:b] for a, b in marks] == ["घड़ी", "वारंटी"]
    passage = "นาฬิกากันน้ำได้ 50 เมตร"
    marks = highlights("นาฬิกา กันน้ำ", passage, analyzer("th"))
    assert [passage[a:b] for a, b in marks] == ["นาฬิกากันน้ำ"]


def test_highlights_of_a_japanese_run_mark_the_matched_bigrams_only():
    passage = "カードの有効期限をご確認ください。"
    marks = highlights("有効期限はいつ", passage, analyzer("ja"))
    assert [passage[a:b] for a, b in marks] == ["有効期限"]
