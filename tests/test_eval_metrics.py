"""Metric functions against small hand-computed examples."""

import math

import pytest

from eval.metrics import abstention, contains_fact, hit_at_k, ndcg_at_k, percentiles, reciprocal_rank
from eval.run import summarize

GOLD = frozenset({"b"})


def test_hit_at_k_counts_a_relevant_id_within_k():
    assert hit_at_k(["a", "b", "c"], GOLD, 1) == 0.0
    assert hit_at_k(["a", "b", "c"], GOLD, 2) == 1.0
    assert hit_at_k([], GOLD, 5) == 0.0


def test_reciprocal_rank_is_one_over_first_relevant_rank_within_k():
    assert reciprocal_rank(["a", "b"], GOLD) == 0.5
    assert reciprocal_rank(["b"], GOLD) == 1.0
    assert reciprocal_rank(["a"] * 10 + ["b"], GOLD, k=10) == 0.0


def test_ndcg_with_one_relevant_at_rank_two():
    assert ndcg_at_k(["a", "b"], GOLD) == pytest.approx(1 / math.log2(3))


def test_ndcg_with_two_relevant_ids_one_found_first():
    # DCG = 1/log2(2) = 1; ideal = 1 + 1/log2(3)
    assert ndcg_at_k(["b", "x", "y"], frozenset({"b", "c"})) == pytest.approx(1 / (1 + 1 / math.log2(3)))


def test_contains_fact_ignores_case_and_typography():
    assert contains_fact("dans les 24 Mois pour", "24 mois")
    assert contains_fact("l’usure normale", "l'usure")
    assert not contains_fact("90 jours", "24 mois")
    assert not contains_fact(None, "24 mois")


def test_abstention_precision_recall_accuracy():
    # abstained on: OOS, OOS, in-scope; answered: OOS, in-scope
    result = abstention([True, True, True, False, False], [True, True, False, True, False])
    assert result == {"abstention_precision": pytest.approx(2 / 3), "abstention_recall": pytest.approx(2 / 3),
                      "abstention_accuracy": pytest.approx(3 / 5)}


def test_abstention_without_any_abstention_has_no_precision():
    assert abstention([False, False], [True, False])["abstention_precision"] is None


def test_percentiles_of_latencies():
    assert percentiles([1.0, 2.0, 3.0, 4.0, 100.0])["p50"] == 3.0
    assert percentiles([]) == {"p50": None, "p95": None, "p99": None}


def row(in_scope, hit1, answerable, latency=10.0):
    base = {"in_scope": in_scope, "answerable": answerable, "latency_ms": latency}
    if not in_scope:
        return {**base, "e2e_ok": not answerable}
    hits = {f"hit@{k}": float(hit1 or k >= 3) for k in range(1, 11)}
    return {**base, **hits, "mrr@10": 1.0 if hit1 else 1 / 3, "ndcg@10": 1.0, "answer_ok": hit1, "e2e_ok": bool(answerable and hit1)}


def test_summary_end_to_end_counts_right_answers_and_right_silences():
    rows = [row(True, True, True), row(True, False, True), row(True, True, False), row(False, None, False), row(False, None, True)]
    summary = summarize(rows)
    assert summary["hit@1"] == pytest.approx(2 / 3, abs=1e-4)
    assert summary["hit@3"] == 1.0
    assert summary["end_to_end_accuracy"] == pytest.approx(2 / 5)
    assert summary["answer_accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert summary["abstention_recall"] == 0.5
