"""Train and measure the answer / related / none decision (index.deciding.decide) across many help centers.

    python -m eval.decision rank              # index each dev corpus, calibrate it label-free, rank its questions (cached)
    python -m eval.decision loco              # leave-one-corpus-out on dev (choose) and test (report), the table per corpus
    python -m eval.decision sweep             # dev means over the answer threshold (leave-one-corpus-out)
    python -m eval.decision boosted           # logistic vs gradient-boosted answer model, same evidence, same constraints
    python -m eval.decision ship              # train on every corpus's dev questions, write index/deciding/data/decider.json

Everything per corpus is label-free, as on day one: the norms come from the FAQ itself and the
bundled off-topic lines. Models and thresholds are chosen on `dev` questions only; `test`
questions are scored by a model that never saw their corpus (leave-one-corpus-out).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from eval.decision_data import WORK, DevCorpus, Example, all_corpora
from eval.typos import misspelt
from faq.junk import junk_reason
from faq.retrieval import RetrievalConfig
from index.deciding.decide import MODEL_FILE, DecisionModel, Logistic
from index.deciding.evidence import FEATURES, CorpusTerms, gather, is_terse
from index.deciding.label_free import MARGIN, document_frequencies, off_topic_questions, terse_version
from index.disk.build import MANIFEST
from index.disk.calibration import Norms
from index.embedders import Embedder, EmbeddingCache
from index.pipeline import build_index, fit_label_free
from index.ranking.entries import open_index  # ready to search: the decision reads its entry table
from index.ranking.lexical import Analyzer
from index.ranking.search import Ranking
from ingest.corpus import load_corpus

OBJECTIVE = "balanced"
LIMIT = 20  # entries kept per ranking: leave-one-entry-out drops from these
MODEL_VERSION = "8"  # bump when the shipped model changes: labelled thresholds chosen for another are set aside
DUPLICATE = 0.93  # entries whose questions are this close (e5 cosine) are one entry for leave-one-out


class DiskCache(EmbeddingCache):
    """Question vectors kept on disk between runs (one file per model)."""

    def __init__(self, model: Embedder, folder: Path) -> None:
        super().__init__(model)
        self.path = folder / f"queries-{hashlib.sha256(model.name.encode()).hexdigest()[:10]}.pkl"
        if self.path.exists():
            self._queries.update(pickle.loads(self.path.read_bytes()))

    def save(self) -> None:
        self.path.write_bytes(pickle.dumps(self._queries))


@dataclass(frozen=True)
class Ranked:
    """One question's ranking as the decision sees it (the best LIMIT entries)."""

    entry_ids: tuple[str, ...]
    similarity: np.ndarray
    fused: np.ndarray
    signal_names: tuple[str, ...]
    signal_values: np.ndarray
    lang: str
    off_topic_margin: float | None
    dense_weights: tuple[float, ...]
    off_topic_signal: str

    @classmethod
    def of(cls, ranking: Ranking) -> Ranked:
        hits = ranking.hits
        return cls(tuple(h.entry_id for h in hits), np.array([h.similarity for h in hits], np.float32),
                   np.array([h.score for h in hits], np.float32), ranking.signal_names, ranking.signal_values, ranking.lang,
                   ranking.off_topic_margin, ranking.dense_weights, ranking.off_topic_signal)

    def without(self, entries: frozenset[str]) -> Ranked:
        keep = np.array([e not in entries for e in self.entry_ids], dtype=bool)
        return replace(self, entry_ids=tuple(e for e, k in zip(self.entry_ids, keep) if k), similarity=self.similarity[keep],
                       fused=self.fused[keep], signal_values=self.signal_values[keep],
                       off_topic_margin=self._margin_without(keep))

    def _margin_without(self, keep: np.ndarray) -> float | None:
        """The off-topic margin as if the left-out entries were not in the index: its FAQ side is the nearest entry
        that is left (a near-domain question has no entry of its own to be close to)."""
        if self.off_topic_margin is None or self.off_topic_signal not in self.signal_names or not len(keep):
            return self.off_topic_margin
        column = self.signal_values[:, self.signal_names.index(self.off_topic_signal)]
        after = float(column[keep].max()) if keep.any() else float(column.min())
        return self.off_topic_margin + float(column.max()) - after


