"""Background words: what nearly every customer question says ("montre") is learnt on dev and left out."""

import pytest

from eval.datasets import load_dataset
from faq.retrieval import RetrievalConfig
from index.disk.storage import load_index
from index.pipeline import open_searcher
from index.ranking.background import candidates, learn, strip_terms
from index.ranking.lexical import analyzer

from conftest import calibration_of

FR = analyzer("fr")


def test_a_background_word_is_left_out_in_any_inflection():
    assert strip_terms("combien coûte l'envoi d'une montre ?", frozenset({"montr"}), FR) == "combien coûte l'envoi d'une ?"
    assert strip_terms("Mes MONTRES sont arrivées", frozenset({"montr"}), FR) == "Mes sont arrivées"


def test_a_question_made_only_of_background_words_is_kept_whole():
    assert strip_terms("ma montre ?", frozenset({"montr"}), FR) == "ma montre ?"


def test_without_background_words_the_question_is_untouched():
    assert strip_terms("Où est  mon colis ?", frozenset(), FR) == "Où est  mon colis ?"


@pytest.mark.model
def test_the_watch_shop_dev_questions_teach_that_montre_is_background(index_dir, embedder, use_embedder):
    dev = [q for q in load_dataset("watch-faq").split("dev").queries]
    assert "montr" in candidates(dev, FR)
    searcher = open_searcher(load_index(index_dir), RetrievalConfig(background=False), [embedder, use_embedder])
    learnt = learn(lambda q: searcher.rank(q, limit=1).hits[0].entry_id, dev, FR)
    assert "montr" in learnt
    assert not learnt & {"livraison", "garant", "rembours", "command"}  # words that tell entries apart stay


@pytest.mark.model
def test_calibration_stores_the_words_it_learnt_in_the_manifest(index_dir):
    assert "montr" in calibration_of(load_index(index_dir).manifest).learnt.background_terms


@pytest.mark.model
def test_the_hub_question_no_longer_takes_a_shipping_question(searcher):
    assert searcher.search("combien coute l'envoie d'une montre ?", top_k=1)[0].entry_id == "enigme-ba793-faq:2.1"


def test_a_background_word_in_hindi_or_thai_is_left_out_whole():
    """`\\w+` cut घड़ी into घड and ी (and Thai words at every vowel mark), so a background word was left half in the question."""
    hi = analyzer("hi")
    watch = frozenset(hi.terms("घड़ी"))
    assert strip_terms("मेरी घड़ी कब आएगी?", watch, hi) == "मेरी कब आएगी?"
    th = analyzer("th")
    assert strip_terms("นาฬิกา ส่งเมื่อไร", frozenset(th.terms("นาฬิกา")), th) == "ส่งเมื่อไร"
