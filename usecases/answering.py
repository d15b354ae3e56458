"""Opening the answerer a setting names: what `faq serve`, `uvicorn service.asgi:app`, `faq ask` and the tests query.

One rule for every way in (usecases.fit_to_serve): an index is served only when fit to serve, calibrated for the
configured retrieval and built with the model that embeds the questions. `faq serve` makes it so first (it
recalibrates a stale index, or builds one); every other entry opens it here and refuses an unfit one, saying how."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from faq.errors import IndexMismatchError
from faq.settings import Settings
from index.deciding.answer import Answerer
from index.embedders import Embedder, load_embedders
from index.pipeline import open_answerer as open_index_answerer
from usecases.fit_to_serve import unfit_to_serve


def open_answerer(settings: Settings, index_dir: Path | None = None, models: Sequence[Embedder] | None = None) -> Answerer:
    """The served version of `index_dir` (default FAQ_INDEX_DIR) with the configured retrieval and its calibration.

    `models`: already loaded for the settings (a service swapping versions keeps its models); None: the configured
    ones (not loaded until the index is fit). Raises IndexMismatchError for an index unfit to serve, and why an index
    cannot be read (`usecases.fit_to_serve.unfit_to_serve`)."""
    models = list(models) if models is not None else load_embedders(settings.retrieval())
    reason = unfit_to_serve(settings, index_dir, models[0].name)
    if reason is not None:
        raise IndexMismatchError(reason)
    return open_index_answerer(index_dir or settings.index_dir, settings.retrieval(), models)
