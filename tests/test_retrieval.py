"""Real questions, real model: the right FAQ entry is in the top 3. The ranking's shape and cache: fake embedders."""

import pytest

from faq.errors import InvalidRequestError

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
    from index.answer import Answerer

    with pytest.raises(InvalidRequestError, match="top_k must be between 1 and 20"):
        Answerer(fake_searcher, None).answer("garantie", top_k=top_k)


def test_repeated_question_is_answered_from_the_cache(fake_searcher):
    from index.answer import Answerer

    answerer = Answerer(fake_searcher, None)
    first = answerer.answer("Combien de temps dure la garantie ?")
    again = answerer.answer("combien de temps  dure la garantie ?")
    assert again.hits is first.hits  # same ranking object: nothing was recomputed
    assert again.question == "combien de temps  dure la garantie ?"
