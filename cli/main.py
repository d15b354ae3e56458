"""The `faq` command: a thin shell over usecases/ (build, calibrate, roll back, answer), the service and eval/.

Every command that reads or writes an index takes `--index DIR` (default FAQ_INDEX_DIR); the work
and its checks live in the use cases, so the service and the tests do exactly what a command does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli import evaluate, models
from cli.shell import console, fail
from faq.errors import FaqError
from faq.limits import MAX_TOP_K
from faq.settings import Settings, get_settings

if TYPE_CHECKING:  # the use cases import the models' code: loaded only by the commands that need it
    from ingest.site import SiteCorpus
    from ingest.workload import EmbeddingWork
    from usecases.calibrate import CalibrationResult
    from usecases.regression_check import CheckOptions, CheckReport

app = typer.Typer(help="Question answering over a help-center FAQ.", no_args_is_help=True, add_completion=False)

@app.callback()
def _settings_first() -> None:
    # every command reads FAQ_* settings: a refused one ends it with one line naming the variable, not a traceback
    try:
        get_settings()
    except FaqError as e:
        fail(e)


IndexOption = Annotated[Optional[Path], typer.Option("--index", help="index versions root or folder (default FAQ_INDEX_DIR)")]


def build(corpus: Path | str, index_dir: Path, settings: Settings, check: CheckOptions | None = None) -> str:
    """`faq ingest` with a progress bar: build, calibrate, check and switch to a new version; returns its name.
    A refused check prints what changed, then raises CheckRefusedError."""
    from usecases.regression_check import CheckRefusedError
    from usecases.versions import build_version

    with Progress(TextColumn("[bold]embedding[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        task = progress.add_task("embed", total=None, rate="")

        def step(done: int, total: int) -> None:
            elapsed = progress.tasks[0].elapsed or 1e-9
            progress.update(task, completed=done, total=total, rate=f"{done / elapsed:.1f} texts/s")

        def warn(work: EmbeddingWork) -> None:
            if (warning := work.warning()) is not None:
                console.print(f"[yellow]{warning}[/]")

        try:
            result = build_version(corpus, index_dir, settings, progress=step, estimated=warn, check=check)
        except CheckRefusedError as e:
            say_check(e.report, verdict=False)  # the refusal is the error line `fail` prints
            raise
    m = result.manifest
    if result.site is not None:
        say_site(result.site)
    for note in result.notes:
        console.print(f"[dim]{note}[/]")
    if result.phrasings:
        console.print(f"with {result.phrasings} accepted phrasing(s) from {settings.data_dir}")
    console.print(f"[green]indexed[/] {m.entry_count} entries ({m.chunk_count} chunks, {m.vector_count} vectors) "
                  f"from {result.documents} document(s) in {m.build_seconds:.1f}s")
    if (c := result.changes) is not None and c.reused_from is not None:
        console.print(f"{c.added} entries added, {c.changed} changed, {c.removed} removed since {c.reused_from}: "
                      f"embedded {c.texts_embedded} texts, reused {c.texts_reused}")
    say_calibration(result.calibrated)
    if result.check is not None:
        say_check(result.check)
    removed = f" (removed {len(result.removed)} old)" if result.removed else ""
    if result.leftovers:
        console.print(f"removed what an interrupted ingest left in {index_dir}: {', '.join(result.leftovers)}")
    console.print(f"serving version {result.version} from {index_dir}{removed}")
    if result.published:
        console.print("published it to the database (FAQ_DATABASE_URL): every replica follows within a poll")
    return result.version


def say_check(report: CheckReport, verdict: bool = True) -> None:
    """The regression check: scores before and after, each question that moved, and (with `verdict`) the verdict."""
    from usecases.regression_check import report_lines

    for line in report_lines(report)[:None if verdict else -1]:
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def say_site(site: SiteCorpus) -> None:
    """What a site's fetch read, and every page that failed, with why."""
    from rich.markup import escape

    fetched = site.fetch
    console.print(f"read {len(site.files)} page(s) from {escape(fetched.source)} ({fetched.not_modified} unchanged since "
                  f"the last run, {fetched.requests} requests)")
    if fetched.disallowed:
        console.print(f"[dim]{len(fetched.disallowed)} page(s) left out: robots.txt disallows them[/]")
    if fetched.left_out:
        console.print(f"[yellow]{fetched.left_out} more page(s) not read: over FAQ_SITE_MAX_PAGES[/]")
    if site.failures:
        console.print(f"[yellow]{len(site.failures)} page(s) failed[/] (the others are indexed):")
        for failure in site.failures:
            console.print(f"  {escape(str(failure))}")


