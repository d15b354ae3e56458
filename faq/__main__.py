"""`python -m faq …`, the same as the `faq` command (used by `faq bench` to start a service)."""

from faq.cli import app

app()
