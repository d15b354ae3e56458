"""ONNX Runtime sessions that share one process-wide thread pool: e5 and USE run one after the other on the same threads.

Each session used to get its own pool of every core. After a run, a pool's threads keep spinning for
a while, waiting for more work, so the next model's threads found both cores taken: with e5 and USE
each on a pool of their own, e5 took 34-38 ms a question and USE 6.7-7.1, against 14-17 and 2.6-3.2
on one shared pool (same script, one process after the other, idle 2-core machine). ONNX Runtime's
pool belongs to its environment, one per process, so its size is set once, before the first session.
"""

from __future__ import annotations

import functools
import os
from typing import Any


def inference_session(model: str | bytes, threads: int) -> Any:
    """A CPU session of `model` (a path or the serialised model): on the shared pool when `threads` is every core,
    else on a pool of `threads` of its own (one of several lanes, or a caller that asked for fewer)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads >= _cores() and _shared_pool(_cores()):
        options.use_per_session_threads = False  # (thread counts set here would be ignored, with a warning)
    else:
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def _cores() -> int:
    return os.cpu_count() or 1


@functools.cache
def _shared_pool(threads: int) -> bool:
    """Size the environment's pool, once per process; False where this ONNX Runtime cannot (sessions then get their own)."""
    import onnxruntime as ort

    try:
        ort.set_global_thread_pool_sizes(threads, 1)
    except (AttributeError, RuntimeError):
        return False
    return True
