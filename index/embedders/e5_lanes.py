"""Model rows from any number of callers, run on a few lanes: concurrent questions share the cores instead of queueing.

An ONNX Runtime session may be run from several threads at once, and `run` releases the GIL. A lone
question runs at once on the caller's thread, with the session's whole thread team, when a lane is
idle (index.embedders.coalesce.Batcher). Otherwise it queues, and the next lane to come free takes it
and every other job waiting (up to a budget of padded tokens), runs them as one batch, and hands each
caller its rows;
questions that arrive together ride in one batch (four took 36-39 ms against 13.5-14.5 for one: e5
is nearly compute-bound here, so what a batch saves is the queueing, not the arithmetic), and with
two or more lanes, batches run side by side on their own cores.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

import numpy as np

from index.embedders.coalesce import Batcher, split_rows

Run = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (ids, mask) [rows, tokens] -> [rows, hidden]


class Lanes:
    """`lanes(ids, mask)` returns `run`'s outputs for those rows, in order; `submit` queues them and returns a Future."""

    def __init__(self, run: Run, lanes: int = 1, max_tokens: int = 4096, pad_id: int = 1, mix_callers: bool = True) -> None:
        """`mix_callers=False`: each job runs alone, for an engine whose rows depend on the other rows of their batch
        (int8 quantises a batch's activations with one scale), so a question's vector never depends on who else asked."""
        self.lanes, self.max_tokens, self.pad_id = max(1, lanes), max_tokens, pad_id

        def run_batch(requests: list[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
            if len(requests) == 1:
                return [run(*requests[0])]
            width = max(ids.shape[1] for ids, _ in requests)
            ids = np.concatenate([np.pad(i, ((0, 0), (0, width - i.shape[1])), constant_values=pad_id) for i, _ in requests])
            mask = np.concatenate([np.pad(m, ((0, 0), (0, width - m.shape[1]))) for _, m in requests])
            return split_rows(run(ids, mask), [len(i) for i, _ in requests])

        def full(requests: list[tuple[np.ndarray, np.ndarray]]) -> bool:  # padded tokens within the budget
            return not mix_callers or sum(len(ids) for ids, _ in requests) * max(ids.shape[1] for ids, _ in requests) >= max_tokens

        self._batcher = Batcher(run_batch, full, self.lanes, name="e5-onnx-lane")

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Run here when a lane is idle (a lone question), else batched with the others waiting."""
        return self._batcher((ids, mask))

    def submit(self, ids: np.ndarray, mask: np.ndarray) -> Future:
        """Queued for the next free lane: a caller with several batches in flight keeps every lane busy."""
        return self._batcher.submit((ids, mask))
