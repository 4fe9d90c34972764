"""`instancegen worker`: a Celery worker that runs jobs and batches sent through a broker."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from instancegen.service.cli.app import app, err, fail

BrokerOption = Annotated[
    str,
    typer.Option(
        "--broker",
        help="The Redis URL jobs come through and their state is kept in "
        "(redis://HOST:6379/0, or rediss:// for TLS).",
        show_default=False,
    ),
]


def check_broker(url: str) -> None:
    """Refuse (exit 2) a URL that is not Redis or a broker that does not answer, in one line."""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise fail(f"--broker must be a Redis URL such as redis://HOST:6379/0, not {url!r}.")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except (redis.RedisError, ValueError) as exc:
        raise fail(f"the broker at {url} does not answer: {exc}") from None


@app.command("worker")
def worker(
    broker: BrokerOption,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            "-c",
            min=1,
            help="Jobs run at once in this worker (threads; `local` model jobs take turns).",
        ),
    ] = 4,
    loglevel: Annotated[
        str, typer.Option("--loglevel", help="Celery's log level: DEBUG, INFO, WARNING.")
    ] = "INFO",
) -> None:
    """Run jobs for `instancegen serve --broker` and `instancegen batch --broker`.

    Start one on each machine that should do the work; all of them take jobs from the same
    Redis. A job is acknowledged only when it is over: if a worker dies mid-job, another
    worker takes the job after INSTANCEGEN_VISIBILITY_TIMEOUT seconds (default 300), and
    its result is stored exactly once.

    Example:  [bold]instancegen worker --broker redis://127.0.0.1:6379/0[/]
    """
    from instancegen.service.app.settings import Settings
    from instancegen.service.broker.celery_app import start_worker

    check_broker(broker)
    settings = dataclasses.replace(Settings.from_env(), broker_url=broker)
    err.print(
        f"instancegen worker: {concurrency} at once, jobs from {broker} "
        f"(visibility timeout {settings.visibility_timeout_seconds} s, lease "
        f"{settings.lease_seconds} s)",
        highlight=False,
    )
    start_worker(broker, concurrency, loglevel.upper())