@dataclass(frozen=True)
class Case:
    """An example made ready to decide: its ranking (maybe with entries left out) and labels."""

    corpus: str
    group: str
    example: Example
    ranked: Ranked
    threshold_today: float  # the label-free similarity threshold of the old decision, for the "today" column

    @property
    def right(self) -> bool:
        return bool(self.ranked.entry_ids) and self.ranked.entry_ids[0] in self.example.relevant


@dataclass(frozen=True)
class CorpusRun:
    name: str
    group: str
    norms: Norms
    threshold: float
    faq_langs: frozenset[str]
    cases: tuple[Case, ...]
    terms: CorpusTerms


def _embedders(work: Path) -> list[DiskCache]:
    from eval.systems import eval_embedders

    return [DiskCache(e, work) for e in eval_embedders()]


def rank_corpus(dev: DevCorpus, embedders: list[DiskCache], work: Path = WORK) -> CorpusRun:
    corpus = load_corpus(dev.corpus)
    key = hashlib.sha256(f"{corpus.checksum}|{'|'.join(e.name for e in embedders)}".encode()).hexdigest()[:10]
    path = work / "indexes" / f"{dev.name}-{key}"
    if not (path / MANIFEST).exists():
        build_index(corpus, [e.model for e in embedders], path)
    index = open_index(path, embedders[0].name)
    searcher, found = fit_label_free(index, RetrievalConfig(), list(embedders), off_topic_questions("dev"))
    calibration = found.calibration
    norms = calibration.norms
    assert norms is not None, "a label-free fit always has its norms"
    terse = _terse_versions(dev, searcher.analyzer, document_frequencies(searcher), frozenset(index.table.langs))
    examples = list(dev.examples)
    # synthetic terse versions of a third of the longer in-scope questions
    for e in dev.examples:
        if e.scope == "in" and not is_terse(e.text) and _share(e.text, 0.33, salt="terse") and (t := terse(e)) is not None:
            examples.append(replace(e, text=t, kind="synthetic-terse"))
    # misspelt versions (eval.typos) of a third of the in-scope questions: measured apart (`metrics`' misspelt_*), neither
    # learnt from nor choosing the thresholds (`learnt_from`, `thresholds_on`), nor made near-domain below
    for e in dev.examples:
        if e.scope == "in" and e.kind != "codemixed" and _share(e.text, 0.33, salt="typo") and (typo := misspelt(e.text, e.text)) != e.text:
            examples.append(replace(e, text=typo, kind=MISSPELT))
    # rankings depend on the index, its label-free calibration (the off-topic lines kept, the query bank) and how the
    # searcher weighs its signals (every field of RetrievalConfig: a changed default ranks again, even one its key leaves out)
    norms_key = hashlib.sha256(f"{json.dumps(norms.to_dict())}|{RetrievalConfig()!r}".encode()).hexdigest()[:8]
    cache = work / "rankings" / f"{dev.name}-{key}-{norms_key}.pkl"
    ranked: dict[str, Ranked] = pickle.loads(cache.read_bytes()) if cache.exists() else {}
    entries = index.records.entries
    for text in dict.fromkeys([*(e.text for e in examples), *(entry.question for entry in entries)]):
        if text not in ranked:
            ranked[text] = Ranked.of(searcher.rank(text, limit=LIMIT))
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(ranked))
    for model in embedders:
        model.save()
    duplicates = _duplicates(index)
    cases = [Case(dev.name, dev.group, e, ranked[e.text], calibration.threshold) for e in examples]
    # near-domain out of scope: a third of the in-scope questions, and every FAQ question (dev), with their entry left out
    for e in examples:
        if e.scope == "in" and e.kind != MISSPELT and _share(e.text, 0.33, salt="leave-out"):
            gone = frozenset(x for g in e.relevant for x in duplicates.get(g, {g}))
            cases.append(Case(dev.name, dev.group, Example(e.text, frozenset(), "near", "leave-entry-out", e.split, e.lang),
                              ranked[e.text].without(gone), calibration.threshold))
    for entry in entries:
        cases.append(Case(dev.name, dev.group, Example(entry.question, frozenset(), "near", "faq-question-left-out", "dev", entry.lang),
                          ranked[entry.question].without(frozenset(duplicates.get(entry.id, {entry.id}))), calibration.threshold))
    table = index.table
    return CorpusRun(dev.name, dev.group, norms, calibration.threshold, frozenset(table.langs), tuple(cases),
                     CorpusTerms(table))


