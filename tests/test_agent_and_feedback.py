"""The agent panel's API, feedback that persists, exact analytics, and phrasings learned from use."""

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from faq.settings import Settings
from service import create_app
from service.split_message import split_questions

from conftest import ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
MESSAGE = ("Bonjour,\nJ'ai reçu ma montre hier mais le verre est rayé. Que dois-je faire ?\n"
           "Et combien de temps faut-il pour être remboursé ?\nMerci d'avance,\nMarie D.")


def test_split_keeps_questions_with_their_context_and_drops_greetings():
    assert split_questions(MESSAGE) == [
        "J'ai reçu ma montre hier mais le verre est rayé. Que dois-je faire ?",
        "Et combien de temps faut-il pour être remboursé ?",
    ]


def test_message_without_a_question_mark_is_one_question():
    assert split_questions("garantie combien de temps") == ["garantie combien de temps"]


@pytest.mark.model
def test_suggest_answers_each_question_of_a_message(client):
    response = client.post("/v1/suggest", json={"message": MESSAGE, "top_k": 3})
    assert response.status_code == 200
    first, second = response.json()["suggestions"]
    assert "enigme-ba793-faq:4.2" in [r["entry_id"] for r in first["results"]]
    assert second["results"][0]["entry_id"] == "enigme-ba793-faq:4.3"
    assert len(first["results"]) == 3 and len(first["query_id"]) == 32


def test_suggest_gives_each_question_of_a_message_its_own_results_and_query_id(fake_client):
    """The contract of /v1/suggest, whatever the model ranks (which entries come first: the test above)."""
    response = fake_client.post("/v1/suggest", json={"message": MESSAGE, "top_k": 3})
    assert response.status_code == 200
    body = response.json()
    assert [s["question"] for s in body["suggestions"]] == split_questions(MESSAGE)
    assert all(len(s["results"]) == 3 and [r["rank"] for r in s["results"]] == [1, 2, 3] for s in body["suggestions"])
    ids = [s["query_id"] for s in body["suggestions"]]
    assert all(len(i) == 32 for i in ids) and len(set(ids)) == 2
    assert body["index_version"] and body["took_ms"] > 0


def test_suggest_refuses_an_empty_message(fake_client):
    response = fake_client.post("/v1/suggest", json={"message": "  \n "})
    assert response.status_code == 422
    assert "not only spaces" in response.json()["error"]["message"]


def test_feedback_on_unknown_query_is_404(fake_client):
    response = fake_client.post("/v1/feedback", json={"query_id": "0" * 32, "entry_id": "enigme-ba793-faq:1.1", "verdict": "helpful"})
    assert response.status_code == 404
    assert "No query" in response.json()["error"]["message"]


def test_feedback_with_bad_verdict_is_422(fake_client):
    query_id = fake_client.post("/v1/query", json={"question": "garantie"}).json()["query_id"]
    response = fake_client.post("/v1/feedback", json={"query_id": query_id, "entry_id": "enigme-ba793-faq:3.1", "verdict": "meh"})
    assert response.status_code == 422


def test_analytics_needs_the_admin_token(fake_client):
    assert fake_client.get("/v1/analytics").status_code == 401
    assert fake_client.get("/v1/analytics", headers={"Authorization": "Bearer wrong-token-wrong-token"}).status_code == 403


@pytest.fixture
def fresh(fake_index_dir, fake_models, tmp_path, database_url):
    """A service with its own empty feedback store (each backend in turn), so counts are exact."""
    settings = Settings(index_dir=fake_index_dir, data_dir=tmp_path / "data", admin_token=SecretStr(ADMIN_TOKEN), database_url=database_url)
    with TestClient(create_app(settings, models=fake_models)) as c:
        yield c, settings


