"""Opening the answerer a setting names: what `faq serve`, `uvicorn service.asgi:app`, `faq ask` and the tests query.

One rule for every way in (usecases.fit_to_serve): an index is served only when fit to serve, calibrated for the
configured retrieval and built with the model that embeds the questions. `faq serve` makes it so first (it
recalibrates a stale index, or builds one); every other entry opens it here and refuses an unfit one, saying how.

Start-up: the models and the language identifier load on threads of their own, at once (`load_in_parallel`): most
of each load is in native code that releases the GIL (ONNX Runtime making a session, sentencepiece reading a model,
LZMA and file reads), so on 2 cores they overlap (benchmarks.startup)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from faq.blas import one_blas_thread
from faq.dictionaries import preload as preload_words
from faq.errors import IndexMismatchError
from faq.heap import release_freed_memory
from faq.language import preload as preload_language_identifier
from faq.settings import Settings
from index.deciding.answer import Answerer
from index.embedders import Embedder, load_embedders
from index.pipeline import answerer_of
from index.ranking.entries import open_index
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
    index = open_index(index_dir or settings.index_dir, models[0].name)
    load_in_parallel(models, sorted({entry.lang for entry in index.records.entries}))
    one_blas_thread()  # a question's products are small: a thread per core only waits on ONNX Runtime's (faq.blas)
    return answerer_of(index, settings.retrieval(), models)


def load_in_parallel(models: Sequence[Embedder], langs: Sequence[str]) -> None:
    """Each model warmed up, and the language identifier and the word lists (faq.dictionaries: spelling correction) for the
    FAQ's languages `langs` loaded, each on its own thread.

    Models already loaded return at once. The first failure is raised, once all are done. What the loading freed is
    then given back to the system (faq.heap): 227 MB of heap resident after loading the default models, 195 after."""
    work: list[Callable[[], None]] = [model.warm_up for model in models]
    work += [lambda: preload_language_identifier(langs), lambda: preload_words(langs)]
    with ThreadPoolExecutor(len(work), thread_name_prefix="faq-load") as pool:
        futures = [pool.submit(job) for job in work]
    release_freed_memory()
    for future in futures:
        future.result()
