"""Two real `faq serve` replicas (real models, separate index folders) on one PostgreSQL database, and nginx in front.

They start empty and fetch the published version; feedback given to one shows in the other's analytics;
an ingest on a third folder ("another host") switches both, and a rollback both back; under load, a
replica killed with kill -9 leaves the other answering, directly and through the shipped nginx config.
The figures (requests, errors, swap time across replicas) are printed: run with -s to see them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest

from benchmarks.load import LoadResult

from conftest import ADMIN_TOKEN, CORPUS
from nginxserver import render, start_nginx
from serving import free_port, wait_ready

pytestmark = [pytest.mark.model, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
POLL = 0.2  # FAQ_RELOAD_POLL_SECONDS of the replicas
EXTRA_FAQ = """# Extras

## Gravure

### Proposez-vous la gravure du boîtier ?

Oui : la gravure du fond de boîtier est offerte pour toute montre neuve, jusqu'à vingt caractères.
"""


def figure(line: str) -> None:
    print(f"\nREPLICAS {line}", flush=True)


@dataclass
class Replica:
    name: str
    port: int
    index_dir: Path
    log: Path
    env: dict[str, str]
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(self.port), "--index", str(self.index_dir)],
                                            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        wait_ready(self.url, 180, self.process, self.log, every=0.2)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:  # self.running(), spelt out for mypy
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def ready(self) -> dict:
        return httpx.get(f"{self.url}/readyz", timeout=5).json()


@dataclass
class Fleet:
    database: str
    env: dict[str, str]
    builder: Path  # the index folder of "another host", where faq ingest and faq rollback run
    replicas: list[Replica] = field(default_factory=list)

    def cli(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def served_at(self) -> tuple[str, float]:
        with psycopg.connect(self.database) as db:
            row = db.execute("SELECT version, extract(epoch FROM served_at) FROM index_served").fetchone()
        assert row is not None, "no version is served"
        version, at = row
        return version, float(at)

    def ensure_running(self) -> None:
        for replica in self.replicas:
            if not replica.running():
                replica.start()


@pytest.fixture(scope="module")
def fleet(postgres_server, tmp_path_factory) -> Iterator[Fleet]:
    base = tmp_path_factory.mktemp("replicas")
    database = postgres_server.fresh_database()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FAQ_DATABASE_URL": database, "FAQ_RELOAD_POLL_SECONDS": str(POLL),
           "FAQ_RATE_LIMIT_PER_MINUTE": "0", "FAQ_ADMIN_TOKEN": ADMIN_TOKEN, "FAQ_CORPUS": str(CORPUS)}
    fleet = Fleet(database, {**env, "FAQ_DATA_DIR": str(base / "builder-data")}, base / "builder")
    started = time.monotonic()
    fleet.cli("ingest", str(CORPUS), "--index", str(fleet.builder))
    figure(f"first ingest (real models) and publication: {time.monotonic() - started:.1f} s")
    for name in ("a", "b"):
        fleet.replicas.append(Replica(name, free_port(), base / name / "index", base / f"{name}.log",
                                      {**env, "FAQ_DATA_DIR": str(base / name / "data")}))
    try:
        for replica in fleet.replicas:
            replica.start()
        yield fleet
    finally:
        for replica in fleet.replicas:
            replica.stop()
        postgres_server.drop_database(database)


def test_replicas_starting_with_empty_folders_serve_the_published_version(fleet):
    published, _ = fleet.served_at()
    for replica in fleet.replicas:
        ready = replica.ready()
        assert ready["index_version"] == published
        assert ready["replication"]["published"] == published and ready["replication"]["in_sync"] is True
        assert ready["replication"]["error"] is None
        assert f"fetched index version {published} from the database" in replica.log.read_text()


def test_feedback_given_to_one_replica_shows_in_the_others_analytics(fleet):
    a, b = fleet.replicas
    question = "Puis-je faire graver ma montre au laser ?"
    asked = httpx.post(f"{a.url}/v1/query", json={"question": question}, timeout=30).json()
    entry = asked["results"][0]["entry_id"]
    given = httpx.post(f"{b.url}/v1/feedback", json={"query_id": asked["query_id"], "entry_id": entry, "verdict": "not_relevant"},
                       timeout=30)
    assert given.status_code == 201, given.text
    analytics = httpx.get(f"{b.url}/v1/analytics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30)
    assert analytics.status_code == 200
    assert question in {q["question"] for q in analytics.json()["top_questions"]}
    assert entry in {e["entry_id"] for e in analytics.json()["not_relevant_entries"]}


def watch_versions(fleet: Fleet, wanted: str, seconds: float = 120) -> dict[str, float]:
    """When each replica's /readyz first named `wanted` (time.time())."""
    seen: dict[str, float] = {}
    deadline = time.monotonic() + seconds
    while len(seen) < len(fleet.replicas) and time.monotonic() < deadline:
        for replica in fleet.replicas:
            if replica.name not in seen and replica.ready().get("index_version") == wanted:
                seen[replica.name] = time.time()
        time.sleep(0.02)
    return seen


def fetch_seconds(replica: Replica, version: str) -> str:
    last = replica.ready()["replication"]["last_fetch"]
    return f"{last['seconds']:.2f} s" if last and last["what"] == version else "?"