def say_calibration(result: CalibrationResult) -> None:
    """How the index was calibrated, in plain words, with the fix when it was label-free."""
    from index.deciding.decide import shipped_model  # loaded already: the index was just calibrated

    calibration = result.calibration
    if calibration.method == "labelled":
        learnt = calibration.learnt
        left_out = f"; left out of questions: {', '.join(learnt.background_terms)}" if learnt.background_terms else ""
        refused = f"; {len(learnt.known_out_of_scope)} known out-of-scope questions" if learnt.known_out_of_scope else ""
        at = calibration.answer_at if calibration.answer_at is not None else shipped_model().answer_at
        rule = (f"answer when the similarity score ≥ {calibration.threshold:.4f} (it put more dev questions right than the "
                "decision model)" if calibration.rule == "threshold" else f"answer when the decision model's probability ≥ {at:.3f}")
        console.print(f"calibrated on labelled questions: {rule} ({calibration.questions} dev questions){left_out}{refused}")
        return
    bank = f"{result.logged_questions} logged questions" if result.logged_questions else "them"
    console.print(
        f"[yellow]calibrated label-free[/]: {result.reason}. Answer, related or none is decided by the shipped decision model "
        f"on this FAQ's own scale (its questions, terse versions of them, and {result.off_topic_used} generic off-topic questions "
        f"that are off topic here); query bank from {bank}.\n"
        "  To calibrate on your own questions: add labelled questions with faq calibrate FILE "
        "(one JSON object a line: text, relevant_entry_ids or relevant_questions; see the README).")


@app.command()
def ingest(
    corpus: Annotated[Optional[str], typer.Argument(help="FAQ file or folder (.txt, .md, .jsonl, .csv, .json, .html), or a "
                                                         "help center's site (https://…/sitemap.xml or a start page); "
                                                         "default FAQ_CORPUS")] = None,
    index: IndexOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object at the end (and nothing else on stdout)")] = False,
    check: Annotated[Optional[Path], typer.Option("--check", help="saved questions (JSONL, the questions-file format) to answer with "
                                                                  "the served version and the new one before switching; default FAQ_CHECK_SET")] = None,
    tolerance: Annotated[Optional[float], typer.Option(min=0, max=1, help="refuse to switch when the saved questions' hit@1 or "
                                                                          "end-to-end accuracy drops by more than this; default "
                                                                          "FAQ_CHECK_TOLERANCE (0.02)")] = None,
    force: Annotated[bool, typer.Option("--force", help="switch even when the check refuses (it is still run and reported)")] = False,
) -> None:
    """Build the index from a corpus; the served index is replaced only once the new one is complete and checked.

    Only the texts the served version did not embed are embedded (index.disk.reuse). Before switching, the saved
    questions and the 200 most-asked logged ones are answered by both versions (usecases.regression_check)."""
    from dataclasses import replace

    from ingest.fetch import is_site
    from usecases.regression_check import CheckOptions

    settings = get_settings()
    root = index or settings.index_dir
    source: Path | str = settings.corpus if corpus is None else corpus if is_site(corpus) else Path(corpus)
    options = replace(CheckOptions.from_settings(settings), force=force)
    options = replace(options, questions=check if check is not None else options.questions,
                      tolerance=tolerance if tolerance is not None else options.tolerance)
    if as_json:
        return ingest_json(source, root, settings, options)
    try:
        build(source, root, settings, options)
    except FaqError as e:
        fail(e)