def test_analytics_counts_are_exact_on_a_scripted_sequence(fresh):
    client, _ = fresh
    ask = lambda q: client.post("/v1/query", json={"question": q}).json()  # noqa: E731
    # a FAQ title's own words: the fake embedder matches words, not meaning
    ids = [ask("Que couvre précisément la politique de garantie ?")["query_id"] for _ in range(3)]
    ask("que couvre précisément la politique de garantie ?")  # same question, other case: counted together
    weather = [ask("Quel temps fera-t-il demain à Montréal ?") for _ in range(2)]
    assert not weather[0]["answerable"]
    client.post("/v1/feedback", json={"query_id": ids[0], "entry_id": "enigme-ba793-faq:3.3", "verdict": "not_relevant"})
    client.post("/v1/feedback", json={"query_id": ids[1], "entry_id": "enigme-ba793-faq:3.3", "verdict": "not_relevant"})
    client.post("/v1/feedback", json={"query_id": ids[2], "entry_id": "enigme-ba793-faq:3.1", "verdict": "helpful"})
    body = client.get("/v1/analytics", headers=ADMIN).json()
    assert (body["queries"], body["unanswered"]) == (6, 2)
    assert body["top_questions"][0] == {"question": "Que couvre précisément la politique de garantie ?", "count": 4}
    assert body["unanswered_questions"] == [{"question": "Quel temps fera-t-il demain à Montréal ?", "count": 2}]
    assert body["not_relevant_entries"] == [
        {"entry_id": "enigme-ba793-faq:3.3", "question": "Y a-t-il des frais pour les réparations de montres ?", "count": 2}]


def test_feedback_persists_across_a_restart(fake_index_dir, fake_models, tmp_path, database_url):
    settings = Settings(index_dir=fake_index_dir, data_dir=tmp_path / "data", admin_token=SecretStr(ADMIN_TOKEN), database_url=database_url)
    with TestClient(create_app(settings, models=fake_models)) as client:
        query_id = client.post("/v1/query", json={"question": "où est mon colis ?"}).json()["query_id"]
        assert client.post("/v1/feedback", json={"query_id": query_id, "entry_id": "enigme-ba793-faq:2.3",
                                                 "verdict": "not_relevant"}).status_code == 201
    with TestClient(create_app(settings, models=fake_models)) as client:
        body = client.get("/v1/analytics", headers=ADMIN).json()
        assert body["queries"] == 1
        assert body["not_relevant_entries"][0]["entry_id"] == "enigme-ba793-faq:2.3"


def test_used_suggestions_become_candidate_phrasings_to_review(fresh):
    client, _ = fresh
    suggestion = client.post("/v1/suggest", json={"message": "ma montre est arrivée avec le bracelet cassé, je fais quoi ?"}).json()["suggestions"][0]
    client.post("/v1/feedback", json={"query_id": suggestion["query_id"], "entry_id": "enigme-ba793-faq:4.2", "verdict": "used"},
                headers=ADMIN)  # an agent: the admin token, or FAQ_AGENT_TOKEN
    (candidate,) = client.get("/v1/admin/phrasings", headers=ADMIN).json()
    title = candidate.pop("entry_question")
    assert candidate == {"id": 1, "entry_id": "enigme-ba793-faq:4.2", "status": "candidate",
                         "text": "ma montre est arrivée avec le bracelet cassé, je fais quoi ?"}
    assert title  # the entry's own question, for the review page
    accepted = client.post("/v1/admin/phrasings/1", json={"accept": True}, headers=ADMIN).json()
    assert accepted["status"] == "accepted"
    assert client.post("/v1/admin/phrasings/99", json={"accept": True}, headers=ADMIN).status_code == 404


def test_admin_endpoints_are_off_without_a_configured_token(fake_index_dir, fake_models, tmp_path):
    with TestClient(create_app(Settings(index_dir=fake_index_dir, data_dir=tmp_path / "d"), models=fake_models)) as client:
        response = client.get("/v1/admin/phrasings", headers={"Authorization": "Bearer anything-at-all-1234"})
        assert response.status_code == 403
        assert "disabled" in response.json()["error"]["message"]


def test_suggest_on_a_thanks_only_message_says_no_question_was_found(fake_client):
    response = fake_client.post("/v1/suggest", json={"message": "Merci beaucoup !\nCordialement, Julie"})
    assert response.status_code == 200
    body = response.json()
    assert body["suggestions"] == [] and body["no_question"] is True


def test_suggest_on_a_message_with_a_question_has_no_question_false(fake_client):
    body = fake_client.post("/v1/suggest", json={"message": "Merci, et pour la garantie ?\nSent from my iPhone"}).json()
    assert body["no_question"] is False
    assert [s["question"] for s in body["suggestions"]] == ["Merci, et pour la garantie ?"]
