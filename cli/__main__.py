"""`python -m cli …`, the same as the `faq` command (used by `faq bench` to start a service)."""

from cli.main import app

app()
