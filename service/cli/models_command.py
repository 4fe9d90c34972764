"""`instancegen models`: the GGUF models that can run offline, as their headers describe them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Column, Table

from instancegen.service.backends import local_models
from instancegen.service.backends.local import context_for
from instancegen.service.backends.local_models import Listed
from instancegen.service.backends.local_templates import template_name
from instancegen.service.cli.app import app, out


@app.command("models")
def models(
    directory: Annotated[
        list[Path] | None,
        typer.Option(
            "--dir",
            help="Also list the .gguf files in this directory (repeat for several); the "
            f"directories in ${local_models.GGUF_DIRS_ENV} are always listed.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="A JSON list, one object per model.")
    ] = False,
) -> None:
    """List the models `--model` can run offline: `local` (the default one), the models
    known packages install (`local:NAME`), and the GGUF files in the listed directories
    (`local:PATH.gguf`), with each file's trained context length, parameters, size and chat
    template. Any other GGUF file runs too: `--model local:PATH.gguf`.
    """
    listed = list(local_models.available([*local_models.gguf_dirs(), *(directory or [])]))
    if as_json:
        out.print_json(json.dumps([_as_dict(item) for item in listed]))
        return
    table = Table("context", "parameters", "size", "chat template", "file")
    table.columns.insert(0, Column("model", no_wrap=True))  # the string to copy, whole
    for item in listed:
        name = item.model + (" (= local)" if item.default else "")
        info = item.info
        if info is None:
            table.add_row(name, "", "", "", "", f"[yellow]{escape(item.problem or '')}[/]")
            continue
        table.add_row(
            name,
            f"{info.context_length:,}",
            info.describe_parameters(),
            f"{info.size_bytes / 1e6:,.0f} MB",
            template_name(info.chat_template, info.architecture),
            str(info.path),
        )
    out.print(table)


def _as_dict(item: Listed) -> dict[str, Any]:
    info = item.info
    if info is None:
        return {"model": item.model, "default": item.default, "problem": item.problem}
    return {
        "model": item.model,
        "default": item.default,
        "path": str(info.path),
        "name": info.name,
        "architecture": info.architecture,
        "context_length": info.context_length,
        "context_used": context_for(info),
        "parameters": info.parameters,
        "size_bytes": info.size_bytes,
        "chat_template": template_name(info.chat_template, info.architecture),
    }
