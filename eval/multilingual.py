"""Does a multilingual FAQ answer in the asker's language without losing accuracy?

The issue's bar: "a question in language X gets its answer in X whenever the FAQ has X, and hit@1 is
no worse than searching one language alone". Compares the watch-faq questions over the French FAQ
(`watch-faq`) with the same questions over French + English (`watch-faq-multi`), per split, and
gives the share of questions answered in their own language, by language.

    python -m eval.multilingual [--system default] [--split dev --split test]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from eval.datasets import load_dataset
from eval.run import evaluate
from eval.systems import SYSTEMS, build_system


def compare(system: str = "default", splits: tuple[str, ...] = ("dev", "test")) -> dict[str, Any]:
    """hit@1 and end-to-end accuracy on one language vs several, and `in_question_lang` by question language."""
    out: dict[str, Any] = {}
    for split in splits:
        row: dict[str, Any] = {}
        for name in ("watch-faq", "watch-faq-multi"):
            dataset = load_dataset(name)
            report = evaluate(dataset.split(split), build_system(SYSTEMS[system], dataset), system, show_progress=False)
            row[name] = {"hit@1": report["overall"]["hit@1"], "e2e": report["overall"]["end_to_end_accuracy"]}
            if name == "watch-faq-multi":
                row["in_question_lang"] = {lang: s["in_question_lang"] for lang, s in report["by_lang"].items()}
                row["answer_langs"] = _answer_langs(report["rows"])
        out[split] = row
    return out


def _answer_langs(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """For each question language, how many in-scope questions were answered from each FAQ language."""
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        if r["in_scope"]:
            by = counts.setdefault(r["lang"], {})
            by[r["answer_lang"]] = by.get(r["answer_lang"], 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", default="default", choices=sorted(SYSTEMS))
    parser.add_argument("--split", action="append", choices=("dev", "test", "all"))
    args = parser.parse_args()
    print(json.dumps(compare(args.system, tuple(args.split or ("dev", "test"))), indent=2))


if __name__ == "__main__":
    main()
