"""`instancegen batch FILE.jsonl`: many generations, concurrently, resumable."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from instancegen.service.app.batch import (
    Done,
    Item,
    Runner,
    StateFile,
    read_batch,
    request_of,
    run_batch,
)
from instancegen.service.app.batch import state_path as default_state_path
from instancegen.service.app.instance_sets import InstanceSet
from instancegen.service.cli.app import EXIT_INVALID, app, err, fail
from instancegen.service.cli.progress import doing, say_written
from instancegen.service.core.errors import BackendError, InputError
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.result import Event, GenerationResult


@app.command("batch")
def batch(
    jobs_file: Annotated[
        Path,
        typer.Argument(
            help="A JSONL file, one generation per line: metamodel (file or list), spec or "
            "spec_file, output, and any field of a generation request (model, api_base, "
            "api_key_env, strategy, max_output_tokens, context_tokens, samples, count, kind, "
            "constraints, format, max_repairs, mode). Paths are relative to this file.",
            show_default=False,
        ),
    ],
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Lines running at once.")] = 4,
    broker: Annotated[
        str | None,
        typer.Option(
            "--broker",
            help="Run each line as a job on `instancegen worker` processes through this "
            "Redis URL; outputs are still written here.",
            show_default=False,
        ),
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option(
            "--state",
            help="Where finished lines are recorded (default: FILE.jsonl.done.jsonl). Lines "
            "recorded there, with the same content, are skipped: rerun to resume.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run one generation per line of a JSONL file, several at once, with a progress bar
    and a summary table. Rerun the same command to resume: lines already done (same
    metamodel contents, spec and options) are skipped; lines that failed run again.

    Exit code 0: every line valid or complete · 1: some line invalid, incomplete or failed ·
    2: a bad batch file.

    Example line:

      {"metamodel": "bank.ecore", "spec": "A bank with two accounts", "count": 3,
      "kind": "boundary", "output": "out/bank"}

    Example:  [bold]instancegen batch jobs.jsonl --jobs 8[/]
    """
    progress = Progress(
        TextColumn("[bold]batch[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=False,
    )

    def on_event(number: int, event: Event) -> None:
        """What a running line does, in the bar's text (lines running at once take turns)."""
        now = doing(event)
        if now is not None:
            progress.update(task, description=escape(f"line {number}: {now}"))

    try:
        items = read_batch(jobs_file, keys=broker is None)  # workers hold their own keys
        runner = _broker_runner(broker) if broker is not None else _local_runner(on_event)
    except InputError as exc:
        raise fail(exc.message) from None
    done: list[Done] = []
    with progress:
        task = progress.add_task("", total=len(items))

        def on_done(d: Done) -> None:
            progress.update(task, advance=1, description=f"line {d.number}: {d.status}")

        state_file = StateFile(state or default_state_path(jobs_file))
        done = run_batch(items, runner, state_file, jobs=jobs, on_done=on_done)
        progress.update(task, completed=len(items))
    _summary(done)
    say_written(err, [f for d in done for f in d.files], "no line wrote a file")
    if any(d.status not in ("valid", "complete", "skipped") for d in done):
        raise typer.Exit(EXIT_INVALID)


def _local_runner(on_event: Callable[[int, Event], None]) -> Runner:
    from instancegen.service.app.request import resolve
    from instancegen.service.app.run import run
    from instancegen.service.core.ecore_loader import load_metamodel

    @cache
    def metamodel(paths: tuple[Path, ...]) -> Metamodel:
        return load_metamodel(list(paths))  # read once for every line naming the same files

    def run_line(item: Item) -> GenerationResult | InstanceSet:
        request = request_of(item)
        loaded = metamodel(tuple(item.metamodels))
        told = partial(on_event, item.number)
        return run(request, told, metamodel=resolve(request, loaded=loaded))

    return run_line


def _broker_runner(url: str) -> Runner:
    from instancegen.service.app.problems import Refused
    from instancegen.service.app.request import resolve
    from instancegen.service.broker.redis_store import RedisStore
    from instancegen.service.broker.runner import BrokerRunner
    from instancegen.service.cli.worker_command import check_broker

    check_broker(url)
    runner = BrokerRunner(RedisStore(url), url)

    def run_line(item: Item) -> GenerationResult | InstanceSet:
        request = request_of(item, inline=True)
        job_id = runner.submit(request, resolve(request))  # bad constraints fail here, not there
        try:
            return runner.outcome(job_id)
        except Refused as exc:
            if exc.status in (502, 503, 504):
                raise BackendError(exc.detail, status=exc.status) from None
            raise InputError(exc.detail) from None

    return run_line


def _summary(done: list[Done]) -> None:
    table = Table(title="batch summary")
    for column in ("line", "output", "status", "models", "tokens", "seconds", "note"):
        table.add_column(column, justify="right" if column in ("line", "models") else "left")
    styles = {"valid": "green", "complete": "green", "skipped": "dim"}
    for d in done:
        style = styles.get(d.status, "red")
        table.add_row(
            str(d.number), d.output, f"[{style}]{d.status}[/]", str(d.models),
            f"{d.tokens:,}", f"{d.seconds:.1f}", d.note,
        )  # fmt: skip
    err.print(table)
    counts: dict[str, int] = {}
    for d in done:
        counts[d.status] = counts.get(d.status, 0) + 1
    err.print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())), highlight=False)
