"""Background words learnt without labels, from the query log (index.ranking.background.learn_from_traffic)."""

import index.pipeline
from faq.retrieval import RetrievalConfig
from index.deciding.label_free import off_topic_questions
from index.disk.storage import load_index
from index.pipeline import fit_label_free
from index.ranking.background import learn_from_traffic, strip_terms
from index.ranking.lexical import analyzer

FR = analyzer("fr")
TITLES = {"repair": FR.terms("Y a-t-il des frais pour les réparations de montres ?"), "ship": FR.terms("Combien coûte l'envoi ?"),
          "pay": FR.terms("Quels moyens de paiement acceptez-vous ?"), "track": FR.terms("Comment suivre mon colis ?"),
          "return": FR.terms("Comment retourner un article ?"), "oil": FR.terms("Quand faire la vidange ?")}
TOPIC = {"envoi": "ship", "payer": "pay", "colis": "track", "retourner": "return", "vidange": "oil"}
ASKED = ["combien coûte l'envoi d'une montre ?", "puis-je payer ma montre en trois fois ?", "où est le colis de ma montre ?",
         "comment retourner une montre ?", "l'envoi de ma montre est-il suivi ?", "la vidange de ma voiture", "vidange moteur prix",
         "quand faire la vidange ?", "comment payer ?", "suivre mon colis"]


def scattered(question: str) -> str:
    """A ranking pulled by "montre": a question saying it goes to the entry naming watches, else to its topic's entry."""
    if "montr" in FR.terms(question):
        return "repair"
    return next((entry for word, entry in TOPIC.items() if word in question), "ship")


def pulled(question: str) -> str:
    """As `scattered`, but oil-change questions go to the oil-change entry with or without the word "vidange"."""
    return "oil" if any(w in question for w in ("vidange", "voiture", "moteur", "quand faire")) else scattered(question)


def test_a_word_that_pulls_its_questions_into_the_entry_naming_it_is_background():
    assert learn_from_traffic(pulled, ASKED, TITLES, FR, min_questions=2) == frozenset({"montr"})


def test_a_topic_word_whose_questions_stay_with_its_entry_without_it_is_not():
    """ "vidange" is in 3 of the 10 questions and sends them to the one entry naming it: topical when, without it, they
    still go there; background when they scatter."""
    assert "vidang" not in learn_from_traffic(pulled, ASKED, TITLES, FR, min_questions=2)
    assert "vidang" in learn_from_traffic(scattered, ASKED, TITLES, FR, min_questions=2)


def test_a_word_no_title_has_or_few_questions_say_is_not_background():
    assert not learn_from_traffic(pulled, ASKED, {k: v for k, v in TITLES.items() if k != "repair"}, FR, min_questions=2)
    assert not learn_from_traffic(pulled, ASKED[:1] + ASKED[5:], TITLES, FR, min_questions=2)
    assert not learn_from_traffic(pulled, [], TITLES, FR)


def test_the_rule_reads_questions_without_the_word_as_the_searcher_would():
    seen = []
    def pull(q):
        seen.append(q)
        return pulled(q)

    learn_from_traffic(pull, ASKED, TITLES, FR, min_questions=2)
    assert strip_terms(ASKED[0], frozenset({"montr"}), FR) in seen


def test_label_free_calibration_learns_background_words_from_traffic_only(fake_raw_index_dir, fake_models, monkeypatch):
    calls = []

    def learnt(top_entry, questions, titles, analyze):
        calls.append(list(questions))
        assert top_entry(questions[0]) in titles  # ranks with the index's own entries
        return frozenset({"montr"})

    monkeypatch.setattr(index.pipeline, "learn_from_traffic", learnt)
    off_topic = off_topic_questions("dev")
    searcher, _ = fit_label_free(load_index(fake_raw_index_dir), RetrievalConfig(), fake_models, off_topic)
    assert not calls and not searcher.learnt.background_terms  # day one: no traffic, nothing learnt
    traffic = [f"question {i} sur ma montre" for i in range(25)]
    searcher, _ = fit_label_free(load_index(fake_raw_index_dir), RetrievalConfig(), fake_models, off_topic, traffic)
    assert calls == [traffic] and searcher.learnt.background_terms == ("montr",)
    no_background = RetrievalConfig(background=False)
    searcher, _ = fit_label_free(load_index(fake_raw_index_dir), no_background, fake_models, off_topic, traffic)
    assert len(calls) == 1 and not searcher.learnt.background_terms


def test_junk_in_the_query_log_is_not_learnt_from(fake_raw_index_dir, fake_models, monkeypatch):
    # greetings, thanks and emoji are refused before they are ranked: neither the query bank nor background words count them
    calls = []

    def learnt(top_entry, questions, titles, analyze):
        calls.append(list(questions))
        return frozenset()

    monkeypatch.setattr(index.pipeline, "learn_from_traffic", learnt)
    junk = ["bonjour", "merci beaucoup", "👍", "??", "asdfghjkl", "ok super merci", "hello?", "salut"] * 3
    real = [f"question {i} sur ma montre" for i in range(25)]
    off_topic = off_topic_questions("dev")
    day_one, _ = fit_label_free(load_index(fake_raw_index_dir), RetrievalConfig(), fake_models, off_topic)
    few, _ = fit_label_free(load_index(fake_raw_index_dir), RetrievalConfig(), fake_models, off_topic, junk + real[:19])
    assert not calls and few.learnt.query_bank == day_one.learnt.query_bank  # 19 rankable questions: too few, as on day one
    enough, _ = fit_label_free(load_index(fake_raw_index_dir), RetrievalConfig(), fake_models, off_topic, junk + real)
    assert calls == [real] and enough.learnt.query_bank != day_one.learnt.query_bank
