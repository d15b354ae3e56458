"""ONNX Runtime sessions that share one process-wide thread pool: e5 and USE run one after the other on the same threads.

Each session used to get its own pool of every core. After a run, a pool's threads keep spinning for
a while, waiting for more work, so the next model's threads found both cores taken: with e5 and USE
each on a pool of their own, e5 took 34-38 ms a question and USE 6.7-7.1, against 14-17 and 2.6-3.2
on one shared pool (same script, one process after the other, idle 2-core machine).

ONNX Runtime's pool belongs to its environment, one per process: the first session sizes it (with the
threads it asks for, FAQ_EMBED_THREADS for the primary model), and from then on every session of the
process must run on it. Hence the one piece of process-wide state here, mirroring ONNX Runtime's own.
"""

from __future__ import annotations

import threading
from typing import Any


class _Environment:
    """Whether this process's ONNX Runtime sessions run on the shared pool, decided at the first session."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shared: bool | None = None

    def shared(self, threads: int) -> bool:
        with self._lock:
            if self._shared is None:
                import onnxruntime as ort

                try:
                    ort.set_global_thread_pool_sizes(max(1, threads), 1)
                    self._shared = True
                except (AttributeError, RuntimeError):  # an ONNX Runtime without it: a pool per session
                    self._shared = False
            return self._shared


_ENVIRONMENT = _Environment()


def inference_session(model: str | bytes, threads: int, lanes: int = 1) -> Any:
    """A CPU session of `model` (a path or the serialised model), on the process's shared pool.

    `threads`: the cores the model may use in all, which size that pool if this is the process's first
    session. `lanes`: threads that run the session at once; where ONNX Runtime cannot share a pool, the
    session gets a pool of its own of `threads // lanes`, so that the lanes together use `threads`."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if _ENVIRONMENT.shared(threads):
        options.use_per_session_threads = False  # (thread counts set here would be ignored, with a warning)
    else:
        options.intra_op_num_threads, options.inter_op_num_threads = max(1, threads // lanes), 1
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
