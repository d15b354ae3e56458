"""What every command shares: the consoles and how a known error ends a command."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

console = Console()
err = Console(stderr=True)


def fail(e: Exception) -> NoReturn:
    """Print the error's message (it says the rule, the value and the fix) and exit 1, without a traceback."""
    err.print(f"[bold red]error:[/] {e}", markup=True, highlight=False)
    raise typer.Exit(code=1)
