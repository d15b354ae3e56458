"""Deterministic selection of CLINC150 queries for the hand-written code-mixed variants.

For each split (dev = `val`, test = `test`):
  - 6 FAQ domains (banking, credit_cards, work, travel, auto_and_commute, kitchen_and_dining):
    2 queries per intent (that intent's queries of the split sorted by sha256 of the text, first 2);
  - the 4 other domains (home, utility, small_talk, meta): 1 query per intent, same way;
  - oos_val / oos_test: the first 30 queries sorted by sha256 of the text.
Language per query: sha256(text) mod 20 -> 0..14 hi-Latn (75%), 15..17 tl (15%), 18..19 ar-Latn (10%).

Usage: python pick_clinc_codemixed.py [--out selection.jsonl]   (prints JSON lines otherwise)
"""
import argparse
import hashlib
import json
import pathlib

CLINC = pathlib.Path("/work/shared/benchmarks/clinc150")
FAQ_DOMAINS = ["banking", "credit_cards", "work", "travel", "auto_and_commute", "kitchen_and_dining"]
OTHER_DOMAINS = ["home", "utility", "small_talk", "meta"]
SPLITS = {"dev": ("val", "oos_val"), "test": ("test", "oos_test")}


def h(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def lang_of(text):
    r = int(h(text), 16) % 20
    return "hi-Latn" if r < 15 else ("tl" if r < 18 else "ar-Latn")


def select():
    data = json.loads((CLINC / "data_full.json").read_text())
    domains = json.loads((CLINC / "domains.json").read_text())
    rows = []
    for split, (ins, oos) in SPLITS.items():
        by_intent: dict[str, list[str]] = {}
        for text, intent in data[ins]:
            by_intent.setdefault(intent, []).append(text)
        for dom in FAQ_DOMAINS + OTHER_DOMAINS:
            k = 2 if dom in FAQ_DOMAINS else 1
            for intent in domains[dom]:
                for text in sorted(by_intent[intent], key=h)[:k]:
                    rows.append({"source": text, "intent": intent, "domain": dom, "split": split,
                                 "lang": lang_of(text)})
        for text in sorted((t for t, _ in data[oos]), key=h)[:30]:
            rows.append({"source": text, "intent": "oos", "domain": "oos", "split": split,
                         "lang": lang_of(text)})
    return rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    args = ap.parse_args()
    lines = [json.dumps(r, ensure_ascii=False) for r in select()]
    if args.out:
        pathlib.Path(args.out).write_text("\n".join(lines) + "\n")
    else:
        print("\n".join(lines))
