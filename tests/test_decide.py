"""One decider says answer, related or none (index.deciding.decide), from evidence on the corpus's own scale (index.deciding.evidence)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.deciding.decide import MODEL_FILE, Decider, DecisionModel, Logistic, grade, shipped_model
from index.deciding.evidence import FEATURES, is_terse, latin_share, shape, word_count, words
from index.deciding.label_free import terse_version
from index.disk.calibration import Calibration, Norms, Spread
from index.ranking.lexical import analyzer
from index.ranking.search import Hit, Ranking
from ingest.models import Chunk

NORMS = Norms(own=Spread(0.8, 0.05), own_terse=Spread(0.7, 0.05), off_topic=Spread(0.6, 0.05))


def _ranking(*similarities: float, lang: str = "fr") -> Ranking:
    hits = [Hit(rank=i + 1, score=float(-i), similarity=s,
                chunk=Chunk(f"e{i}#0", f"e{i}", "d", "D", "S", f"question {i}", "texte", "fr", 0, 5, 0, 1))
            for i, s in enumerate(similarities)]
    values = np.array([[s] for s in similarities], np.float32)
    return Ranking(hits, 0, lang=lang, signal_names=("fake",), signal_values=values)


def _model_on(feature: str, answer_weight: float, domain_weight: float, answer_at: float = 0.5, related_at: float = 0.5) -> DecisionModel:
    """A model that reads one piece of evidence only: what the decision does with it is then plain to see."""
    index = FEATURES.index(feature)
    weights = lambda w: tuple(w if i == index else 0.0 for i in range(len(FEATURES)))  # noqa: E731
    n = len(FEATURES)
    return DecisionModel(FEATURES, (0.0,) * n, (1.0,) * n, Logistic(weights(answer_weight), 0.0), Logistic(weights(domain_weight), 3.0),
                         answer_at, related_at)


def _decider(model: DecisionModel, **calibration: Any) -> Decider:
    return Decider(Calibration(threshold=0.5, scale=0.1, method="label-free", norms=NORMS, **calibration), None, frozenset({"fr"}), model)


def test_a_question_scoring_like_the_faq_s_own_questions_is_answered():
    decision = _decider(_model_on("z_own", 2.0, 1.0)).decide("Quelle est la durée de la garantie ?", _ranking(0.85, 0.7))
    assert decision.outcome == "answer" and decision.answerable and decision.confidence > 0.5


def test_a_question_about_the_help_center_that_no_entry_answers_is_related():
    decision = _decider(_model_on("z_own", 2.0, 1.0)).decide("Est-ce que la montre est étanche ?", _ranking(0.75, 0.74))
    assert decision.outcome == "related" and not decision.answerable


def test_a_question_far_from_everything_here_is_none_even_when_an_entry_ranks_first():
    decision = _decider(_model_on("z_own", 2.0, 1.0)).decide("Quelle est la capitale de la France ?", _ranking(0.55, 0.5))
    assert decision.outcome == "none" and decision.relevance < 0.5


def test_a_question_mark_changes_no_evidence_and_no_decision():
    """The dev data's CLINC questions carry no punctuation and its off-topic lines do: a "?" must not say "off topic"."""
    decider = Decider(Calibration(threshold=0.5, scale=0.1, method="label-free", norms=NORMS), None, frozenset({"fr"}), shipped_model())
    ranking = _ranking(0.78, 0.7, 0.66)
    with_mark, without = (decider.decide(q, ranking) for q in ("Puis-je payer en bitcoin ?", "Puis-je payer en bitcoin"))
    assert with_mark.evidence == without.evidence
    assert (with_mark.outcome, with_mark.confidence) == (without.outcome, without.confidence)


def test_junk_is_none_before_any_score():
    decision = _decider(_model_on("z_own", 2.0, 1.0)).decide("merci", _ranking(0.99, 0.5))
    assert (decision.outcome, decision.reason) == ("none", "junk")


def test_an_empty_ranking_is_none():
    empty = Ranking([], 3)
    assert _decider(_model_on("z_own", 2.0, 1.0)).decide("garantie", empty).outcome == "none"


def test_the_decision_says_why_with_its_evidence():
    decision = _decider(_model_on("z_own", 2.0, 1.0)).decide("Quelle est la durée de la garantie ?", _ranking(0.85, 0.7))
    assert decision.reason == "model"
    assert set(decision.evidence) == set(FEATURES)
    assert decision.evidence["z_own"] == pytest.approx(1.0, abs=1e-3)  # (0.85 - 0.8) / 0.05


