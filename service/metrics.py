"""What /metrics serves, in the Prometheus text format: requests, latency, stages, cache, answers, the served index.

One `Metrics` per app, on its own registry, so two apps in one process (tests) never share counts.
Under `faq serve --workers N` each worker writes its values to files in PROMETHEUS_MULTIPROC_DIR
(prometheus-client's multiprocess mode, chosen when the library is imported) and a scrape, whichever
worker takes it, adds every worker's up: counters and histograms summed (a worker that exited
still counts), the served-index gauges over the live workers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

from index.deciding.answer import Answer
from service.state import ServiceState
from usecases.sync import SyncReport

__all__ = ["CONTENT_TYPE_LATEST", "Metrics", "UNMATCHED"]

UNMATCHED = "<unmatched>"  # the route label of a path no route serves: raw paths would make one series per URL tried

# from a cached answer (~1 ms) to a cold model on a busy machine; the stages' too, from BM25's tenth of a millisecond
_REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_STAGE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    stages: Histogram
    cache: Counter
    questions: Counter
    outcomes: Counter
    corrected: Counter
    index_info: Gauge
    index_load_seconds: Gauge
    reload_failures: Counter
    syncs: Counter
    sync_last: Gauge
    multiprocess_dir: Path | None = None

    @classmethod
    def create(cls, multiprocess_dir: Path | None = None) -> Metrics:
        """`multiprocess_dir`: PROMETHEUS_MULTIPROC_DIR when the workers share one (Settings.metrics_dir)."""
        r = CollectorRegistry(auto_describe=True)
        return cls(
            registry=r,
            requests=Counter("faq_http_requests", "HTTP requests by route template, method and status", ["route", "method", "status"],
                             registry=r),
            latency=Histogram("faq_http_request_duration_seconds", "Time from request to the response's last byte, per route template",
                              ["route"], buckets=_REQUEST_BUCKETS, registry=r),
            stages=Histogram("faq_stage_duration_seconds", "Time per stage of an answer that was computed (not cached): "
                             "score:<model> per signal, rank (all signals and fusion), short answer, answer (the whole)",
                             ["stage"], buckets=_STAGE_BUCKETS, registry=r),
            cache=Counter("faq_answer_cache", "Questions answered from the answer cache (hit) or computed (miss)", ["result"], registry=r),
            questions=Counter("faq_questions", "Questions answered (answerable=true) or refused as not covered by the FAQ, per surface",
                              ["surface", "answerable"], registry=r),
            outcomes=Counter("faq_outcomes", "Questions per decision outcome (answer, related, none: index.deciding.decide), per surface",
                             ["surface", "outcome"], registry=r),
            corrected=Counter("faq_questions_corrected", "Questions searched with misspelt words corrected to the FAQ's "
                              "(index.ranking.spelling), per surface", ["surface"], registry=r),
            index_info=Gauge("faq_index_info", "1 for the index version served (0 for one served before)", ["version"],
                             multiprocess_mode="livemax", registry=r),
            index_load_seconds=Gauge("faq_index_load_seconds", "Seconds the served index took to load and warm up",
                                     multiprocess_mode="livemax", registry=r),
            reload_failures=Counter("faq_index_reload_failures", "Index reloads that failed (the last good index kept serving)",
                                    registry=r),
            syncs=Counter("faq_syncs", "Scheduled syncs (FAQ_SYNC_INTERVAL) by outcome: switched, unchanged, failed", ["outcome"],
                          registry=r),
            # one series per figure of the last sync: set by the process that ran it, and by the others at their next tick
            sync_last=Gauge("faq_sync_last", "The last scheduled sync: started (unix time), seconds, success (1, or 0 when it "
                            "failed), pages fetched, unchanged and failed, entries added, changed and removed, texts embedded",
                            ["figure"], multiprocess_mode="mostrecent", registry=r),
            multiprocess_dir=multiprocess_dir,
        )

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def observe_answer(self, surface: str, answer: Answer, cached: bool) -> None:
        """One question answered; its stages only when it was computed (a cached answer's are its first asking's)."""
        self.cache.labels("hit" if cached else "miss").inc()
        self.questions.labels(surface, "true" if answer.answerable else "false").inc()
        self.outcomes.labels(surface, answer.outcome).inc()
        if answer.corrected is not None:
            self.corrected.labels(surface).inc()
        if not cached:
            for stage, seconds in answer.timings:
                self.stages.labels(stage).observe(seconds)

    def served(self, old: ServiceState | None, new: ServiceState) -> None:
        """The app now serves `new` (the lifespan's first load, or a reload's outcome)."""
        before, now = (old.version if old else None), (new.version if new else None)
        if before is not None and before != now:
            self.index_info.labels(before).set(0)
        if now is not None:
            self.index_info.labels(now).set(1)
        if new.answerer is not None and (old is None or new.answerer is not old.answerer):  # loaded, not kept after a failure
            self.index_load_seconds.set(new.load_seconds)

    def synced(self, report: SyncReport) -> None:
        """A scheduled sync ran in this process (usecases.sync)."""
        self.syncs.labels(report.outcome).inc()
        self.last_sync(report)

    def last_sync(self, report: SyncReport) -> None:
        """The figures of the last sync, whichever process or replica ran it (`faq_syncs_total` counts this process's)."""
        figures = {"started": report.started_at, "seconds": report.seconds, "success": float(report.outcome != "failed"),
                   "pages_fetched": report.pages_fetched, "pages_unchanged": report.pages_unchanged,
                   "pages_failed": report.pages_failed, "entries_added": report.entries_added,
                   "entries_changed": report.entries_changed, "entries_removed": report.entries_removed,
                   "texts_embedded": report.texts_embedded}
        for figure, value in figures.items():
            self.sync_last.labels(figure).set(value)

    def reload_failed(self) -> None:
        self.reload_failures.inc()

    def render(self) -> bytes:
        """The text format: this process's registry, or every worker's files in multiprocess mode."""
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(self.multiprocess_dir))
        return generate_latest(registry)

    def close(self) -> None:
        """A worker leaving: its served-index gauges stop counting (its counters still do)."""
        if self.multiprocess_dir is not None:
            multiprocess.mark_process_dead(os.getpid(), path=str(self.multiprocess_dir))
