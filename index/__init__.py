"""Embedding, storing and searching FAQ chunks. Reads ingest's records; knows nothing of HTTP."""

from index.embedders import Embedder, load_embedder
from index.manifest import IndexManifest
from index.pipeline import build_index
from index.search import Filters, Hit, Ranking, Searcher
from index.storage import LoadedIndex, load_index

__all__ = ["Embedder", "Filters", "Hit", "Ranking", "IndexManifest", "LoadedIndex", "Searcher", "build_index", "load_embedder", "load_index"]