def test_an_ingest_elsewhere_switches_both_replicas_and_a_rollback_switches_both_back(fleet, tmp_path):
    before, _ = fleet.served_at()
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "extras.fr.md").write_text(EXTRA_FAQ, encoding="utf-8")
    fleet.cli("ingest", str(corpus), "--index", str(fleet.builder))
    after, published_at = fleet.served_at()
    assert after != before
    seen = watch_versions(fleet, after)
    assert set(seen) == {"a", "b"}, f"switched: {seen}"
    fetches = ", ".join(f"{r.name} {fetch_seconds(r, after)}" for r in fleet.replicas)
    loads = ", ".join(f"{r.name} {r.ready()['load_seconds']:.2f} s" for r in fleet.replicas)
    figure(f"ingest: published {after}; serving it after {', '.join(f'{n} {t - published_at:.2f} s' for n, t in sorted(seen.items()))} "
           f"(between replicas {max(seen.values()) - min(seen.values()):.2f} s; poll {POLL} s; "
           f"of which fetching: {fetches}; loading the index: {loads})")
    for replica in fleet.replicas:
        answer = httpx.post(f"{replica.url}/v1/query", json={"question": "Proposez-vous la gravure du boîtier ?"}, timeout=30).json()
        assert answer["index_version"] == after and answer["results"][0]["document"] == "Extras"

    fleet.cli("rollback", "--index", str(fleet.builder))
    back, rolled_at = fleet.served_at()
    assert back == before
    seen = watch_versions(fleet, before)
    assert set(seen) == {"a", "b"}, f"switched back: {seen}"
    figure(f"rollback: serving {before} again after {', '.join(f'{n} {t - rolled_at:.2f} s' for n, t in sorted(seen.items()))} "
           f"(between replicas {max(seen.values()) - min(seen.values()):.2f} s)")


LOAD = ("import asyncio, dataclasses, json, sys; from benchmarks.load import run_load; print('started', flush=True); "
        "print(json.dumps(dataclasses.asdict(asyncio.run(run_load(sys.argv[1], clients=int(sys.argv[2]), "
        "seconds=float(sys.argv[3]), max_requests=20_000)))))")


def start_load(fleet: Fleet, url: str, seconds: float, clients: int) -> subprocess.Popen:
    """benchmarks.load in a process of its own (clients hammering a dead replica must not starve the others of
    this one's GIL); returns once its imports are done and the requests begin."""
    process = subprocess.Popen([sys.executable, "-c", LOAD, url, str(clients), str(seconds)], cwd=ROOT, env=fleet.env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().strip() == "started", process.stderr.read()
    return process


def load_result(process: subprocess.Popen) -> LoadResult:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return LoadResult(**json.loads(out.strip().splitlines()[-1]))


def summary(result: LoadResult) -> str:
    errors = ", ".join(f"{k} {v}" for k, v in sorted(result.errors.items())) or "none"
    return f"{result.requests} requests, errors: {errors}, p50 {result.p50_ms:.0f} ms"


def test_a_replica_killed_under_load_leaves_the_other_answering(fleet):
    fleet.ensure_running()
    a, b = fleet.replicas
    loads = {"a": start_load(fleet, a.url, 5, 4), "b": start_load(fleet, b.url, 5, 4)}
    time.sleep(2)
    b.kill()
    results = {name: load_result(process) for name, process in loads.items()}
    figure(f"direct, b killed after 2 s of 5: survivor a: {summary(results['a'])}; killed b: {summary(results['b'])}")
    assert results["a"].errors == {} and results["a"].requests > 0
    assert results["b"].errors  # its clients saw it go: nothing in front of it moves them over
    assert a.ready()["status"] == "ready"


def test_through_nginx_a_replica_killed_under_load_costs_at_most_the_requests_in_flight(fleet, nginx_binary, tmp_path):
    """deploy/nginx.conf asks the other replica again: a refused connection for any request, a lost
    answer for /v1/query (non_idempotent there), so none is usually lost; never more than those in flight at the kill."""
    fleet.ensure_running()
    a, b = fleet.replicas
    port = free_port()
    nginx = start_nginx(nginx_binary, render((a.port, b.port), port), tmp_path / "nginx", port)
    try:
        through = httpx.post(f"{nginx.url}/v1/query", json={"question": "garantie ?"}, headers={"X-Request-ID": "from-the-client"},
                             timeout=30)
        assert through.status_code == 200 and through.headers["x-request-id"] == "from-the-client"
        load = start_load(fleet, nginx.url, 5, 8)
        time.sleep(2)
        b.kill()
        result = load_result(load)
        figure(f"through nginx, b killed after 2 s of 5: {summary(result)}")
        assert result.requests > 0
        assert sum(result.errors.values()) <= 8, result.errors  # at most the 8 clients' requests in flight at the kill
        assert httpx.post(f"{nginx.url}/v1/query", json={"question": "livraison ?"}, timeout=30).status_code == 200
        log = (tmp_path / "nginx" / "logs" / "access.log").read_text()
        assert f"127.0.0.1:{a.port}" in log and f"127.0.0.1:{b.port}" in log  # both replicas served before the kill
    finally:
        nginx.stop()
