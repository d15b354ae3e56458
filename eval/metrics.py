"""Retrieval and answer metrics, as plain functions over ranked ids and gold sets."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def hit_at_k(ranked: Sequence[str], relevant: frozenset[str], k: int) -> float:
    """1 when any relevant id is among the first k."""
    return float(any(r in relevant for r in ranked[:k]))


def reciprocal_rank(ranked: Sequence[str], relevant: frozenset[str], k: int = 10) -> float:
    """1 / rank of the first relevant id within k, else 0."""
    for i, r in enumerate(ranked[:k]):
        if r in relevant:
            return 1.0 / (i + 1)
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: frozenset[str], k: int = 10) -> float:
    """Binary-relevance nDCG: DCG of the ranking over DCG of the ideal one."""
    dcg = sum(1.0 / math.log2(i + 2) for i, r in enumerate(ranked[:k]) if r in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def contains_fact(text: str | None, fact: str | None) -> bool:
    """Case- and typography-insensitive containment, so "24 Mois" or a curly apostrophe still count."""
    from faq.text import normalize

    if not text or not fact:
        return False
    return normalize(fact).casefold() in normalize(text).casefold()


def abstention(abstained: Sequence[bool], out_of_scope: Sequence[bool]) -> dict[str, float | None]:
    """Precision and recall of "no answer" decisions against out-of-scope labels, and decision accuracy."""
    a = np.asarray(abstained, dtype=bool)
    o = np.asarray(out_of_scope, dtype=bool)
    tp = int((a & o).sum())
    return {
        "abstention_precision": tp / int(a.sum()) if a.any() else None,
        "abstention_recall": tp / int(o.sum()) if o.any() else None,
        "abstention_accuracy": float((a == o).mean()) if len(a) else None,
    }


def percentiles(values: Sequence[float], digits: int = 2) -> dict[str, float | None]:
    if not len(values):
        return {"p50": None, "p95": None, "p99": None}
    p50, p95, p99 = np.percentile(np.asarray(values, dtype=np.float64), [50, 95, 99])
    return {"p50": round(float(p50), digits), "p95": round(float(p95), digits), "p99": round(float(p99), digits)}