def ingest_json(corpus: Path | str, index_dir: Path, settings: Settings, check: CheckOptions | None = None) -> None:
    """`faq ingest --json`: one object on stdout, for scripts and CI; a refused ingest exits 1 with `switched: false`,
    the version still served and the reason (with the check's summary when the regression check refused it)."""
    import json

    from index.disk.versions import current_version
    from usecases.regression_check import CheckRefusedError
    from usecases.versions import build_version

    try:
        result = build_version(corpus, index_dir, settings, check=check)
    except FaqError as e:
        refused = e.report.summary() if isinstance(e, CheckRefusedError) else None
        typer.echo(json.dumps({"switched": False, "version": current_version(index_dir), "reason": str(e), "check": refused},
                              ensure_ascii=False))
        raise typer.Exit(code=1) from None
    m, c = result.manifest, result.changes
    typer.echo(json.dumps({
        "switched": True, "version": result.version, "reason": None,
        "entries": m.entry_count, "documents": result.documents, "chunks": m.chunk_count, "vectors": m.vector_count,
        "entries_added": c.added if c else None, "entries_changed": c.changed if c else None,
        "entries_removed": c.removed if c else None,
        "texts_embedded": c.texts_embedded if c else None, "texts_reused": c.texts_reused if c else None,
        "reused_from": c.reused_from if c else None, "build_seconds": m.build_seconds,
        "calibration": result.calibrated.calibration.method, "phrasings": result.phrasings, "notes": list(result.notes),
        "removed_versions": list(result.removed), "leftovers": list(result.leftovers), "published": result.published,
        "pages_fetched": len(result.site.fetch.pages) if result.site else None,
        "pages_unchanged": sum(p.not_modified for p in result.site.fetch.pages) if result.site else None,
        "pages_failed": [{"url": f.url, "reason": f.reason, "status": f.status} for f in result.site.failures] if result.site else None,
        "check": result.check.summary() if result.check else None,
    }, ensure_ascii=False))