def _terse_versions(dev: DevCorpus, faq_analyzer: Analyzer, faq_df: dict[str, int],
                    faq_langs: frozenset[str]) -> Callable[[Example], str | None]:
    """A question's terse version (label_free.terse_version) cut with its own language's stopwords and rarity: the FAQ's
    analyzer and document frequencies for a question in a FAQ language, else that language's analyzer and its terms'
    frequency over the corpus's questions in it. With the FAQ's, an English question asked of a French FAQ came out
    "would like" or "what the" (no French stopword, no French frequency among its words), a Hindi one "मैं अपने" (I, my).
    None for a code-mixed question (Hinglish, Taglish, Arabizi): no stopword list tells its content words."""
    analyzers: dict[str, Analyzer] = {}
    dfs: dict[str, Counter[str]] = defaultdict(Counter)
    for e in dev.examples:
        if e.lang and e.lang not in faq_langs and e.kind != "codemixed":
            analyzer = analyzers.setdefault(e.lang, Analyzer(e.lang))
            dfs[e.lang].update(set(analyzer.terms(e.text)))

    def terse(e: Example) -> str | None:
        if e.kind == "codemixed":
            return None
        if not e.lang or e.lang in faq_langs:
            return terse_version(e.text, faq_analyzer, faq_df)
        return terse_version(e.text, analyzers.setdefault(e.lang, Analyzer(e.lang)), dfs[e.lang])

    return terse


def _share(text: str, share: float, salt: str) -> bool:
    return hashlib.sha256(f"{salt}|{text}".encode()).digest()[0] / 256 < share


def _duplicates(index) -> dict[str, set[str]]:
    """Entry -> itself and the entries whose question vectors are within DUPLICATE of its own (primary model)."""
    layout = index.table.layout
    kinds = np.asarray(index.records.vector_kind, dtype=str)
    rows = np.flatnonzero(kinds == "question")
    vectors = index.store.take(rows)
    owners = [index.records.entries[i].id for i in layout.vector_entry[rows]]
    close = vectors @ vectors.T >= DUPLICATE
    out: dict[str, set[str]] = defaultdict(set)
    for a, b in zip(*np.nonzero(close)):
        out[owners[a]].add(owners[b])
    return out


def features(run: CorpusRun, case: Case) -> np.ndarray:
    r = case.ranked
    if not r.entry_ids:
        return np.zeros(len(FEATURES))
    ev = gather(case.example.text, r.similarity, r.fused, r.signal_names, r.signal_values, r.entry_ids, run.norms, run.terms,
                r.lang, run.faq_langs, r.off_topic_margin, 0.0, r.dense_weights)
    return ev.vector()


@dataclass
class Table:
    """Per corpus and split: X, labels, and what the old decision did."""

    X: np.ndarray
    y_answer: np.ndarray
    y_domain: np.ndarray
    scope: np.ndarray
    right: np.ndarray
    kind: np.ndarray
    corpus: np.ndarray
    group: np.ndarray
    split: np.ndarray
    today: np.ndarray  # the old label-free decision answered
    junk: np.ndarray
    terse: np.ndarray
    cross: np.ndarray


def table(runs: Sequence[CorpusRun]) -> Table:
    rows = []
    for run in runs:
        for c in run.cases:
            x = features(run, c)
            e = c.example
            r = c.ranked
            junk = junk_reason(e.text) is not None
            today = (bool(r.entry_ids) and not junk and float(r.similarity[0]) >= c.threshold_today
                     and not (r.off_topic_margin is not None and r.off_topic_margin > MARGIN))
            cross = e.scope == "in" and (e.kind == "crosslingual" or x[FEATURES.index("lang_mismatch")] > 0)
            rows.append((x, e.scope == "in" and c.right, e.scope != "generic", e.scope, c.right, e.kind, run.name, run.group,
                         e.split, today, junk, is_terse(e.text), cross))
    cols = list(zip(*rows))
    return Table(np.stack(cols[0]), *(np.array(col) for col in cols[1:]))


CODEMIXED_SHARE = 0.5  # in each corpus, the code-mixed in-scope questions weigh this share of its other in-scope ones


