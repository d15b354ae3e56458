"""Evaluation sets: a corpus, and questions with the entries that answer them (none: out of scope).

The bundled sets are named (`load_dataset`); a team's own FAQ and questions file make one with `own_dataset`.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from eval.typos import misspelt
from faq.errors import InvalidRequestError
from index.deciding.label_free import off_topic_lines
from ingest.corpus import load_corpus
from ingest.questions import read_questions, stable_split

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


def _watch() -> EvalSet:
    """The hand-written set for the bundled FAQ, in the same questions format a team writes (ingest.questions)."""
    return own_dataset(ROOT / "corpus", DATASETS / "watch-faq" / "queries.jsonl", "watch-faq")


def _quebec(subset: str, name: str) -> EvalSet:
    folder = DATASETS / "quebec-covid-faq" / subset
    doc_id = json.loads((folder / "faq.manifest.json").read_text(encoding="utf-8"))["id"]
    queries = []
    for line in (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("is_canonical_question"):
            continue  # the FAQ's own wording: not a paraphrase
        queries.append(EvalQuery(row["query_id"], row["text"], frozenset(f"{doc_id}:{f}" for f in row["relevant_faq_ids"]),
                                 None, "paraphrase", row["lang"], stable_split(row["query_id"])))
    return EvalSet(name, folder / "faq.jsonl", tuple(queries))


def own_dataset(corpus: Path, queries: Path, name: str | None = None) -> EvalSet:
    """A team's FAQ (file or folder) and labelled questions file (ingest.questions) as an eval set.

    Titles resolve against the corpus and unknown entry ids are refused, so a typo fails here with
    its line instead of scoring as a miss. A question's language defaults to its entry's ("und"
    for one the FAQ does not answer), its kind to "question"."""
    loaded = load_corpus(corpus)
    lang_of = {e.id: e.lang for e in loaded.entries}
    queries_out = tuple(
        EvalQuery(q.id, q.text, q.relevant, q.fact, q.kind or "question",
                  q.lang or (lang_of[min(q.relevant)] if q.relevant else "und"), q.split)
        for q in read_questions(queries, loaded)
    )
    return EvalSet(name or queries.stem, corpus, queries_out)


def with_phrasings(evalset: EvalSet, out: Path, accept: bool = True) -> EvalSet:
    """Half of each entry's paraphrases become known phrasings of the entry (`alt_questions`); the other half is scored.

    Measures what accepted phrasings buy, apart from the zero-shot numbers. The derived corpus is
    written under `out`, since a corpus is a file. With `accept=False` the same half is scored on
    the unchanged corpus (`<name>+heldout`): the zero-shot figure to compare against.
    """
    by_entry: dict[str, list[EvalQuery]] = {}
    for q in evalset.queries:
        if len(q.relevant) == 1:
            by_entry.setdefault(next(iter(q.relevant)), []).append(q)
    accepted: dict[str, list[str]] = {}
    scored: list[EvalQuery] = []
    for entry_id, queries in by_entry.items():
        queries = sorted(queries, key=lambda q: hashlib.sha256(q.id.encode()).hexdigest())
        half = len(queries) // 2
        accepted[entry_id] = [q.text for q in queries[:half]]
        scored += queries[half:]
    if not accept:
        return EvalSet(f"{evalset.name}+heldout", evalset.corpus, tuple(sorted(scored, key=lambda q: q.id)))
    folder = out / f"{evalset.name}+phrasings"
    folder.mkdir(parents=True, exist_ok=True)
    manifest = json.loads(evalset.corpus.with_name("faq.manifest.json").read_text(encoding="utf-8"))
    (folder / "faq.manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    lines = []
    for line in evalset.corpus.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        row["alt_questions"] = accepted.get(f"{manifest['id']}:{row['faq_id']}", [])
        lines.append(json.dumps(row, ensure_ascii=False))
    (folder / "faq.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return EvalSet(f"{evalset.name}+phrasings", folder / "faq.jsonl", tuple(sorted(scored, key=lambda q: q.id)))


def _watch_multi() -> EvalSet:
    """The watch-faq questions over the French FAQ plus its English translation (same group keys).

    Gold ids name both versions of the entry, so hit@1 counts either; which one comes first is what
    `in_question_lang` measures (eval.multilingual)."""
    base = _watch()
    folder = DATASETS / "watch-faq-multi"
    both = lambda ids: frozenset(f"{d}-{lang}:{local}" for d, _, local in (i.partition(":") for i in ids)  # noqa: E731
                                 for lang in ("fr", "en"))
    queries = tuple(replace(q, relevant=both(q.relevant)) for q in base.queries)
    return EvalSet("watch-faq-multi", folder, queries)


LANGS = ("ar", "zh", "ja", "hi", "ru")  # watch-faq-langs: the FAQ and all 150 questions translated by hand (its make.py)


def _watch_lang(lang: str, crosslingual: bool) -> EvalSet:
    """The 150 watch-faq questions translated into `lang`, over the FAQ in that language (`watch-faq-LANG`) or over the
    French original (`watch-faq-LANG-x`, cross-lingual). `watch-faq-langs-fr` is the same 150 in their original words."""
    folder = DATASETS / "watch-faq-langs"
    doc = "enigme-ba793-faq" if crosslingual else f"enigme-ba793-faq-{lang}"
    queries = []
    for line in (folder / f"queries.{lang}.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        relevant = frozenset(f"{doc}:{i.partition(':')[2]}" for i in row["relevant_entry_ids"])
        queries.append(EvalQuery(row["query_id"], row["text"], relevant, None, row["kind"], row["lang"], row["split"]))
    return EvalSet(f"watch-faq-{lang}" + ("-x" if crosslingual else ""), ROOT / "corpus" if crosslingual else folder / lang, tuple(queries))


def _watch_langs_fr() -> EvalSet:
    ids = {json.loads(line)["query_id"].rpartition("-")[0]
           for line in (DATASETS / "watch-faq-langs" / "queries.ru.jsonl").read_text(encoding="utf-8").splitlines()}
    base = _watch()
    return EvalSet("watch-faq-langs-fr", base.corpus, tuple(q for q in base.queries if q.id in ids))


# the other sets whose questions are out of scope for a set: the two Quebec FAQs answer each other's questions
_OTHERS = {"watch-faq": ("quebec-fr", "quebec-en"), "watch-faq-multi": ("quebec-fr", "quebec-en"), "quebec-fr": ("watch-faq",), "quebec-en": ("watch-faq",),
           "watch-faq-langs-fr": ("quebec-fr", "quebec-en"),
           **{f"watch-faq-{la}{x}": ("quebec-fr", "quebec-en") for la in LANGS for x in ("", "-x")}}


def with_out_of_scope(evalset: EvalSet) -> EvalSet:
    """The set plus out-of-scope questions it never saw: the bundled off-topic messages and the other sets' questions.

    Each keeps its own split, so `test` holds only the off-topic set's test half (its dev half
    calibrates label-free indexes). The Quebec sets are not added to each other: the French and
    English COVID FAQs answer many of the same questions."""
    extra = [EvalQuery(line.id, line.text, frozenset(), None, "off-topic", line.lang, line.split) for line in off_topic_lines()]
    for other in _OTHERS[evalset.name]:
        extra += [EvalQuery(f"{other}/{q.id}", q.text, frozenset(), None, "other-faq", q.lang, q.split) for q in LOADERS[other]().queries]
    return EvalSet(f"{evalset.name}+oos", evalset.corpus, evalset.queries + tuple(extra))


def with_typos(evalset: EvalSet) -> EvalSet:
    """The set with its in-scope questions misspelt (eval.typos); out-of-scope ones are left as written: the set measures
    whether misspelt questions still find their entry, the decision's other side as it was."""
    return EvalSet(f"{evalset.name}+typos", evalset.corpus,
                   tuple(replace(q, text=misspelt(q.text, q.id)) if q.in_scope else q for q in evalset.queries))


