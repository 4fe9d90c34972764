"""`instancegen serve`: run the HTTP API (`/v1`, OpenAPI at /docs) with uvicorn."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from instancegen.service.cli.app import app, err, fail
from instancegen.service.cli.worker_command import check_broker
from instancegen.service.core.errors import InputError


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
    broker: Annotated[
        str | None,
        typer.Option(
            "--broker",
            help="A Redis URL (redis://HOST:6379/0): jobs run on `instancegen worker` "
            "processes and their state is in Redis, shared by every replica "
            "(default: $INSTANCEGEN_BROKER; unset: embedded, SQLite and threads).",
            show_default=False,
        ),
    ] = None,
    access_log: Annotated[
        bool,
        typer.Option(
            "--access-log/--no-access-log",
            help="One log line per request on stderr; off saves its cost on busy servers.",
        ),
    ] = True,
) -> None:
    """Serve the HTTP API for modeling tools: generate, jobs with SSE progress, validate,
    compile, import, metamodel registry.

    Jobs and registered metamodels persist in SQLite (one server per file), or with
    --broker in Redis, where any number of replicas serve the same jobs and workers run
    them. Set [bold]INSTANCEGEN_API_KEYS[/] (comma-separated) to require
    `Authorization: Bearer <key>`.

    Example:  [bold]instancegen serve --port 8000[/]  then open http://127.0.0.1:8000/docs

    Several machines:  [bold]instancegen worker --broker redis://HOST:6379/0[/] on each, and
    [bold]instancegen serve --broker redis://HOST:6379/0[/] behind a load balancer.
    """
    import uvicorn

    from instancegen.service.http import Settings, create_app
    from instancegen.service.http.dblock import DatabaseLock

    settings = Settings.from_env()
    if db is not None:
        settings = dataclasses.replace(settings, db_path=db)
    if workers_limit is not None:
        settings = dataclasses.replace(settings, max_generations=workers_limit)
    if broker is not None:
        settings = dataclasses.replace(settings, broker_url=broker)
    if settings.broker_url is not None:
        check_broker(settings.broker_url)
        where = f"Redis at {settings.broker_url}, run by instancegen workers"
    else:
        try:
            DatabaseLock(settings.db_path).check()
        except InputError as exc:
            raise fail(exc.message) from None
        where = str(settings.db_path)
    err.print(f"instancegen: jobs and metamodels in {where}", highlight=False)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=access_log)
