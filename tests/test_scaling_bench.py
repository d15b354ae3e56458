"""`python -m benchmarks.bench --parts sizes` (benchmarks.scaling): every stage of the query path timed, and the answerer left as it was."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import benchmarks.scaling as scaling
from benchmarks.bench import app
from faq.settings import Settings
from index.deciding.answer import Answerer

QUESTION = "Combien de temps dure la garantie ?"


def test_a_stage_pass_times_every_stage_of_the_query_path(fake_answerer: Answerer) -> None:
    stages = scaling._stage_pass(fake_answerer, QUESTION)
    primary, *members = [m.name.split(":")[0] for m in fake_answerer.searcher.models]
    assert set(stages) == {"language", "background words", "fusion", "bm25 score", "rank: order, groups, hits, known questions",
                           "answer: decision, short answer, highlights", f"{primary} embed",
                           *(f"{n} embed (beside {primary})" for n in members),
                           *(f"{n} search+score" for n in (primary, *members))}
    assert all(ms >= 0 for ms in stages.values())


def test_a_member_embedding_beside_the_primary_is_not_taken_out_of_its_scoring(
        fake_answerer: Answerer, monkeypatch: pytest.MonkeyPatch) -> None:
    # the member's embedding (on the searcher's thread) lasts longer than everything else: subtracting it from its
    # scoring, which never embeds, gave a negative search+score and a ranking that took less than nothing
    member = fake_answerer.searcher._dense()[1]
    embed = member.embed
    monkeypatch.setattr(member, "embed", lambda texts: (time.sleep(0.05), embed(texts))[1])
    stages = scaling._stage_pass(fake_answerer, f"{QUESTION} slow")
    name = member.name.split(":")[0]
    primary = fake_answerer.searcher._dense()[0].name.split(":")[0]
    assert stages[f"{name} embed (beside {primary})"] >= 50
    assert all(ms >= 0 for ms in stages.values()), stages
    assert stages["rank: order, groups, hits, known questions"] >= 40  # the primary's thread waited for the member


def test_timing_the_stages_puts_every_method_back(fake_answerer: Answerer) -> None:
    searcher = fake_answerer.searcher
    detect = searcher.detect  # an attribute of the instance: it must come back as it was
    scaling._stage_pass(fake_answerer, QUESTION)
    assert searcher.detect is detect
    assert "rank" not in vars(searcher) and all("score" not in vars(s) for s, _ in searcher.signals)
    assert fake_answerer.answer_uncached(QUESTION, 3).hits


def test_the_question_sets_are_real_questions_asked_once() -> None:
    warm, timed, staged = scaling._question_sets(seed=0)
    assert (len(warm), len(timed), len(staged)) == (scaling.WARM_UP, scaling.QUESTIONS, scaling.QUESTIONS)
    assert len({*warm, *timed, *staged}) == len(warm) + len(timed) + len(staged)
    assert scaling._question_sets(seed=0) == (warm, timed, staged)


@pytest.mark.slow
def test_corpus_sizes_builds_opens_and_times_each_size(monkeypatch: pytest.MonkeyPatch, fake_models: list, tmp_path: Path) -> None:
    monkeypatch.setattr(scaling, "load_embedders", lambda config: list(fake_models))
    settings = Settings(index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    rows = scaling.corpus_sizes([40, 12], tmp_path / "work", settings, real_up_to=12)
    assert [(r["entries"], r["index_vectors"], r["calibration"]) for r in rows] == [(12, "real", "label-free"), (40, "pooled", "label-free")]
    assert all(r["stages"]["end to end"]["p50"] > 0 for r in rows)
    assert set(rows[1]["pooled_vs_real_cosine"]) == {m.name.split(":")[0] for m in fake_models}
    markdown = scaling.to_markdown(rows)
    assert "| 12 entries | 40 entries |" in markdown and "| p50 / p50 at 12 | 1.0 |" in markdown
    assert not list((tmp_path / "work").glob("synthetic-*"))  # the indexes are removed once measured


def test_each_size_asks_every_question_once_and_never_right_after_another_size() -> None:
    questions = [f"q{i}" for i in range(60)]
    for sizes in (1, 2, 3, 4):
        asked = [[scaling._turn(questions, step, i, sizes) for i in range(sizes)] for step in range(60)]
        for i in range(sizes):
            assert sorted(row[i] for row in asked) == sorted(questions)
        flat = [q for row in asked for q in row]
        last = {}
        for position, q in enumerate(flat):
            assert position - last.get(q, -100) > 16  # USE remembers 16 questions
            last[q] = position


def test_bench_on_an_index_it_cannot_open_says_why_in_one_line(fake_raw_index_dir, tmp_path):
    # the fake index was built with the fake model; the configured one is e5-onnx
    result = CliRunner().invoke(app, ["--parts", "stages", "--index", str(fake_raw_index_dir), "--out", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "error:" in result.output and "Traceback" not in result.output and "faq ingest" in result.output
    assert not (tmp_path / "bench.json").exists()
