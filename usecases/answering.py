"""Opening the answerer a setting names: what `faq serve`, `faq ask` and the tests query."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from faq.settings import Settings
from index.answer import Answerer
from index.embedders import Embedder
from index.pipeline import open_answerer as open_index_answerer


def open_answerer(settings: Settings, index_dir: Path | None = None, models: Sequence[Embedder] | None = None) -> Answerer:
    """The served version of `index_dir` (default FAQ_INDEX_DIR) with the configured retrieval and its calibration.

    `models`: already loaded for the settings (a service swapping versions keeps its models)."""
    return open_index_answerer(index_dir or settings.index_dir, settings.retrieval(), models)