def test_a_terse_question_is_compared_with_terse_versions_of_the_faq_s_questions():
    # 0.72 is low for a sentence (0.8 ± 0.05) but usual for two words (0.7 ± 0.05)
    sentence = _decider(_model_on("z_own", 2.0, 1.0)).decide("Quelle est la durée de la garantie ?", _ranking(0.72, 0.6))
    terse = _decider(_model_on("z_own", 2.0, 1.0)).decide("durée garantie", _ranking(0.72, 0.6))
    assert sentence.outcome == "related" and terse.outcome == "answer"


def test_an_index_calibrated_before_the_decision_model_is_decided_by_its_threshold():
    old = Decider(Calibration(threshold=0.7, scale=0.05), None, frozenset({"fr"}), _model_on("z_own", 2.0, 1.0))
    assert old.decide("garantie ?", _ranking(0.75, 0.5)).outcome == "answer"
    assert old.decide("garantie ?", _ranking(0.65, 0.5)).outcome == "none"


def test_closeness_to_an_off_topic_line_is_evidence_for_the_model_not_a_veto():
    # "prices" in a bike shop comes closer (USE) to some generic off-topic line than to the FAQ; the model weighs that
    decider = Decider(Calibration(threshold=0.5, scale=0.1, off_topic_margin=0.1, method="label-free", norms=NORMS), None, frozenset({"fr"}), _model_on("z_own", 2.0, 1.0))
    ranking = replace(_ranking(0.75, 0.6), off_topic_margin=0.3)
    assert decider.decide("tarifs", ranking).outcome == "answer"


def test_an_index_without_norms_keeps_its_off_topic_margin_rule():
    old = Decider(Calibration(threshold=0.7, scale=0.05, off_topic_margin=0.1), None, frozenset({"fr"}), _model_on("z_own", 2.0, 1.0))
    ranking = replace(_ranking(0.75, 0.5), off_topic_margin=0.3)
    assert (old.decide("garantie ?", ranking).outcome, old.decide("garantie ?", ranking).reason) == ("none", "off-topic")


def test_the_eval_grades_as_the_decider_does():
    from eval.decision import outcomes

    rng = np.random.default_rng(7)
    pa, pd = rng.random(500), rng.random(500)
    junk = rng.random(500) < 0.1
    graded = outcomes(pa, pd, junk, 0.325, 0.675)
    assert list(graded) == ["none" if j else grade(a, d, 0.325, 0.675) for a, d, j in zip(pa, pd, junk)]


def test_the_threshold_choice_counts_each_goal_a_corpus_misses():
    from eval.decision import GOALS, goal_failures

    within = dict.fromkeys(GOALS, 0.0)
    assert goal_failures([within]) == 0
    assert goal_failures([{**within, "wrong_answer": 0.11, "near_answered": 0.26}, {**within, "in_refused": 0.2}]) == 3
    assert goal_failures([{**within, "cross_refused": float("nan")}]) == 0  # a corpus without such questions misses nothing


def test_the_eval_measures_misspelt_versions_apart_and_never_learns_from_them():
    from eval.decision import MISSPELT, Table, learnt_from, metrics, thresholds_on

    kinds = np.array(["paraphrase", MISSPELT, "codemixed", "paraphrase"])
    n = len(kinds)
    t = Table(X=np.zeros((n, 2)), y_answer=np.ones(n, bool), y_domain=np.ones(n, bool), scope=np.array(["in"] * n),
              right=np.array([True, False, True, True]), kind=kinds, corpus=np.array(["c"] * n), group=np.array(["c"] * n),
              split=np.array(["dev"] * n), today=np.ones(n, bool), junk=np.zeros(n, bool), terse=np.zeros(n, bool),
              cross=np.zeros(n, bool))
    m = metrics(np.array(["answer", "none", "answer", "related"]), t, np.ones(n, bool))
    assert (m["in"], m["in_refused"], m["hit@1"]) == (3, 0.0, 1.0)  # the misspelt row is in none of the usual measures
    assert (m["misspelt_refused"], m["misspelt_right"], m["misspelt_hit@1"]) == (1.0, 0.0, 0.0)
    assert list(learnt_from(t)) == [True, False, True, True]
    assert list(thresholds_on(t)) == [True, False, False, True]