@app.command(name="calibrate")
def calibrate_cmd(
    questions: Annotated[Path, typer.Argument(help="JSONL of {text, relevant_entry_ids | relevant_questions, split}; its dev split is used")],
    index: IndexOption = None,
) -> None:
    """Recalibrate the 'no answer' threshold of an index on your labelled questions, without rebuilding it."""
    from usecases.calibrate import calibrate_index
    from usecases.versions import fetch_published, publish_calibration

    settings = get_settings()
    root = index or settings.index_dir
    try:
        fetch_published(settings.model_copy(update={"index_dir": root}))  # with a database: calibrate the version it serves
        say_calibration(calibrate_index(root, questions, settings, required=True))
        republished = publish_calibration(root, settings)
    except FaqError as e:
        fail(e)
    if republished:
        console.print(f"republished the manifest of {republished} to the database: every replica reloads it")


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="address to listen on (default FAQ_HOST)")] = None,
    port: Annotated[Optional[int], typer.Option(help="port to listen on (default FAQ_PORT)")] = None,
    workers: Annotated[int, typer.Option(min=1, max=32, help="processes sharing the port; they map one copy of the index and model")] = 1,
    index: IndexOption = None,
) -> None:
    """Serve the HTTP API; builds the index from the configured corpus first when there is none."""
    import os

    from faq.heap import one_arena

    one_arena()  # before any thread: the models' loading threads leave no half-empty arenas behind (faq.heap)

    import uvicorn
    from rich.markup import escape

    from feedback.factory import open_feedback_store
    from ingest.helpcenter import load_helpcenter
    from service.app import create_app
    from usecases.fit_to_serve import Fitness, follow_published, make_fit_to_serve

    settings = get_settings()
    if index is not None:  # the workers build their app from FAQ_* settings: pass the choice on to them too
        os.environ["FAQ_INDEX_DIR"] = str(index)
        settings = settings.model_copy(update={"index_dir": index})
    try:  # before building anything: an unreachable FAQ_DATABASE_URL is one line now, and its schema is migrated once
        open_feedback_store(settings).close()
    except FaqError as e:
        fail(e)
    try:  # a replica gets the version the database serves rather than building its own
        followed = follow_published(settings)
    except FaqError as e:  # and without a local index to serve, building one would diverge
        fail(e)
    if followed.fetched:
        console.print(f"fetched index version {followed.fetched} from the database")
    if followed.behind:
        console.print(f"[yellow]serving the local index version {followed.local}[/]: {escape(followed.behind)}")

    def rebuild(found: Fitness) -> None:
        from usecases.regression_check import CheckRefusedError

        if found.manifest is None:
            console.print(f"no index at {settings.index_dir}: building it from {settings.corpus}")
        elif found.drift is not None and found.repair is None:  # FAQ_CORPUS was edited since the served version was built
            console.print(f"{found.drift.describe()}: building it again", markup=False, soft_wrap=True)
        else:  # its vectors cannot be searched with the configured model: a new version
            console.print(f"index built with {found.manifest.embedder}, configured {found.model}: building it again from {settings.corpus}")
        try:
            build(settings.corpus, settings.index_dir, settings)
        except CheckRefusedError as e:
            if found.repair == "build":  # the served version cannot be served either
                raise
            console.print(f"[yellow]serving version {found.drift.version if found.drift else '?'} as it is[/]: "
                          f"the new build was refused ({escape(str(e))})", soft_wrap=True)

    try:  # the rule (usecases.fit_to_serve): build a missing index or one of another model, recalibrate a stale one
        made = make_fit_to_serve(settings, rebuild)
    except FaqError as e:
        fail(e)
    if made.found.drift is not None and not made.built:
        console.print(f"[yellow]serving version {made.found.drift.version} as it is[/]: {escape(made.found.drift.describe())}"
                      + (" (with FAQ_DATABASE_URL, faq ingest builds and publishes one for every replica)"
                         if made.found.drift.same_faq else ""), soft_wrap=True)
    if made.calibration is not None:
        info = made.found.manifest.calibration if made.found.manifest else None
        console.print("index not calibrated: calibrating it" if info is None else
                      f"index calibrated for {info.retrieval!r}: recalibrated it for {made.found.retrieval!r}", markup=False)
        say_calibration(made.calibration)
        if made.republished:
            console.print("republished its manifest to the database: the other replicas reload it")
    try:  # the app reads it too; checked here so a malformed file is one line, not a worker's traceback
        load_helpcenter(settings.corpus, settings.helpcenter)
    except FaqError as e:
        fail(e)
    where: dict[str, Any] = {"host": host or settings.host, "port": port or settings.port, "log_level": "info"}
    settings = settings.model_copy(update={"workers": workers})
    if settings.rate_limit_per_minute:
        console.print(rate_limit_line(settings), markup=False)
    if workers > 1:  # each worker builds its app from the same FAQ_* settings; this process becomes their lean supervisor
        from service.workers import exec_supervisor

        exec_supervisor("service.asgi:app", workers, **where)
    else:
        from service.log_config import logging_config

        # JSON lines; the app logs each request itself (service.observe), so uvicorn's access log is off
        uvicorn.run(create_app(settings), **where, log_config=logging_config(), access_log=False)


def rate_limit_line(settings: Settings) -> str:
    """What `faq serve` says of the rate limit: the service's, and each worker's share of it."""
    from service.middleware import per_worker

    whole = f"rate limit per client address: {settings.rate_limit_per_minute}/min, burst {settings.rate_limit_burst}"
    if settings.workers == 1:
        return whole
    per_minute, burst = per_worker(settings.rate_limit_per_minute, settings.rate_limit_burst, settings.workers)
    return f"{whole}, shared out: {per_minute:g}/min, burst {burst:g} in each of {settings.workers} workers"


