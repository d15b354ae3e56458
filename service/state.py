"""What the lifespan puts on `app.state`: the searcher when ready, or why it is not."""

from __future__ import annotations

from dataclasses import dataclass

from index.search import Searcher


@dataclass(frozen=True)
class ServiceState:
    searcher: Searcher | None
    not_ready_reason: str | None = None
    load_seconds: float = 0.0
