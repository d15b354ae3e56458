"""`python -m eval.signals -d SET [-d SET…] [--split dev]`: hit@1 of each signal of the default searcher alone, and fused.

The searcher is the `default` system's (labelled calibration on the set's dev split: background words, query bank,
phrasing discount). Each in-scope question of the split is stripped of the background words as the searcher strips it,
then ranked by each signal on its own (`Searcher.explain`: the primary model, each ensemble member, BM25; the entry
with the highest score, none when BM25 matched nothing), and by the fused ranking (`Searcher.rank`). Also the weights the dense models got
(`Ranking.dense_weights`, by the detected language) and the languages detected. Issue #31: why a language ranks below
another (README, "Other languages and scripts"). `--rows FILE` writes every question's signals' first entries as JSON.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from eval.datasets import load_dataset
from eval.systems import SYSTEMS, ensure_index, eval_embedders
from index.deciding.calibrate import LabelledQuestion
from index.embedders import EmbeddingCache
from index.pipeline import fit
from index.ranking.entries import open_index


def signals(name: str, split: str, embedders: list[Any]) -> tuple[dict[str, float], list[dict[str, Any]], dict[str, Any]]:
    """Each signal's hit@1 on the set's split (and the fused ranking's), the per-question rows, and what was detected."""
    dataset = load_dataset(name)
    index = open_index(ensure_index(dataset, [getattr(e, "model", e) for e in embedders]), embedders[0].name)
    dev = [LabelledQuestion(q.text, q.relevant) for q in dataset.split("dev").queries if q.kind not in ("off-topic", "other-faq")]
    searcher, _ = fit(index, SYSTEMS["default"].retrieval, embedders, dev)
    ids = [e.id for e in index.records.entries]
    names: tuple[str, ...] = ()
    rows = []
    for q in dataset.split(split).queries:
        if not q.relevant:
            continue
        ranking, scored = searcher.explain(q.text, limit=1)
        names = ranking.signal_names[: len(ranking.dense_weights)]  # the dense models, the primary first
        row: dict[str, Any] = {"id": q.id, "text": q.text, "lang": ranking.lang, "relevant": sorted(q.relevant),
                               "weights": [round(w, 3) for w in ranking.dense_weights]}
        for signal in names:
            row[signal] = ids[int(np.argmax(scored[signal].scores))]
        lexical = scored.get("bm25")
        row["bm25"] = (ids[int(np.argmax(np.where(lexical.matched, lexical.scores, -1)))]
                       if lexical is not None and lexical.matched.any() else None)
        row["fused"] = ranking.hits[0].entry_id
        rows.append(row)
    hit = {signal: sum(r[signal] in r["relevant"] for r in rows) / len(rows) for signal in (*names, "bm25", "fused")}
    seen = {"langs": dict(Counter(r["lang"] for r in rows).most_common()), "background": sorted(searcher.background),
            "weights": dict(Counter(str(r["weights"]) for r in rows).most_common())}
    return hit, rows, seen


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m eval.signals", description=__doc__.split("\n\n")[0])
    parser.add_argument("-d", "--dataset", action="append", required=True)
    parser.add_argument("--split", default="dev", choices=("dev", "test", "all"))
    parser.add_argument("--rows", type=Path, help="write every question's first entries by signal here (JSON)")
    args = parser.parse_args()
    embedders = [EmbeddingCache(e) for e in eval_embedders()]
    every: dict[str, list[dict[str, Any]]] = {}
    for i, name in enumerate(args.dataset):
        hit, rows, seen = signals(name, args.split, embedders)
        every[name] = rows
        if i == 0:
            print(f"| set ({args.split} hit@1) | " + " | ".join(f"{k} alone" for k in hit if k != "fused") + " | fused | languages | background |")
            print("|---" * (len(hit) + 3) + "|")
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in hit.values())
              + f" | {seen['langs']} | {', '.join(seen['background']) or '-'} |", flush=True)
    if args.rows:
        args.rows.write_text(json.dumps(every, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
