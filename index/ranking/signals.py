"""Ways to score every FAQ entry for a question. Each gives one score per entry and the chunk to show.

Entries are scored as a whole: an entry's dense score is the best of its vectors (question title,
alternative phrasings, answer chunks); its lexical score the best BM25 score of its chunks.

A dense signal may also know a query bank: how real questions (the calibration set's, labels
unused) score against each entry. An entry that every question comes close to is then worth less
for any one of them (querybank normalisation, Bogolin et al. 2022).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import bm25s
import numpy as np

from faq.retrieval import Aggregate
from faq.text import normalize
from index.disk.calibration import QueryBank
from index.disk.hubness import EXACT_UP_TO, at_open as hubness_at_open
from index.disk.records import Records
from index.disk.store import VectorStore
from index.embedders import Embedder
from index.ranking.lexical import ANALYZER, ANALYZERS, Bm25

# above this many vectors, only the nearest ones are scored exactly; the rest get the floor score
EXACT_LIMIT = EXACT_UP_TO
CANDIDATES = 1024


@dataclass(frozen=True)
class EntryScores:
    """`scores[i]` for entry i (records order), what fusion uses; `chunks[i]` is the index of the chunk
    to show; `matched` whether the signal saw it. Dense signals add the entries' cosine `similarity`
    (what abstention uses), the question vector and `nearest`, the plain cosine of the closest vector
    it scored."""

    scores: np.ndarray
    chunks: np.ndarray
    matched: np.ndarray
    similarity: np.ndarray | None = None
    query: np.ndarray | None = None
    nearest: float = 0.0
    candidates: np.ndarray | None = None  # a dense signal past EXACT_LIMIT: the entries it scored (None: all of them)


@dataclass(frozen=True)
class DenseScores(EntryScores):
    """A dense signal's: the entries' `similarity` and the question vector `query` are always there. `scored`: the plain
    cosines of the vectors it scored and their rows, `layout`: the index's (vector -> entry, passage or not), kept by
    reference (no copy, nothing computed per question) for `asked_elsewhere`, which a pin may ask for."""

    similarity: np.ndarray
    query: np.ndarray
    scored: tuple[np.ndarray, np.ndarray] | None = None
    layout: tuple[np.ndarray, np.ndarray] | None = None

    def asked_elsewhere(self, entry: int | None) -> float:
        """The plain cosine of the closest question-side vector (a question, a phrasing) of any entry but `entry` (None:
        of any entry); -inf when none was scored."""
        if self.scored is None or self.layout is None:
            return float("-inf")
        sims, rows = self.scored
        vector_entry, is_passage = self.layout
        keep = ~is_passage[rows] if entry is None else ~is_passage[rows] & (vector_entry[rows] != entry)
        return float(sims[keep].max()) if keep.any() else float("-inf")


def zscore(x: np.ndarray) -> np.ndarray:
    """Standardised over the entries: how the fusion and the query bank put signals on one scale.

    `(x - x.mean()) / (x.std() + 1e-9)` bit for bit (the same sums in the same order, in x's dtype), without numpy's
    Python-level mean and var wrappers: a ranking standardises up to four arrays, calibration ranks hundreds of questions
    (tests/test_retrieval.py compares it with that formula)."""
    n = x.size
    if n == 0:  # numpy's own warnings and NaN for an empty array
        return (x - x.mean()) / (x.std() + 1e-9)
    return _standardised(x - np.add.reduce(x, axis=None) / n)


def zscore_in_place(x: np.ndarray) -> np.ndarray:
    """`zscore(x)` bit for bit, written over `x` (a float array the caller owns and no longer needs): no array of x's
    size is allocated but one for the squares, where `zscore` allocates three (100,000 entries: a ranking
    standardises seven such arrays)."""
    n = x.size
    if n == 0 or x.dtype.kind != "f":
        return zscore(x)
    return _standardised(np.subtract(x, np.add.reduce(x, axis=None) / n, out=x))


def _standardised(centred: np.ndarray) -> np.ndarray:
    """`centred` divided by its root mean square (+1e-9), in place: zscore's last step."""
    spread = np.sqrt(np.add.reduce(centred * centred, axis=None) / centred.size) + 1e-9
    if np.result_type(centred, spread) != centred.dtype:  # (an integer array centred is float already: never here)
        return centred / spread
    return np.divide(centred, spread, out=centred)


def sorted_unique(x: np.ndarray) -> np.ndarray:
    """`np.unique(x)` of a 1-d array, by a sort: numpy 2.4's np.unique hashes, 80 us for 1,024 integers where this takes
    8 (the primary model's candidates, every question past EXACT_LIMIT)."""
    ordered = np.sort(x)
    keep = np.empty(len(ordered), dtype=bool)
    keep[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


class Signal(Protocol):
    name: str

    def score(self, question: str) -> EntryScores: ...


class EntryLayout:
    """Which entry each chunk and each vector belongs to, each entry's first chunk, and each vector's kind, as arrays."""

    def __init__(self, records: Records) -> None:
        position = {e.id: i for i, e in enumerate(records.entries)}
        self.n_entries = len(records.entries)
        self.chunk_entry = np.array([position[c.entry_id] for c in records.chunks], dtype=np.int64)
        self.first_chunk = np.zeros(self.n_entries, dtype=np.int64)
        entries, first = np.unique(self.chunk_entry, return_index=True)
        self.first_chunk[entries] = first
        self.vector_chunk = np.asarray(records.vector_chunk, dtype=np.int64)
        self.vector_entry = self.chunk_entry[self.vector_chunk]
        kinds = np.asarray(records.vector_kind, dtype=str)
        self.is_passage = kinds == "passage"
        self.is_alt = kinds == "alt"
        # each entry's vector rows: entry_rows[entry_start[i]:entry_start[i + 1]]
        self.entry_rows = np.argsort(self.vector_entry, kind="stable")
        self.entry_start = np.searchsorted(self.vector_entry[self.entry_rows], np.arange(self.n_entries + 1))
        self.entry_count = np.diff(self.entry_start)  # kept: rows_of ran np.diff over every entry twice a question

    def rows_of(self, entries: np.ndarray) -> np.ndarray:
        """Every vector row of these entries, entry after entry."""
        starts, counts = self.entry_start[entries], self.entry_count[entries]
        shift = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
        return self.entry_rows[np.arange(int(counts.sum())) + shift]


class DenseSignal:
    """Cosine similarity from one embedder's vectors, aggregated per entry.

    `aggregate="mean"` averages the entry's best question-side vector (title, alternative
    phrasings) and its best answer-side vector: an entry must match on both to rank first, which
    beats taking the single best vector on every set we measured. `hubness` subtracts, for each
    vector, that share of its mean similarity to its 5 nearest other vectors (CSLS): generic
    titles such as "Y a-t-il des frais pour les réparations de montres ?" otherwise attract
    every question that mentions a watch.
    """

    exact_limit = EXACT_LIMIT  # class-wide settings; a test may lower them on one signal to compare both paths
    candidates = CANDIDATES

    def __init__(
        self, embedder: Embedder, store: VectorStore, layout: EntryLayout, aggregate: Aggregate, hubness: float,
        neighbourhood: np.ndarray | None, bank: QueryBank | None, bank_weight: float, phrasing_discount: float,
    ) -> None:
        """Every scoring choice comes from the searcher's RetrievalConfig (faq.retrieval): no defaults here.

        `neighbourhood`: each vector's mean cosine to its nearest others, as the index stores it (index.disk.hubness);
        None for an index built before it was stored."""
        self.name = embedder.name
        self.embedder = embedder
        self.store = store
        self.layout = layout
        self.aggregate = aggregate
        self.vector_chunk = layout.vector_chunk
        self.vector_entry = layout.vector_entry
        self.is_passage = layout.is_passage
        if hubness and neighbourhood is None:
            neighbourhood = hubness_at_open(store)
        self.penalty = hubness * np.asarray(neighbourhood) if hubness else None  # in memory: read for every candidate
        if phrasing_discount:  # known phrasings ("alt" vectors) count a little less than the entry's own question
            discount = layout.is_alt.astype(np.float32) * phrasing_discount
            self.penalty = discount if self.penalty is None else self.penalty + discount
        # scores = (1 - w) z(similarity) + w z(similarity standardised per entry over the bank)
        self.bank = bank if bank is not None and bank_weight > 0 else None
        self.bank_weight = bank_weight
        # the bank's mean, and its spread + 1e-6 (what score divides by), as float32 arrays once (the bank is fixed with the signal)
        self._bank_mean = np.asarray(self.bank.mean, np.float32) if self.bank is not None else None
        self._bank_spread = np.asarray(self.bank.std, np.float32) + 1e-6 if self.bank is not None else None

    def embed(self, questions: list[str]) -> np.ndarray:
        """Question vectors, embedded as `score` embeds them."""
        return self.embedder.encode_queries([normalize(q) for q in questions])

    def score(self, question: str, leave_out: int | None = None, candidates: np.ndarray | None = None,
              query: np.ndarray | None = None) -> DenseScores:
        """`leave_out`: an entry (records position) scored as if its own question and phrasings were
        not indexed, its answer side standing for both sides; label-free calibration scores each FAQ
        question so, as an unseen paraphrase of it.

        Up to EXACT_LIMIT vectors every vector is scored. Past it the entries owning the CANDIDATES
        nearest vectors are, each with all its vectors (the hubness correction of each from the
        stored neighbourhoods), and every other entry gets the lowest score among them; `candidates`
        (entry positions: the primary model's) makes an ensemble member score those entries instead
        of searching all its vectors. Work per question is then bounded by the candidates, but for a
        few array operations over the entries. `query`: the question's vector (`embed`), when embedded already."""
        if query is None:
            query = self.embed([question])
        sims, rows, candidates = self._scored(query, candidates)
        keep = rows >= 0
        if leave_out is not None:
            keep &= ~((self.vector_entry[np.maximum(rows, 0)] == leave_out) & ~self.is_passage[np.maximum(rows, 0)])
        sims, rows = sims[keep], rows[keep]
        nearest = float(sims.max()) if len(sims) else 0.0
        scored = (sims, rows)  # before the hubness penalty: plain cosines
        if self.penalty is not None:
            sims = sims - self.penalty[rows]
        n = self.layout.n_entries
        floor = sims.min() if len(sims) else 0.0
        entries = self.vector_entry[rows]
        # the entries scored, ascending, and `local`: each row's entry among them. Past EXACT_LIMIT they are the candidates,
        # which own every row scored; each entry's sides are aggregated over these only (every other entry has the floor on
        # both sides, and (floor + floor) / 2 = floor), with no sort of the rows: an unordered maximum per entry, and for
        # the chunk shown the first of its best passages in row order, what a stable sort best first then the first
        # occurrence per entry picked
        if candidates is not None and len(candidates) and bool(np.all(candidates[1:] > candidates[:-1])):
            present, local = candidates, np.searchsorted(candidates, entries)
        else:
            present = sorted_unique(entries)
            local = np.searchsorted(present, entries)
        matched = np.zeros(n, dtype=bool)
        matched[entries] = True
        passage = self.is_passage[rows]
        scores = np.full(n, floor, dtype=np.float32)  # the one array of every entry's size built before standardising
        sides = []
        for side in (~passage, passage) if self.aggregate == "mean" else (slice(None),):
            best = np.full(len(present), floor, dtype=np.float32)
            np.maximum.at(best, local[side], sims[side])
            sides.append(best)
        if self.aggregate == "mean":
            if leave_out is not None:
                at = np.searchsorted(present, leave_out)
                if at < len(present) and present[at] == leave_out:  # else it has the floor on both sides
                    sides[0][at] = sides[1][at]
            scores[present] = (sides[0] + sides[1]) / 2
        else:
            scores[present] = sides[0]
        chunks = self.layout.first_chunk.copy()
        # show the answer piece whose own vector came closest: per entry, the first passage row with its best passage score
        at, passage_sims = local[passage], sims[passage]
        if self.aggregate == "mean" and sides[1].dtype == sims.dtype:
            top = sides[1]  # each entry's best passage score (the floor, the lowest of all, where it has none)
        else:
            top = np.full(len(present), -np.inf, dtype=sims.dtype)
            np.maximum.at(top, at, passage_sims)
        best_rows = np.flatnonzero(passage_sims == top[at])
        first = np.full(len(present), len(at), dtype=np.int64)
        np.minimum.at(first, at[best_rows], best_rows)
        shown = first < len(at)
        chunks[present[shown]] = self.vector_chunk[rows[passage][first[shown]]]
        ranked = scores
        mean, spread = self._bank_mean, self._bank_spread
        if mean is not None and spread is not None:
            per_entry = scores - mean
            if np.result_type(per_entry, spread) == per_entry.dtype:
                np.divide(per_entry, spread, out=per_entry)
            else:
                per_entry = per_entry / spread
            # (1 - w) z(scores) + w z(per entry), float32, each product and the sum written over the z-scores
            ranked = zscore(scores)
            ranked *= 1 - self.bank_weight
            per_entry = zscore_in_place(per_entry)
            per_entry *= self.bank_weight
            ranked = np.add(ranked, per_entry, out=ranked if ranked.dtype == np.result_type(ranked, per_entry) else None)
            ranked = ranked.astype(np.float32, copy=False)
        return DenseScores(ranked, chunks, matched, scores, query[0], nearest, candidates, scored=scored,
                           layout=(self.vector_entry, self.is_passage))

    def _scored(self, query: np.ndarray, candidates: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(cosines, vector rows) scored for the question, and the candidate entries (None: every vector was, best first)."""
        total = self.store.count()
        if candidates is None and total <= self.exact_limit:
            sims, rows = self.store.search(query, total)
            return sims[0], rows[0], None
        if candidates is not None:  # an ensemble member: the primary's candidates
            rows = self.layout.rows_of(candidates)
            return self.store.take(rows) @ query[0], rows, candidates
        found_sims, found = self.store.search(query, self.candidates)  # the primary: its nearest vectors name them
        found_sims, found = found_sims[0][found[0] >= 0], found[0][found[0] >= 0]
        candidates = sorted_unique(self.vector_entry[found])
        rest = self.layout.rows_of(candidates)
        searched = np.zeros(total, dtype=bool)
        searched[found] = True
        rest = rest[~searched[rest]]  # the candidates' other vectors: read back and scored here
        return np.concatenate((found_sims, self.store.take(rest) @ query[0])), np.concatenate((found, rest)), candidates


# bump when the text BM25 indexes or the manifest changes: BM25 stored with older indexes is then rebuilt at open.
# 1: parts [name, lang, chunks], built with analyzer 1; 2: parts [name, lang, chunks, analyzer] (index.ranking.lexical),
# each part searched with the analyzer it was built with, so an index saved before analyzer 2 ranks as it did
LEXICAL_FORMAT = 2
_LEXICAL_MANIFEST = "lexical.json"


def saved_analyzers(manifest: object) -> dict[str, int]:
    """The analyzer each language's part of a saved BM25 was built with, from its `lexical.json` ({} when unreadable)."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("parts"), list):
        return {}
    if manifest.get("format") == 1:
        return {str(p[1]): 1 for p in manifest["parts"] if isinstance(p, list) and len(p) == 3}
    if manifest.get("format") == LEXICAL_FORMAT:
        return {str(p[1]): p[3] for p in manifest["parts"] if isinstance(p, list) and len(p) == 4 and p[3] in ANALYZERS}
    return {}


def saved_analyzer(folder: Path | None, lang: str) -> int:
    """The analyzer of `lang` in the BM25 saved in `folder` (index.disk.build), else the current one."""
    return saved_analyzers(_read_json(folder / _LEXICAL_MANIFEST)).get(lang, ANALYZER) if folder is not None else ANALYZER


class LexicalSignal:
    """BM25 over chunks (titles + text); entries with no shared term score 0 and count as unmatched."""

    name = "bm25"

    def __init__(self, records: Records, layout: EntryLayout, lang: str, saved: Path | None = None) -> None:
        """`lang`: the analyzer of a one-language index. An index of several languages gets one BM25 per
        language, each over its own chunks with its own analyzer (a French stemmer mangles English);
        the question is analysed by each, and each chunk keeps the score of its own language's.

        `saved`: the folder `save` wrote for these records; loaded instead of built, unless it was
        written for other chunks or by another format (then built, as for an index without one). Loaded,
        each part analyses questions with the analyzer it was built with (`lexical.json` says which)."""
        self.layout = layout
        self._n = len(records.chunks)
        per_entry = np.bincount(layout.chunk_entry, minlength=layout.n_entries)[layout.chunk_entry]
        langs = sorted({c.lang for c in records.chunks})
        if len(langs) <= 1:
            self._plan = [("all", lang, np.arange(self._n))]
        else:
            chunk_langs = np.array([c.lang for c in records.chunks])
            self._plan = [(la, la, np.flatnonzero(chunk_langs == la)) for la in langs]
        self._routes = self._routes_of(per_entry == 1)
        versions = self._saved(_read_json(saved / _LEXICAL_MANIFEST)) if saved is not None else None
        if versions is not None:
            assert saved is not None
            self.analyzers = versions
            self.parts = [(rows, Bm25.load(saved / name, la, v)) for (name, la, rows), v in zip(self._plan, versions)]
            return
        alts = {e.id: " ".join(e.alt_questions) for e in records.entries}
        texts = [f"{c.section} {c.question} {c.question} {alts[c.entry_id] if c.part == 0 else ''} {c.text}" for c in records.chunks]
        self.analyzers = [ANALYZER] * len(self._plan)
        self.parts = [(rows, Bm25.build([texts[i] for i in rows], la)) for _, la, rows in self._plan]

    def _routes_of(self, alone: np.ndarray) -> list[tuple[np.ndarray | None, np.ndarray, np.ndarray, np.ndarray]]:
        """Per part of the plan, where `score` sends its BM25 scores: the positions whose chunk is `alone` (its entry's
        only one; None when every position is) and their entries, then the other positions and their chunks."""
        routes = []
        for _, _, rows in self._plan:
            one = alone[rows]
            at = np.flatnonzero(one)
            routes.append((None if len(at) == len(rows) else at, self.layout.chunk_entry[rows[at]], np.flatnonzero(~one),
                           rows[~one]))
        return routes

    def _saved(self, manifest: object) -> list[int] | None:
        """Each part's analyzer when `manifest` was written for these parts by this bm25s, else None (to build)."""
        if not isinstance(manifest, dict) or manifest.get("bm25s") != bm25s.__version__:
            return None
        parts = [[name, la, len(rows)] for name, la, rows in self._plan]
        if manifest.get("format") == 1 and manifest.get("parts") == parts:
            return [1] * len(parts)
        found = manifest.get("parts")
        if (manifest.get("format") != LEXICAL_FORMAT or not isinstance(found, list) or len(found) != len(parts)
                or any(not isinstance(f, list) or f[:3] != p or len(f) != 4 or f[3] not in ANALYZERS for f, p in zip(found, parts))):
            return None
        return [int(f[3]) for f in found]

    def _fingerprint(self) -> dict:
        return {"format": LEXICAL_FORMAT, "bm25s": bm25s.__version__,
                "parts": [[name, la, len(rows), v] for (name, la, rows), v in zip(self._plan, self.analyzers)]}

    def save(self, folder: Path) -> None:
        """One bm25s index per part, then `lexical.json` saying what they were built for (written last)."""
        folder.mkdir(parents=True, exist_ok=True)
        for (name, _, _), (_, bm25) in zip(self._plan, self.parts):
            bm25.save(folder / name)
        (folder / _LEXICAL_MANIFEST).write_text(json.dumps(self._fingerprint()), encoding="utf-8")

    def score(self, question: str) -> EntryScores:
        scores = np.zeros(self.layout.n_entries, dtype=np.float32)
        chunks = self.layout.first_chunk.copy()
        found_chunks, found_scores = [], []
        # each part's scores go straight to the entries, with no array of every chunk's score in between (at 100,000
        # entries that array, its two writes and three passes to find the other chunks matched took about 0.3 ms)
        for (_, bm25), (alone_at, alone_entry, other_at, other_chunk) in zip(self.parts, self._routes):
            part = np.asarray(bm25.scores(question), dtype=np.float32)
            # an entry of one chunk takes its chunk's score (its chunk is the one shown already): one gather and one write
            # for all of them, where the scatter below took 1.5 ms a question at 100,000 entries (30,000 chunks matched)
            alone = part if alone_at is None else part[alone_at]
            scores[alone_entry] = np.where(alone > 0, alone, 0)
            if len(other_at):  # the other chunks sharing a term with the question
                other = part[other_at]
                hit = other > 0
                found_chunks.append(other_chunk[hit])
                found_scores.append(other[hit])
        found = np.concatenate(found_chunks) if found_chunks else np.empty(0, np.int64)
        if len(found):
            entry, got = self.layout.chunk_entry[found], np.concatenate(found_scores)
            np.maximum.at(scores, entry, got)
            # each entry shows its best chunk; among equal scores the last one, as chunks always were picked
            tie = got == scores[entry]
            shown = sorted_unique(entry[tie])  # every entry matched here has a chunk at its best
            at = np.searchsorted(shown, entry[tie])
            best = np.full(len(shown), -1, dtype=np.int64)
            np.maximum.at(best, at, found[tie])
            chunks[shown] = best
        return EntryScores(scores, chunks, scores > 0)


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
