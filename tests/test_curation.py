"""The team's rules (issue #33): stored with an audit row in both backends, applied at query time without re-embedding.

Ranking and decision tests run on the bundled FAQ indexed with the fake models (tests/fakes.py): a question identical
to a pin's example has cosine 1 with it; the threshold itself is measured with the real models (benchmarks/curation.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from faq.curation import NO_RULES, Hidden, Pin, Rules, Synonym
from faq.settings import Settings
from feedback.store import FeedbackStore
from index.deciding.answer import Answerer
from index.ranking.search import Filters
from ingest.helpcenter import HelpCenter
from service import create_app
from service.routes.documents import helpcenter_of

from conftest import ADMIN_TOKEN, CORPUS
from fakes import FakeEmbedder

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

WARRANTY = "enigme-ba793-faq:3.1"
PAYMENT = "enigme-ba793-faq:1.1"


# --- storage: both backends ---------------------------------------------------------------------------------------

def test_rules_are_stored_versioned_and_audited(feedback_store: FeedbackStore) -> None:
    assert feedback_store.rules() == Rules() and feedback_store.rules_version() == 0
    group = feedback_store.add_synonym("alice", "DE", [" Pfand ", "Kaution", "Pfand"])
    one_way = feedback_store.add_synonym("alice", "fr", ["BA-793"], ["montre"])
    pin = feedback_store.add_pin("bob", "answer", ["Puis-je payer en bitcoin ?"], PAYMENT)
    never = feedback_store.add_pin("bob", "never", ["Quel temps fait-il ?"])
    hidden = feedback_store.add_hidden("carol", section="Commandes et paiements")
    assert group == Synonym(group.id, "de", ("Pfand", "Kaution"))
    assert feedback_store.rules_version() == 5
    edited = feedback_store.edit_synonym("dave", group.id, "de", ["Pfand", "Kaution", "Sicherheitsleistung"])
    feedback_store.delete_rule("erin", "pin", never.id)
    rules = feedback_store.rules()
    assert rules == Rules(7, (edited, one_way), (pin,), (hidden,))
    audit = feedback_store.rules_audit()
    assert [(who, action, kind, rule_id) for _, _, who, action, kind, rule_id, _ in audit[:2]] == [
        ("erin", "delete", "pin", never.id), ("dave", "edit", "synonym", group.id)]
    assert len(audit) == 7
    older = feedback_store.rules_audit(limit=2, before=audit[1][0])  # the next page: older than the second row
    assert [row[0] for row in older] == [audit[2][0], audit[3][0]]


def test_bad_rules_are_refused_with_the_reason(feedback_store: FeedbackStore) -> None:
    with pytest.raises(ValueError, match="a synonym group needs at least 2 non-empty value"):
        feedback_store.add_synonym("a", "de", ["Pfand", "  "])
    with pytest.raises(ValueError, match="names its language"):
        feedback_store.add_synonym("a", " ", ["Pfand", "Kaution"])
    with pytest.raises(ValueError, match="an answer pin names the entry"):
        feedback_store.add_pin("a", "answer", ["x?"])
    with pytest.raises(ValueError, match="a pin's examples needs at least 1"):
        feedback_store.add_pin("a", "never", [])
    with pytest.raises(ValueError, match="either an entry"):
        feedback_store.add_hidden("a", entry_id="e1", section="s")
    with pytest.raises(LookupError, match="no synonym rule with id 9"):
        feedback_store.edit_synonym("a", 9, "de", ["a", "b"])
    with pytest.raises(LookupError, match="no hidden rule with id 9"):
        feedback_store.delete_rule("a", "hidden", 9)
    assert feedback_store.rules_version() == 0  # nothing refused left a trace


def test_rule_fires_are_counted_from_the_query_log(feedback_store: FeedbackStore) -> None:
    feedback_store.log_query("a", "api", True, 0.9, "e1", rules=["pin:1", "synonym:2"])
    feedback_store.log_query("b", "api", True, 0.9, "e1", rules=["pin:1"])
    feedback_store.log_query("c", "api", True, 0.9, "e1")
    assert feedback_store.rule_fires() == {"pin:1": 2, "synonym:2": 1}


# --- applied at query time (fake models) ---------------------------------------------------------------------------

def _top(answerer: Answerer, question: str, rules: Rules = NO_RULES) -> str:
    return answerer.answer(question, top_k=5, rules=rules).hits[0].entry_id


def test_a_hidden_entry_is_never_a_result(fake_answerer: Answerer) -> None:
    question = "Quelle est la durée de la garantie de ma montre ?"
    assert _top(fake_answerer, question) == WARRANTY
    rules = Rules(0, hidden=(Hidden(1, entry_id=WARRANTY),))
    answer = fake_answerer.answer(question, top_k=20, rules=rules)
    assert WARRANTY not in [h.entry_id for h in answer.hits]
    assert answer.rules_fired == ("hidden:1",)


def test_a_hidden_section_takes_all_its_entries_out(fake_answerer: Answerer) -> None:
    section = next(e.section for e in fake_answerer.searcher.index.records.entries if e.id == PAYMENT)
    rules = Rules(0, hidden=(Hidden(2, section=section),))
    hits = fake_answerer.answer("moyens de paiement acceptés", top_k=20, rules=rules).hits
    assert hits and section not in {h.chunk.section for h in hits}


def test_a_synonym_adds_its_group_to_the_lexical_question(fake_answerer: Answerer) -> None:
    question = "combien de temps dure la zorglub ?"
    searcher = fake_answerer.searcher
    rules = Rules(0, synonyms=(Synonym(3, "fr", ("zorglub", "garantie")),))
    curated = searcher.curate(rules)
    assert curated is not None
    assert curated.expand(searcher._strip(question), ("fr",)) == (f"{searcher._strip(question)} garantie", ("synonym:3",))
    assert curated.expand(question, ("de",))[1] == ()  # a French rule does not apply to a German question
    without = [h.entry_id for h in searcher.rank(question, limit=50).hits]
    with_rule = searcher.rank(question, limit=50, curated=curated)
    assert with_rule.rules_fired == ("synonym:3",)
    assert [h.entry_id for h in with_rule.hits].index(WARRANTY) < without.index(WARRANTY)


def test_a_misspelt_synonym_term_is_corrected_to_it_and_fires_the_rule(fake_answerer: Answerer) -> None:
    """The team's synonym words join the FAQ's as what a misspelt question is corrected to (index.ranking.spelling)."""
    searcher = fake_answerer.searcher
    rules = Rules(0, synonyms=(Synonym(3, "fr", ("zorglubien", "garantie")),))
    ranked = searcher.rank("combien de temps dure la zorglubein ?", limit=50, curated=searcher.curate(rules))
    assert ranked.corrected == "combien de temps dure la zorglubien ?"
    assert ranked.rules_fired == ("synonym:3",)
    assert searcher.rank("combien de temps dure la zorglubein ?", limit=50).corrected is None  # without the rule


def test_a_one_way_synonym_does_not_expand_backwards(fake_answerer: Answerer) -> None:
    curated = fake_answerer.searcher.curate(Rules(0, synonyms=(Synonym(4, "fr", ("BA-793",), ("montre",)),)))
    assert curated is not None
    assert curated.expand("ma BA-793 est rayée", ("fr",)) == ("ma BA-793 est rayée montre", ("synonym:4",))
    assert curated.expand("ma montre est rayée", ("fr",)) == ("ma montre est rayée", ())


def test_a_pin_answers_with_its_entry(fake_answerer: Answerer) -> None:
    question = "Est-ce que vous livrez sur la lune ?"
    rules = Rules(0, pins=(Pin(5, "answer", (question,), PAYMENT),))
    answer = fake_answerer.answer(question, rules=rules)
    assert (answer.hits[0].entry_id, answer.outcome, answer.decision and answer.decision.reason) == (PAYMENT, "answer", "pin")
    assert answer.rules_fired == ("pin:5",)
    assert answer.short_answer is not None
    unrelated = fake_answerer.answer("Quelle est la durée de la garantie ?", rules=rules)
    assert unrelated.hits[0].entry_id == WARRANTY and "pin:5" not in unrelated.rules_fired


def test_a_never_pin_makes_the_outcome_none(fake_answerer: Answerer) -> None:
    question = next(e.question for e in fake_answerer.searcher.index.records.entries if e.id == WARRANTY)  # its own title
    assert fake_answerer.answer(question).outcome == "answer"
    answer = fake_answerer.answer(question, rules=Rules(0, pins=(Pin(6, "never", (question,)),)))
    assert (answer.outcome, answer.rules_fired) == ("none", ("pin:6",))


def test_a_pin_to_a_hidden_entry_does_not_apply(fake_answerer: Answerer) -> None:
    question = "Est-ce que vous livrez sur la lune ?"
    rules = Rules(0, pins=(Pin(7, "answer", (question,), PAYMENT),), hidden=(Hidden(8, entry_id=PAYMENT),))
    answer = fake_answerer.answer(question, top_k=20, rules=rules)
    assert PAYMENT not in [h.entry_id for h in answer.hits] and "pin:7" not in answer.rules_fired


def _section_of(answerer: Answerer, entry_id: str) -> str:
    return next(e.section for e in answerer.searcher.index.records.entries if e.id == entry_id)


def test_a_pin_to_an_entry_the_request_filters_out_does_not_apply(fake_answerer: Answerer) -> None:
    """The request's filters say what may be shown: a pin does not bring back an entry they exclude (as for a hidden one),
    and the question is answered from what the filters allow, as without the pin."""
    question = "Est-ce que vous livrez sur la lune ?"
    rules = Rules(0, pins=(Pin(14, "answer", (question,), PAYMENT),))
    elsewhere = Filters(sections=frozenset({_section_of(fake_answerer, WARRANTY)}))
    pinned = fake_answerer.answer(question, top_k=20, filters=elsewhere, rules=rules)
    unpinned = fake_answerer.answer(question, top_k=20, filters=elsewhere)
    assert PAYMENT not in [h.entry_id for h in pinned.hits] and "pin:14" not in pinned.rules_fired
    assert [h.entry_id for h in pinned.hits] == [h.entry_id for h in unpinned.hits] and pinned.outcome == unpinned.outcome


def test_a_never_pin_holds_whatever_the_filters(fake_answerer: Answerer) -> None:
    """A never pin names no entry the filters could exclude: a question it matches is not answered under any filters."""
    question = next(e.question for e in fake_answerer.searcher.index.records.entries if e.id == WARRANTY)
    own_section = Filters(sections=frozenset({_section_of(fake_answerer, WARRANTY)}))
    answer = fake_answerer.answer(question, filters=own_section, rules=Rules(0, pins=(Pin(15, "never", (question,)),)))
    assert (answer.outcome, answer.rules_fired) == ("none", ("pin:15",))


def test_filters_that_leave_no_entry_fire_no_rule(fake_answerer: Answerer) -> None:
    question = "Est-ce que vous livrez sur la lune ?"
    first = fake_answerer.searcher.index.records.entries[0].id  # where an argmax over nothing allowed lands
    rules = Rules(0, pins=(Pin(16, "answer", (question,), PAYMENT),), hidden=(Hidden(17, entry_id=first),))
    answer = fake_answerer.answer(question, filters=Filters(langs=frozenset({"xx"})), rules=rules)
    assert (answer.hits, answer.outcome, answer.rules_fired) == ([], "none", ())


def test_rules_naming_missing_entries_are_stale(fake_answerer: Answerer) -> None:
    rules = Rules(0, pins=(Pin(9, "answer", ("x ?",), "gone:1"),), hidden=(Hidden(10, entry_id="gone:2"), Hidden(11, section="Nope")))
    curated = fake_answerer.searcher.curate(rules)
    assert curated is not None and curated.stale == {"pin:9", "hidden:10", "hidden:11"}
    assert fake_answerer.answer("x ?", rules=rules).rules_fired == ()


def test_the_answer_cache_is_per_rules_version(fake_answerer: Answerer) -> None:
    question = "Quelle est la durée de la garantie ?"
    assert _top(fake_answerer, question) == WARRANTY
    assert _top(fake_answerer, question, Rules(12, hidden=(Hidden(1, entry_id=WARRANTY),))) != WARRANTY
    assert _top(fake_answerer, question, Rules(13)) == WARRANTY


# --- the admin API -------------------------------------------------------------------------------------------------

@pytest.fixture
def app_client(fake_index_dir: Path, fake_models: list[FakeEmbedder], tmp_path: Path) -> Iterator[TestClient]:
    """A service of its own over the calibrated fake index (rules would change the shared `fake_client`'s answers)."""
    settings = Settings(index_dir=fake_index_dir, corpus=CORPUS, data_dir=tmp_path / "data", admin_token=SecretStr(ADMIN_TOKEN))
    with TestClient(create_app(settings, models=fake_models)) as client:
        yield client


def test_a_query_whose_filters_exclude_a_pins_entry_is_answered_without_the_pin(app_client: TestClient) -> None:
    question = "Est-ce que vous livrez sur la lune ?"
    app_client.post("/v1/admin/pins", json={"examples": [question], "entry_id": PAYMENT}, headers=ADMIN).raise_for_status()
    section = app_client.post("/v1/query", json={"question": "Quelle est la durée de la garantie ?"}).json()
    warranty = section["results"][0]["section"]
    response = app_client.post("/v1/query", json={"question": question, "filters": {"sections": [warranty]}})
    assert response.status_code == 200
    assert PAYMENT not in [r["entry_id"] for r in response.json()["results"]]


def test_admin_rules_need_the_admin_token(app_client: TestClient) -> None:
    response = app_client.get("/v1/admin/pins")
    assert response.status_code == 401


def test_bad_rules_are_4xx_with_a_clear_message(app_client: TestClient) -> None:
    response = app_client.post("/v1/admin/synonyms", json={"lang": "de", "terms": ["Pfand"]}, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("a synonym group needs at least 2 non-empty value(s); got 1")
    response = app_client.post("/v1/admin/pins", json={"examples": ["x ?"], "entry_id": "nope:1"}, headers=ADMIN)
    assert response.status_code == 404  # the entry it names is not found
    assert response.json()["error"]["message"].startswith("Unknown entry id 'nope:1': the served FAQ has no such entry.")
    response = app_client.post("/v1/admin/hidden", json={"section": "Nope"}, headers=ADMIN)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Unknown section 'Nope': no entry of the served FAQ is in it."
    response = app_client.delete("/v1/admin/pins/4", headers=ADMIN)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "no pin rule with id 4"


def test_a_pin_added_by_the_api_answers_at_once_and_is_counted(app_client: TestClient) -> None:
    question = "Est-ce que vous livrez sur la lune ?"
    response = app_client.post("/v1/admin/pins", json={"examples": [question], "entry_id": PAYMENT}, headers=ADMIN)
    assert response.status_code == 201
    pin = response.json()
    assert (pin["entry_id"], pin["kind"], pin["stale"]) == (PAYMENT, "answer", False)
    body = app_client.post("/v1/query", json={"question": question}).json()
    assert (body["outcome"], body["results"][0]["entry_id"]) == ("answer", PAYMENT)
    listed = app_client.get("/v1/admin/pins", headers=ADMIN).json()
    assert [(p["id"], p["fired"]) for p in listed] == [(pin["id"], 1)]
    tried = app_client.post("/v1/admin/try", json={"question": question, "kind": "pin", "id": pin["id"]}, headers=ADMIN).json()
    assert tried["with_rule"]["entries"][0] == PAYMENT and tried["with_rule"]["rules_fired"] == [f"pin:{pin['id']}"]
    assert tried["without_rule"]["rules_fired"] == []
    assert app_client.delete(f"/v1/admin/pins/{pin['id']}", headers=ADMIN).status_code == 204
    after = app_client.post("/v1/query", json={"question": question}).json()
    assert after["outcome"] != "answer" or after["results"][0]["entry_id"] != PAYMENT


def test_a_rule_whose_entry_left_the_faq_is_listed_stale(app_client: TestClient) -> None:
    store: FeedbackStore = app_client.app.state.service.feedback  # type: ignore[attr-defined]
    store.add_hidden("a script", entry_id="gone:1")
    store.add_synonym("a script", "fr", ["BA-793"], ["montre"])
    assert [(h["entry_id"], h["stale"]) for h in app_client.get("/v1/admin/hidden", headers=ADMIN).json()] == [("gone:1", True)]
    assert app_client.get("/v1/admin/synonyms", headers=ADMIN).json()[0]["targets"] == ["montre"]


@pytest.mark.slow  # waits on purpose for the other replica's poll of the rules (service.curation.RULES_POLL_SECONDS, 1 s)
def test_a_rule_added_on_one_replica_applies_on_another_within_5_s(fake_index_dir: Path, fake_models: list[FakeEmbedder],
                                                                    tmp_path: Path, pg_url: str) -> None:
    question = "Est-ce que vous livrez sur la lune ?"
    apps = [create_app(Settings(index_dir=fake_index_dir, corpus=CORPUS, data_dir=tmp_path / name, admin_token=SecretStr(ADMIN_TOKEN),
                                database_url=SecretStr(pg_url)), models=fake_models) for name in ("a", "b")]
    with TestClient(apps[0]) as a, TestClient(apps[1]) as b:
        assert b.post("/v1/query", json={"question": question}).json()["results"][0]["entry_id"] != PAYMENT
        assert a.post("/v1/admin/pins", json={"examples": [question], "entry_id": PAYMENT}, headers=ADMIN).status_code == 201
        started = time.monotonic()
        while b.post("/v1/query", json={"question": question}).json()["results"][0]["entry_id"] != PAYMENT:
            assert time.monotonic() - started < 5, "replica B did not apply the pin within 5 s"
            time.sleep(0.1)
        assert time.monotonic() - started < 5


# --- the listings leave hidden entries out ------------------------------------------------------------------------

def _listed(body: dict) -> dict[str, bool]:
    return {q["entry_id"]: q["hidden"] for d in body["documents"] for s in d["sections"] for q in s["questions"]}


def test_hidden_entries_and_sections_are_not_listed_but_for_an_admin(app_client: TestClient) -> None:
    everything = app_client.get("/v1/documents").json()
    sections = {s["title"]: [q["entry_id"] for q in s["questions"]] for d in everything["documents"] for s in d["sections"]}
    section = next(t for t, ids in sections.items() if WARRANTY not in ids and PAYMENT not in ids)
    assert not any(_listed(everything).values())

    app_client.post("/v1/admin/hidden", json={"entry_id": WARRANTY}, headers=ADMIN).raise_for_status()
    app_client.post("/v1/admin/hidden", json={"section": section}, headers=ADMIN).raise_for_status()
    public = app_client.get("/v1/documents").json()
    gone = {WARRANTY, *sections[section]}
    assert set(_listed(public)) == set(_listed(everything)) - gone
    assert section not in {s["title"] for d in public["documents"] for s in d["sections"]}
    answerer = app_client.app.state.service.answerer  # type: ignore[attr-defined]
    rules = app_client.app.state.rules  # type: ignore[attr-defined]
    assert section in helpcenter_of(HelpCenter(), answerer).topics  # this FAQ's helpcenter.json names topics of its own
    assert section not in helpcenter_of(HelpCenter(), answerer, rules).topics

    assert app_client.get("/v1/documents", params={"include_hidden": True}).status_code == 401
    admin = app_client.get("/v1/documents", params={"include_hidden": True}, headers=ADMIN).json()
    assert _listed(admin) == {e: e in gone for e in _listed(everything)}


def test_the_audit_log_is_admin_only_newest_first_and_paged(app_client: TestClient) -> None:
    assert app_client.get("/v1/admin/rules/audit").status_code == 401
    added = app_client.post("/v1/admin/synonyms", json={"lang": "de", "terms": ["Pfand", "Kaution"]}, headers=ADMIN).json()
    app_client.put(f"/v1/admin/synonyms/{added['id']}", json={"lang": "de", "terms": ["Pfand", "Kaution", "Sicherheit"]},
                   headers=ADMIN).raise_for_status()
    app_client.post("/v1/admin/hidden", json={"entry_id": WARRANTY}, headers=ADMIN).raise_for_status()
    app_client.delete(f"/v1/admin/synonyms/{added['id']}", headers=ADMIN).raise_for_status()

    page = app_client.get("/v1/admin/rules/audit", params={"limit": 3}, headers=ADMIN).json()
    assert [(c["action"], c["kind"]) for c in page["changes"]] == [("delete", "synonym"), ("add", "hidden"), ("edit", "synonym")]
    assert page["changes"][1]["detail"] == {"entry_id": WARRANTY, "section": None}
    assert page["changes"][0]["who"] == "admin token" and page["changes"][0]["at"].endswith("+00:00")
    assert page["next_before"] == page["changes"][-1]["id"]
    rest = app_client.get("/v1/admin/rules/audit", params={"limit": 3, "before": page["next_before"]}, headers=ADMIN).json()
    assert [(c["action"], c["rule_id"]) for c in rest["changes"]] == [("add", added["id"])] and rest["next_before"] is None
    assert rest["changes"][0]["detail"]["terms"] == ["Pfand", "Kaution"]
    assert app_client.get("/v1/admin/rules/audit", params={"limit": 0}, headers=ADMIN).status_code == 422


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"limit": "ten"}, {"before": 0}, {"before": "x"},
                                    {"before": 2**63}])
