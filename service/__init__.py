"""HTTP service: FastAPI app over a loaded index. Never parses corpora.

`create_app` is imported on first use, not with the package: `faq serve --workers N`'s supervisor (service.workers)
imports this package but never the app, its models' libraries or FastAPI (service.workers.exec_supervisor).
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from service.app import create_app

        return create_app
    raise AttributeError(f"module 'service' has no attribute {name!r}")
