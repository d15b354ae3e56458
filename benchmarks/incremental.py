"""`python -m benchmarks.incremental [--size 1000 --size 10000] [--changed 0.01]`: a full ingest against a re-ingest
with a share of the entries changed (index.disk.reuse), with the configured models (default: e5-onnx-int8 + USE).

Each size is a synthetic corpus of real FAQ text (benchmarks.synthetic) built and calibrated through
`usecases.versions.build_loaded`, as `faq ingest` builds one (models loaded once, before both); then `--changed` of its
entries get a rewritten answer (another entry's first sentence appended) and it is ingested again into the same
folder, reusing the served version's vectors. Prints and writes (var/bench/incremental.json) each one's wall time,
its build time (embedding and writing, without calibration), the rest (mostly calibration) and the texts embedded and
reused.

`--pooled-from N`: sizes of N entries and more are embedded as benchmarks.scaling embeds them past its real-model limit
(benchmarks.synthetic.PooledEmbedder: a composed title or passage gets the mean of its real pieces' vectors, any other
text, a changed answer, a terse question or an off-topic line, goes to the real model), so that a full build of 100,000
entries takes minutes; the re-ingest's own work (reuse, BM25, IVF, neighbourhoods, calibration) is then the real one.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from benchmarks.synthetic import PooledEmbedder, all_pieces, real_text, synthetic_corpus
from eval.datasets import ROOT
from faq.settings import Settings
from index.embedders import Embedder, load_embedders
from ingest.corpus import Corpus
from usecases.versions import BuildResult, build_loaded

WORK = ROOT / "var" / "bench-work" / "incremental"


def changed(corpus: Corpus, share: float, seed: int = 0) -> Corpus:
    rng = random.Random(seed)
    entries = list(corpus.entries)
    for i in rng.sample(range(len(entries)), max(1, round(share * len(entries)))):
        other = entries[rng.randrange(len(entries))].answer.split(". ")[0]
        entries[i] = replace(entries[i], answer=f"{entries[i].answer} {other}.")
    return replace(corpus, entries=tuple(entries), checksum=f"{corpus.checksum}-changed-{share}-{seed}")


def run(size: int, share: float, settings: Settings, pooled: bool = False) -> dict:
    models: list[Embedder] = load_embedders(settings.retrieval())
    for model in models:
        model.warm_up()
    synthetic = synthetic_corpus(size)
    corpus = synthetic.corpus
    if pooled:
        text = real_text()
        models = [PooledEmbedder(m, synthetic, all_pieces(text), WORK.parent / "pieces") for m in models]
    root = WORK / str(size)
    shutil.rmtree(root, ignore_errors=True)
    timed: dict[str, tuple[float, BuildResult]] = {}
    for name, version in (("full", corpus), ("incremental", changed(corpus, share))):
        started = time.perf_counter()
        result = build_loaded(version, root, settings.model_copy(update={"index_dir": root}), models)
        timed[name] = (time.perf_counter() - started, result)
    row: dict = {"entries": size, "changed_share": share, "models": [m.name for m in models], "pooled": pooled}
    for name, (seconds, result) in timed.items():
        c = result.changes
        assert c is not None
        row[name] = {"seconds": round(seconds, 2), "build_seconds": result.manifest.build_seconds,
                     "rest_seconds": round(seconds - result.manifest.build_seconds, 2),
                     "texts_embedded": c.texts_embedded, "texts_reused": c.texts_reused,
                     "entries_added": c.added, "entries_changed": c.changed, "entries_removed": c.removed}
    row["wall_ratio"] = round(timed["incremental"][0] / timed["full"][0], 4)
    row["build_ratio"] = round(timed["incremental"][1].manifest.build_seconds / timed["full"][1].manifest.build_seconds, 4)
    shutil.rmtree(root, ignore_errors=True)
    return row


def main(size: Annotated[list[int], typer.Option("--size", help="entries (repeatable)")] = [1000],  # noqa: B006 - typer's list default
         changed_share: Annotated[float, typer.Option("--changed", help="share of entries changed")] = 0.01,
         out: Annotated[Path, typer.Option(help="folder of the JSON report")] = ROOT / "var" / "bench",
         pooled_from: Annotated[int, typer.Option(help="sizes from this one embed composed texts from their pieces' vectors")] = 50_000,
         ) -> None:
    settings = Settings(calibration_set=None, data_dir=WORK / "data")
    rows = []
    for n in size:
        rows.append(run(n, changed_share, settings, pooled=n >= pooled_from))
        print(json.dumps(rows[-1]), flush=True)
    out.mkdir(parents=True, exist_ok=True)
    (out / "incremental.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    typer.run(main)