def test_an_audit_page_out_of_range_is_a_422_saying_which_parameter(app_client: TestClient, params: dict) -> None:
    response = app_client.get("/v1/admin/rules/audit", params=params, headers=ADMIN)
    assert response.status_code == 422
    assert next(iter(params)) in response.text


def _unit(cos: float) -> list[float]:
    """A 2-d unit vector at cosine `cos` to (1, 0)."""
    return [cos, float((1 - cos * cos) ** 0.5)]


def test_below_the_threshold_an_answer_pin_fires_only_by_a_margin_over_the_other_entries() -> None:
    """PIN_FLOOR and PIN_MARGIN (measured in benchmarks/curation.py --margins): between the floor and the threshold, an
    answer pin fires when its closest example is closer, by the margin, than any other entry's question."""
    import numpy as np

    from index.ranking.curation import Curated

    unit = _unit
    pins = (Pin(1, "answer", ("a", "b"), PAYMENT), Pin(2, "never", ("c",)))
    examples = np.array([[1.0, 0.0], [0.0, 1.0], unit(0.184)], dtype=np.float32)  # c: closer to the question than a
    curated = Curated(Rules(1, pins=pins), None, frozenset(), (examples,), np.array([0, 0, 1]), pins, (3, None),
                      threshold=0.80, floor=0.70, margin=0.05, never_floor=0.80)  # the never pin at the threshold only
    question = np.array(unit(0.75), dtype=np.float32)  # cosine 0.75 to a, below the threshold; ~0.79 to c
    assert 0.75 < float(examples[2] @ question) < 0.80
    seen: list[int | None] = []
    def similarity(entry: int | None) -> float:
        seen.append(entry)
        return 0.69

    match = curated.pin([question], similarity)
    assert match is not None and match.pin.id == 1 and match.position == 3 and seen == [3]
    assert curated.pin([question], lambda entry: 0.71) is None  # the margin is not there
    assert curated.pin([question]) is None  # nothing to weigh it against: the threshold alone
    assert replace(curated, floor=0.76).pin([question], lambda entry: 0.0) is None  # under the floor
    at_threshold = np.array(unit(0.81), dtype=np.float32)
    match = curated.pin([at_threshold], lambda entry: 0.99)  # the threshold needs no margin
    assert match is not None and match.pin.id == 1 and match == curated.pin([at_threshold])


