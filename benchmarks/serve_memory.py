"""Memory of `faq serve --workers N` as a user starts it: RSS, PSS and private MB of each of its processes.

PSS (proportional set size, /proc/PID/smaps_rollup) splits a page shared by k processes into k parts, so the
processes' PSS add up to what the service really takes; "second worker adds" is the total with 2 workers less the
total with 1. Each run serves the index given, answers `--questions` distinct questions (spread over the workers), then
reads every process of the tree.

    PYTHONPATH=. python -m benchmarks.serve_memory --index-dir DIR [--workers 1 --workers 2] [--questions 40]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.bench import _descendants, _free_port, _wait_ready
from benchmarks.load import QUESTIONS


def smaps(pid: int) -> dict[str, Any]:
    """One process's Rss, Pss and private (clean + dirty) MB, and its command line's last words."""
    lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    fields = {line.split(":")[0]: float(line.split()[1]) / 1024 for line in lines[1:] if line.split()[-1] == "kB"}
    command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    return {"pid": pid, "rss": fields.get("Rss", 0.0), "pss": fields.get("Pss", 0.0),
            "private": fields.get("Private_Clean", 0.0) + fields.get("Private_Dirty", 0.0), "command": command[-60:]}


def _wait_started(log: Path, workers: int, timeout: float = 300.0) -> None:
    """Until every worker has said it started: /readyz answers as soon as one has, and the others would get no question."""
    deadline = time.monotonic() + timeout
    while log.read_text(errors="replace").count("Application startup complete") < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"not all {workers} workers started after {timeout} s")
        time.sleep(0.2)


def serve(index_dir: Path, workers: int, questions: int) -> list[dict[str, Any]]:
    """Every process of one `faq serve --workers N` after `questions` answers."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="faq-serve-memory-") as data:
        env = {**os.environ, "FAQ_INDEX_DIR": str(index_dir), "FAQ_RATE_LIMIT_PER_MINUTE": "0", "FAQ_DATA_DIR": data,
               "FAQ_RELOAD_POLL_SECONDS": "0"}
        log = Path(data) / "serve.log"
        with log.open("wb") as out:
            server = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(port), "--workers", str(workers)],
                                      env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_ready(url, server, time.perf_counter())
            _wait_started(log, workers)
            for i in range(max(questions, 4 * workers)):  # enough for every worker to have loaded and answered
                question = f"{QUESTIONS[i % len(QUESTIONS)]} ({i})"
                # a connection each: one kept alive would take every question to the same worker
                httpx.post(f"{url}/v1/query", json={"question": question, "top_k": 5}, timeout=60).raise_for_status()
            time.sleep(1.0)
            return [smaps(pid) for pid in _descendants(server.pid)]
        finally:
            server.terminate()
            server.wait(timeout=30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, default=Path(os.environ.get("FAQ_INDEX_DIR", "var/index")))
    parser.add_argument("--workers", type=int, action="append", help="repeatable; default 1 and 2")
    parser.add_argument("--questions", type=int, default=40)
    args = parser.parse_args(argv)
    totals = {}
    for n in args.workers or [1, 2]:
        rows = serve(args.index_dir, n, args.questions)
        print(f"\n--workers {n}\n| pid | RSS MB | PSS MB | private MB | process |\n|---|---|---|---|---|")
        for row in rows:
            print(f"| {row['pid']} | {row['rss']:.0f} | {row['pss']:.0f} | {row['private']:.0f} | {row['command']} |")
        totals[n] = sum(row["pss"] for row in rows)
        print(f"| | | {totals[n]:.0f} | | all processes (PSS) |")
    if 1 in totals and 2 in totals:
        print(f"\nsecond worker adds {totals[2] - totals[1]:.0f} MB PSS")


if __name__ == "__main__":
    main()