@app.command()
def rollback(index: IndexOption = None) -> None:
    """Serve the previous index version again (a running service picks it up by itself; with FAQ_DATABASE_URL, every replica)."""
    from usecases.versions import rollback as roll_back

    settings = get_settings()
    try:
        done = roll_back(index or settings.index_dir, settings)
    except FaqError as e:
        fail(e)
    console.print(f"serving version {done.version} (was {done.was})")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="the question, in any language")],
    top_k: Annotated[int, typer.Option("--top-k", "-k", min=1, max=MAX_TOP_K)] = 3,
    index: IndexOption = None,
    url: Annotated[Optional[str], typer.Option("--url", help="a running service to ask first (default http://FAQ_HOST:FAQ_PORT)")] = None,
    local: Annotated[bool, typer.Option("--local", help="load the index and models in this process; do not ask a service")] = False,
) -> None:
    """Ask the FAQ from the terminal: the short answer and the best passages with their citations.

    Asks the running service when one answers (fast); otherwise, or with --local or an explicit --index
    (the service may serve another index), loads the index in this process."""
    from cli.remote import ask_service, default_url

    settings = get_settings()
    reply = None
    try:
        if not local and index is None:
            reply = ask_service(url or default_url(settings.host, settings.port), question, top_k)
        if reply is None:
            reply = _ask_in_process(settings, index, question, top_k)
    except FaqError as e:
        fail(e)
    _print_reply(reply)


@app.command()
def forget(value: Annotated[str, typer.Argument(help="text to remove: every stored question containing it (any case) goes")]) -> None:
    """Delete every stored question containing VALUE (query log, its verdicts, phrasings), in the configured store."""
    from feedback.factory import existing_feedback_store
    from replication.published import published_versions
    from usecases.regression_check import forget_in_check, forget_in_shared_check

    settings = get_settings()
    try:
        if (in_check := forget_in_check(settings.index_dir, value)):
            console.print(f"removed {in_check} question(s) from the last regression check ({settings.index_dir})")
        if settings.database_url is not None:
            with published_versions(settings.database_url.get_secret_value()) as shared:
                if (in_shared := forget_in_shared_check(shared, value)):
                    console.print(f"removed {in_shared} question(s) from the last regression check in the database")
        with existing_feedback_store(settings) as store:
            if store is None:
                console.print(f"nothing is stored yet (no {settings.data_dir}/feedback.sqlite3): removed 0 questions")
                return
            removed = store.forget(value)
            redacted = store.redactor.redact(value) != value
    except (FaqError, ValueError) as e:
        fail(e)
    console.print(f"removed {removed.queries} question(s) from the query log, {removed.verdicts} verdict(s) on them "
                  f"and {removed.phrasings} phrasing(s)")
    if redacted:
        console.print("[dim]it holds personal data the redaction replaces (an e-mail, phone, card or IBAN): such values "
                      "are stored only as placeholders, never as typed[/]")


def _ask_in_process(settings: Settings, index: Path | None, question: str, top_k: int):  # noqa: ANN202 (cli.remote.Reply)
    from cli.remote import Passage, Reply
    from usecases.answering import open_answerer

    answer = open_answerer(settings, index).answer(question, top_k=top_k)
    return Reply(
        answerable=answer.answerable, confidence=answer.confidence,
        short_answer=answer.short_answer.text if answer.short_answer is not None else None,
        passages=[Passage(h.rank, h.chunk.section, h.chunk.question, h.score, h.chunk.text, h.chunk.document_title) for h in answer.hits],
    )


def _print_reply(reply) -> None:  # noqa: ANN001 (cli.remote.Reply; imported lazily)
    from rich.panel import Panel

    if not reply.answerable:
        console.print(f"[yellow]No confident answer in the FAQ[/] (confidence {reply.confidence:.2f}); closest entries:")
    elif reply.short_answer is not None:
        console.print(f"[bold]{reply.short_answer}[/]  [dim](confidence {reply.confidence:.2f})[/]")
    for p in reply.passages:
        title = f"{p.rank}. {p.section} › {p.question}  [dim]({p.score:.3f})[/]"
        console.print(Panel(p.text, title=title, title_align="left", subtitle=p.document, subtitle_align="right"))


app.command("eval")(evaluate.eval_)
for _command in evaluate.MOVED:  # faq bench, faq load: now scripts of the benchmark lab; typed, they say so
    app.command(_command, hidden=True, context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(evaluate.moved(_command))
app.add_typer(models.models_app, name="models")

if __name__ == "__main__":
    app()
