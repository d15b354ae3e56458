"""The bench's report (benchmarks.bench.to_markdown): what it says about HTTP against in process."""

from benchmarks.bench import to_markdown

RUN = {"workers": 1, "cold_start_to_ready_s": 5.0, "clients": {"1": {"req_per_s": 37.0, "p50_ms": 25.0, "p95_ms": 40.0, "p99_ms": 45.0, "errors": 0}},
       "cached_1_client": {"req_per_s": 300.0, "p50_ms": 3.0, "p95_ms": 4.0, "p99_ms": 9.0}, "memory": {"rss_mb": 745.0, "pss_mb": 714.0}}
STAGES = {"cold_start_s": 4.0, "rss_mb": 760.0, "stages": {"end to end (uncached)": {"p50_ms": 18.0, "p95_ms": 28.0, "p99_ms": 37.0}}}


def test_the_overhead_is_taken_from_the_alternating_blocks_when_they_ran():
    window = {"questions_each": 160, "http_p50_ms": 21.5, "in_process_p50_ms": 17.0, "overhead_ms": 4.5}
    report = to_markdown({"stages": STAGES, "http": [{**RUN, "same_window": window}]})
    assert "alternating blocks (160 each way" in report and "4.5 ms for HTTP" in report
    assert "7.0 ms for HTTP" not in report  # not the p50s taken minutes apart


def test_without_the_blocks_it_compares_the_stage_run_with_the_load_run():
    assert "7.0 ms for HTTP" in to_markdown({"stages": STAGES, "http": [RUN]})
