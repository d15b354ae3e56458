"""ONNX Runtime sessions whose threads sleep between runs instead of spinning.

By default ONNX Runtime's pool threads keep spinning for a while after each run, waiting for more
work: after one question, a 2-thread pool burnt 42 ms of CPU during a 50 ms pause (`faq bench --parts
stages` reports it as the CPU burnt in a pause after a question). On a 2-core machine that spin takes the cores from everything else
the process does next (the event loop writing the response, the other model, BM25) and from every
other process on the host. A pool each for e5 and USE made e5 + USE 41-45 ms a question against 19-21
on one shared pool; one shared spinning pool still took 22-26 ms when another process was busy on
the host, against 10-12.5 ms with sleeping pools (same script, same minutes). On an idle machine
sleeping pools cost about 10% (9.6-10.3 against 10.5-11.5 ms): waking a thread is a futex call
where a spinning thread was already awake. So each session gets a pool of its own that sleeps: no
process-wide state, and no model slows another down by waiting for work.
"""

from __future__ import annotations

from typing import Any


def inference_session(model: str | bytes, threads: int, lanes: int = 1) -> Any:
    """A CPU session of `model` (a path or the serialised model) on `threads // lanes` threads that sleep when idle.

    `threads`: the cores the model may use in all; `lanes`: threads that run the session at once, so
    that the lanes together use `threads`."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads, options.inter_op_num_threads = max(1, threads // lanes), 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
