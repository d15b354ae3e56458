"""Opening the answerer a setting names: what `faq serve`, `uvicorn service.asgi:app`, `faq ask` and the tests query.

One rule for every way in: an index is served only when calibrated for the configured retrieval. `faq serve`
makes it so first (it recalibrates a stale index, or builds one); every other entry refuses, saying how."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from faq.errors import IndexMismatchError
from faq.settings import Settings
from index.deciding.answer import Answerer
from index.disk.storage import read_manifest
from index.embedders import Embedder
from index.pipeline import open_answerer as open_index_answerer


def unfit_to_serve(settings: Settings, index_dir: Path | None = None) -> str | None:
    """Why the served version of `index_dir` must not answer with these settings; None when it may.

    Uncalibrated, it has no "no answer" decision and answers everything with full confidence; calibrated for
    another retrieval configuration, its decision was fitted to other scores."""
    root = index_dir or settings.index_dir
    info = read_manifest(root).calibration
    fix = "run faq serve (it calibrates before serving) or faq calibrate"
    if info is None:
        return f"The index at {root} is not calibrated, so it would answer every question; {fix}"
    if info.retrieval != settings.retrieval().key():
        return (f"The index at {root} is calibrated for {info.retrieval!r}, the settings configure "
                f"{settings.retrieval().key()!r}; {fix}")
    return None


def open_answerer(settings: Settings, index_dir: Path | None = None, models: Sequence[Embedder] | None = None) -> Answerer:
    """The served version of `index_dir` (default FAQ_INDEX_DIR) with the configured retrieval and its calibration.

    `models`: already loaded for the settings (a service swapping versions keeps its models). Raises
    IndexMismatchError for an index unfit to serve (`unfit_to_serve`)."""
    reason = unfit_to_serve(settings, index_dir)
    if reason is not None:
        raise IndexMismatchError(reason)
    return open_index_answerer(index_dir or settings.index_dir, settings.retrieval(), models)
