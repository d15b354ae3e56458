"""Model rows from any number of callers, run on a few lanes: concurrent questions share the cores instead of queueing.

An ONNX Runtime session may be run from several threads at once, and `run` releases the GIL. Each
lane is a thread that takes the next job waiting and, with it, every other job already queued (up
to a budget of padded tokens), runs them as one batch, and hands each caller its rows. A lone
question runs at once, with the session's whole thread team; questions that arrive together ride
in one batch (a matrix product over four questions costs little more than over one), and with
two or more lanes, batches run side by side on their own cores.
"""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np

Run = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (ids, mask) [rows, tokens] -> [rows, hidden]
_STOP = None


class Lanes:
    """`submit(ids, mask)` queues rows for `run` and returns a Future of their outputs, in order."""

    def __init__(self, run: Run, lanes: int = 1, max_tokens: int = 4096, pad_id: int = 1) -> None:
        self.lanes, self.max_tokens, self.pad_id = max(1, lanes), max_tokens, pad_id
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        for i in range(self.lanes):
            threading.Thread(target=self._serve, args=(run, self._jobs, max_tokens, pad_id), name=f"e5-onnx-lane-{i}", daemon=True).start()
        weakref.finalize(self, _stop, self._jobs, self.lanes)

    def submit(self, ids: np.ndarray, mask: np.ndarray) -> Future:
        done: Future = Future()
        self._jobs.put((ids, mask, done))
        return done

    @staticmethod
    def _serve(run: Run, jobs: queue.SimpleQueue, max_tokens: int, pad_id: int) -> None:
        while True:
            job = jobs.get()
            if job is _STOP:
                return
            batch, tokens = [job], job[0].size
            while tokens < max_tokens:  # every job already waiting rides along, within the budget
                try:
                    more = jobs.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    jobs.put(_STOP)  # for this lane's next turn
                    break
                batch.append(more)
                tokens = sum(len(b[0]) for b in batch) * max(b[0].shape[1] for b in batch)
            _run_batch(run, [b for b in batch if b[2].set_running_or_notify_cancel()], pad_id)


def _run_batch(run: Run, batch: list, pad_id: int) -> None:
    if not batch:
        return
    try:
        if len(batch) == 1:
            ids, mask = batch[0][0], batch[0][1]
        else:
            width = max(b[0].shape[1] for b in batch)
            ids = np.concatenate([np.pad(b[0], ((0, 0), (0, width - b[0].shape[1])), constant_values=pad_id) for b in batch])
            mask = np.concatenate([np.pad(b[1], ((0, 0), (0, width - b[1].shape[1]))) for b in batch])
        out = run(ids, mask)
    except BaseException as e:  # noqa: BLE001 - handed to every caller of the batch
        for b in batch:
            b[2].set_exception(e)
        return
    start = 0
    for b in batch:
        b[2].set_result(out[start : start + len(b[0])])
        start += len(b[0])


def _stop(jobs: queue.SimpleQueue, lanes: int) -> None:
    for _ in range(lanes):
        jobs.put(_STOP)
