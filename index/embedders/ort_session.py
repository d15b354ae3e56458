"""ONNX Runtime sessions whose threads stop spinning when a run ends.

By default ONNX Runtime's pool threads keep spinning for a while after each run, waiting for more
work: after one question, a 2-thread pool burnt 42 ms of CPU during a 50 ms pause (`python -m benchmarks.bench --parts
stages` reports it as the CPU burnt in a pause after a question). On a 2-core machine that spin takes
the cores from everything the process does next (the event loop writing the response, the other
model, BM25) and from every other process on the host: a pool each for e5 and USE made e5 + USE
41-45 ms a question against 19-21 on one shared pool, and one shared spinning pool still took 26 ms
when another process was busy on the host, against 10-12.5 with pools that never spin.

Never spinning costs 10-30% on a quiet machine (a futex wake-up for every parallel operator). So
threads spin while a run lasts and stop when it returns (`session.force_spinning_stop`): e5 + USE
10.9-11.4 ms a question, against 11-12.3 on one shared spinning pool and 12.2-18.8 never spinning
(same minutes, one process per mode), and 0.07 ms of CPU burnt in a 5 ms pause after a question
against 5.2-5.5. Each session then has a pool of its own: no process-wide state.
"""

from __future__ import annotations

from typing import Any


def inference_session(model: str | bytes, threads: int, lanes: int = 1) -> Any:
    """A CPU session of `model` (a path or the serialised model) on `threads // lanes` threads that stop spinning after a run.

    `threads`: the cores the model may use in all; `lanes`: threads that run the session at once, so
    that the lanes together use `threads`."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads, options.inter_op_num_threads = max(1, threads // lanes), 1
    options.add_session_config_entry("session.force_spinning_stop", "1")
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
