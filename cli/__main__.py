"""`python -m cli …`, the same as the `faq` command (used by the benchmark lab, benchmarks.bench, to start a service)."""

from cli.main import app

app()
