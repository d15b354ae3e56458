"""Requests from many threads, run together: a model that runs one batch at a time serves concurrent questions in one batch.

`serve_batches` is the worker loop both engines' batching uses (index.embedders.e5_lanes for e5-onnx's
token arrays, `Coalescer` here for texts): it takes the first request waiting and every other one already
queued (until the batch is full), runs them as one call, and hands each caller its own rows. A lone
request goes straight through, at the cost of one thread hand-off.

USE's numpy model runs one call at a time on one core. Four support agents asking at once used to queue
behind each other, a question each (5.9 ms apiece); one batch of four took 11.3 ms (2.8 a question).
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


def serve_batches(jobs: queue.SimpleQueue, run: Callable[[list[Any]], Sequence[Any]], full: Callable[[list[Any]], bool]) -> None:
    """A worker thread's loop over `(request, Future)` jobs: `run(requests)` returns one result per request.

    `full(requests)` says when a batch may take no more. A failed run raises in every caller of its batch."""
    while True:
        job = jobs.get()
        if job is STOP:
            return
        batch = [job]
        while not full([request for request, _ in batch]):  # every job already waiting rides along
            try:
                more = jobs.get_nowait()
            except queue.Empty:
                break
            if more is STOP:
                jobs.put(STOP)  # for this worker's next turn
                break
            batch.append(more)
        batch = [(request, done) for request, done in batch if done.set_running_or_notify_cancel()]
        if not batch:
            continue
        try:
            results = run([request for request, _ in batch])
        except BaseException as e:  # noqa: BLE001 - handed to every caller of the batch
            for _, done in batch:
                done.set_exception(e)
            continue
        for (_, done), result in zip(batch, results):
            done.set_result(result)


def split_rows(rows: np.ndarray, sizes: Sequence[int]) -> list[np.ndarray]:
    """`rows` cut back into each request's rows, in order."""
    return np.split(rows, np.cumsum(sizes)[:-1]) if sizes else []


class Coalescer:
    """`coalescer(texts)` returns `encode(texts)`'s rows, computed in a batch with whatever other threads asked meanwhile."""

    def __init__(self, encode: Encode, max_texts: int = 16, name: str = "coalescer") -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()

        def run(requests: list[list[str]]) -> list[np.ndarray]:
            return split_rows(encode([text for texts in requests for text in texts]), [len(texts) for texts in requests])

        def full(requests: list[list[str]]) -> bool:
            return sum(len(texts) for texts in requests) >= max_texts

        threading.Thread(target=serve_batches, args=(self._jobs, run, full), name=name, daemon=True).start()
        weakref.finalize(self, self._jobs.put, STOP)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        done: Future = Future()
        self._jobs.put((list(texts), done))
        return done.result()
