"""The `faq` command: a thin Typer shell over the use cases (usecases/), the service and the evaluation."""
