"""What the lifespan puts on `app.state`: the searcher when ready, or why it is not."""

from __future__ import annotations

from dataclasses import dataclass

from index.answer import Answerer
from service.feedback import FeedbackStore


@dataclass(frozen=True)
class ServiceState:
    answerer: Answerer | None
    feedback: FeedbackStore | None = None
    not_ready_reason: str | None = None
    load_seconds: float = 0.0
