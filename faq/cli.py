"""The `faq` command: ingest a corpus, serve it, ask it questions, evaluate it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from faq.errors import FaqError
from faq.settings import Settings, get_settings

app = typer.Typer(help="Question answering over a help-center FAQ.", no_args_is_help=True, add_completion=False)
console = Console()
err = Console(stderr=True)


def _fail(e: Exception) -> None:
    err.print(f"[bold red]error:[/] {e}")
    raise typer.Exit(code=1)


def build(corpus: Path, index_dir: Path, settings: Settings) -> None:
    """Parse, chunk, embed and write an index, with a progress bar and the rate; then calibrate it."""
    from index.build import build_index
    from ingest.corpus import load_corpus

    loaded = load_corpus(corpus)
    embedders = settings.retrieval().embedders()
    with Progress(
        TextColumn("[bold]embedding[/]"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=console, transient=False,
    ) as progress:
        task = progress.add_task("embed", total=None, rate="")

        def step(done: int, total: int) -> None:
            elapsed = progress.tasks[0].elapsed or 1e-9
            progress.update(task, completed=done, total=total, rate=f"{done / elapsed:.1f} texts/s")

        manifest = build_index(loaded, embedders, index_dir, max_chars=settings.max_chunk_chars, progress=step)
    console.print(
        f"[green]indexed[/] {manifest.entry_count} entries ({manifest.chunk_count} chunks, {manifest.vector_count} vectors) "
        f"from {len(loaded.documents)} document(s) into {index_dir} in {manifest.build_seconds:.1f}s"
    )
    entry_ids = {e.id for e in loaded.entries}
    questions = settings.calibration_set
    if questions is not None and questions.exists():
        calibrate_index(index_dir, questions, settings, entry_ids)
    else:
        console.print("[yellow]not calibrated[/]: no calibration set; every question will be answered (see faq calibrate)")


def calibrate_index(index_dir: Path, questions_file: Path, settings: Settings, entry_ids: set[str] | None = None) -> None:
    """Choose the 'no answer' threshold on the dev split of labelled questions and store it in the manifest."""
    from index.calibrate import calibrate, read_labelled
    from index.manifest import CalibrationInfo
    from index.pipeline import open_answerer, store_calibration

    questions = read_labelled(questions_file, split="dev")
    answerer = open_answerer(index_dir, settings.retrieval())
    known = entry_ids or {e.id for e in answerer.searcher.index.records.entries}
    if not questions or not all(q.relevant <= known for q in questions):
        console.print(f"[yellow]not calibrated[/]: {questions_file} does not label this corpus's entries")
        return
    result = calibrate(answerer.searcher, questions)
    info = CalibrationInfo(threshold=round(result.threshold, 5), scale=round(result.scale, 5),
                           retrieval=settings.retrieval().key(), source=f"{questions_file} (dev)", questions=len(questions))
    store_calibration(index_dir, info)
    console.print(f"calibrated: answer when similarity ≥ {info.threshold:.4f} ({len(questions)} dev questions)")


@app.command(name="calibrate")
def calibrate_cmd(
    questions: Annotated[Path, typer.Argument(help="JSONL of {text, relevant_entry_ids, split}; its dev split is used")],
    index: Annotated[Optional[Path], typer.Option("--index", help="index folder to calibrate")] = None,
) -> None:
    """Recalibrate the 'no answer' threshold of an index without rebuilding it."""
    settings = get_settings()
    try:
        calibrate_index(index or settings.index_dir, questions, settings)
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
) -> None:
    """Serve the HTTP API; builds the index from the configured corpus first when there is none."""
    import uvicorn

    from index.build import MANIFEST
    from service.app import create_app

    settings = get_settings()
    if not (settings.index_dir / MANIFEST).exists():
        console.print(f"no index at {settings.index_dir}: building it from {settings.corpus}")
        try:
            build(settings.corpus, settings.index_dir, settings)
        except FaqError as e:
            _fail(e)
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port, log_level="info")


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


@app.command("eval")
def eval_(
    dataset: Annotated[list[str], typer.Option("--dataset", "-d", help="watch-faq, quebec-fr, quebec-en (repeatable)")] = ["watch-faq", "quebec-fr", "quebec-en"],  # noqa: B006
    system: Annotated[list[str], typer.Option("--system", "-s", help="in-process configuration(s) to measure (repeatable)")] = ["default", "bm25"],  # noqa: B006
    split: Annotated[str, typer.Option(help="dev, test or all")] = "test",
    url: Annotated[Optional[str], typer.Option(help="measure a running service over HTTP instead (its corpus must be the dataset's)")] = None,
    out: Annotated[Path, typer.Option(help="folder for results.json, report.md and the PNG plots")] = Path("var/eval"),
    compare: Annotated[Optional[tuple[Path, Path]], typer.Option(help="print two results.json side by side and exit")] = None,
) -> None:
    """Measure answer accuracy, abstention and latency; writes JSON, Markdown and PNG plots."""
    from eval import report
    from eval.clients import in_process, over_http
    from eval.datasets import load_dataset
    from eval.run import evaluate, warm
    from eval.systems import SYSTEMS, build_system

    if compare:
        console.print(report.compare(*compare))
        return
    if split not in {"dev", "test", "all"}:
        _fail(ValueError(f"split must be dev, test or all. Currently, split is {split!r}"))
    unknown = [s for s in system if s not in SYSTEMS] if url is None else []
    if unknown:
        _fail(ValueError(f"unknown system(s) {unknown}; choose from {', '.join(SYSTEMS)}"))
    runs = []
    for name in dataset:
        full = load_dataset(name)
        evalset = full.split(split)
        targets = [("http", over_http(url))] if url else [(s, in_process(build_system(SYSTEMS[s], full))) for s in system]
        for label, client in targets:
            warm(client, [q.text for q in evalset.queries])
            run = evaluate(evalset, client, label)
            run["split"] = split
            runs.append(run)
            m = run["overall"]
            console.print(
                f"{name:>10} · {label:<14} hit@1 {m['hit@1']:.3f}  hit@3 {m['hit@3']:.3f}  MRR {m['mrr@10']:.3f}  "
                f"e2e {m['end_to_end_accuracy']:.3f}  p50 {m['latency_ms']['p50']} ms"
            )
    json_path, md_path, pngs = report.write(runs, out, f"faq eval ({split} split)")
    console.print(f"wrote {json_path}, {md_path}, {', '.join(str(p) for p in pngs)}")