def test_a_labelled_answer_threshold_overrides_the_shipped_one():
    model = _model_on("z_own", 2.0, 1.0)
    question, ranking = "Quelle est la durée de la garantie ?", _ranking(0.81, 0.7)  # p(answer) = sigmoid(0.4) = 0.6
    assert _decider(model).decide(question, ranking).outcome == "answer"
    assert _decider(model, answer_at=0.7).decide(question, ranking).outcome == "related"


def test_closeness_to_a_known_out_of_scope_question_counts_against_answering_when_calibration_weighs_it():
    model = _model_on("z_own", 2.0, 1.0)
    question, ranking = "Est-ce que la montre est étanche à 100 m ?", _ranking(0.85, 0.7)
    assert _decider(model).decide(question, ranking, known_out_of_scope=0.95).outcome == "answer"
    assert _decider(model, known_weight=4.0).decide(question, ranking, known_out_of_scope=0.95).outcome == "related"


def test_the_shipped_model_reads_gathered_evidence_and_is_small():
    model = shipped_model()
    assert set(model.features) <= set(FEATURES) and len(set(model.features)) == len(model.features)
    assert len(model.answer.weights) == len(model.domain.weights) == len(model.mean) == len(model.features)
    assert 0 < model.answer_at < 1 and 0 < model.related_at < 1
    assert MODEL_FILE.stat().st_size < 5 * 1024 * 1024
    assert DecisionModel.from_dict(json.loads(MODEL_FILE.read_text(encoding="utf-8"))) == model


def test_norms_survive_the_manifest_round_trip():
    norms = Norms(Spread(0.8, 0.05), Spread(0.7, 0.06), Spread(0.6, 0.04), {"e5": Spread(0.9, 0.03)}, {"e5": Spread(0.85, 0.04)})
    assert Norms.from_dict(json.loads(json.dumps(norms.to_dict()))) == norms


def test_a_terse_version_keeps_a_question_s_rarest_content_words_in_order():
    df = {"dur": 1, "garant": 3, "montr": 12}
    assert terse_version("Quelle est la durée de la garantie de ma montre ?", analyzer("fr"), df) == "durée garantie"
    assert is_terse("durée garantie") and not is_terse("Quelle est la durée de la garantie ?")


def test_the_dev_datas_terse_version_of_a_question_in_another_language_uses_that_languages_stopwords():
    # eval.decision's synthetic terse questions: an English question asked of a French FAQ kept "would like" with the FAQ's
    # analyzer; a code-mixed one has no stopword list, so no terse version
    from eval.decision import _terse_versions
    from eval.decision_data import DevCorpus, Example

    english = Example("would you move 100 dollars from my checking to my savings account", frozenset({"t"}), "in", "crosslingual", "dev", "en")
    french = Example("Quelle est la durée de la garantie de ma montre ?", frozenset({"g"}), "in", "paraphrase", "dev", "fr")
    hinglish = Example("mera paisa checking se savings me daal do", frozenset({"t"}), "in", "codemixed", "dev", "hi-Latn")
    others = [Example(f"would you tell me {w} from my {a} to my account", frozenset({"t"}), "in", "crosslingual", "dev", "en")
              for w, a in (("the balance", "savings"), ("the fee", "checking"), ("a rate", "savings"))]
    dev = DevCorpus("bank-fr", "bank", Path("faq.jsonl"), (english, french, hinglish, *others))
    terse = _terse_versions(dev, analyzer("fr"), {"dur": 1, "garant": 3, "montr": 12}, frozenset({"fr"}))
    assert terse(french) == "durée garantie"
    assert terse(english) == "move dollars"  # the rarest words among the corpus's English questions
    assert terse(hinglish) is None


def test_a_question_in_another_script_is_cross_lingual_for_a_latin_faq():
    assert latin_share("هل الساعة مقاومة للماء؟") == 0.0 and latin_share("la montre est-elle étanche ?") == 1.0
    decision = _decider(_model_on("lang_mismatch", 0.0, 1.0)).decide("هل الساعة مقاومة للماء؟", _ranking(0.8, 0.7, lang="unknown"))
    assert decision.evidence["lang_mismatch"] == 1.0


# --- the service: the graded outcome on every surface -------------------------------------------------


