"""`uvicorn service.asgi:app`: the app configured from FAQ_* variables, for process managers and workers.

Logging is configured here too (JSON lines, service.log_config), so a plain `uvicorn service.asgi:app`
writes the request log as `faq serve` does; add `--no-access-log`, the app logs each request itself.

Unlike `faq serve`, it never builds or recalibrates: it serves the index only when fit to serve (usecases.fit_to_serve),
and otherwise reports on /readyz why not and what to run.
"""

from service.app import create_app
from service.log_config import configure_logging

configure_logging()
app = create_app()