def test_below_the_threshold_a_never_pin_fires_only_by_a_margin_over_every_entry() -> None:
    """NEVER_FLOOR and NEVER_MARGIN (measured in benchmarks/curation.py --margins): between its floor and the threshold, a
    never pin fires when its closest example is closer, by its margin, than any entry's question (`elsewhere(None)`)."""
    import numpy as np

    from index.ranking.curation import Curated

    pins = (Pin(2, "never", ("c",)),)
    examples = np.array([[1.0, 0.0]], dtype=np.float32)
    curated = Curated(Rules(1, pins=pins), None, frozenset(), (examples,), np.array([0]), pins, (None,),
                      threshold=0.80, floor=0.75, margin=0.08, never_floor=0.65, never_margin=0.05)
    question = np.array(_unit(0.70), dtype=np.float32)  # under the threshold and the answer pins' floor, over the never one's
    seen: list[int | None] = []
    def similarity(entry: int | None) -> float:
        seen.append(entry)
        return 0.64

    match = curated.pin([question], similarity)
    assert match is not None and match.pin.id == 2 and match.position is None and seen == [None]
    assert curated.pin([question], lambda entry: 0.66) is None  # an entry's question is about as close: the margin is not there
    assert replace(curated, never_floor=0.72).pin([question], lambda entry: 0.0) is None  # under its floor


