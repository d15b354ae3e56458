"""Evaluation sets: a corpus, and questions with the entries that answer them (none: out of scope)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATASETS = Path(__file__).resolve().parent / "datasets"


@dataclass(frozen=True)
class EvalQuery:
    id: str
    text: str
    relevant: frozenset[str]
    fact: str | None
    kind: str
    lang: str
    split: str

    @property
    def in_scope(self) -> bool:
        return bool(self.relevant)


@dataclass(frozen=True)
class EvalSet:
    name: str
    corpus: Path
    queries: tuple[EvalQuery, ...]

    def split(self, which: str) -> EvalSet:
        if which == "all":
            return self
        return EvalSet(self.name, self.corpus, tuple(q for q in self.queries if q.split == which))


def _stable_split(query_id: str) -> str:
    return "dev" if hashlib.sha256(query_id.encode()).digest()[0] % 2 == 0 else "test"


def _watch() -> EvalSet:
    folder = DATASETS / "watch-faq"
    queries = []
    for line in (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            queries.append(EvalQuery(row["query_id"], row["text"], frozenset(row["relevant_entry_ids"]), row.get("fact"),
                                     row["kind"], row["lang"], row["split"]))
    return EvalSet("watch-faq", ROOT / "corpus", tuple(queries))


def _quebec(subset: str, name: str) -> EvalSet:
    folder = DATASETS / "quebec-covid-faq" / subset
    doc_id = json.loads((folder / "faq.manifest.json").read_text(encoding="utf-8"))["id"]
    queries = []
    for line in (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("is_canonical_question"):
            continue  # the FAQ's own wording: not a paraphrase
        queries.append(EvalQuery(row["query_id"], row["text"], frozenset(f"{doc_id}:{f}" for f in row["relevant_faq_ids"]),
                                 None, "paraphrase", row["lang"], _stable_split(row["query_id"])))
    return EvalSet(name, folder / "faq.jsonl", tuple(queries))


LOADERS = {
    "watch-faq": _watch,
    "quebec-fr": lambda: _quebec("fr_2020-03", "quebec-fr"),
    "quebec-en": lambda: _quebec("en_2020-05_crowd", "quebec-en"),
}


def load_dataset(name: str) -> EvalSet:
    if name not in LOADERS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(LOADERS)}")
    return LOADERS[name]()