def _weights(t: Table, mask: np.ndarray) -> np.ndarray:
    """Every corpus weighs the same, and within one, each scope (in / near / generic) the same, the code-mixed in-scope
    questions CODEMIXED_SHARE of the other in-scope ones (`thresholds_on`); mean weight 1."""
    weights = np.ones(mask.sum())
    codemixed = t.kind[mask] == "codemixed"
    for corpus in np.unique(t.corpus[mask]):
        for scope in ("in", "near", "generic"):
            sel = (t.corpus[mask] == corpus) & (t.scope[mask] == scope) & ~codemixed
            if sel.any():
                weights[sel] = 1.0 / sel.sum()
        mixed = codemixed & (t.corpus[mask] == corpus)
        if mixed.any():
            weights[mixed] = CODEMIXED_SHARE / mixed.sum()
    return weights * len(weights) / weights.sum()


# evidence gathered (and shown with each decision) but not weighed: which of the question's words the corpus knows at all.
# Left out (model 8, 2026-12-07, leave-one-corpus-out, /work/exp8/drop.py): dev goals unmet 10 -> 9 (balanced accuracy
# 0.722 -> 0.720), test 10 -> 10, test code-mixed refused 0.375 -> 0.323, wrong answers 0.060 -> 0.057, near-domain
# answered 0.155 -> 0.158; unknown_same_lang alone left out: dev and test unchanged (10, 10). Its weight had come out
# positive for "answer" (+0.62), against its purpose (a question with a word no entry uses is less answerable). What a
# corpus "knows" depends on how its entries are written (CLINC's hand-written one-line entries against a help center's
# articles), which does not transfer.
UNWEIGHED = frozenset({"known_terms", "known_not_top", "unknown_same_lang"})
WEIGHED = tuple(f for f in FEATURES if f not in UNWEIGHED)
_COLUMNS = [FEATURES.index(f) for f in WEIGHED]


def fit_models(t: Table, mask: np.ndarray, C: float = 1.0) -> DecisionModel:
    """The answer and about-the-help-center models on the WEIGHED evidence of the `mask` rows."""
    from sklearn.linear_model import LogisticRegression

    X = t.X[mask][:, _COLUMNS]
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale < 1e-6] = 1.0
    Z = (X - mean) / scale
    weights = _weights(t, mask)
    models = []
    for y in (t.y_answer[mask], t.y_domain[mask]):
        lr = LogisticRegression(C=C, max_iter=2000)
        lr.fit(Z, y, sample_weight=weights)
        models.append(Logistic(tuple(float(w) for w in lr.coef_[0]), float(lr.intercept_[0])))
    return DecisionModel(WEIGHED, tuple(map(float, mean)), tuple(map(float, scale)), models[0], models[1], 0.5, 0.5)


def loco_boosted(t: Table, split: str) -> np.ndarray:
    """The answer probability of a gradient-boosted model (scikit-learn's HistGradientBoosting) on the same features and
    weights, leave-one-corpus-out: to see whether the model class or the evidence limits the decision."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    pa = np.zeros(len(t.X))
    for group in np.unique(t.group):
        mask = (t.group != group) & (t.split == "dev")
        model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40,
                                               l2_regularization=1.0, random_state=0)
        model.fit(t.X[mask][:, _COLUMNS], t.y_answer[mask], sample_weight=_weights(t, mask))
        sel = (t.group == group) & (t.split == split)
        pa[sel] = model.predict_proba(t.X[sel][:, _COLUMNS])[:, 1]
    return pa


def probabilities(model: DecisionModel, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both models' probabilities for rows of evidence in FEATURES order (the model reads its own features by name)."""
    Z = model.standardise_rows(X)
    return model.answer.probabilities(Z), model.domain.probabilities(Z)


def outcomes(pa: np.ndarray, pd: np.ndarray, junk: np.ndarray, answer_at: float, related_at: float) -> np.ndarray:
    """index.deciding.decide.grade over arrays (tests/test_decide.py holds them equal), with junk refused as the decider does."""
    # answered only when the question is also about this help center: on dev and test as good or better than without
    # (test mean e2e 0.877 against 0.874, generic shown 0.187 against 0.205), and it holds a degenerate labelled threshold
    out = np.where((pa >= answer_at) & (pd >= related_at), "answer", np.where(pd >= related_at, "related", "none"))
    return np.where(junk, "none", out)


