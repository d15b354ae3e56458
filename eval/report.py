"""Reports of an eval run: JSON, a Markdown table per dataset and system, PNG plots, and side-by-side comparisons."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLUMNS = [("hit@1", "hit@1"), ("hit@3", "hit@3"), ("hit@5", "hit@5"), ("mrr@10", "MRR@10"), ("ndcg@10", "nDCG@10"),
           ("answer_accuracy", "answer acc."), ("end_to_end_accuracy", "end-to-end"),
           ("abstention_precision", "abst. P"), ("abstention_recall", "abst. R"), ("abstention_accuracy", "abst. acc.")]


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def table(rows: list[tuple[str, dict[str, Any]]], first: str) -> list[str]:
    head = f"| {first} | n | " + " | ".join(label for _, label in COLUMNS) + " | p50 ms | p95 ms | p99 ms |"
    out = [head, "|" + "---|" * (head.count("|") - 1)]
    for name, m in rows:
        lat = m["latency_ms"]
        out.append(f"| {name} | {m['questions']} | " + " | ".join(_fmt(m[key]) for key, _ in COLUMNS)
                   + f" | {_fmt(lat['p50'])} | {_fmt(lat['p95'])} | {_fmt(lat['p99'])} |")
    return out


def markdown(runs: list[dict[str, Any]], title: str) -> str:
    lines = [f"# {title}", ""]
    by_dataset: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        by_dataset.setdefault(run["dataset"], []).append(run)
    for dataset, group in by_dataset.items():
        split = group[0].get("split", "all")
        lines += [f"## {dataset} ({split})", ""]
        lines += table([(r["system"], r["overall"]) for r in group], "system") + [""]
        for run in group:
            if len(run["by_kind"]) > 1 or len(run["by_lang"]) > 1:
                lines += [f"### {dataset} · {run['system']} by kind", ""]
                lines += table(list(run["by_kind"].items()), "kind") + [""]
                lines += [f"### {dataset} · {run['system']} by language", ""]
                lines += table(list(run["by_lang"].items()), "lang") + [""]
    return "\n".join(lines)


def plots(runs: list[dict[str, Any]], out: Path) -> list[Path]:
    """hit@k curves, score distributions (in scope vs out of scope), hit@1 by kind."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for dataset in dict.fromkeys(r["dataset"] for r in runs):
        group = [r for r in runs if r["dataset"] == dataset]
        fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
        for run in group:
            curve = run["overall"]["hit_curve"]
            axes[0].plot(range(1, len(curve) + 1), curve, marker="o", label=run["system"])
        axes[0].set(title=f"{dataset}: hit@k", xlabel="k", ylabel="hit@k", ylim=(0, 1.02))
        axes[0].legend(fontsize=8)
        run = group[-1]
        scores_in = [r["top_score"] for r in run["rows"] if r["in_scope"] and r["top_score"] is not None]
        scores_out = [r["top_score"] for r in run["rows"] if not r["in_scope"] and r["top_score"] is not None]
        axes[1].hist(scores_in, bins=30, alpha=0.6, label=f"in scope ({len(scores_in)})")
        if scores_out:
            axes[1].hist(scores_out, bins=30, alpha=0.6, label=f"out of scope ({len(scores_out)})")
        axes[1].set(title=f"top score · {run['system']}", xlabel="score of the first result")
        axes[1].legend(fontsize=8)
        kinds = list(group[0]["by_kind"])
        width = 0.8 / len(group)
        for j, r in enumerate(group):
            values = [(r["by_kind"].get(k, {}).get("hit@1") or r["by_kind"].get(k, {}).get("end_to_end_accuracy") or 0) for k in kinds]
            axes[2].bar([i + j * width for i in range(len(kinds))], values, width=width, label=r["system"])
        axes[2].set_xticks([i + 0.4 - width / 2 for i in range(len(kinds))], kinds, rotation=30, ha="right", fontsize=8)
        axes[2].set(title="hit@1 by kind (out of scope: end-to-end)", ylim=(0, 1.02))
        fig.tight_layout()
        path = out / f"{dataset}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        written.append(path)
    return written


def write(runs: list[dict[str, Any]], out: Path, title: str) -> tuple[Path, Path, list[Path]]:
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "results.json"
    json_path.write_text(json.dumps(runs, ensure_ascii=False, indent=1), encoding="utf-8")
    md_path = out / "report.md"
    md_path.write_text(markdown(runs, title), encoding="utf-8")
    return json_path, md_path, plots(runs, out)


def compare(a: Path, b: Path) -> str:
    """Two results.json side by side: every dataset and system of each, with B - A deltas on shared pairs."""
    runs_a = {(r["dataset"], r["system"]): r for r in json.loads(a.read_text(encoding="utf-8"))}
    runs_b = {(r["dataset"], r["system"]): r for r in json.loads(b.read_text(encoding="utf-8"))}
    keys = ["hit@1", "hit@3", "mrr@10", "answer_accuracy", "end_to_end_accuracy", "abstention_precision"]
    lines = [f"# {a} (A) vs {b} (B)", "", "| dataset | system | " + " | ".join(f"{k} A → B" for k in keys) + " | p50 ms A → B |",
             "|" + "---|" * (len(keys) + 3)]
    pairs = sorted(set(runs_a) | set(runs_b))
    for key in pairs:
        ma = runs_a.get(key, {}).get("overall", {})
        mb = runs_b.get(key, {}).get("overall", {})
        cells = []
        for k in keys + ["latency_ms"]:
            va = ma.get(k, {}).get("p50") if k == "latency_ms" and ma else ma.get(k)
            vb = mb.get(k, {}).get("p50") if k == "latency_ms" and mb else mb.get(k)
            delta = f" ({vb - va:+.3f})" if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else ""
            cells.append(f"{_fmt(va)} → {_fmt(vb)}{delta}")
        lines.append(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
