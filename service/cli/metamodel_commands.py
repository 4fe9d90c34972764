"""`instancegen inspect` and `instancegen schema`: look at a metamodel the way the LLM will."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from instancegen.service.cli.app import ConstraintsOption, MetamodelOption, app, err, fail, out
from instancegen.service.cli.generate_commands import (
    ApiBaseOption,
    ContextOption,
    MaxOutputOption,
    ModelOption,
    SpecFileOption,
    SpecOption,
    StrategyOption,
    read_spec,
)
from instancegen.service.core import checks
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import Attribute, EClassView, Feature, Metamodel
from instancegen.service.core.primitive_like import emf_note
from instancegen.service.generation.emfatic import (
    render_datatype,
    render_feature,
    render_invariant,
    render_metamodel,
)
from instancegen.service.generation.schema import conceptual_schema, measure_schema, schema_variant
from instancegen.service.generation.strategy import plan_for, schema_as_sent
from instancegen.service.generation.tokens import count_tokens


def _load(paths: list[Path], constraints: list[Path] | None = None) -> Metamodel:
    try:
        return load_metamodel(paths, constraints or ())
    except InputError as exc:
        raise fail(exc.message) from None


@app.command()
def inspect(metamodel: MetamodelOption, constraints: ConstraintsOption = None) -> None:
    """Show a metamodel's classes, their features, and how big it is in a prompt.

    One row per class: abstract or interface, direct supertypes, and its features
    in the Emfatic-like notation the LLM reads; inherited features are dimmed.
    [bold]val[/] contains, [bold]ref[/] refers, [bold]#x[/] names the opposite,
    [bold]id[/] marks the ID attribute;
    multiplicities [bold][1][/] [bold][*][/] [bold][+][/] [bold][2..5][/], none means [0..1].
    [bold]invariant Name: expr;[/] is an OCL invariant every instance must satisfy (from
    the .ecore's OCL annotations, or a Complete OCL file given with --constraints).
    [bold]check iban (by name)[/] names the realism checks `validate` runs on an attribute,
    chosen by its name and type or by its annotation (source instancegen, key check).

    Below the table: enums and data types, loader warnings, the schema variant
    (typed, or generic when too large), and the token count of the Emfatic text
    against the raw .ecore files.

    Examples:

      [bold]instancegen inspect -m metamodels/bank/bank.ecore[/]

      [bold]instancegen inspect -m hardware.ecore -m software.ecore[/]   (split over files)
    """
    mm = _load(metamodel, constraints)
    table = Table(title=f"{escape(mm.name)}: {len(mm.classes)} classes", show_lines=True)
    for col in ("class", "kind", "supertypes", "features"):
        table.add_column(col, overflow="fold")
    for c in mm.classes.values():
        table.add_row(Text(c.key), _kind(c), Text(", ".join(c.supertypes)), _features(mm, c))
    out.print(table)
    for datatype in mm.datatypes.values():
        out.print(escape(render_datatype(datatype)))
    for warning in mm.warnings:
        out.print(f"[yellow]warning:[/] {escape(warning)}")
    note = emf_note(mm)
    if note is not None:
        out.print(f"[yellow]note:[/] {escape(note)}")
    if mm.invariants:
        out.print(
            f"invariants: {len(mm.invariants)} OCL, checked by validate and sent in the prompt"
        )
    schema = conceptual_schema(mm)
    size = measure_schema(schema)
    out.print(
        f"schema: {schema_variant(mm)} ({len(mm.concrete_classes)} concrete classes, "
        f"{size.properties} properties)"
    )
    emfatic = count_tokens(render_metamodel(mm))
    raw = sum(count_tokens(data.decode("utf-8", "replace")) for data in mm.sources.values())
    ratio = emfatic / raw if raw else 0.0
    out.print(
        f"tokens: Emfatic text {emfatic:,} vs raw .ecore {raw:,} ({ratio:.1%}); "
        "see it with [bold]instancegen prompt[/]"
    )


def _kind(c: EClassView) -> str:
    return "interface" if c.interface else "abstract" if c.abstract else ""


def _features(mm: Metamodel, c: EClassView) -> Text:
    """The features cell, styled as it is built (markup to parse made a table of hundreds of
    classes take seconds to print)."""
    inherited = {name for sup in c.all_supertypes for name in mm.classes[sup].feature_map}
    cell = Text()
    for f in c.features:
        cell.append(render_feature(f), style="dim" if f.name in inherited else "")
        checked = _checked(c, f)
        if checked:
            cell.append_text(Text.from_markup(checked))
        cell.append("\n")
    for key in (*sorted(c.all_supertypes), c.key):
        for invariant in mm.invariants_of(key):
            style = "magenta" if key == c.key else "dim magenta"
            cell.append(render_invariant(invariant) + "\n", style=style)
    cell.rstrip()
    return cell


def _checked(c: EClassView, f: Feature) -> str:
    """The realism checks a feature gets, and whether its annotation or its name chose them."""
    if not isinstance(f, Attribute):
        return ""
    chosen = checks.applied(c, f)
    names = [x.name for x in chosen.checks] + [f"{n} (not installed)" for n in chosen.unknown]
    if not names:
        return ""
    how = "annotated" if chosen.annotated else "by name"
    return f"  [cyan]check {escape(', '.join(names))}[/] ({how})"


@app.command()
def schema(
    metamodel: MetamodelOption,
    model: ModelOption = "local",
    api_base: ApiBaseOption = None,
    strategy: StrategyOption = "auto",
    spec: SpecOption = None,
    spec_file: SpecFileOption = None,
    max_output_tokens: MaxOutputOption = None,
    context_tokens: ContextOption = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Short for --strategy strict: OpenAI strict structured outputs (every "
            "property required, optional ones nullable, only keywords OpenAI supports).",
        ),
    ] = False,
) -> None:
    """Print the JSON schema --model is held to in its first call, exactly as sent.

    The strategy chosen for that model (see [bold]instancegen generate --help[/]) decides
    the schema: two-phase (the bundled model) gets the objects phase's schema, compiled into
    a grammar; other models get the parameters of instructor's forced tool call: objects
    grouped by class with typed features (typed, strict), or the CIM with free feature maps
    (generic). How it is sent, and why that strategy, is printed on stderr. The spec matters
    where the schema depends on it (a small model's objects per class, a sliced metamodel).
    The same input always gives byte-identical output.

    Examples:

      [bold]instancegen schema -m metamodels/bank/bank.ecore > bank.schema.json[/]

      [bold]instancegen schema -m metamodels/bank/bank.ecore --model openai/gpt-4o[/]
    """
    mm = _load(metamodel)
    try:
        text = "" if spec is None and spec_file is None else read_spec(spec, spec_file)
        chosen = plan_for(
            mm,
            text,
            model,
            api_base=api_base,
            strategy="strict" if strict else strategy,
            max_output_tokens=max_output_tokens,
            context_tokens=context_tokens,
        )
        sent, how = schema_as_sent(model, chosen.first_request()[1])
    except InputError as exc:
        raise fail(exc.message) from None
    err.print(escape(f"{chosen.describe()}; sent as {how}"), highlight=False)
    typer.echo(json.dumps(sent, indent=2))
