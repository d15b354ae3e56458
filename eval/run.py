"""Ask every question of a set, score each answer, and summarise overall, by kind and by language."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from rich.progress import Progress

from eval.clients import Client
from eval.datasets import EvalQuery, EvalSet
from eval.metrics import abstention, contains_fact, hit_at_k, ndcg_at_k, percentiles, reciprocal_rank

PRIMARY_METRIC = "hit@1"
HIT_CURVE = tuple(range(1, 11))


def score_query(query: EvalQuery, client: Client) -> dict[str, Any]:
    p = client(query.text)
    row: dict[str, Any] = {
        "id": query.id, "text": query.text, "kind": query.kind, "lang": query.lang, "in_scope": query.in_scope,
        "gold": sorted(query.relevant), "ranked": p.ranked[:10], "answerable": p.answerable,
        "confidence": p.confidence, "top_score": p.top_score, "latency_ms": round(p.latency_ms, 3), "answer_lang": p.lang,
    }
    if query.in_scope:
        row.update({f"hit@{k}": hit_at_k(p.ranked, query.relevant, k) for k in HIT_CURVE})
        row["mrr@10"] = reciprocal_rank(p.ranked, query.relevant, 10)
        row["ndcg@10"] = ndcg_at_k(p.ranked, query.relevant, 10)
        row["answer_ok"] = contains_fact(p.short_answer or p.top_passage, query.fact) if query.fact else None
        row["passage_ok"] = contains_fact(p.top_passage, query.fact) if query.fact else None
        row["e2e_ok"] = bool(p.answerable and row["hit@1"])
    else:
        row["e2e_ok"] = not p.answerable
    return row


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The metrics of a group of scored questions; None where a metric does not apply."""
    inside = [r for r in rows if r["in_scope"]]
    outside = [r for r in rows if not r["in_scope"]]
    mean = lambda key, group: round(sum(r[key] for r in group) / len(group), 4) if group else None  # noqa: E731
    facts = [r for r in inside if r.get("answer_ok") is not None]
    out: dict[str, Any] = {
        "questions": len(rows), "in_scope": len(inside), "out_of_scope": len(outside),
        "hit@1": mean("hit@1", inside), "hit@3": mean("hit@3", inside), "hit@5": mean("hit@5", inside),
        "mrr@10": mean("mrr@10", inside), "ndcg@10": mean("ndcg@10", inside),
        "answer_accuracy": round(sum(r["answer_ok"] for r in facts) / len(facts), 4) if facts else None,
        "answered_in_scope": mean("answerable", inside),
        "end_to_end_accuracy": mean("e2e_ok", rows),
        "hit_curve": [mean(f"hit@{k}", inside) for k in HIT_CURVE] if inside else [],
        # a multilingual FAQ: the share of answered-from questions whose first result is in the question's language
        "in_question_lang": (round(sum(r.get("answer_lang") == r["lang"] for r in inside) / len(inside), 4)
                             if inside and any(r.get("answer_lang") for r in inside) else None),
    }
    out.update({k: (round(v, 4) if v is not None else None) for k, v in
                abstention([not r["answerable"] for r in rows], [not r["in_scope"] for r in rows]).items()})
    out["latency_ms"] = percentiles([r["latency_ms"] for r in rows])
    return out


def evaluate(evalset: EvalSet, client: Client, label: str, show_progress: bool = True) -> dict[str, Any]:
    """Scored rows plus summaries overall, by kind and by language."""
    rows = []
    with Progress(transient=True, disable=not show_progress) as progress:
        task = progress.add_task(f"{evalset.name} · {label}", total=len(evalset.queries))
        for query in evalset.queries:
            rows.append(score_query(query, client))
            progress.advance(task)
    by: dict[str, dict[str, list]] = {"kind": defaultdict(list), "lang": defaultdict(list)}
    for r in rows:
        by["kind"][r["kind"]].append(r)
        by["lang"][r["lang"]].append(r)
    return {
        "dataset": evalset.name,
        "system": label,
        "overall": summarize(rows),
        "by_kind": {k: summarize(v) for k, v in sorted(by["kind"].items())},
        "by_lang": {k: summarize(v) for k, v in sorted(by["lang"].items())},
        "rows": rows,
    }


def warm(client: Client, questions: Sequence[str]) -> None:
    """A few untimed questions first, so the first timed one does not pay for page faults."""
    for q in questions[:3]:
        client(q)
