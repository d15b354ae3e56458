"""What every command shares: the consoles and how a known error ends a command."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
err = Console(stderr=True)


def fail(e: Exception) -> NoReturn:
    """Print the error's message (it says the rule, the value and the fix) and exit 1, without a traceback.

    One unwrapped line (the terminal wraps it), so a path in it is never split and can be copied; the message is
    escaped, so a value with brackets in it prints as written."""
    err.print(f"[bold red]error:[/] {escape(str(e))}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)