def metrics(outcome: np.ndarray, t: Table, sel: np.ndarray) -> dict[str, float]:
    misspelt = sel & (t.kind == MISSPELT)
    sel = sel & ~misspelt  # the misspelt versions are measured apart (`misspelt_*`)
    ins = sel & (t.scope == "in")
    near, generic = sel & (t.scope == "near"), sel & (t.scope == "generic")
    answered = outcome == "answer"
    rate = lambda num, den: float(num.sum() / den.sum()) if den.sum() else float("nan")  # noqa: E731
    e2e_ok = np.where(t.scope == "in", answered & t.right, ~answered)
    return {
        "in": int(ins.sum()), "near": int(near.sum()), "generic": int(generic.sum()),
        "in_refused": rate(ins & (outcome == "none"), ins), "in_not_answered": rate(ins & ~answered, ins),
        "wrong_answer": rate(ins & answered & ~t.right, ins),
        "near_answered": rate(near & answered, near), "generic_answered": rate(generic & answered, generic),
        "generic_shown": rate(generic & (outcome != "none"), generic),
        "balanced": 0.5 * rate(ins & answered & t.right, ins) + 0.5 * rate((near | generic) & ~answered, near | generic),
        "terse_refused": rate(ins & t.terse & (outcome == "none"), ins & t.terse),
        "cross_refused": rate(ins & t.cross & (outcome == "none"), ins & t.cross),
        "codemixed_refused": rate(ins & (t.kind == "codemixed") & (outcome == "none"), ins & (t.kind == "codemixed")),
        "codemixed_right": rate(ins & (t.kind == "codemixed") & answered & t.right, ins & (t.kind == "codemixed")),
        "hit@1": rate(ins & t.right, ins), "e2e": rate(sel & e2e_ok, sel),
        "misspelt_refused": rate(misspelt & (outcome == "none"), misspelt),
        "misspelt_right": rate(misspelt & answered & t.right, misspelt), "misspelt_hit@1": rate(misspelt & t.right, misspelt),
    }


def mean_metrics(ms: Sequence[dict[str, float]]) -> dict[str, float]:
    """Each metric's mean over corpora (`metrics` of each), every corpus weighing the same."""
    return {k: float(np.nanmean([m[k] for m in ms])) for k in ms[0]}


MISSPELT = "synthetic-misspelt"


def learnt_from(t: Table) -> np.ndarray:
    """The rows the models learn from: all but the misspelt versions, which measure what a customer's typos cost."""
    return t.kind != MISSPELT


def thresholds_on(t: Table) -> np.ndarray:
    """The questions the thresholds are chosen on: all but the code-mixed ones (Hinglish, Taglish, Arabizi), which the
    models learn from (weighed CODEMIXED_SHARE of a corpus's in-scope questions, `_weights`) and the tables measure.

    Model 8 (2026-12-07, leave-one-corpus-out, `loco`, the known-words evidence still weighed): learnt from them at a share
    of 0.5, goals unmet dev 12 -> 10, test 11 -> 10; test in-scope refused 0.040 -> 0.034, terse 0.040 -> 0.035,
    cross-lingual 0.062 -> 0.058, code-mixed 0.372 -> 0.375; e2e 0.841 either way; generic off-topic shown related
    articles 0.265 -> 0.284 (the related threshold 0.525 -> 0.475). At a share of 1.0 (/work/exp8/cm4.py): dev 10 unmet
    too, test code-mixed refused 0.375. Learnt from at their natural weight (a few among a corpus's in-scope questions)
    with the thresholds chosen on them too: code-mixed refused 0.455 -> 0.375 in one run, the related threshold
    0.600 -> 0.700 in the next."""
    return (t.kind != "codemixed") & learnt_from(t)


