"""Embedding, storing and searching FAQ chunks. Reads ingest's records; knows nothing of HTTP."""

from index.disk.manifest import IndexManifest
from index.disk.storage import LoadedIndex, load_index
from index.embedders import Embedder, load_embedder
from index.pipeline import build_index
from index.ranking.search import Filters, Hit, Ranking, Searcher

__all__ = ["Embedder", "Filters", "Hit", "Ranking", "IndexManifest", "LoadedIndex", "Searcher", "build_index", "load_embedder", "load_index"]
