"""Development data for the answer / related / none decision: many help centers' questions, each labelled in scope,
near the domain (about this help center, not answered by its FAQ) or generic (nothing to do with it).

Corpora (each with `dev` and `test` questions):
- `watch-faq`, `quebec-fr`, `quebec-en`: the labelled sets, with hand-written terse and cross-lingual
  variants of their dev questions (`eval/datasets/variants/`), the watch shop's own out-of-scope
  questions (near), the bundled off-topic lines and the other sets' questions (generic);
- `clinc-<domain>-en` / `clinc-<domain>-fr`: six CLINC150 domains made FAQs (`eval/datasets/clinc150-faq/`,
  an entry per intent, in English and in French: the French ones are asked in English, cross-lingual);
  three intents of each are left out of its FAQ (their queries are near-domain out of scope), other
  domains' queries and CLINC's `oos` queries are generic (banking and credit cards are each other's near).
Synthetic cases any FAQ yields are added by `eval.decision`: terse versions of questions, and each
question with its entry (and near-duplicates) left out of the ranking (near-domain).
CLINC's `val` queries are `dev`, its `test` ones `test`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from eval.datasets import DATASETS, LANGS, LOADERS, ROOT
from index.deciding.label_free import off_topic_lines

CLINC = ROOT.parent / "shared" / "benchmarks" / "clinc150"
CLINC_FAQ = DATASETS / "clinc150-faq" / "entries.jsonl"
VARIANTS = DATASETS / "variants"
CODEMIXED = VARIANTS / "clinc-codemixed.jsonl"  # CLINC queries of both splits written code-mixed (Hinglish, Taglish, Arabizi)
WORK = ROOT / "var" / "decision"
FAQ_DOMAINS = ("banking", "credit_cards", "work", "travel", "auto_and_commute", "kitchen_and_dining")
GENERIC_DOMAINS = ("home", "utility", "small_talk", "meta")
NEAR_PAIRS = {"banking": "credit_cards", "credit_cards": "banking"}
LEFT_OUT = (2, 7, 12)  # positions in each domain's intent list (domains.json order): their queries are near-domain
GENERIC_PER_INTENT = {"dev": 6, "test": 8}  # other domains' queries per intent asked of each CLINC FAQ

Scope = Literal["in", "near", "generic"]


@dataclass(frozen=True)
class Example:
    text: str
    relevant: frozenset[str]  # the entries that answer it (empty: out of scope)
    scope: Scope
    kind: str  # paraphrase, terse, crosslingual, keywords… for in-scope; where it came from otherwise
    split: str
    lang: str = ""


@dataclass(frozen=True)
class DevCorpus:
    name: str
    group: str  # corpora sharing questions (a CLINC domain's two languages) are left out together
    corpus: Path
    examples: tuple[Example, ...]


def _pick(key: str, share: float) -> bool:
    return hashlib.sha256(key.encode()).digest()[1] / 256 < share


def labelled_corpora() -> list[DevCorpus]:
    """watch-faq, quebec-fr, quebec-en with their variants and out-of-scope questions."""
    out = []
    others = {"watch-faq": ("quebec-fr", "quebec-en"), "quebec-fr": ("watch-faq",), "quebec-en": ("watch-faq",)}
    loaded = {name: LOADERS[name]() for name in others}
    generic_lines = [Example(line.text, frozenset(), "generic", "off-topic", line.split, line.lang) for line in off_topic_lines()]
    for name, evalset in loaded.items():
        examples = [Example(q.text, q.relevant, "in" if q.relevant else "near", q.kind if q.relevant else "own-oos", q.split, q.lang)
                    for q in evalset.queries]
        prefix = next(iter(next(q for q in evalset.queries if q.relevant).relevant)).split(":")[0] + ":"
        variants = VARIANTS / f"{name}.dev.jsonl"
        for line in variants.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            relevant = frozenset(r if ":" in r else prefix + r for r in row["relevant"])
            examples.append(Example(row["text"], relevant, "in", row["kind"], "dev", row["lang"]))
        examples += generic_lines
        for other in others[name]:
            # a sample of the other sets' questions (Quebec's are many): other businesses' customers
            examples += [Example(q.text, frozenset(), "generic", "other-faq", q.split, q.lang)
                         for q in loaded[other].queries if _pick(q.id, 0.3)]
        if name == "watch-faq":
            examples += _translated_questions(crosslingual=True)
        out.append(DevCorpus(name, name, evalset.corpus, tuple(examples)))
    return out


def _translated_questions(crosslingual: bool, lang: str | None = None) -> list[Example]:
    """The watch shop's questions translated by hand (`eval/datasets/watch-faq-langs`): over the French FAQ
    (cross-lingual, every language) or over the FAQ in their own language (`lang`)."""
    out = []
    for la in LANGS if lang is None else (lang,):
        evalset = LOADERS[f"watch-faq-{la}" + ("-x" if crosslingual else "")]()
        out += [Example(q.text, q.relevant, "in" if q.relevant else "near", "crosslingual" if crosslingual else q.kind if q.relevant
                        else "own-oos", q.split, q.lang) for q in evalset.queries]
    return out


def _moved(entry_ids: frozenset[str], document: str) -> frozenset[str]:
    return frozenset(f"{document}:{i.partition(':')[2]}" for i in entry_ids)


def translated_watch_corpora(watch: DevCorpus) -> list[DevCorpus]:
    """The watch FAQ translated by hand into Arabic, Chinese, Japanese, Hindi and Russian, asked the watch shop's
    questions (French, English, Spanish…: cross-lingual, other scripts) and the translated ones (same language).

    Cross-lingual questions score lower than same-language ones, and by how much depends on the pair:
    Latin-script French/English pairs alone teach the decision too small a drop. One group: they share
    their questions."""
    out = []
    for lang in LANGS:
        examples = [replace(e, relevant=_moved(e.relevant, f"enigme-ba793-faq-{lang}"), kind="crosslingual" if e.scope == "in" and e.lang != lang else e.kind)
                    for e in watch.examples if not (e.scope == "in" and e.lang == lang)]
        examples += _translated_questions(crosslingual=False, lang=lang)
        out.append(DevCorpus(f"watch-faq-{lang}", "watch-faq-xl", DATASETS / "watch-faq-langs" / lang, tuple(examples)))
    return out


def clinc_corpora(work: Path = WORK) -> list[DevCorpus]:
    """Six CLINC150 domains as FAQs in English and in French (written under `work`), with their questions."""
    domains: dict[str, list[str]] = json.loads((CLINC / "domains.json").read_text(encoding="utf-8"))
    data = json.loads((CLINC / "data_full.json").read_text(encoding="utf-8"))
    entries = [json.loads(line) for line in CLINC_FAQ.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_intent = {e["intent"]: e for e in entries}
    domain_of = {intent: d for d, intents in domains.items() for intent in intents}
    queries = {"dev": data["val"], "test": data["test"]}
    oos = {"dev": data["oos_val"], "test": data["oos_test"]}
    codemixed = _codemixed_versions()
    out = []
    for domain in FAQ_DOMAINS:
        intents = domains[domain]
        left_out = {intents[i] for i in LEFT_OUT}
        kept = [i for i in intents if i not in left_out]
        for lang in ("en", "fr"):
            name = f"clinc-{domain.replace('_', '-')}-{lang}"
            folder = work / "corpora" / name
            folder.mkdir(parents=True, exist_ok=True)
            rows = [{"id": i, "question": by_intent[i][f"question_{lang}"], "answer": by_intent[i][f"answer_{lang}"],
                     "section": by_intent[i][f"section_{lang}"], "lang": lang} for i in kept]
            text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n"
            path = folder / "faq.jsonl"
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
                (folder / "faq.manifest.json").write_text(json.dumps({"id": name, "title": f"{domain} help center", "lang": lang}),
                                                          encoding="utf-8")
            examples = []
            for split in ("dev", "test"):
                seen: dict[str, int] = {}
                for text_q, intent in queries[split]:
                    d = domain_of[intent]
                    if d == domain:
                        if intent in left_out:
                            examples.append(Example(text_q, frozenset(), "near", "left-out-intent", split, "en"))
                        else:
                            examples.append(Example(text_q, frozenset({f"{name}:{intent}"}), "in",
                                                    "crosslingual" if lang == "fr" else "paraphrase", split, "en"))
                    elif NEAR_PAIRS.get(domain) == d:
                        if seen.setdefault(intent, 0) < GENERIC_PER_INTENT[split]:
                            seen[intent] += 1
                            examples.append(Example(text_q, frozenset(), "near", "neighbour-domain", split, "en"))
                    elif seen.setdefault(intent, 0) < GENERIC_PER_INTENT[split]:
                        seen[intent] += 1
                        examples.append(Example(text_q, frozenset(), "generic", f"other-domain:{d}", split, "en"))
                examples += [Example(t, frozenset(), "generic", "oos", split, "en") for t, _ in oos[split]]
                examples += _codemixed(codemixed, name, domain, left_out, domain_of, split)
                examples += [Example(line.text, frozenset(), "generic", "off-topic", line.split, line.lang)
                             for line in off_topic_lines() if line.split == split]
            out.append(DevCorpus(name, f"clinc-{domain.replace('_', '-')}", folder / "faq.jsonl", tuple(examples)))
    return out


def _codemixed_versions() -> list[dict[str, str]]:
    """CLINC queries of both splits written code-mixed (`CODEMIXED`: source, intent, split, text, lang)."""
    if not CODEMIXED.exists():
        return []
    return [json.loads(line) for line in CODEMIXED.read_text(encoding="utf-8").splitlines() if line.strip()]


def _codemixed(rows: list[dict[str, str]], name: str, domain: str, left_out: set[str], domain_of: dict[str, str],
               split: str) -> list[Example]:
    """`split`'s code-mixed questions as asked of the FAQ `name` of `domain`: in scope, near or generic as their CLINC
    query would be, kind `codemixed` (and cross-lingual too over the French FAQs).

    Customers of many help centers write so ("mera card block ho gaya kya karu"); without such questions the decision
    meets a sentence of mostly unknown words only in off-topic lines, and learns to refuse it."""
    out = []
    for row in rows:
        if row["split"] != split:
            continue
        intent = row["intent"]
        d = domain_of.get(intent)
        if d == domain and intent not in left_out:
            out.append(Example(row["text"], frozenset({f"{name}:{intent}"}), "in", "codemixed", split, row["lang"]))
        elif d == domain or (d is not None and NEAR_PAIRS.get(domain) == d):
            out.append(Example(row["text"], frozenset(), "near", "codemixed", split, row["lang"]))
        else:
            out.append(Example(row["text"], frozenset(), "generic", "codemixed", split, row["lang"]))
    return out


def all_corpora(work: Path = WORK) -> list[DevCorpus]:
    labelled = labelled_corpora()
    return labelled + translated_watch_corpora(labelled[0]) + clinc_corpora(work)


def write_questions(dev: DevCorpus) -> Path:
    """The corpus's in-scope questions as a questions file beside its FAQ (`questions.jsonl`, the format `faq eval --queries`
    and `python -m benchmarks.peer --queries` read), each in its split; rewritten only when it changes."""
    rows = [{"text": e.text, "relevant_entry_ids": sorted(e.relevant), "split": e.split, "lang": e.lang or None, "kind": e.kind}
            for e in dev.examples if e.scope == "in"]
    text = "".join(json.dumps({k: v for k, v in r.items() if v is not None}, ensure_ascii=False) + "\n" for r in rows)
    path = dev.corpus.parent / "questions.jsonl"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


if __name__ == "__main__":  # python -m eval.decision_data: write the CLINC FAQs and their questions files under var/decision/corpora
    for built in clinc_corpora():
        print(built.corpus, write_questions(built))