LOADERS: dict[str, Callable[[], EvalSet]] = {
    "watch-faq": _watch,
    "watch-faq-multi": _watch_multi,
    "quebec-fr": lambda: _quebec("fr_2020-03", "quebec-fr"),
    "quebec-en": lambda: _quebec("en_2020-05_crowd", "quebec-en"),
    "watch-faq-langs-fr": _watch_langs_fr,
    **{f"watch-faq-{la}{x}": functools.partial(_watch_lang, la, bool(x)) for la in LANGS for x in ("", "-x")},
}


def load_dataset(name: str) -> EvalSet:
    """A named set; `<name>+phrasings` has half its paraphrases accepted as known phrasings, `<name>+heldout` is the
    other half alone, `<name>+oos` adds out-of-scope questions from elsewhere (`with_out_of_scope`), `<name>+typos` misspells
    its in-scope questions (eval.typos)."""
    base, _, variant = name.partition("+")
    if base not in LOADERS or variant not in ("", "phrasings", "heldout", "oos", "typos"):
        raise InvalidRequestError(f"unknown dataset {name!r}; choose one of {', '.join(LOADERS)} "
                                  "(or NAME+phrasings, NAME+heldout, NAME+oos, NAME+typos)")
    evalset = LOADERS[base]()
    if variant == "typos":
        return with_typos(evalset)
    if variant == "oos":
        return with_out_of_scope(evalset)
    return with_phrasings(evalset, ROOT / "var" / "eval-corpus", accept=variant == "phrasings") if variant else evalset
