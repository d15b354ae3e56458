"""Loading an index folder and checking that its parts agree with each other and with the embedder.

What searching builds from a loaded index (its entry table, BM25) is the ranking's: index.ranking.entries.SearchableIndex."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from faq.errors import IndexError_, IndexMismatchError
from index.disk.build import MANIFEST, RECORDS, vectors_file
from index.disk.hubness import hubness_file, load as load_hubness
from index.disk.manifest import FORMAT_VERSION, IndexManifest
from index.disk.records import Records
from index.disk.sentence_vectors import SentenceVectors, load as load_sentences
from index.disk.store import FaissStore, VectorStore
from index.disk.versions import resolve


@dataclass(frozen=True)
class LoadedIndex:
    """An index folder in memory: the manifest, the vectors and the records they point to."""

    path: Path
    version: str
    manifest: IndexManifest
    store: VectorStore
    records: Records
    extra_stores: Mapping[str, VectorStore]
    # by embedder name: each vector's mean cosine to its nearest others (index.disk.hubness); absent for older indexes
    neighbourhoods: dict[str, np.ndarray] = field(default_factory=dict)
    # each chunk's sentence vectors for short answers (index.disk.sentence_vectors); None for an index without them
    sentence_vectors: SentenceVectors | None = None


def read_manifest(path: str | Path) -> IndexManifest:
    """The manifest of an index folder (or of a versions root's served version), without loading the vectors."""
    path, _ = resolve(Path(path))
    manifest_path = path / MANIFEST
    try:
        manifest = IndexManifest.model_validate(json.loads(manifest_path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as e:
        raise IndexError_(f"The index manifest {manifest_path} is corrupt ({_first_line(e)}). Rebuild with: faq ingest") from e
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatchError(
            f"The index at {path} has format version {manifest.format_version}; this program reads version "
            f"{FORMAT_VERSION}. Rebuild it with: faq ingest"
        )
    return manifest


def require_embedder(manifest: IndexManifest, path: Path, embedder_name: str) -> None:
    """The one check that questions are embedded by the model the index was built with (load_index, and the Searcher
    given a model): another model's vectors would rank nonsense, silently."""
    if manifest.embedder != embedder_name:
        raise IndexMismatchError(
            f"The index at {path} was built with the embedder {manifest.embedder!r}, but queries would be embedded "
            f"with {embedder_name!r}. Rebuild the index with the configured embedder (faq ingest), or configure "
            f"FAQ_EMBEDDER={manifest.embedder!r}."
        )


def load_index(path: str | Path, embedder_name: str | None = None) -> LoadedIndex:
    """Load and check; refuses another embedder, dimension or format with the fix in the message.

    `path` is an index folder, or a versions root whose CURRENT pointer names the served version.
    """
    path, version = resolve(Path(path))
    manifest = read_manifest(path)
    if embedder_name is not None:
        require_embedder(manifest, path, embedder_name)
    store = FaissStore.load(path / vectors_file(manifest.embedder, primary=True))
    extra = {name: FaissStore.load(path / vectors_file(name, primary=False)) for name in manifest.extra_embedders}
    records = Records.load(path / RECORDS)
    problems = [
        f"{what}: manifest says {said}, folder has {has}"
        for what, said, has in (
            ("dimension", manifest.dim, store.dim),
            ("vector count", manifest.vector_count, store.count()),
            ("chunk count", manifest.chunk_count, len(records.chunks)),
            ("entry count", manifest.entry_count, len(records.entries)),
            ("vector records", manifest.vector_count, len(records.vector_chunk)),
        )
        if said != has
    ] + [
        f"{name}: manifest says {manifest.extra_embedders[name]} dimensions and {manifest.vector_count} vectors, "
        f"file has {s.dim} and {s.count()}"
        for name, s in extra.items()
        if (s.dim, s.count()) != (manifest.extra_embedders[name], manifest.vector_count)
    ]
    if problems:
        raise IndexMismatchError(f"The index at {path} is inconsistent ({'; '.join(problems)}). Rebuild it with: faq ingest")
    files = {manifest.embedder: vectors_file(manifest.embedder, primary=True)} | {
        name: vectors_file(name, primary=False) for name in manifest.extra_embedders}
    neighbourhoods = {name: values for name, file in files.items()
                      if (values := load_hubness(path / hubness_file(file), manifest.vector_count)) is not None}
    sentences = None
    if manifest.sentence_model is not None:
        dims = {manifest.embedder: manifest.dim, **manifest.extra_embedders}
        if manifest.sentence_model not in dims:
            raise IndexMismatchError(f"The index at {path} stores sentence vectors of {manifest.sentence_model!r}, which is not "
                                     f"one of its embedders ({', '.join(dims)}). Rebuild it with: faq ingest")
        sentences = load_sentences(path, manifest.sentence_model, dims[manifest.sentence_model], len(records.chunks))
    return LoadedIndex(path, version, manifest, store, records, extra, neighbourhoods, sentences)


def _first_line(e: Exception) -> str:
    return str(e).splitlines()[0]