def test_the_query_endpoint_says_the_outcome_and_answerable_agrees(fake_client):
    answered = fake_client.post("/v1/query", json={"question": "Comment puis-je suivre mon colis ?"}).json()
    refused = fake_client.post("/v1/query", json={"question": "Quel temps fera-t-il demain à Montréal ?"}).json()
    assert (answered["outcome"], answered["answerable"]) == ("answer", True) and answered["answer"] is not None
    assert (refused["outcome"], refused["answerable"]) == ("none", False) and refused["answer"] is None


def test_suggestions_say_each_question_s_outcome(fake_client):
    body = fake_client.post("/v1/suggest", json={"message": "Bonjour, comment puis-je suivre mon colis ? Merci"}).json()
    assert body["suggestions"] and all(s["outcome"] in ("answer", "related", "none") for s in body["suggestions"])
    assert all(s["answerable"] == (s["outcome"] == "answer") for s in body["suggestions"])


def test_the_query_log_and_its_csv_keep_the_outcome(fake_client):
    from conftest import ADMIN_TOKEN

    ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    fake_client.post("/v1/query", json={"question": "Quel temps fera-t-il demain à Lisbonne ?"})
    csv_text = fake_client.get("/v1/analytics/queries.csv", headers=ADMIN).text
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert any(row["outcome"] == "none" and "Lisbonne" in row["question"] for row in rows)


def test_analytics_count_related_and_none_apart(tmp_path):
    from feedback.sqlite import SqliteFeedbackStore

    store = SqliteFeedbackStore(tmp_path / "f.db")
    store.log_query("est-elle étanche ?", "api", False, 0.3, "e1", outcome="related")
    store.log_query("capitale de la France", "api", False, 0.01, "e2", outcome="none")
    store.log_query("garantie", "api", True, 0.9, "e3", outcome="answer")
    assert store.analytics()["totals"] == {"queries": 3, "unanswered": 2, "related": 1, "none": 1}


def test_labelled_calibration_keeps_the_answer_threshold_near_the_shipped_one(fake_answerer):
    shipped = shipped_model().answer_at
    calibration = fake_answerer.calibration
    assert calibration.norms is not None and calibration.method == "labelled"
    if calibration.rule == "model":
        assert calibration.answer_at is not None and shipped / 2 - 1e-9 <= calibration.answer_at <= min(2 * shipped, 0.9) + 1e-9
    else:  # the old similarity threshold did better on the dev questions: the model only grades what it does not answer
        assert calibration.answer_at is None


@pytest.mark.parametrize(("rule", "said"), [("model", "decision model's probability ≥ 0.400"),
                                             ("threshold", "similarity score ≥ 0.2500")])
def test_faq_calibrate_says_which_rule_answers(rule, said, capsys):
    from cli.main import say_calibration
    from usecases.calibrate import CalibrationResult

    calibration = Calibration(threshold=0.25, scale=0.05, retrieval="r", source="s", questions=10, rule=rule,
                              answer_at=0.4 if rule == "model" else None, norms=NORMS)
    say_calibration(CalibrationResult(calibration))
    assert said in " ".join(capsys.readouterr().out.split())


def test_a_chinese_or_japanese_sentence_is_not_a_terse_query():
    assert not is_terse("买满多少钱包邮？")  # "how much to spend for free shipping?": one \w+ run, seven characters
    assert not is_terse("荷物の追跡ってどうやるの")
    assert is_terse("退货")  # "returns": a search-box keyword


def test_words_of_spaced_scripts_are_counted_as_before():
    assert word_count("Est-ce que la montre est étanche ?") == 7
    assert word_count("환불 가능한가요?") == 2  # Korean puts spaces between words


def test_devanagari_and_thai_words_keep_their_combining_marks():
    # r"\w+" cut क्या into क, य and ขอบคุณ into ขอบค, ณ: a Hindi question had half again its words, a terse one was not terse
    assert words("क्या") == ["क्या"]
    assert word_count("क्या आप भारत में शिप करते हैं?") == 7  # "do you ship to India?"
    assert word_count("शिपिंग चार्ज") == 2 and is_terse("शिपिंग चार्ज")  # "shipping charge": 6 \w+ runs
    assert words("ขอบคุณ") == ["ขอบคุณ"]
    assert word_count("ขอบคุณ") == 3  # an unspaced run: five letters (the vowel mark ุ is part of ค), two a word


