"""`instancegen compile` and `instancegen import`: CIM to XMI/EMF-JSON/diagrams and back.

Compiling refuses an invalid model (exit 1, the issues listed) unless `--force`; output is
written all-or-nothing, so a failed compile leaves no file behind. References into other model
files keep pointing at the same files when the output goes into another directory.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from instancegen import compilers
from instancegen.service.cli.app import EXIT_INVALID, MetamodelOption, app, err, fail
from instancegen.service.core.atomic import write_atomic
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import InputError
from instancegen.service.core.issues import has_errors
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.validator import validate
from instancegen.service.resources.model_io import read_model_file
from instancegen.service.resources.neighbours import rebased


def _formats_help() -> str:
    names = compilers.available()
    return f"Output format; installed: {', '.join(names) if names else 'none'}."


ModelArgument = Annotated[
    Path,
    typer.Argument(
        metavar="MODEL", help="The instance model: CIM .json, .xmi or EMF-JSON.", show_default=False
    ),
]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "-o", "--output", help="Write here instead of to standard output.", show_default=False
    ),
]
IdsOption = Annotated[
    str | None,
    typer.Option(
        "--ids",
        help="'xmi': refer to objects by xmi:id / _id (the CIM ids) "
        "instead of EMF's fragment paths.",
        show_default=False,
    ),
]
SchemaLocationOption = Annotated[
    bool,
    typer.Option(
        "--schema-location",
        help="Write xsi:schemaLocation pointing at the "
        ".ecore files, so Eclipse opens a model of an unregistered metamodel.",
    ),
]


@app.command("compile")
def compile_command(
    metamodel: MetamodelOption,
    model: ModelArgument,
    fmt: Annotated[str, typer.Option("--format", "-f", help=_formats_help())] = "xmi",
    output: OutputOption = None,
    ids: IdsOption = None,
    schema_location: SchemaLocationOption = False,
    force: Annotated[
        bool, typer.Option("--force", help="Compile even when the model has validation errors.")
    ] = False,
) -> None:
    """Turn an instance model into XMI, EMF-JSON, the CIM or an object diagram.

    Exit code 0: written · 1: the model is invalid (issues listed; --force overrides) ·
    2: bad input (unknown format, unreadable model or metamodel).

    Example:  [bold]instancegen compile -m bank.ecore bank.json --format xmi -o bank.xmi[/]
    """
    try:
        compiler = compilers.get(fmt)
        check_ids(ids)
        mm = load_metamodel(metamodel)
        cim = read_model_file(model, mm)
    except InputError as exc:
        raise fail(exc.message) from None
    # Only errors stop a compile; realism findings are warnings, and costly on large models.
    issues = validate(mm, cim, realism="off")
    if has_errors(issues) and not force:
        errors = [i for i in issues if i.severity == "error"]
        err.print(
            f"[bold red]error:[/] {escape(str(model))} is invalid ({len(errors)} errors); "
            "nothing written. Fix these or pass --force:",
            highlight=False,
        )
        for i in errors:
            where = ".".join(p for p in (i.object, i.feature) if p)
            err.print(
                f"  - [{i.code}] {escape(where)}: {escape(i.message)}",
                highlight=False,
                markup=False,
            )
        raise typer.Exit(EXIT_INVALID)
    options = compile_options(mm, ids, schema_location, metamodel, output)
    if output is not None:
        cim = rebased(cim, model.parent, output.parent)
    try:
        data = compiler.compile(cim, mm, **options)
    except InputError as exc:
        raise fail(exc.message) from None
    _emit(data, output)


@app.command("import")
def import_command(
    metamodel: MetamodelOption,
    model: Annotated[
        Path,
        typer.Argument(
            metavar="MODEL", help="An .xmi (or EMF-JSON) model file.", show_default=False
        ),
    ],
    output: OutputOption = None,
) -> None:
    """Read an XMI (or EMF-JSON) model into a CIM, to validate, edit or regenerate it.

    Example:  [bold]instancegen import -m bank.ecore bank.xmi -o bank.json[/]
    """
    try:
        mm = load_metamodel(metamodel)
        cim = read_model_file(model, mm)
        if output is not None:
            cim = rebased(cim, model.parent, output.parent)
        data = compilers.get("cim").compile(cim, mm)
    except InputError as exc:
        raise fail(exc.message) from None
    _emit(data, output)
    if output is not None:
        err.print(f"{escape(str(output))}: {len(cim.objects)} objects", highlight=False)


def _emit(data: bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        write_atomic(output, data)
    except OSError as exc:
        raise fail(f"{output}: cannot be written ({exc.strerror}).") from None


def check_ids(ids: str | None) -> None:
    """`--ids` is refused before any work when it names no way of referring."""
    if ids not in (None, "xmi", "fragment"):
        raise InputError(f"--ids must be 'xmi' or 'fragment', not {ids!r}.")


def compile_options(
    mm: Metamodel, ids: str | None, schema_location: bool, given: list[Path], output: Path | None
) -> dict[str, Any]:
    """The compilers' options for `--ids` and `--schema-location` (compile and generate)."""
    options: dict[str, Any] = {"ids": ids}
    if schema_location:
        options["schema_location"] = _schema_locations(mm, given, output)
    return options


def _schema_locations(mm: Metamodel, given: list[Path], output: Path | None) -> dict[str, str]:
    """nsURI -> path of its .ecore, relative to where the model is written."""
    base = Path(output).resolve().parent if output is not None else Path.cwd()
    search = [Path.cwd(), *(Path(p).resolve().parent for p in given)]
    result = {}
    for pkg in mm.packages:
        found = next((d / pkg.source for d in search if (d / pkg.source).is_file()), None)
        if found is not None:
            rel = os.path.relpath(found.resolve(), base)
            result[pkg.ns_uri] = Path(rel).as_posix()
    return result
