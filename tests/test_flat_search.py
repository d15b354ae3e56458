"""Per-question work bounded by the candidates, not the corpus: the shortcuts give what the full computation gives."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import numpy as np
import pytest

from benchmarks.synthetic import synthetic_corpus
from faq.errors import IndexError_
from faq.retrieval import RetrievalConfig
from index.disk.hubness import hubness_file, neighbourhood
from index.disk.store import FaissStore
from index.pipeline import build_index, open_searcher
from index.ranking.entries import SearchableIndex, open_index
from index.ranking.search import Filters, Searcher, best_first
from index.ranking.signals import DenseSignal, LexicalSignal

QUESTIONS = ["Can I go to work if I am 70 years old?", "Should I wash the food I buy at the grocery store?",
             "Est-ce que les écoles sont fermées ?", "Quels moyens de paiement acceptez-vous ?", "masks in public transport",
             "où est mon colis", "zzz qqq"]


@pytest.fixture(scope="module")
def synthetic_dir(tmp_path_factory: pytest.TempPathFactory, fake_models: list) -> Path:
    """300 synthetic entries in two languages, cut into small chunks so that most entries have several."""
    path = tmp_path_factory.mktemp("flat") / "index"
    build_index(synthetic_corpus(300, seed=3).corpus, fake_models, path, max_chars=220, overlap=40)
    return path


@pytest.fixture(scope="module")
def synthetic(synthetic_dir: Path) -> SearchableIndex:
    return open_index(synthetic_dir)


@pytest.fixture(scope="module")
def flat_searcher(synthetic: SearchableIndex, fake_models: list) -> Searcher:
    return open_searcher(synthetic, RetrievalConfig(), fake_models)


def test_best_first_is_the_start_of_a_stable_sort() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 60))
        scores = rng.integers(0, 6, n).astype(np.float64)  # many ties
        candidates = np.flatnonzero(rng.random(n) < 0.7)
        count = int(rng.integers(1, n + 2))
        expected = [i for i in np.argsort(-scores, kind="stable") if i in set(candidates)][:count]
        assert best_first(scores, candidates, count).tolist() == expected
        every = np.argsort(-scores, kind="stable")[:count].tolist()
        assert best_first(scores, None, count).tolist() == every == best_first(scores, np.arange(n), count).tolist()


def test_ranking_the_first_few_equals_the_start_of_ranking_all(flat_searcher: Searcher) -> None:
    for question in QUESTIONS:
        every = flat_searcher.rank(question).hits
        assert len(every) == 300
        assert flat_searcher.rank(question, limit=7).hits == every[:7]


def test_filtered_ranking_keeps_only_the_allowed_entries_in_order(flat_searcher: Searcher) -> None:
    every = flat_searcher.rank(QUESTIONS[0]).hits
    filtered = flat_searcher.rank(QUESTIONS[0], Filters(langs=frozenset({"fr"})), limit=5)
    assert filtered.hits and all(h.chunk.lang == "fr" for h in filtered.hits)
    assert [h.entry_id for h in filtered.hits] == [h.entry_id for h in every if h.chunk.lang == "fr"][:5]
    assert filtered.filtered_out == sum(1 for h in every if h.chunk.lang != "fr")


def test_translations_fold_the_same_with_few_or_all_results(fake_models: list, tmp_path: Path) -> None:
    from ingest.corpus import load_corpus

    multi = Path(__file__).resolve().parent.parent / "eval" / "datasets" / "watch-faq-multi"
    build_index(load_corpus(multi), fake_models, tmp_path / "multi")
    searcher = open_searcher(open_index(tmp_path / "multi"), RetrievalConfig(), fake_models)
    for question in ("How can I track my parcel?", "Comment puis-je suivre mon colis ?", "garantie"):
        every = searcher.rank(question).hits
        for limit in (1, 3, 12):
            assert searcher.rank(question, limit=limit).hits == every[:limit]


def _loop_lexical(signal: LexicalSignal, question: str) -> tuple[np.ndarray, np.ndarray]:
    """BM25 per entry and its chunk shown, as one loop over every chunk (the reference)."""
    chunk_scores = np.zeros(signal._n, dtype=np.float32)
    for rows, bm25 in signal.parts:
        chunk_scores[rows] = bm25.scores(question)
    layout = signal.layout
    scores = np.zeros(layout.n_entries, dtype=np.float32)
    np.maximum.at(scores, layout.chunk_entry, chunk_scores)
    chunks = layout.first_chunk.copy()
    for c in np.argsort(chunk_scores, kind="stable"):
        if chunk_scores[c] > 0:
            chunks[layout.chunk_entry[c]] = c
    return scores, chunks


def test_bm25_per_entry_equals_the_loop_over_every_chunk(synthetic: SearchableIndex) -> None:
    signal = synthetic.table.lexical
    assert len(synthetic.records.chunks) > 1.5 * len(synthetic.records.entries)  # entries of several chunks
    for question in QUESTIONS:
        got = signal.score(question)
        scores, chunks = _loop_lexical(signal, question)
        np.testing.assert_array_equal(got.scores, scores)
        np.testing.assert_array_equal(got.chunks, chunks)


def test_bm25_of_one_chunk_entries_taken_at_once_equals_the_scatter_over_every_matched_chunk(synthetic: SearchableIndex) -> None:
    signal = synthetic.table.lexical
    layout = synthetic.table.layout
    alone = np.bincount(layout.chunk_entry)[layout.chunk_entry] == 1
    assert 0 < alone.sum() < len(synthetic.records.entries)  # entries of one chunk and of several
    scatter = copy.copy(signal)  # every chunk through the scatter, as before
    scatter._routes = signal._routes_of(np.zeros(signal._n, dtype=bool))
    for question in [*QUESTIONS, "montre", "the a of"]:
        fast, slow = signal.score(question), scatter.score(question)
        for field in ("scores", "chunks", "matched"):
            np.testing.assert_array_equal(getattr(fast, field), getattr(slow, field))


def _signal(searcher: Searcher, candidates: int | None) -> DenseSignal:
    """The searcher's primary signal, scoring only the `candidates` nearest vectors (None: every vector)."""
    signal = searcher.primary
    copy = DenseSignal.__new__(DenseSignal)
    copy.__dict__.update(signal.__dict__)
    if candidates is not None:
        copy.exact_limit, copy.candidates = 0, candidates
    return copy


