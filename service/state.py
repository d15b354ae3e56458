"""What the lifespan puts on `app.state`: the searcher when ready, or why it is not."""

from __future__ import annotations

from dataclasses import dataclass

from index.answer import Answerer


@dataclass(frozen=True)
class ServiceState:
    answerer: Answerer | None
    not_ready_reason: str | None = None
    load_seconds: float = 0.0
