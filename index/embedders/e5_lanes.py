"""Model rows from any number of callers, run on a few lanes: concurrent questions share the cores instead of queueing.

An ONNX Runtime session may be run from several threads at once, and `run` releases the GIL. Each
lane is a thread (index.embedders.coalesce.serve_batches) that takes the next job waiting and, with
it, every other job already queued (up to a budget of padded tokens), runs them as one batch, and
hands each caller its rows. A lone question runs at once, with the session's whole thread team;
questions that arrive together ride in one batch (four took 36-39 ms against 13.5-14.5 for one: e5
is nearly compute-bound here, so what a batch saves is the queueing, not the arithmetic), and with
two or more lanes, batches run side by side on their own cores.
"""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np

from index.embedders.coalesce import STOP, serve_batches, split_rows

Run = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (ids, mask) [rows, tokens] -> [rows, hidden]


class Lanes:
    """`submit(ids, mask)` queues rows for `run` and returns a Future of their outputs, in order."""

    def __init__(self, run: Run, lanes: int = 1, max_tokens: int = 4096, pad_id: int = 1) -> None:
        self.lanes, self.max_tokens, self.pad_id = max(1, lanes), max_tokens, pad_id
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()

        def run_batch(requests: list[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
            if len(requests) == 1:
                return [run(*requests[0])]
            width = max(ids.shape[1] for ids, _ in requests)
            ids = np.concatenate([np.pad(i, ((0, 0), (0, width - i.shape[1])), constant_values=pad_id) for i, _ in requests])
            mask = np.concatenate([np.pad(m, ((0, 0), (0, width - m.shape[1]))) for _, m in requests])
            return split_rows(run(ids, mask), [len(i) for i, _ in requests])

        def full(requests: list[tuple[np.ndarray, np.ndarray]]) -> bool:  # padded tokens within the budget
            return sum(len(ids) for ids, _ in requests) * max(ids.shape[1] for ids, _ in requests) >= max_tokens

        for i in range(self.lanes):
            threading.Thread(target=serve_batches, args=(self._jobs, run_batch, full), name=f"e5-onnx-lane-{i}", daemon=True).start()
        weakref.finalize(self, _stop, self._jobs, self.lanes)

    def submit(self, ids: np.ndarray, mask: np.ndarray) -> Future:
        done: Future = Future()
        self._jobs.put(((ids, mask), done))
        return done


def _stop(jobs: queue.SimpleQueue, lanes: int) -> None:
    for _ in range(lanes):
        jobs.put(STOP)
