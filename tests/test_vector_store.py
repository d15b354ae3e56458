"""One contract for every VectorStore: FAISS (what builds and loads use) and the brute-force NumPy store. No model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import index.disk.store as store_module
from faq.errors import IndexError_, IndexNotFoundError
from index.disk.store import FaissStore, NumpyStore, VectorStore

STORES: dict[str, tuple[Callable[[np.ndarray], VectorStore], Callable[[Path], VectorStore]]] = {
    "faiss": (FaissStore.build, FaissStore.load),
    "numpy": (NumpyStore.build, NumpyStore.load),
}


@pytest.fixture(params=sorted(STORES))
def kind(request) -> str:
    return request.param


def build(kind: str, vectors: np.ndarray) -> VectorStore:
    return STORES[kind][0](vectors)


def load(kind: str, path: Path) -> VectorStore:
    return STORES[kind][1](path)


def unit(rows: int, dim: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def reference(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Brute force in float64, lowest row first among ties: what every store must agree with."""
    scores = queries.astype(np.float64) @ vectors.astype(np.float64).T
    rows = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, rows, axis=1), rows


def test_both_stores_satisfy_the_protocol(kind):
    store = build(kind, unit(5, 8))
    assert isinstance(store, VectorStore)
    assert (store.dim, store.count()) == (8, 5)
    assert isinstance(store.kind, str) and store.kind


def test_search_matches_brute_force_best_first(kind):
    vectors, queries = unit(300, 16), unit(25, 16, seed=1)  # 25 queries: FAISS takes its BLAS path past 20
    scores, rows = build(kind, vectors).search(queries, 10)
    want_scores, want_rows = reference(vectors, queries, 10)
    assert scores.shape == rows.shape == (25, 10)
    assert scores.dtype == np.float32 and rows.dtype == np.int64
    np.testing.assert_allclose(scores, want_scores, atol=1e-5)
    assert np.all(np.diff(scores, axis=1) <= 1e-6)  # best first
    # the same rows, except where two scores are too close to order in float32
    same = rows == want_rows
    near = np.abs(np.take_along_axis(queries @ vectors.T, rows, axis=1) - want_scores) < 1e-5
    assert np.all(same | near)
    assert np.mean(same) > 0.99


def test_one_query_alone_gets_what_it_gets_in_a_batch(kind):
    vectors, queries = unit(50, 8), unit(30, 8, seed=2)
    store = build(kind, vectors)
    batch = store.search(queries, 5)
    alone = [store.search(q[None, :], 5) for q in queries]
    np.testing.assert_allclose(np.vstack([s for s, _ in alone]), batch[0], atol=1e-5)
    np.testing.assert_array_equal(np.vstack([r for _, r in alone]), batch[1])


def test_a_single_query_search_leaves_the_callers_thread_setting_alone():
    import faiss

    store = FaissStore.build(np.random.default_rng(1).standard_normal((50, 8)).astype(np.float32))
    before = faiss.omp_get_max_threads()
    store.search(np.ones((1, 8), np.float32), 5)
    assert faiss.omp_get_max_threads() == before


def test_k_larger_than_the_count_returns_every_row_once(kind):
    vectors = unit(7, 8)
    scores, rows = build(kind, vectors).search(unit(3, 8, seed=3), 100)
    assert scores.shape == rows.shape == (3, 7)
    assert all(sorted(r) == list(range(7)) for r in rows.tolist())


def test_an_empty_store_finds_nothing(kind):
    store = build(kind, np.empty((0, 8), np.float32))
    assert (store.count(), store.dim) == (0, 8)
    assert store.vectors().shape == (0, 8)
    scores, rows = store.search(unit(2, 8), 5)
    assert scores.shape == rows.shape == (2, 0)
    assert scores.dtype == np.float32 and rows.dtype == np.int64


def test_no_queries_get_no_rows(kind):
    scores, rows = build(kind, unit(4, 8)).search(np.empty((0, 8), np.float32), 3)
    assert scores.shape == rows.shape == (0, 3)


def test_ties_keep_the_lowest_rows_in_the_same_order_every_time(kind):
    vectors = np.zeros((6, 4), np.float32)
    vectors[:, 0] = 1.0
    vectors[2] = [0, 1, 0, 0]  # rows 0, 1, 3, 4, 5 tie for the query; row 2 is orthogonal to it
    store = build(kind, vectors)
    query = np.array([[1, 0, 0, 0]], np.float32)
    scores, rows = store.search(query, 3)
    np.testing.assert_allclose(scores, [[1, 1, 1]])
    assert set(rows[0].tolist()) == {0, 1, 3}
    for _ in range(3):
        np.testing.assert_array_equal(store.search(query, 3)[1], rows)
    assert store.search(query, 6)[1][0][-1] == 2


