"""The HTTP contract: shapes, citations, readiness, and 422 (never 500) for bad requests."""

import pytest
from fastapi.testclient import TestClient

from faq.settings import Settings
from service import create_app


def test_query_returns_cited_passages(fake_client):
    response = fake_client.post("/v1/query", json={"question": "Que couvre la garantie ?", "top_k": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["question"] == "Que couvre la garantie ?"
    assert body["took_ms"] > 0
    assert len(body["results"]) == 3
    top = body["results"][0]
    assert set(top) >= {"rank", "score", "passage", "document", "section", "question", "chunk_id", "citation"}
    assert top["rank"] == 1
    assert top["citation"] == "Garantie et réparation › Que couvre précisément la politique de garantie ?"
    assert top["document"] == "Série Énigme BA-793 — FAQ"
    assert top["passage"].startswith("La garantie BTOMIC couvre")
    assert top["chunk_id"] == "enigme-ba793-faq:3.1#0"


def test_a_misspelt_question_says_what_was_searched(fake_client):
    body = fake_client.post("/v1/query", json={"question": "Que couvre la garantei ?"}).json()
    assert body["question"] == "Que couvre la garantei ?"
    assert body["corrected"] == "Que couvre la garantie ?"
    assert body["results"][0]["section"] == "Garantie et réparation"


def test_a_question_searched_as_typed_has_no_correction(fake_client):
    assert fake_client.post("/v1/query", json={"question": "Que couvre la garantie ?"}).json()["corrected"] is None


def test_each_suggestion_says_what_was_searched(fake_client):
    body = fake_client.post("/v1/suggest", json={"message": "Bonjour, que couvre la garantei ? Merci"}).json()
    assert [s["corrected"] for s in body["suggestions"]] == ["Bonjour, que couvre la garantie ?"]


def test_top_k_defaults_to_five(fake_client):
    response = fake_client.post("/v1/query", json={"question": "livraison"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 5


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "question", "Field required"),
        ({"question": ""}, "question", "at least 1 character"),
        ({"question": "   "}, "question", "not only spaces"),
        ({"question": "x" * 1001}, "question", "at most 1000 characters"),
        ({"question": "a\x00b"}, "question", "control characters"),
        ({"question": 42}, "question", "valid string"),
        ({"question": "ok", "top_k": 0}, "top_k", "greater than or equal to 1"),
        ({"question": "ok", "top_k": 21}, "top_k", "less than or equal to 20"),
        ({"question": "ok", "top_k": "many"}, "top_k", "valid integer"),
        ({"question": "ok", "colour": "red"}, "colour", "Extra inputs are not permitted"),
    ],
)
def test_bad_query_is_422_with_a_readable_message(fake_client, body, field, message):
    response = fake_client.post("/v1/query", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["details"][0]["field"] == field
    assert message in error["details"][0]["message"]
    assert message in error["message"]


def test_non_json_body_is_422(fake_client):
    response = fake_client.post("/v1/query", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "not valid JSON" in response.json()["error"]["message"]


def test_unknown_route_is_404_in_the_same_format(fake_client):
    response = fake_client.get("/v1/nothing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_documents_lists_sections_and_questions(fake_client):
    response = fake_client.get("/v1/documents")
    assert response.status_code == 200
    (doc,) = response.json()["documents"]
    assert doc["title"] == "Série Énigme BA-793 — FAQ"
    assert [s["title"] for s in doc["sections"]] == [
        "Commandes et paiements", "Expédition et livraison", "Garantie et réparation", "Retours, échanges et remboursements"]
    assert sum(len(s["questions"]) for s in doc["sections"]) == 12


def test_health_ready_and_docs(fake_client):
    assert fake_client.get("/healthz").json() == {"status": "ok"}
    ready = fake_client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert fake_client.get("/docs").status_code == 200
    assert "/v1/query" in fake_client.get("/openapi.json").json()["paths"]


ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}


def _responses(doc: dict, method: str, path: str) -> dict:
    return doc["paths"][path][method]["responses"]


@pytest.mark.parametrize("method, path", [("post", "/v1/query"), ("post", "/v1/suggest"), ("post", "/v1/feedback")])
def test_openapi_lists_413_and_429_on_the_api_routes_that_take_a_body(fake_client, method, path):
    responses = _responses(fake_client.get("/openapi.json").json(), method, path)
    assert responses["413"]["content"]["application/json"]["schema"] == ERROR_REF
    assert responses["429"]["content"]["application/json"]["schema"] == ERROR_REF
    assert "Retry-After" in responses["429"]["headers"]


def test_openapi_lists_429_on_every_api_route_and_413_only_where_a_body_is_read(fake_client):
    doc = fake_client.get("/openapi.json").json()
    api = [(m, p) for p, ops in doc["paths"].items() if p.startswith("/v1/") for m in ops]
    assert all("429" in _responses(doc, m, p) for m, p in api)
    assert "413" not in _responses(doc, "get", "/v1/documents")
    assert not {"413", "429"} & set(_responses(doc, "get", "/healthz"))  # probes are never limited


def test_openapi_leaves_429_out_when_the_rate_limit_is_off(fake_index_dir, fake_models, tmp_path):
    app = create_app(Settings(index_dir=fake_index_dir, data_dir=tmp_path, rate_limit_per_minute=0), models=fake_models)
    assert "429" not in _responses(app.openapi(), "post", "/v1/query")


def test_missing_index_is_not_ready_and_queries_get_503(tmp_path):
    app = create_app(Settings(index_dir=tmp_path / "missing", data_dir=tmp_path / "data"))
    with TestClient(app) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "No index at" in ready.json()["reason"]
        response = client.post("/v1/query", json={"question": "garantie"})
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "not_ready"


@pytest.mark.model
def test_in_scope_question_is_answerable_with_high_confidence(client):
    body = client.post("/v1/query", json={"question": "Combien de temps dure la garantie ?"}).json()
    assert body["answerable"] is True
    assert body["confidence"] > 0.5
    assert body["results"][0]["entry_id"] == "enigme-ba793-faq:3.1"
    assert body["below_threshold"] < len(body["results"])


@pytest.mark.model
def test_out_of_scope_question_is_not_answerable_but_keeps_its_candidates(client):
    body = client.post("/v1/query", json={"question": "Quel temps fera-t-il demain à Montréal ?", "top_k": 3}).json()
    assert body["answerable"] is False
    assert body["confidence"] < 0.5
    assert len(body["results"]) == 3
    assert body["below_threshold"] == 3


def test_section_filter_keeps_only_that_section_and_counts_the_rest(fake_client):
    body = fake_client.post("/v1/query", json={"question": "combien ça coûte ?", "top_k": 10,
                                          "filters": {"sections": ["Garantie et réparation"]}}).json()
    assert {r["section"] for r in body["results"]} == {"Garantie et réparation"}
    assert len(body["results"]) == 3
    assert body["filtered_out"] == 9


def test_unknown_filter_field_is_422(fake_client):
    response = fake_client.post("/v1/query", json={"question": "ok", "filters": {"colour": ["red"]}})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "filters.colour"


def test_readyz_says_the_index_is_calibrated(fake_client):
    assert fake_client.get("/readyz").json()["calibrated"] is True


@pytest.mark.model
def test_answerable_question_gets_a_short_answer_with_offsets_and_highlights(client):
    body = client.post("/v1/query", json={"question": "Quel est le délai de remboursement ?"}).json()
    answer, top = body["answer"], body["results"][0]
    assert top["entry_id"] == "enigme-ba793-faq:4.3"
    assert "5 à 7 jours ouvrables" in answer["text"]
    assert top["passage"][answer["start"] : answer["end"]] == answer["text"]
    assert {top["passage"][s:e] for s, e in answer["highlights"]} == {"remboursement", "délai"}
    assert all(answer["start"] <= s and e <= answer["end"] for s, e in answer["highlights"])
    assert [top["passage"][s:e] for s, e in top["highlights"]] == ["remboursement", "délai", "remboursement", "délai"]


def test_a_repeated_question_gets_the_same_answer_and_its_own_query_id(fake_client):
    first = fake_client.post("/v1/query", json={"question": "Quel est le délai de remboursement ?"}).json()
    again = fake_client.post("/v1/query", json={"question": "quel est le délai de  remboursement ?"}).json()
    assert again["results"] == first["results"] and again["answer"] == first["answer"]
    assert again["question"] == "quel est le délai de  remboursement ?"
    assert again["query_id"] != first["query_id"]  # each asking is logged for analytics and feedback


def test_unanswerable_question_has_no_short_answer(fake_client):
    assert fake_client.post("/v1/query", json={"question": "Quel temps fera-t-il demain à Montréal ?"}).json()["answer"] is None
