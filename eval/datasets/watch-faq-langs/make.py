"""Writes the FAQ files and questions of watch-faq-langs from the hand translations beside it.

faq-LANG.tsv: id, section, question, answer (\\n for a line break) of the bundled French FAQ, translated by hand
(same ids, group = id, as watch-faq-multi). questions.tsv: all 150 of watch-faq's questions (both splits, in scope
and out of scope), translated by hand into each language, same ids; split and relevant entries come from
watch-faq's queries.jsonl, which must hold every id of questions.tsv.

    python eval/datasets/watch-faq-langs/make.py
"""

import csv
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
LANGS = ("ar", "zh", "ja", "hi", "ru")
SOURCE = {q["query_id"]: q for q in map(json.loads, (HERE.parent / "watch-faq" / "queries.jsonl").read_text(encoding="utf-8").splitlines())}


def main() -> None:
    questions = list(csv.DictReader((HERE / "questions.tsv").open(encoding="utf-8"), delimiter="\t"))
    for lang in LANGS:
        rows = [line.split("\t") for line in (HERE / f"faq-{lang}.tsv").read_text(encoding="utf-8").splitlines() if line]
        faq = [{"id": i, "section": s, "question": q, "answer": a.replace("\\n", "\n"), "group": i} for i, s, q, a in rows]
        folder = HERE / lang
        folder.mkdir(exist_ok=True)
        (folder / f"enigme-ba793-faq.{lang}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in faq), encoding="utf-8")
        (folder / f"enigme-ba793-faq.{lang}.manifest.json").write_text(json.dumps(
            {"id": f"enigme-ba793-faq-{lang}", "title": "Énigme BA-793 — FAQ", "lang": lang,
             "source": "hand translation of the French FAQ (corpus/enigme-ba793-faq.fr.txt), same ids, group = id"},
            ensure_ascii=False) + "\n", encoding="utf-8")
        out = []
        for q in questions:
            source = SOURCE[q["id"]]
            out.append({"query_id": f"{q['id']}-{lang}", "text": q[lang], "relevant_entry_ids": source["relevant_entry_ids"],
                        "fact": None, "kind": "translated" if source["relevant_entry_ids"] else "out_of_scope", "lang": lang,
                        "split": source["split"]})
        (HERE / f"queries.{lang}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")


if __name__ == "__main__":
    main()
