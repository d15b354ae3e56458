"""What the lifespan puts on `app.state`: the searcher when ready, or why it is not."""

from __future__ import annotations

from dataclasses import dataclass

from feedback.store import FeedbackStore
from index.deciding.answer import Answerer

Fingerprint = tuple[str, int, int, int]  # version, manifest inode, mtime_ns, size (service.lifecycle.index_fingerprint)


@dataclass(frozen=True)
class ServiceState:
    answerer: Answerer | None
    feedback: FeedbackStore | None = None
    not_ready_reason: str | None = None
    load_seconds: float = 0.0
    source: Fingerprint | None = None  # the index on disk when this state was loaded: the watcher reloads when it changes

    @property
    def version(self) -> str | None:
        """The index version being served; None while not ready."""
        return self.answerer.searcher.index.version if self.answerer is not None else None
