"""Logging as JSON lines: the request log (faq.access, stdout) and everything else (stderr), uvicorn's own lines included.

Each line has `timestamp` (UTC, ISO 8601), `level`, `logger`, `message`, and `request_id` when it was
written while a request was handled (asgi-correlation-id's context). uvicorn's access log is off:
service.observe writes a richer line per request (route template, latency, index version).
"""

from __future__ import annotations

import logging.config
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

__all__ = ["configure_logging", "json_formatter", "logging_config"]


def json_formatter() -> JsonFormatter:
    """The lines' format; `color_message`, which uvicorn adds for its coloured console, is left out."""
    return JsonFormatter("%(levelname)s %(name)s %(message)s", timestamp=True, reserved_attrs=[*RESERVED_ATTRS, "color_message"],
                         rename_fields={"levelname": "level", "name": "logger", "correlation_id": "request_id"})


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` for the service; also what `faq serve` gives uvicorn as its log_config."""
    handler = {"formatter": "json", "filters": ["request_id"], "class": "logging.StreamHandler"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "asgi_correlation_id.CorrelationIdFilter"}},
        "formatters": {"json": {"()": json_formatter}},
        "handlers": {"stderr": {**handler, "stream": "ext://sys.stderr"}, "stdout": {**handler, "stream": "ext://sys.stdout"}},
        "loggers": {
            "faq.access": {"handlers": ["stdout"], "level": level, "propagate": False},
            "faq": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "asgi_correlation_id": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        },
    }


def configure_logging(level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(level))
