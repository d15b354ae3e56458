"""Start to ready: `faq serve` started for real on a free loopback port, timed until `/readyz` answers 200, per stage.

The parent starts the service as a subprocess and polls `/readyz` every 10 ms; start to ready is the time from just
before the process is spawned to the first 200, then one question is asked (`POST /v1/query`) and timed. The child is
`faq serve` itself (cli.main's `serve` command), run through this module so that the functions doing each stage of the
start are wrapped, as benchmarks.memory does: each wrapped call records when it started and ended (seconds since the
parent spawned the process) and on which thread, so stages run in parallel show as overlapping spans. Wrapping leaves
the code path as it is; the spans are written as one JSON line to the file named by --spans.

    PYTHONPATH=. python -m benchmarks.startup [--runs 3] [--index-dir var/index] [--json out.json]

The index must be built (`faq ingest`) for the configured models. The median of the runs is reported per stage; the
machine may be shared, so compare stages as ratios within one run rather than across runs.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_T0 = "FAQ_STARTUP_T0"  # the parent's time.time() just before spawning the child


class Spans:
    """(stage, start, end, thread) of each wrapped call, seconds since the parent spawned this process."""

    def __init__(self, t0: float) -> None:
        self.t0 = t0
        self.rows: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time() - self.t0

    def add(self, stage: str, start: float, end: float | None = None) -> None:
        with self._lock:
            self.rows.append({"stage": stage, "start": round(start, 4), "end": round(self.now() if end is None else end, 4),
                              "thread": threading.current_thread().name})

    def wrap(self, owner: Any, attr: str, stage: str, times: int = 1) -> None:
        """Record the first `times` calls of owner.attr as `stage`."""
        original: Callable = getattr(owner, attr)
        calls = [0]

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            calls[0] += 1
            if calls[0] > times:
                return original(*args, **kwargs)
            start = self.now()
            try:
                return original(*args, **kwargs)
            finally:
                self.add(stage, start)

        setattr(owner, attr, timed)


def child(port: int, out: Path) -> None:
    """`faq serve --port PORT` with its stages wrapped; the spans are written to `out` once the service is ready."""
    spans = Spans(float(os.environ[_T0]))
    spans.add("python started", 0.0)
    start = spans.now()
    import cli.main

    spans.add("imports: cli (typer, settings)", start)
    start = spans.now()
    import uvicorn  # noqa: F401 - what `serve` imports first

    import feedback.factory
    import service.app
    import service.lifecycle
    import usecases.answering
    import usecases.fit_to_serve

    spans.add("imports: service (FastAPI, app, use cases)", start)
    start = spans.now()
    import index.embedders.onnx_e5 as onnx_e5
    import index.embedders.ort_session as ort_session
    import index.embedders.use as use
    import index.pipeline
    from index.deciding.answer import Answerer

    spans.add("imports: index and embedders", start)

    spans.wrap(cli.main, "get_settings", "settings")
    spans.wrap(feedback.factory, "open_feedback_store", "feedback store opened (serve's check)")
    spans.wrap(usecases.fit_to_serve, "make_fit_to_serve", "fit to serve (serve's check, corpus drift)")
    spans.wrap(usecases.fit_to_serve, "corpus_drift", "  corpus read for drift")
    spans.wrap(service.app, "create_app", "app created")
    spans.wrap(service.app, "open_feedback_store", "feedback store opened (lifespan)")
    spans.wrap(service.app, "load_state", "load_state (index + models + warm-up)")
    spans.wrap(service.app, "load_rules", "rules loaded")
    spans.wrap(usecases.answering, "load_embedders", "  embedders made")
    spans.wrap(usecases.answering, "unfit_to_serve", "  fit-to-serve check (open)")
    spans.wrap(usecases.answering, "open_index", "  index opened (vectors, BM25)")
    spans.wrap(usecases.answering, "answerer_of", "  index.pipeline.answerer_of")
    spans.wrap(index.pipeline, "open_searcher", "    searcher made")
    spans.wrap(index.pipeline, "short_answerer", "    short answerer made")
    spans.wrap(onnx_e5.OnnxE5Embedder, "_loaded", "    e5 loaded (file, tokenizer, session, first run)")
    spans.wrap(onnx_e5, "ensure_model", "      e5: model file checked")
    spans.wrap(onnx_e5, "inference_session", "      e5: ONNX Runtime session")
    spans.wrap(onnx_e5, "E5Tokenizer", "      e5: tokenizer")
    spans.wrap(use.UseEmbedder, "_load", "    USE loaded (weights, graph, sessions, first run)")
    import index.embedders.use_graph as use_graph

    spans.wrap(use_graph, "_read_cache", "      USE: cached graph and table read")
    spans.wrap(use_graph, "build_graph", "      USE: graph built (no cache yet)")
    spans.wrap(ort_session, "inference_session", "      USE: ONNX Runtime sessions", times=2)
    import faq.language

    spans.wrap(faq.language, "_identifier", "    language identifier loaded")
    spans.wrap(Answerer, "answer", "  warm-up question")

    def write_when_done(app: Any) -> None:  # after the lifespan's start: the spans are complete when /readyz says ready
        spans.add("lifespan started", spans.now())
        out.write_text(json.dumps(spans.rows))

    original = service.app.create_app

    @functools.wraps(original)
    def create_app(*args: Any, **kwargs: Any) -> Any:
        app = original(*args, **kwargs)
        lifespan = app.router.lifespan_context

        from contextlib import asynccontextmanager

        @asynccontextmanager
        async def timed(app: Any) -> Any:
            async with lifespan(app):
                write_when_done(app)
                yield

        app.router.lifespan_context = timed
        return app

    service.app.create_app = create_app
    sys.argv = ["faq", "serve", "--port", str(port)]
    cli.main.app()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one_run(index_dir: Path | None, plain: bool = False, timeout: float = 120.0, tree: Path | None = None) -> dict[str, Any]:
    """One start of the service: start to ready, the first question, the child's spans (none when `plain`: `faq serve` unwrapped).

    `tree`: another checkout whose `faq serve` is started (plain, from that folder, with this index and its models)."""
    import httpx

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="faq-startup-") as tmp:
        spans_file = Path(tmp) / "spans.json"
        code = tree or ROOT
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(code), os.environ.get("PYTHONPATH")])),
               "FAQ_RELOAD_POLL_SECONDS": "0"}
        if index_dir is not None or tree is not None:
            env["FAQ_INDEX_DIR"] = str((index_dir or Path(os.environ.get("FAQ_INDEX_DIR", "var/index"))).resolve())
        log = open(Path(tmp) / "serve.log", "w+")
        env[_T0] = repr(time.time())
        started = time.perf_counter()
        command = ([sys.executable, "-m", "cli", "serve", "--port", str(port)] if plain or tree else
                   [sys.executable, "-m", "benchmarks.startup", "--child", str(port), "--spans", str(spans_file)])
        server = subprocess.Popen(command,
                                  env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tree or os.getcwd())
        url = f"http://127.0.0.1:{port}"
        try:
            ready = None
            with httpx.Client(timeout=2) as client:
                while time.perf_counter() - started < timeout:
                    if server.poll() is not None:
                        log.seek(0)
                        raise SystemExit(f"faq serve exited with {server.returncode}:\n{log.read()[-3000:]}")
                    try:
                        if client.get(f"{url}/readyz").status_code == 200:
                            ready = time.perf_counter() - started
                            break
                    except httpx.TransportError:
                        pass
                    time.sleep(0.01)
                if ready is None:
                    raise SystemExit(f"not ready after {timeout} s")
                asked = time.perf_counter()
                reply = client.post(f"{url}/v1/query", json={"question": "Comment changer le bracelet de ma montre ?"})
                first = time.perf_counter() - asked
                asked = time.perf_counter()
                client.post(f"{url}/v1/query", json={"question": "How long does the battery last?"})
                second = time.perf_counter() - asked
            reply.raise_for_status()
        finally:
            server.terminate()
            server.wait(10)
            log.close()
        rows = json.loads(spans_file.read_text()) if spans_file.exists() else []
    return {"ready_s": round(ready, 3), "first_query_ms": round(first * 1000, 1), "second_query_ms": round(second * 1000, 1),
            "spans": rows}


def report(runs: list[dict[str, Any]]) -> str:
    """Per stage: its median start, end and duration over the runs (stages in the order of the first run)."""
    lines = [f"start to ready (median of {len(runs)}): {statistics.median(r['ready_s'] for r in runs):.2f} s "
             f"(runs: {', '.join(str(r['ready_s']) for r in runs)}); first question "
             f"{statistics.median(r['first_query_ms'] for r in runs):.0f} ms, second "
             f"{statistics.median(r['second_query_ms'] for r in runs):.0f} ms", "",
             "| stage | from s | to s | took s | thread |", "|---|---|---|---|---|"]
    stages = [row["stage"] for row in sorted(runs[0]["spans"], key=lambda row: row["start"])]
    for stage in stages:
        found = [next(row for row in r["spans"] if row["stage"] == stage) for r in runs if any(x["stage"] == stage for x in r["spans"])]
        start = statistics.median(row["start"] for row in found)
        end = statistics.median(row["end"] for row in found)
        took = statistics.median(row["end"] - row["start"] for row in found)
        lines.append(f"| {stage} | {start:.3f} | {end:.3f} | {took:.3f} | {found[0]['thread']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--index-dir", type=Path, help="default FAQ_INDEX_DIR")
    parser.add_argument("--json", type=Path, help="write every run's figures and spans here")
    parser.add_argument("--plain", action="store_true", help="also time `faq serve` unwrapped (no spans), as many runs")
    parser.add_argument("--compare", type=Path, help="another checkout (e.g. before a change): its `faq serve` and this one's, "
                        "unwrapped, started in turns, as many runs each, with this index")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--spans", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.spans)
        return
    runs = [one_run(args.index_dir) for _ in range(args.runs)]
    print(report(runs))
    if args.compare:
        theirs: list[float] = []
        ours: list[float] = []
        for _ in range(args.runs):
            theirs.append(one_run(args.index_dir, tree=args.compare.resolve())["ready_s"])
            ours.append(one_run(args.index_dir, plain=True)["ready_s"])
        print(f"\n{args.compare}: start to ready {statistics.median(theirs):.2f} s (runs: {', '.join(map(str, theirs))}); "
              f"this tree: {statistics.median(ours):.2f} s (runs: {', '.join(map(str, ours))}); "
              f"ratio {statistics.median(ours) / statistics.median(theirs):.2f}")
    if args.plain:
        plain = [one_run(args.index_dir, plain=True)["ready_s"] for _ in range(args.runs)]
        print(f"\n`faq serve` unwrapped: start to ready {statistics.median(plain):.2f} s (runs: {', '.join(map(str, plain))})")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