def test_a_terse_version_of_a_hindi_question_keeps_whole_words():
    terse = terse_version("क्या आप भारत में शिप करते हैं?", analyzer("hi"), {})
    assert terse and all(w in "क्या आप भारत में शिप करते हैं" for w in terse.split()) and len(terse.split()) == 2


def test_a_first_entry_ahead_of_the_field_leads_it_and_a_flat_field_does_not():
    signals = np.array([[0.9, 0.8], [0.5, 0.4], [0.45, 0.4], [0.4, 0.3], [0.4, 0.3]])
    ahead = shape(np.array([0.60, 0.40, 0.38, 0.37, 0.36]), np.array([1.0, 0.5, 0.4, 0.3, 0.2]), signals, 0.05)
    flat = shape(np.array([0.40, 0.39, 0.39, 0.38, 0.38]), np.array([1.0, 0.9, 0.9, 0.8, 0.8]), signals, 0.05)
    assert ahead["lead5"] > 3 > flat["lead5"]
    assert ahead["close_behind"] == 0 and flat["close_behind"] == 4
    assert ahead["gap3_fused"] > flat["gap3_fused"]
    assert ahead["top3_signals"] == 1.0


def test_a_ranking_of_one_entry_has_no_shape():
    assert set(shape(np.array([0.5]), np.array([1.0]), np.zeros((1, 2)), 0.05).values()) == {0.0}


def test_where_the_ensemble_member_has_no_weight_its_evidence_is_the_primary_models() -> None:
    """USE has no Hindi: the ranking gives it no weight for a Hindi question (Ranking.dense_weights) and leaves it out of
    the similarity, so the decision reads the primary model's scale and agreement in its place; the ranking leaves the
    off-topic margin USE measured out too (None), read as no off-topic lines."""
    from index.deciding.evidence import gather

    norms = replace(NORMS, own_by_model={"e5": Spread(0.85, 0.04), "use": Spread(0.6, 0.1)},
                    own_terse_by_model={"e5": Spread(0.8, 0.04), "use": Spread(0.5, 0.1)})
    values = np.array([[0.83, 0.2], [0.80, 0.7], [0.75, 0.1]], np.float32)  # e5 puts entry 0 first, USE entry 1

    def evidence(question: str, lang: str, weights: tuple[float, float], margin: float | None) -> dict[str, float]:
        ev = gather(question, [0.83, 0.80, 0.75], [2.0, 1.0, 0.5], ("e5", "use"), values, ("a", "b", "c"), norms, None,
                    lang, frozenset({"fr"}), margin, 0.0, weights)
        return dict(zip(FEATURES, ev.values))

    hindi = evidence("क्या मेरी घड़ी की वारंटी अभी भी चल रही है?", "hi", (1.5, 0.0), None)
    assert hindi["z_own"] == hindi["z_own_member"] == hindi["z_own_primary"] == pytest.approx((0.83 - 0.85) / 0.04)
    assert hindi["agree_member"] == hindi["agree_primary"] == 1.0
    assert hindi["off_topic_margin"] == -0.2
    french = evidence("Est-ce que ma montre est encore sous garantie ?", "fr", (1.0, 0.5), 0.3)
    assert french["z_own_member"] == pytest.approx((0.2 - 0.6) / 0.1) and french["agree_member"] == 0.0
    assert french["off_topic_margin"] == pytest.approx(0.3) and french["z_own"] == pytest.approx((0.83 - 0.8) / 0.05)


def test_a_model_weighs_only_the_evidence_it_names_and_reads_a_name_no_longer_gathered_as_zero() -> None:
    from index.deciding.evidence import Evidence

    evidence = Evidence(tuple(float(i) for i in range(len(FEATURES))))
    subset = DecisionModel(("terse", "z_own"), (1.0, 0.0), (2.0, 1.0), Logistic((0.0, 0.0), 0.0), Logistic((0.0, 0.0), 0.0), 0.5, 0.5)
    np.testing.assert_allclose(subset.standardise(evidence), [(FEATURES.index("terse") - 1.0) / 2.0, 0.0])
    old = replace(subset, features=("gone_evidence", "z_own"))
    np.testing.assert_allclose(old.standardise(evidence), [(0.0 - 1.0) / 2.0, 0.0])
