"""One BLAS thread for a process that answers questions.

A question's matrix products are small: past FAISS's exact search, an ensemble member scores the primary model's
few thousand candidate vectors (index.ranking.signals, `take(rows) @ query`), 0.15 ms on one thread. OpenBLAS's
default team (a thread per core) then waits on cores that ONNX Runtime's sessions hold: on this 2-core machine under
load a 2,000 x 512 product took 7.7 ms, and a 30,000-entry FAQ's questions went from p50 / p95 16.1 / 33.5 ms to
10.8 / 14.4 ms with one BLAS thread (the same process, alternating, 2026-12-07). Building an
index (hubness neighbourhoods: large products) keeps the default team where no question is answered (`faq ingest`).
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits


def one_blas_thread() -> None:
    """Every loaded BLAS library (numpy's, scipy's) at one thread, for the rest of the process."""
    threadpool_limits(limits=1, user_api="blas")
