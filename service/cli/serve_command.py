"""`instancegen serve`: run the HTTP API (`/v1`, OpenAPI at /docs) with uvicorn."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from service.cli.app import app, err


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port.")] = 8000,
    db: Annotated[
        Path | None,
        typer.Option(
            help="SQLite file for metamodels and jobs (default: $INSTANCEGEN_DB, else "
            "instancegen/instancegen.db in the user data dir).",
            show_default=False,
        ),
    ] = None,
    workers_limit: Annotated[
        int | None,
        typer.Option(
            "--workers-limit",
            min=1,
            help="Generations queued or running at once; more get 429 "
            "(default: $INSTANCEGEN_MAX_GENERATIONS, else 8).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the HTTP API for modeling tools: generate, jobs with SSE progress, validate,
    compile, import, metamodel registry.

    Jobs and registered metamodels persist in SQLite; set [bold]INSTANCEGEN_API_KEYS[/]
    (comma-separated) to require `Authorization: Bearer <key>`.

    Example:  [bold]instancegen serve --port 8000[/]  then open http://127.0.0.1:8000/docs
    """
    import uvicorn

    from service.http import Settings, create_app

    settings = Settings.from_env()
    if db is not None:
        settings = dataclasses.replace(settings, db_path=db)
    if workers_limit is not None:
        settings = dataclasses.replace(settings, max_generations=workers_limit)
    err.print(f"instancegen: jobs and metamodels in {settings.db_path}", highlight=False)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
