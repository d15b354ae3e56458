"""`python -m benchmarks.bench --parts sizes`: the whole query path, stage by stage, at growing corpus sizes.

Each size is a synthetic corpus of real FAQ text (benchmarks.synthetic), built and calibrated through
`usecases.versions.build_loaded`, as `faq ingest` builds one, then opened with `open_answerer`
and asked real questions from the eval sets with the real models; each answer times its own stages
(Answer.timings): each dense model's embedding and scoring (search, hubness, query bank), BM25, the
whole ranking (language, background words, fusion, ordering, the known and off-topic questions),
the decision and the short answer. Up to `REAL_UP_TO` entries the corpus is
embedded by the real models; past it by `PooledEmbedder` (real vectors of the corpus's pieces,
see benchmarks.synthetic), which only changes where the index's vectors come from.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.synthetic import PooledEmbedder, all_pieces, composition_fidelity, real_text, synthetic_corpus
from eval.datasets import ROOT, load_dataset
from eval.metrics import percentiles
from faq.blas import one_blas_thread
from faq.settings import Settings
from index.deciding.answer import Answerer
from index.embedders import Embedder, load_embedders
from index.pipeline import open_answerer
from usecases.versions import build_loaded

REAL_UP_TO = 1000
WORK = ROOT / "var" / "bench-work"  # the synthetic indexes while measured, and the pieces' vectors (kept: minutes to embed)
QUESTIONS = 120  # timed a size, each end to end and stage by stage (the answer's own stage timings)
WARM_UP = 3


def bench_questions(count: int = QUESTIONS, seed: int = 0) -> list[str]:
    """`count` real questions of the eval sets (both languages, answerable or not) after `WARM_UP` others."""
    pool = [q.text for name in ("quebec-en", "quebec-fr", "watch-faq") for q in load_dataset(name).queries]
    return random.Random(seed).sample(sorted(set(pool)), count + WARM_UP)


def _question_sets(seed: int) -> tuple[list[str], list[str]]:
    """Warm-up questions, and the questions timed, end to end and stage by stage: the same for every size."""
    questions = bench_questions(QUESTIONS, seed)
    return questions[:WARM_UP], questions[WARM_UP:]


def _stage_pass(answerer: Answerer, question: str, top_k: int = 5) -> tuple[float, dict[str, float]]:
    """One question answered uncached: its time end to end (ms, this clock) and each stage's as the answer timed it
    (Answer.timings, ms): `score:<model>` per signal (a dense model's embedding included; an ensemble member embeds beside
    the primary, on the searcher's threads), `rank` (the whole ranking), `short answer` (decision, highlights and short
    answer) and `answer` (all of it)."""
    started = time.perf_counter()
    answer = answerer.answer_uncached(question, top_k)
    took = (time.perf_counter() - started) * 1000
    return took, {stage: seconds * 1000 for stage, seconds in answer.timings}


def _turn(questions: Sequence[str], step: int, size: int, sizes: int) -> str:
    """The question size number `size` asks at `step`: the list started `size / sizes` of the way through."""
    return questions[(step + size * len(questions) // sizes) % len(questions)]


def build_size(size: int, work: Path, settings: Settings, models: list[Embedder], seed: int = 0, real_up_to: int = REAL_UP_TO,
               progress: Callable[[str], None] = lambda _: None) -> tuple[dict[str, Any], Answerer]:
    """Build, calibrate and open one synthetic corpus of `size` entries: its row (times) and its answerer."""
    text = real_text()
    synthetic = synthetic_corpus(size, seed, text)
    pooled = size > real_up_to
    pooled_models = [PooledEmbedder(m, synthetic, all_pieces(text), work / "pieces") for m in models] if pooled else []
    builders: list[Embedder] = [*pooled_models] if pooled else models
    root = work / f"synthetic-{size}"
    shutil.rmtree(root, ignore_errors=True)
    progress(f"{size} entries: building ({'pooled vectors' if pooled else 'real models'})")
    started = time.perf_counter()
    built = build_loaded(synthetic.corpus, root, settings, builders)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    answerer = open_answerer(root, settings.retrieval(), models)
    open_s = time.perf_counter() - started
    row: dict[str, Any] = {
        "entries": size, "vectors": built.manifest.vector_count, "index_vectors": "pooled" if pooled else "real",
        "build_s": round(built.manifest.build_seconds, 2), "calibrate_s": round(build_s - built.manifest.build_seconds, 2),
        "open_s": round(open_s, 3), "calibration": built.calibrated.calibration.method,
    }
    if pooled:
        row["pooled_vs_real_cosine"] = {m.name.split(":")[0]: composition_fidelity(m, synthetic, b) for m, b in zip(models, pooled_models)}
    return row, answerer


def corpus_sizes(sizes: Sequence[int], work: Path, settings: Settings, seed: int = 0, real_up_to: int = REAL_UP_TO,
                 progress: Callable[[str], None] = lambda _: None) -> list[dict[str, Any]]:
    """One row per size, smallest first. Every size is built and opened first; then each question is asked of every
    size in turn (timed end to end and stage by stage at once), so a machine whose load drifts weighs on every size alike."""
    models = load_embedders(settings.retrieval())
    for m in models:
        m.warm_up()
    warm, timed = _question_sets(seed)
    built = [build_size(n, work, settings, models, seed, real_up_to, progress) for n in sorted(sizes)]
    one_blas_thread()  # as a service answers (usecases.answering): built with the default team, asked with one thread
    progress(f"asking {len(timed)} questions of every size in turn")
    timings: list[dict[str, list[float]]] = [{"end to end": []} for _ in built]
    load = os.getloadavg()[0]
    for question in warm:
        for _, answerer in built:
            answerer.answer_uncached(question, 5)
    # The models are shared and USE remembers the last 16 questions it embedded: each size asks the same questions
    # in the same order, but from another place in the list, so that no size gets a question another just asked.
    for step in range(len(timed)):
        for i, (times, (_, answerer)) in enumerate(zip(timings, built)):
            took, stages = _stage_pass(answerer, _turn(timed, step, i, len(built)))
            times["end to end"].append(took)
            for stage, ms in stages.items():
                times.setdefault(stage, []).append(ms)
    load = round((load + os.getloadavg()[0]) / 2, 1)
    rows = [{**row, "stages": {k: percentiles(v, digits=3) for k, v in times.items()}, "load_average": load}
            for (row, _), times in zip(built, timings)]
    del built
    for n in sizes:
        shutil.rmtree(work / f"synthetic-{n}", ignore_errors=True)
    return rows


def to_markdown(rows: Sequence[dict[str, Any]]) -> str:
    """p50 / p95 ms per stage (rows) and corpus size (columns), then build, calibration and open times."""
    if not rows:
        return ""
    stages = list(dict.fromkeys(s for r in rows for s in r["stages"]))
    head = " | ".join(f"{r['entries']:,} entries" for r in rows)
    lines = ["Query path by corpus size (p50 / p95 ms, uncached, real models embedding the question; the stages as each answer "
             "timed itself: `score:<model>` its embedding and scoring, `rank` the whole ranking, `short answer` the decision, "
             "highlights and short answer):", "",
             f"| stage | {head} |", "|---" * (len(rows) + 1) + "|"]
    for stage in stages:
        cells = [f"{r['stages'][stage]['p50']} / {r['stages'][stage]['p95']}" if stage in r["stages"] else "–" for r in rows]
        lines.append(f"| {stage} | {' | '.join(cells)} |")
    for label, key in (("vectors", "vectors"), ("index vectors from", "index_vectors"), ("build s (embedding included)", "build_s"),
                       ("calibrate s", "calibrate_s"), ("open s (models loaded)", "open_s")):
        lines.append(f"| {label} | {' | '.join(str(r[key]) for r in rows)} |")
    lines.append(f"| load average (2 cores) | {' | '.join(str(r.get('load_average', '–')) for r in rows)} |")
    base = rows[0]["stages"]["end to end"]["p50"]
    lines.append(f"| p50 / p50 at {rows[0]['entries']} | {' | '.join(str(round(r['stages']['end to end']['p50'] / base, 2)) for r in rows)} |")
    return "\n".join(lines) + "\n"
