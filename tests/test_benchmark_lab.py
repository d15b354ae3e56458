"""The benchmark lab (benchmarks/) is the source checkout's scripts, not the installed `faq` command's: `faq bench` and
`faq load` say which script does it now, with the arguments they were given."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import benchmarks.load
from benchmarks.bench import app as bench
from benchmarks.load import app as load
from cli.main import app as faq


@pytest.mark.parametrize("command, args, script", [("bench", ["--parts", "stages", "-c", "1"], "benchmarks.bench"),
                                                   ("load", ["--url", "http://127.0.0.1:8000", "--repeated"], "benchmarks.load")])
def test_the_moved_commands_name_their_script(command, args, script):
    result = CliRunner().invoke(faq, [command, *args])
    assert result.exit_code == 1 and "Traceback" not in result.output
    said = " ".join(result.output.split())
    assert f"faq {command} moved to the benchmark lab" in said and f"python -m {script} {' '.join(args)}" in said


def test_the_moved_commands_are_not_listed():
    listed = CliRunner().invoke(faq, ["--help"]).output
    assert "eval" in listed and " bench " not in listed and " load " not in listed


def test_the_scripts_take_the_commands_options():
    assert "--corpus-sizes" in CliRunner().invoke(bench, ["--help"]).output
    assert "--repeated" in CliRunner().invoke(load, ["--help"]).output


def test_the_load_script_refuses_another_machine_in_one_line():
    result = CliRunner().invoke(load, ["--url", "http://example.com", "-c", "1", "--seconds", "1"])
    assert result.exit_code == 1 and "load runs only against this machine" in " ".join(result.output.split())


def test_the_stage_part_reports_the_answers_own_stages(fake_index_dir, fake_models, monkeypatch):
    import functools

    import index.pipeline
    from benchmarks import bench as bench_module
    from benchmarks.bench import STAGES_NOTE, stage_latency, to_markdown

    monkeypatch.setattr(index.pipeline, "load_embedders", lambda config: list(fake_models))
    # of the idle-CPU figure this test only reads that it is there: 2 pauses of 50 ms instead of the bench's 20 (1 s asleep)
    monkeypatch.setattr(bench_module, "idle_cpu_after_question", functools.partial(bench_module.idle_cpu_after_question, rounds=2))
    result = stage_latency(fake_index_dir, rounds=1)
    assert result["idle_cpu_ms"] >= 0
    signals = [f"score:{m.name.split(':')[0]}" for m in fake_models] + ["score:bm25"]
    assert set(result["stages"]) == {"end to end (uncached)", *signals, "rank", "short answer", "answer", "end to end (cached)"}
    assert result["questions"] == len(benchmarks.load.QUESTIONS)
    assert STAGES_NOTE in to_markdown({"stages": result})
