"""`instancegen validate`: check an instance model against its metamodel, print the findings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from instancegen.service.cli.app import (
    EXIT_INVALID,
    EXIT_OK,
    ConstraintsOption,
    MetamodelOption,
    RealismOption,
    ScopeOption,
    app,
    fail,
    out,
)
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import InputError
from instancegen.service.core.issues import Issue, has_errors
from instancegen.service.core.scope import check_scopes, parse_scopes
from instancegen.service.core.validator import validate as validate_model
from instancegen.service.resources.model_io import read_model_file


@app.command("validate")
def validate(
    metamodel: MetamodelOption,
    model: Annotated[
        Path,
        typer.Argument(
            metavar="MODEL",
            help="The instance model: a CIM (.json) or an XMI file.",
            show_default=False,
        ),
    ],
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the findings as a JSON list of issue records."),
    ] = False,
    constraints: ConstraintsOption = None,
    realism: RealismOption = "warn",
    scope: ScopeOption = None,
) -> None:
    """Check an instance model against its metamodel and list every problem found.

    Each finding names the object, the feature, what is wrong and how to fix it.

    Exit code 0: valid (warnings allowed) · 1: invalid · 2: bad input (unreadable file,
    not a model, bad metamodel).

    Example:  [bold]instancegen validate -m metamodels/bank/bank.ecore bank.json[/]

    OCL invariants (the .ecore's annotations, and --constraints files) are checked
    too: a violation is an [bold]invariant[/] error naming the constraint; one the
    validator cannot evaluate is a [bold]not-evaluated[/] warning.

    Realism checks (IBAN checksums, e-mail and URL syntax, phone numbers, country and
    currency codes, dates in order, ages, birth dates, people's names, codes; see
    [bold]instancegen inspect[/] for which apply) report an [bold]unrealistic[/] warning;
    [bold]--realism strict[/] makes it an error, [bold]--realism off[/] skips them.

    [bold]--scope Account=12[/], [bold]--scope Student=20..30[/] (also [bold]3..[/] and
    [bold]..5[/], repeatable): a class's count outside it is a [bold]scope[/] error; the
    objects of its subclasses count as the class's.

    For scripts and repair loops, [bold]--json[/] prints a list of issue records
    {"code", "severity", "object", "feature", "message", "hint"}.
    """
    try:
        mm = load_metamodel(metamodel, constraints or ())
        scopes = parse_scopes(scope or ())
        check_scopes(mm, scopes)
        cim = read_model_file(model, mm)
    except InputError as exc:
        raise fail(exc.message) from None
    issues = validate_model(mm, cim, realism=realism, scopes=scopes)
    if as_json:
        typer.echo(json.dumps([i.model_dump() for i in issues], indent=2, ensure_ascii=False))
    else:
        _print_table(issues, model, len(cim.objects))
    raise typer.Exit(EXIT_INVALID if has_errors(issues) else EXIT_OK)


def _print_table(issues: list[Issue], model: Path, objects: int) -> None:
    errors = sum(i.severity == "error" for i in issues)
    warnings = len(issues) - errors
    if issues:
        table = Table(show_lines=True)
        for col in ("severity", "code", "object", "feature", "message / hint"):
            table.add_column(col, overflow="fold")
        for i in issues:
            style = "red" if i.severity == "error" else "yellow"
            text = escape(i.message) + (f"\n[dim]→ {escape(i.hint)}[/]" if i.hint else "")
            table.add_row(
                f"[{style}]{i.severity}[/]",
                i.code,
                escape(i.object or ""),
                escape(i.feature or ""),
                text,
            )
        out.print(table)
    verdict = "[bold red]invalid[/]" if errors else "[bold green]valid[/]"
    counts = ", ".join(
        _count(n, w) for n, w in ((objects, "object"), (errors, "error"), (warnings, "warning"))
    )
    out.print(f"{escape(str(model))}: {verdict} — {counts}")


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