def test_candidate_entries_are_scored_as_exhaustive_search_scores_them(flat_searcher: Searcher) -> None:
    exhaustive, bounded = _signal(flat_searcher, None), _signal(flat_searcher, 300)
    layout = flat_searcher.layout
    for question in QUESTIONS:
        full, part = exhaustive.score(question), bounded.score(question)
        _, rows = flat_searcher.index.store.search(exhaustive.embed([question]), 300)
        candidates = np.unique(layout.vector_entry[rows[0]])
        np.testing.assert_array_equal(part.candidates, candidates)
        assert np.flatnonzero(part.matched).tolist() == candidates.tolist()
        np.testing.assert_allclose(part.similarity[candidates], full.similarity[candidates], atol=1e-6)
        np.testing.assert_array_equal(part.chunks[candidates], full.chunks[candidates])


def test_an_ensemble_member_scores_the_primarys_candidates_as_exhaustive_search_does(flat_searcher: Searcher) -> None:
    member = next(s for s, _ in flat_searcher.signals if isinstance(s, DenseSignal) and s is not flat_searcher.primary)
    bounded = _signal(flat_searcher, 300)
    for question in QUESTIONS:
        candidates = bounded.score(question).candidates
        full, part = member.score(question), member.score(question, candidates=candidates)
        assert part.candidates is candidates
        np.testing.assert_allclose(part.similarity[candidates], full.similarity[candidates], atol=1e-6)


def test_best_vector_top_entries_from_candidates_equal_exhaustive_search(synthetic: SearchableIndex, fake_models: list) -> None:
    config = RetrievalConfig(ensemble=(), lexical_weight=0.0, aggregate="max", hubness=0.0, query_bank=0.0)
    searcher = open_searcher(synthetic, config, fake_models[:1])
    exhaustive, bounded = _signal(searcher, None), _signal(searcher, 100)
    for question in QUESTIONS:
        full, part = exhaustive.score(question), bounded.score(question)
        top = np.argsort(-full.scores, kind="stable")[:10]
        np.testing.assert_array_equal(np.argsort(-part.scores, kind="stable")[:10], top)
        np.testing.assert_allclose(part.scores[top], full.scores[top], atol=1e-6)


def test_the_rows_of_some_entries_are_every_vector_of_each(synthetic: SearchableIndex) -> None:
    layout = synthetic.table.layout
    entries = np.array([5, 0, 17, 299])
    rows = layout.rows_of(entries)
    assert rows.tolist() == [r for e in entries for r in np.flatnonzero(layout.vector_entry == e)]
    assert layout.rows_of(np.array([], dtype=np.int64)).tolist() == []


