"""A misspelt question is searched as the FAQ spells its words (index.ranking.spelling); real words are left alone."""

import pytest

from eval.datasets import load_dataset
from eval.typos import misspelt
from faq.dictionaries import is_word, words_of
from faq.retrieval import RetrievalConfig
from index.pipeline import open_answerer
from index.ranking.spelling import Speller

FAQ = ["Livraison et expédition : combien de temps prend la livraison ?", "Comment annuler ma commande ?",
       "Quel est votre numéro de téléphone ?", "Les réparations sont-elles couvertes par la garantie ?",
       "Commande commande commande", "Can I change my shipping address?"]


@pytest.fixture(scope="module")
def speller():
    return Speller(FAQ, ["fr", "en"])


def test_a_word_one_letter_off_is_corrected_to_the_faqs(speller):
    assert speller.spell("Ma comande est perdue", "fr").text == "Ma commande est perdue"


def test_the_words_changed_are_listed_as_typed_and_as_corrected(speller):
    assert speller.spell("Livraisn et comande ?", "fr").changes == (("Livraisn", "Livraison"), ("comande", "commande"))


def test_accents_left_out_are_put_back_as_the_faq_writes_them(speller):
    assert speller.spell("quel numero ?", "fr").text == "quel numéro ?"


def test_accents_are_put_back_on_short_words_and_on_words_of_other_languages(speller):
    assert speller.spell("numero de telephone", "fr").text == "numéro de téléphone"  # "telephone" is English too
    assert Speller(["Déjà fait"], ["fr"]).spell("deja", "fr").text == "déjà"


def test_a_typo_is_looked_for_among_the_faqs_words_of_the_same_first_letter():
    speller = Speller(["carte bancaire"], ["fr"])
    assert speller.correction("karte", "fr") is None  # romanised Hindi "karte" (they do) is one edit from "carte"
    assert speller.correction("cartr", "fr") == "carte"


def test_a_long_word_may_be_two_edits_off(speller):
    assert speller.spell("les reprations sont couvertes ?", "fr").text == "les réparations sont couvertes ?"
    assert speller.spell("garantieeee", "fr").text == "garantieeee"  # three edits: too far


def test_a_short_word_is_left_as_typed_even_one_edit_from_the_faqs():
    speller = Speller(["live chat", "much more"], ["en"])
    assert speller.correction("liye", "hi") is None  # romanised Hindi "for", one edit from "live"
    assert speller.correction("mucch", "en") == "much"


def test_a_real_word_the_faq_does_not_use_is_not_a_typo(speller):
    """"commando" is one edit from the FAQ's "commande", but English has it: the FAQ does not answer it."""
    assert is_word("commando", ("en",))
    assert speller.spell("commando", "en").changes == ()


def test_a_word_of_the_questions_own_language_is_left_alone(speller):
    assert is_word("comandes", ("pt",)) and not is_word("comandes", ("fr", "en"))
    assert speller.correction("comandes", "pt") is None
    assert speller.correction("comandes", "fr") == "commande"


def test_a_word_cut_by_an_apostrophe_is_left_as_typed():
    speller = Speller(["quelque chose", "do you ship"], ["fr", "en"])
    assert speller.spell("quelqu'un doesn't", "fr").changes == ()


def test_words_with_digits_and_words_unlike_any_of_the_faqs_are_left_as_typed(speller):
    assert speller.spell("доставка BA-793 comande2", "ru").changes == ()


def test_arabic_hamza_forms_left_out_are_put_back_as_the_faq_writes_them():
    speller = Speller(["أريد إلغاء الطلب"], ["ar"])
    assert speller.spell("اريد الغاء الطلب", "ar").text == "أريد إلغاء الطلب"


def test_a_cyrillic_typo_is_corrected_where_a_russian_word_list_tells_words_from_typos():
    speller = Speller(["Как отменить заказ? Сроки доставки"], ["ru"])
    assert speller.spell("Как отменть заказ", "ru").text == "Как отменить заказ"


def test_a_script_no_word_list_covers_gets_its_accents_back_but_no_typo_corrected():
    speller = Speller(["Πώς ακυρώνω την παραγγελία"], ["el"])
    assert speller.spell("πως", "el").text == "πώς"
    assert speller.spell("παραγγελα", "el").changes == ()


def test_devanagari_and_han_are_left_as_typed():
    speller = Speller(["मेरा ऑर्डर कहाँ है", "退货政策"], ["hi", "zh"])
    assert speller.spell("मेरा आर्डर कहां है 退货", "hi").changes == ()


def test_the_case_of_the_typed_word_is_kept(speller):
    assert speller.spell("COMANDE", "fr").text == "COMMANDE"
    assert speller.spell("Comande", "fr").text == "Commande"


def test_the_nearest_word_wins_then_the_most_frequent():
    speller = Speller(["carte carte carte", "carté", "parte"], ["fr"])
    assert speller.correction("carle", "fr") == "carte"


def test_the_faqs_own_questions_are_searched_as_written(speller):
    for question in FAQ:
        assert speller.spell(question, "fr").changes == ()


def test_a_speller_with_more_words_corrects_to_them_and_leaves_the_first_as_it_was(speller):
    more = speller.with_words(["zorglubien"])
    assert more.correction("zorglubein", "fr") == "zorglubien"
    assert speller.correction("zorglubein", "fr") is None
    assert more.correction("comande", "fr") == "commande"


def test_a_language_without_a_word_list_has_no_words():
    assert words_of("hi") == frozenset()


def test_a_misspelt_question_finds_the_entry_its_words_name(fake_index_dir, fake_models):
    """The searcher corrects before any signal scores: the answer says what it searched, and ranks as the right spelling."""
    answerer = open_answerer(fake_index_dir, RetrievalConfig(), fake_models)
    typed = answerer.answer_uncached("Quels moyens de paiemnt acceptez-vous ?", 5)
    right = answerer.answer_uncached("Quels moyens de paiement acceptez-vous ?", 5)
    assert typed.corrected == "Quels moyens de paiement acceptez-vous ?"
    assert right.corrected is None
    assert [h.entry_id for h in typed.hits] == [h.entry_id for h in right.hits]
    assert (typed.outcome, typed.confidence) == (right.outcome, right.confidence)


def test_a_configuration_as_typed_searches_the_question_as_it_came(fake_index_dir, fake_models):
    answerer = open_answerer(fake_index_dir, RetrievalConfig(spelling=False), fake_models)
    assert answerer.searcher.rank("Quels moyens de paiemnt acceptez-vous ?").corrected is None


def test_the_typos_variant_misspells_every_in_scope_question_the_same_way_each_run():
    clean, typed = load_dataset("watch-faq"), load_dataset("watch-faq+typos")
    pairs = [(a, b) for a, b in zip(clean.queries, typed.queries)]
    assert all((a.text != b.text) == a.in_scope for a, b in pairs if any(len(w) >= 4 for w in a.text.split()))
    assert [q.text for q in load_dataset("watch-faq+typos").queries] == [q.text for q in typed.queries]
    assert misspelt("Quels moyens de paiement", "seed") == misspelt("Quels moyens de paiement", "seed")