def loco(t: Table, split: str, C: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Each corpus group's probabilities from models trained on the other groups' dev questions."""
    pa, pd = np.zeros(len(t.X)), np.zeros(len(t.X))
    for group in np.unique(t.group):
        model = fit_models(t, (t.group != group) & (t.split == "dev") & learnt_from(t), C)
        sel = (t.group == group) & (t.split == split)
        pa[sel], pd[sel] = probabilities(model, t.X[sel])
    return pa, pd


# the goals, per corpus (#27): a corpus above one of these fails it
GOALS = {"in_refused": 0.10, "wrong_answer": 0.10, "near_answered": 0.25, "generic_answered": 0.05, "terse_refused": 0.15,
         "cross_refused": 0.15}
SHOWN_AT_MOST = 0.20  # generic off-topic questions given related articles, on average: most get the contact card alone
BALANCED_SLACK = 0.02  # the mean balanced accuracy given up, at most, for fewer goals unmet per corpus


def goal_failures(ms: Sequence[dict[str, float]]) -> int:
    return sum(sum(1 for k, goal in GOALS.items() if m[k] == m[k] and m[k] > goal) for m in ms)


def choose_thresholds(t: Table, pa: np.ndarray, pd: np.ndarray) -> tuple[float, float, float]:
    """Among the thresholds within BALANCED_SLACK of the best mean balanced accuracy on dev (half the in-scope questions
    answered right, half the out-of-scope ones not answered: a set's share of out-of-scope questions says nothing of a
    help center's), the ones leaving the fewest goals unmet per dev corpus (each group of corpora counted once: the five
    translated watch FAQs are one help center), then the best balanced accuracy; all giving at most a fifth of generic
    off-topic questions related articles on average (SHOWN_AT_MOST).

    The fewest unmet goals alone grade most questions `related` (answer >= 0.625: 2 goals unmet on test, but in-scope
    questions not answered 0.614 and mean e2e 0.834 -> 0.827); the best balanced accuracy alone (model 5's choice, under
    mean ceilings) leaves 20 goals unmet on dev and 25 on test (eval.decision loco, 2026-12-07)."""
    dev = (t.split == "dev") & thresholds_on(t)
    corpora = np.unique(t.corpus[dev])
    group_of = {c: t.group[dev & (t.corpus == c)][0] for c in corpora}
    size = {g: sum(1 for c in corpora if group_of[c] == g) for g in set(group_of.values())}
    grid: list[tuple[float, float, float, float]] = []  # (weighted goals unmet, balanced, answer at, related at)
    for a in np.arange(0.2, 0.81, 0.025):
        for r in np.arange(0.05, 0.81, 0.025):
            out = outcomes(pa, pd, t.junk, a, r)
            by_group: dict[str, list[dict[str, float]]] = defaultdict(list)
            fails = 0.0
            for c in corpora:
                m = metrics(out, t, dev & (t.corpus == c))
                by_group[group_of[c]].append(m)
                fails += goal_failures([m]) / size[group_of[c]]
            mean = mean_metrics([mean_metrics(ms) for ms in by_group.values()])
            if mean["generic_shown"] <= SHOWN_AT_MOST:
                grid.append((round(fails, 6), mean[OBJECTIVE], float(a), float(r)))
    top = max(g[1] for g in grid)
    fails, balanced, a, r = min((g for g in grid if g[1] >= top - BALANCED_SLACK), key=lambda g: (g[0], -g[1]))
    return balanced, a, r


def run_all(work: Path = WORK, only: Sequence[str] = ()) -> list[CorpusRun]:
    embedders = _embedders(work)
    runs = []
    for dev in all_corpora(work):
        if only and dev.name not in only:
            continue
        print(f"ranking {dev.name} ({len(dev.examples)} questions)", file=sys.stderr, flush=True)
        runs.append(rank_corpus(dev, embedders, work))
    return runs


def report(t: Table, out: np.ndarray, split: str) -> str:
    """The table per corpus: the old decision (`today`), the new one, and an index never calibrated (`none`)."""
    lines = ["| corpus | decision | in-scope refused | not answered | wrong answer | near answered | generic answered "
             "| generic shown | terse refused | cross-lingual refused | code-mixed refused | hit@1 | e2e "
             "| misspelt refused | misspelt answered right | misspelt hit@1 |", "|" + "---|" * 16]
    sel_split = t.split == split
    corpora = list(dict.fromkeys(t.corpus[sel_split]))
    outcomes_by_name = {"none": np.where(t.junk, "none", "answer"), "today": np.where(t.today, "answer", "none"), "new": out}
    # each corpus's metrics once per decision: its rows, the mean row and the goals unmet read them
    per = {name: {c: metrics(outcome, t, sel_split & (t.corpus == c)) for c in corpora} for name, outcome in outcomes_by_name.items()}
    fmt = lambda v: "–" if v != v else f"{v:.3f}"  # noqa: E731
    for corpus in [*corpora, "all (mean)"]:
        for name in outcomes_by_name:
            m = mean_metrics(list(per[name].values())) if corpus == "all (mean)" else per[name][corpus]
            lines.append(f"| {corpus} | {name} | {fmt(m['in_refused'])} | {fmt(m['in_not_answered'])} | {fmt(m['wrong_answer'])} | "
                         f"{fmt(m['near_answered'])} | {fmt(m['generic_answered'])} | {fmt(m['generic_shown'])} | {fmt(m['terse_refused'])} | "
                         f"{fmt(m['cross_refused'])} | {fmt(m['codemixed_refused'])} | {fmt(m['hit@1'])} | {fmt(m['e2e'])} | "
                         f"{fmt(m['misspelt_refused'])} | {fmt(m['misspelt_right'])} | {fmt(m['misspelt_hit@1'])} |")
    lines.append(f"\nGoals unmet (corpus × goal, of {len(GOALS) * len(corpora)}): "
                 f"today {goal_failures(list(per['today'].values()))}, new {goal_failures(list(per['new'].values()))}")
    return "\n".join(lines)


def main(argv: Sequence[str]) -> None:
    command = argv[0] if argv else "loco"
    work = WORK
    work.mkdir(parents=True, exist_ok=True)
    cached = work / "table.pkl"
    if command == "rank" or not cached.exists():
        t = table(run_all(work))
        cached.write_bytes(pickle.dumps(t))
    else:
        t = pickle.loads(cached.read_bytes())
    if command == "rank":
        return
    # the logistic models' inverse regularisation: leave-one-corpus-out on dev, goals unmet C = 10: 12, 1: 11, 0.1: 10,
    # with wrong answers and near-domain answered a little lower on most watch FAQs (measured on the word-fixed evidence
    # while it still had the `outside` flag; model 7 as shipped, C = 0.1: 12 on dev, 11 on test)
    C = 0.1
    pa, pd = loco(t, "dev", C)
    e2e, a, r = choose_thresholds(t, pa, pd)
    print(f"thresholds chosen on dev (leave-one-corpus-out): answer >= {a:.3f}, related >= {r:.3f} (dev mean {OBJECTIVE} accuracy {e2e:.3f})")
    if command == "loco":
        print("## dev (leave-one-corpus-out)\n" + report(t, outcomes(pa, pd, t.junk, a, r), "dev"))
        ta, td = loco(t, "test", C)
        print("\n## test (leave-one-corpus-out)\n" + report(t, outcomes(ta, td, t.junk, a, r), "test"))
    if command == "sweep":  # how the dev mean moves with the answer threshold, the related one as chosen
        dev = t.split == "dev"
        corpora = np.unique(t.corpus[dev])
        print("| answer at | in-scope refused | not answered | wrong answer | near answered | generic answered | balanced | e2e |")
        print("|" + "---|" * 8)
        for at in np.arange(0.1, 0.501, 0.025):
            mean = mean_metrics([metrics(outcomes(pa, pd, t.junk, at, r), t, dev & (t.corpus == c)) for c in corpora])
            print(f"| {at:.3f} | " + " | ".join(f"{mean[k]:.3f}" for k in ("in_refused", "in_not_answered", "wrong_answer",
                                                                          "near_answered", "generic_answered", "balanced", "e2e")) + " |")
    if command == "boosted":  # the same constraints as choose_thresholds on the answer threshold, logistic vs boosted
        dev = t.split == "dev"
        corpora = np.unique(t.corpus[dev])
        for name, answer in (("logistic", pa), ("boosted", loco_boosted(t, "dev"))):
            best: tuple[float, float, dict[str, float]] = (-1.0, 0.0, {})
            for at in np.arange(0.05, 0.9, 0.01):
                ms = [metrics(outcomes(answer, pd, t.junk, at, r), t, dev & (t.corpus == c)) for c in corpora]
                m = mean_metrics(ms)
                if m["near_answered"] <= 0.2 and m["wrong_answer"] <= 0.08 and m["balanced"] > best[0]:
                    best = (m["balanced"], float(at), m)
            m = best[2]
            print(f"{name}: answer >= {best[1]:.2f}: balanced {m['balanced']:.3f}, not answered {m['in_not_answered']:.3f}, "
                  f"wrong {m['wrong_answer']:.3f}, near answered {m['near_answered']:.3f}, e2e {m['e2e']:.3f}")
    if command == "ship":
        model = fit_models(t, (t.split == "dev") & learnt_from(t), C)
        model = replace(model, answer_at=round(a, 4), related_at=round(r, 4), version=MODEL_VERSION)
        MODEL_FILE.write_text(json.dumps(model.to_dict(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MODEL_FILE}")
        for name, logistic in (("answer", model.answer), ("domain", model.domain)):
            print(name, ", ".join(f"{f} {w:+.2f}" for f, w in sorted(zip(model.features, logistic.weights), key=lambda p: -abs(p[1]))))


if __name__ == "__main__":
    main(sys.argv[1:])