def test_neighbourhoods_from_nearest_neighbour_search_equal_the_exact_ones(synthetic: SearchableIndex) -> None:
    store = synthetic.store
    np.testing.assert_allclose(neighbourhood(store, exact_up_to=0), neighbourhood(store), atol=1e-6)


def test_an_ivf_store_gives_close_neighbourhoods(synthetic: SearchableIndex) -> None:
    vectors = synthetic.store.vectors()
    ivf = FaissStore.build(vectors, kind="ivf")
    assert ivf.kind == "ivf"
    approximate = neighbourhood(ivf, vectors, exact_up_to=0)
    assert np.abs(approximate - neighbourhood(synthetic.store)).mean() < 0.02


def test_the_index_stores_each_models_neighbourhoods(synthetic: SearchableIndex, synthetic_dir: Path, fake_models: list) -> None:
    assert set(synthetic.neighbourhoods) == {m.name for m in fake_models}
    assert (synthetic_dir / "vectors.hubness.npy").exists()
    np.testing.assert_array_equal(synthetic.neighbourhoods[fake_models[0].name], neighbourhood(synthetic.store))


def test_an_index_without_stored_neighbourhoods_ranks_the_same(synthetic_dir: Path, flat_searcher: Searcher, fake_models: list,
                                                                 tmp_path: Path) -> None:
    older = tmp_path / "older"
    shutil.copytree(synthetic_dir, older)
    for path in older.glob("*.hubness.npy"):
        path.unlink()
    index = open_index(older)
    assert index.neighbourhoods == {}
    again = open_searcher(index, RetrievalConfig(), fake_models)
    for question in QUESTIONS:
        assert again.rank(question, limit=10).hits == flat_searcher.rank(question, limit=10).hits


def test_a_hubness_file_of_the_wrong_length_is_refused_with_the_fix(synthetic_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(synthetic_dir, broken)
    with open(broken / hubness_file("vectors.faiss"), "wb") as f:
        np.save(f, np.zeros(3, np.float32))
    with pytest.raises(IndexError_, match=r"holds \(3,\) float32 values for \d+ vectors. Rebuild the index with: faq ingest"):
        open_index(broken)


def test_the_index_keeps_its_bm25_and_opening_loads_it(synthetic_dir: Path, synthetic: SearchableIndex) -> None:
    assert (synthetic_dir / "bm25" / "lexical.json").exists()
    loaded = synthetic.table.lexical
    built = LexicalSignal(synthetic.records, synthetic.table.layout, synthetic.table.lang)
    assert [type(bm25._model.scores["data"]) for _, bm25 in loaded.parts] == [np.memmap] * len(loaded.parts)
    for question in QUESTIONS:
        np.testing.assert_array_equal(loaded.score(question).scores, built.score(question).scores)


def test_bm25_stored_by_another_format_is_rebuilt(synthetic_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(synthetic_dir, other)
    (other / "bm25" / "lexical.json").write_text('{"format": 0}', encoding="utf-8")
    index = open_index(other)
    assert [type(bm25._model.scores["data"]) for _, bm25 in index.table.lexical.parts] == [np.ndarray] * 2


def test_bm25_scored_beside_the_dense_models_ranks_as_after_them(flat_searcher: Searcher, monkeypatch) -> None:
    import index.ranking.search as search

    lexical = flat_searcher.signals[-1][0]
    assert not search._aside(lexical)  # a small index: BM25 after the dense models, on the caller's thread
    after = [flat_searcher.rank(q, limit=10) for q in QUESTIONS]
    monkeypatch.setattr(search, "ASIDE_FROM", 0)
    assert search._aside(lexical)
    for question, expected in zip(QUESTIONS, after):
        got = flat_searcher.rank(question, limit=10)
        assert got.hits == expected.hits and got.signal_values.tobytes() == expected.signal_values.tobytes()
        assert [name for name, _ in got.timings] == [name for name, _ in expected.timings]


def test_a_fused_term_computed_aside_is_the_term_fusion_computes(flat_searcher: Searcher) -> None:
    for question in QUESTIONS:
        results = [(signal.score(question), weight) for signal, weight in flat_searcher.signals]
        lexical, weight = flat_searcher.signals[-1]
        _, _, term = flat_searcher._scored_aside(lexical, weight, question)
        ready = flat_searcher._fuse(results, {len(results) - 1: term})
        assert ready.tobytes() == flat_searcher._fuse(results).tobytes()