def test_vectors_are_what_was_stored(kind):
    vectors = unit(9, 8)
    stored = build(kind, vectors).vectors()
    assert stored.dtype == np.float32 and stored.shape == (9, 8)
    np.testing.assert_array_equal(stored, vectors)


def test_take_gives_the_stored_rows_in_the_order_asked(kind):
    vectors = unit(20, 8)
    store = build(kind, vectors)
    np.testing.assert_array_equal(store.take(np.array([7, 0, 7, 19])), vectors[[7, 0, 7, 19]])
    assert store.take(np.array([], dtype=np.int64)).shape == (0, 8)


def test_an_ivf_store_gives_its_rows_back():
    vectors = unit(3000, 16)
    store = FaissStore.build(vectors, kind="ivf")
    assert store.kind == "ivf"
    np.testing.assert_array_equal(store.take(np.array([2999, 3])), vectors[[2999, 3]])


def test_save_and_load_round_trip(kind, tmp_path):
    vectors, queries = unit(40, 8), unit(5, 8, seed=4)
    store = build(kind, vectors)
    store.save(tmp_path / "vectors")
    loaded = load(kind, tmp_path / "vectors")
    assert (loaded.dim, loaded.count(), loaded.kind) == (store.dim, store.count(), store.kind)
    np.testing.assert_array_equal(loaded.vectors(), vectors)
    for got, want in zip(loaded.search(queries, 10), store.search(queries, 10)):
        np.testing.assert_array_equal(got, want)
    assert [p.name for p in tmp_path.iterdir()] == ["vectors"]  # written where it was asked, no suffix added


def test_a_missing_file_says_how_to_build_one(kind, tmp_path):
    with pytest.raises(IndexNotFoundError, match="faq ingest"):
        load(kind, tmp_path / "none")


def test_a_corrupt_file_is_a_clear_error(kind, tmp_path):
    (tmp_path / "vectors").write_bytes(b"not vectors at all")
    with pytest.raises(IndexError_, match="corrupt"):
        load(kind, tmp_path / "vectors")


def test_a_store_built_from_an_array_does_not_change_with_it(kind):
    vectors = unit(5, 8)
    store = build(kind, vectors)
    vectors[:] = 0
    assert np.all(store.vectors() != 0)


def test_ivf_above_its_threshold_finds_the_same_best_vector_as_flat(monkeypatch):
    """`auto` switches to IVF past FLAT_UP_TO vectors; on clustered data it finds what exact search finds.

    The threshold is lowered to 4000 here: at the real one (50k) training the IVF lists takes seconds."""
    monkeypatch.setattr(store_module, "FLAT_UP_TO", 4000)
    rng = np.random.default_rng(0)
    count, dim = 5000, 16
    centres = rng.standard_normal((40, dim)).astype(np.float32)
    vectors = centres[rng.integers(0, 40, count)] + 0.3 * rng.standard_normal((count, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ivf, exact = FaissStore.build(vectors), NumpyStore.build(vectors)
    assert (ivf.kind, FaissStore.build(vectors[:4000]).kind) == ("ivf", "flat")
    queries = vectors[rng.integers(0, count, 200)] + 0.05 * rng.standard_normal((200, dim)).astype(np.float32)
    got, want = ivf.search(queries, 1), exact.search(queries, 1)
    assert np.mean(got[1][:, 0] == want[1][:, 0]) >= 0.98
    assert np.all(got[0] <= want[0] + 1e-5)  # never better than exact: the scores are true inner products


def test_an_ivf_search_reads_enough_lists_for_the_candidates():
    from index.disk.store import IVF_SCAN, NPROBE, nprobe_for

    assert nprobe_for(20_000, 512) * 20_000 / 512 >= IVF_SCAN  # small lists: more of them
    assert nprobe_for(10_000_000, 12_649) == NPROBE  # large lists: NPROBE already reads enough
    assert nprobe_for(100, 2) == 2  # never more lists than there are


def test_a_searcher_ranks_the_same_over_either_store(fake_index_dir, fake_models):
    """The rest of the index takes any VectorStore: NumPy stores in place of the FAISS ones change no ranking."""
    from index.disk.storage import load_index
    from index.pipeline import RetrievalConfig, open_searcher

    index = load_index(fake_index_dir)
    numpy_index = replace(index, store=NumpyStore.build(index.store.vectors()),
                          extra_stores={name: NumpyStore.build(s.vectors()) for name, s in index.extra_stores.items()})
    faiss_searcher = open_searcher(index, RetrievalConfig(), fake_models)
    numpy_searcher = open_searcher(numpy_index, RetrievalConfig(), fake_models)
    for question in ("Combien de temps dure la garantie ?", "livraison gratuite", "remboursement", "😀"):
        a, b = faiss_searcher.rank(question), numpy_searcher.rank(question)
        assert [h.entry_id for h in a.hits] == [h.entry_id for h in b.hits]
        np.testing.assert_allclose([h.score for h in a.hits], [h.score for h in b.hits], atol=1e-5)
