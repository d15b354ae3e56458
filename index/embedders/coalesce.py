"""Texts from many threads, run together: a model that runs one call at a time serves concurrent questions in one batch.

USE's engine (index.embedders.use) is the one user: its batches are the one place a measured batch gain exists.
USE used to run one call at a time, and four support agents asking at once queued behind each other, a question
each; batched, four callers got 9-20% more questions a second than one call at a time or a semaphore
(`python -m benchmarks.engines`, 2026-12-07). e5's questions are not batched: its int8 rows depend on their
batch-mates, and float32 batches gained nothing (e5 is compute-bound); they run under a semaphore (index.embedders.onnx_e5).

A lone request with the model idle and nothing queued runs at once on the thread that asked: handing it to
a worker and back is two thread wake-ups. Requests that arrive while the model is busy queue, and the worker
runs every one waiting (up to `max_texts`) as one call, handing each caller its own rows. A failed call
raises in every caller of its batch.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future

import numpy as np

Encode = Callable[[list[str]], np.ndarray]


def split_rows(rows: np.ndarray, sizes: Sequence[int]) -> list[np.ndarray]:
    """`rows` cut back into each request's rows, in order."""
    return np.split(rows, np.cumsum(sizes)[:-1]) if sizes else []


class Coalescer:
    """`coalescer(texts)` returns `encode(texts)`'s rows, computed in a batch with whatever other threads asked meanwhile."""

    def __init__(self, encode: Encode, max_texts: int = 16, name: str = "coalescer") -> None:
        self._encode, self._max_texts = encode, max_texts
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._idle = threading.Semaphore(1)  # the model not running anything
        self._lock = threading.Lock()
        self._queued = 0  # jobs put on the queue and not yet in a batch: while any wait, nobody jumps ahead
        threading.Thread(target=self._serve, name=name, daemon=True).start()  # lives as long as the process (one per model)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """The texts' rows: run here if the model is idle, else batched with the others waiting."""
        texts = list(texts)
        with self._lock:
            here = self._queued == 0 and self._idle.acquire(blocking=False)
        if here:
            try:
                return self._encode(texts)
            finally:
                self._idle.release()
        done: Future = Future()
        with self._lock:
            self._queued += 1
        self._jobs.put((texts, done))
        return done.result()

    def _serve(self) -> None:
        jobs = self._jobs
        while True:
            job = jobs.get()
            with self._idle:  # a caller running its own texts holds the model
                batch = [job]
                while sum(len(texts) for texts, _ in batch) < self._max_texts:  # every job already waiting rides along
                    try:
                        more = jobs.get_nowait()
                    except queue.Empty:
                        break
                    batch.append(more)
                with self._lock:
                    self._queued -= len(batch)
                self._run([(texts, done) for texts, done in batch if done.set_running_or_notify_cancel()])

    def _run(self, batch: list[tuple[list[str], Future]]) -> None:
        if not batch:
            return
        try:
            rows = self._encode([text for texts, _ in batch for text in texts])
        except BaseException as e:  # noqa: BLE001 - handed to every caller of the batch
            for _, done in batch:
                done.set_exception(e)
            return
        for (_, done), own in zip(batch, split_rows(rows, [len(texts) for texts, _ in batch])):
            done.set_result(own)