def test_asked_elsewhere_of_no_entry_is_the_closest_question_of_any_entry() -> None:
    """What a never pin is weighed against: every entry's questions and phrasings (passages left out)."""
    import numpy as np

    from index.ranking.signals import DenseScores

    empty = np.zeros(3, np.float32)
    sims, rows = np.array([0.9, 0.8, 0.7], np.float32), np.array([2, 0, 1])  # row 2 (a passage) is the closest vector
    layout = (np.array([0, 1, 1]), np.array([False, False, True]))  # row -> entry, row is a passage
    scores = DenseScores(empty, empty, empty, similarity=empty, query=empty, scored=(sims, rows), layout=layout)
    assert scores.asked_elsewhere(None) == pytest.approx(0.8)  # entry 0's question
    assert scores.asked_elsewhere(0) == pytest.approx(0.7)  # but entry 0's: entry 1's question


@pytest.fixture(scope="module")
def real_answerer(index_dir: Path, embedder, use_embedder) -> Answerer:
    """The bundled FAQ with the default models and what calibration learnt, as the service opens it."""
    from faq.retrieval import RetrievalConfig
    from index.pipeline import open_answerer

    return open_answerer(index_dir, RetrievalConfig(), [embedder, use_embedder])


@pytest.mark.model
def test_a_never_pin_refuses_a_paraphrase_under_the_threshold_with_the_real_models(real_answerer: Answerer) -> None:
    """NEVER_FLOOR and NEVER_MARGIN: "Puis-je visiter votre boutique ?" scores ~0.69 to the never pin's examples of
    benchmarks/curation.py (under 0.80) but nearer them than any entry's question: `none`, where it was related articles."""
    from benchmarks.curation import _pins

    never = next(p for p in _pins() if p.kind == "never")
    question = "Puis-je visiter votre boutique ?"
    assert real_answerer.answer_uncached(question, 5).outcome != "none"
    refused = real_answerer.answer_uncached(question, 5, rules=Rules(1, pins=(never,)))
    assert refused.outcome == "none" and refused.rules_fired == (never.key,)


@pytest.mark.model
def test_the_benchmark_pins_give_no_watch_question_a_pin_not_its_own(real_answerer: Answerer) -> None:
    """The guard the thresholds were chosen under: no watch-faq dev or test question with a right entry is taken from it
    by an answer pin of another entry, or refused by the never pin."""
    from benchmarks.curation import WATCH_QUESTIONS, _pins, _questions

    pins = _pins()
    by_key = {p.key: p for p in pins}
    rules = Rules(1, pins=pins)
    wrong = [(q, key) for q, relevant in _questions(WATCH_QUESTIONS) if relevant
             for key in real_answerer.answer_uncached(q, 5, rules=rules).rules_fired
             if key in by_key and (by_key[key].kind == "never" or by_key[key].entry_id not in relevant)]
    assert wrong == []
