"""Corpus files in, FAQ entries and chunks out. Knows nothing of models, indexes or HTTP."""

from ingest.chunk import chunk_entries
from ingest.corpus import Corpus, load_corpus, with_phrasings
from ingest.models import Chunk, Document, Entry

__all__ = ["Chunk", "Corpus", "Document", "Entry", "chunk_entries", "load_corpus", "with_phrasings"]
