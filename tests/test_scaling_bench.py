"""`python -m benchmarks.bench --parts sizes` (benchmarks.scaling): every stage of the query path timed by the answer itself,\nand the answerer left as it was."""

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
    took, stages = scaling._stage_pass(fake_answerer, QUESTION)
    signals = fake_answerer.searcher.signal_names  # the primary, the ensemble member, BM25
    assert set(stages) == {*(f"score:{name}" for name in signals), "rank", "short answer", "answer"}
    assert all(ms >= 0 for ms in stages.values()) and took >= stages["answer"] >= stages["rank"]


def test_a_stage_pass_reads_the_answers_own_timings(fake_answerer: Answerer) -> None:
    # the bench and /metrics see the same stages: what answer_uncached timed, not a clock of the bench's own around its parts
    answer = fake_answerer.answer_uncached(f"{QUESTION} once", 5)
    _, stages = scaling._stage_pass(fake_answerer, f"{QUESTION} twice")
    assert [stage for stage, _ in answer.timings] == list(stages)


def test_a_member_embedding_beside_the_primary_counts_in_its_score_and_in_the_ranking(
        fake_answerer: Answerer, monkeypatch: pytest.MonkeyPatch) -> None:
    # the member embeds on the searcher's thread while the primary embeds on this one: its score stage holds its embedding,
    # and the ranking waited for it
    from index.ranking.signals import DenseSignal

    member = fake_answerer.searcher.signals[1][0]
    assert isinstance(member, DenseSignal)
    monkeypatch.setattr(member.embedder, "cheap", False)  # a slow model: embedded on the searcher's thread, as a real one is
    embed = member.embed

    def slow_embed(texts):
        time.sleep(0.05)
        return embed(texts)

    monkeypatch.setattr(member, "embed", slow_embed)
    took, stages = scaling._stage_pass(fake_answerer, f"{QUESTION} slow")
    assert stages[f"score:{member.name.split(':')[0]}"] >= 50 and stages["rank"] >= 50 and took >= 50
    assert all(ms >= 0 for ms in stages.values()), stages


def test_timing_the_stages_replaces_nothing_on_the_answerer(fake_answerer: Answerer) -> None:
    searcher = fake_answerer.searcher
    before = [dict(vars(o)) for o in (fake_answerer, searcher, *(s for s, _ in searcher.signals))]
    scaling._stage_pass(fake_answerer, QUESTION)
    after = [dict(vars(o)) for o in (fake_answerer, searcher, *(s for s, _ in searcher.signals))]
    assert [set(v) for v in after] == [set(v) for v in before]
    assert all(a[k] is b[k] for a, b in zip(after, before) for k in b if callable(b[k]))
    assert fake_answerer.answer_uncached(QUESTION, 3).hits


def test_the_question_sets_are_real_questions_asked_once() -> None:
    warm, timed = scaling._question_sets(seed=0)
    assert (len(warm), len(timed)) == (scaling.WARM_UP, scaling.QUESTIONS)
    assert len({*warm, *timed}) == len(warm) + len(timed)
    assert scaling._question_sets(seed=0) == (warm, timed)


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
        last: dict[str, int] = {}
        for position, q in enumerate(flat):
            assert position - last.get(q, -100) > 16  # USE remembers 16 questions
            last[q] = position


def test_bench_on_an_index_it_cannot_open_says_why_in_one_line(fake_raw_index_dir, tmp_path):
    # the fake index was built with the fake model; the configured one is e5-onnx
    result = CliRunner().invoke(app, ["--parts", "stages", "--index", str(fake_raw_index_dir), "--out", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "error:" in result.output and "Traceback" not in result.output and "faq ingest" in result.output
    assert not (tmp_path / "bench.json").exists()
