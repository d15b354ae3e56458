"""index.embedders.coalesce: texts from many threads embedded in one batch, each caller getting its own rows."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from index.embedders.coalesce import Coalescer


def _lengths(texts: list[str]) -> np.ndarray:
    return np.array([[len(t), i] for i, t in enumerate(texts)], dtype=np.float32)


def test_each_caller_gets_the_rows_of_its_own_texts():
    coalescer = Coalescer(lambda texts: np.array([[len(t)] for t in texts], dtype=np.float32))
    texts = [["a" * n, "b" * (n + 100)] for n in range(40)]
    with ThreadPoolExecutor(8) as pool:
        rows = list(pool.map(coalescer, texts))
    for (first, second), got in zip(texts, rows):
        assert got[:, 0].tolist() == [len(first), len(second)]


def test_questions_arriving_during_a_run_share_the_next_batch():
    batches: list[int] = []
    started = threading.Event()

    def slow(texts: list[str]) -> np.ndarray:
        batches.append(len(texts))
        started.set()
        time.sleep(0.05)
        return _lengths(texts)

    coalescer = Coalescer(slow)
    first = threading.Thread(target=coalescer, args=(["first"],))
    first.start()
    started.wait(5)
    with ThreadPoolExecutor(4) as pool:  # all four queue while the first batch runs
        list(pool.map(coalescer, [[f"q{i}"] for i in range(4)]))
    first.join()
    assert batches == [1, 4]


def test_a_failed_batch_raises_in_every_caller_and_the_next_one_runs():
    calls = []

    def flaky(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        if len(calls) == 1:
            raise RuntimeError("model broke")
        return _lengths(texts)

    coalescer = Coalescer(flaky)
    with pytest.raises(RuntimeError, match="model broke"):
        coalescer(["x"])
    assert coalescer(["yy"])[0, 0] == 2


def test_a_lone_request_runs_on_the_callers_own_thread():
    threads: list[str] = []

    def record(texts: list[str]) -> np.ndarray:
        threads.append(threading.current_thread().name)
        return _lengths(texts)

    coalescer = Coalescer(record)
    coalescer(["alone"])
    assert threads == [threading.current_thread().name]


def test_a_request_arriving_while_the_model_runs_waits_for_the_next_batch_on_a_worker():
    threads: list[str] = []
    started, release = threading.Event(), threading.Event()

    def slow(texts: list[str]) -> np.ndarray:
        threads.append(threading.current_thread().name)
        started.set()
        release.wait(5)
        return _lengths(texts)

    coalescer = Coalescer(slow, name="use-batches")
    first = threading.Thread(target=coalescer, args=(["first"],), name="first-caller")
    first.start()
    assert started.wait(5)
    with ThreadPoolExecutor(1) as pool:
        second = pool.submit(coalescer, ["second"])
        time.sleep(0.05)
        assert not second.done()  # it does not run beside the first
        release.set()
        assert second.result(5)[0, 0] == len("second")
    first.join()
    assert threads[0] == "first-caller" and threads[1].startswith("use-batches")
