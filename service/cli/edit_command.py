"""`instancegen edit`: change an existing model from a request in words (or from edits as data)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from instancegen.service.app.run import edit
from instancegen.service.backends import DEFAULT_MODEL
from instancegen.service.cli.app import (
    EXIT_BACKEND,
    EXIT_INVALID,
    MetamodelOption,
    RealismOption,
    app,
    err,
    fail,
)
from instancegen.service.cli.generate_commands import (
    NOT_WRITTEN,
    ApiBaseOption,
    ApiKeyEnvOption,
    ContextOption,
    MaxOutputOption,
    ModelOption,
    _print_issues,
    llm_options,
)
from instancegen.service.cli.progress import Progress, say_written
from instancegen.service.core.atomic import write_atomic
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.edits import parse_edits
from instancegen.service.core.errors import BackendError, InputError
from instancegen.service.core.input_files import read_input, read_input_text
from instancegen.service.generation.editing import EditResult, apply_to, read_source


@app.command("edit")
def edit_command(
    metamodel: MetamodelOption,
    model_file: Annotated[
        Path,
        typer.Argument(
            metavar="MODEL",
            help="The model to change: XMI, CIM JSON or EMF-JSON.",
            show_default=False,
        ),
    ],
    request: Annotated[
        str | None,
        typer.Option("--request", help="The change, in words; the LLM writes the edits."),
    ] = None,
    request_file: Annotated[
        Path | None,
        typer.Option(
            "--request-file", help="A file holding the change request.", show_default=False
        ),
    ] = None,
    edits_file: Annotated[
        Path | None,
        typer.Option(
            "--edits",
            help='A JSON file of CIM edits ({"edits": [...]}) to apply as they are: no LLM.',
            show_default=False,
        ),
    ] = None,
    model: ModelOption = DEFAULT_MODEL,
    api_base: ApiBaseOption = None,
    api_key_env: ApiKeyEnvOption = None,
    strategy: Annotated[
        str,
        typer.Option(
            "--strategy",
            help="How the edits are asked. auto: by the model's backend; two-phase: ids, "
            "classes and features as enums of what exists (as for a model decoding under a "
            "grammar); typed, strict, generic: as plain strings.",
        ),
    ] = "auto",
    max_output_tokens: MaxOutputOption = None,
    context_tokens: ContextOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Where to write the edited model (default: stdout).",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format (default: xmi for an XMI model, else cim).",
            show_default=False,
        ),
    ] = None,
    max_repairs: Annotated[
        int, typer.Option("--max-repairs", min=0, help="Repair rounds after the first answer.")
    ] = 3,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Write a JSON report: status, edits, diff, issues, attempts, tokens.",
            show_default=False,
        ),
    ] = None,
    allow_invalid: Annotated[
        bool, typer.Option("--allow-invalid", help="Write the output even if it is invalid.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress or diff on stderr.")
    ] = False,
    realism: RealismOption = "warn",
) -> None:
    """Change an existing model: the LLM answers with edits (add, set, delete), not a new
    model, so everything the request does not mention stays exactly as it was; an XMI
    model keeps its xmi:ids. The result is validated and repaired like a generation.

    The diff (objects added, removed and changed, with attribute and link changes) goes to
    stderr and into --report. Exit codes as for generate: 0 valid, 1 invalid, 2 bad input,
    3 LLM failure.

    Examples:

      [bold]instancegen edit -m bank.ecore bank.xmi --request 'Rename Bob to Robert' -o bank2.xmi[/]

      [bold]instancegen edit -m bank.ecore bank.json --edits patch.json -o bank2.json[/]
    """
    try:
        mm = load_metamodel(metamodel)
        data = read_input(model_file, what="a model file")
        source = read_source(data, str(model_file), mm)
        fmt = output_format or ("xmi" if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<" else "cim")
        given = [x for x in (request, request_file, edits_file) if x is not None]
        if len(given) != 1:
            raise InputError(
                "give the change with exactly one of --request, --request-file or --edits."
            )
        if edits_file is not None:
            edits = parse_edits(read_input(edits_file, what="an edits file"), str(edits_file))
            result = apply_to(mm, source, edits, formats=[fmt])
        else:
            text = request
            if request_file is not None:
                text = read_input_text(request_file, what="a request file")
            progress = None if quiet else Progress(err)
            try:
                result = edit(
                    mm,
                    source,
                    text or "",
                    on_event=progress.on_event if progress else None,
                    **llm_options(
                        model, api_base, api_key_env, strategy, max_output_tokens, context_tokens
                    ),
                    format=[fmt],
                    max_repairs=max_repairs,
                    realism=realism,
                )
            finally:
                if progress:
                    progress.stop()
    except InputError as exc:
        raise fail(exc.message) from None
    except BackendError as exc:
        raise fail(f"LLM backend failed: {exc.message}", EXIT_BACKEND) from None
    _finish(result, fmt, output, report, allow_invalid, quiet)


def _finish(
    result: EditResult,
    fmt: str,
    output: Path | None,
    report: Path | None,
    allow_invalid: bool,
    quiet: bool,
) -> None:
    if report is not None:
        write_atomic(report, result.model_dump_json(by_alias=True, indent=2).encode("utf-8"))
    valid = result.status == "valid"
    if not valid:
        _print_issues(result.issues)
    if not quiet:
        for line in result.diff.lines():
            err.print(escape(line), highlight=False)
        verdict = "[bold green]valid[/]" if valid else "[bold red]invalid[/]"
        err.print(f"{verdict}: {result.diff.counts()}", highlight=False)
    written = []
    if valid or allow_invalid:
        artifact = result.artifacts.get(fmt)
        if artifact is None:
            err.print(f"[yellow]warning:[/] the model cannot be written as {fmt}.")
        elif output is None:
            typer.echo(artifact, nl=not artifact.endswith("\n"))
            written.append(f"{fmt} to stdout")
        else:
            write_atomic(output, artifact.encode("utf-8"))
            written.append(str(output))
    if not quiet:
        say_written(err, written, NOT_WRITTEN)
    if not valid:
        raise typer.Exit(EXIT_INVALID)
