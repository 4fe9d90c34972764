"""`instancegen score` and `instancegen eval`: measure generated models against references."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from service.cli.app import MetamodelOption, app, out
from service.ecore_loader import load_metamodel
from service.model_io import read_model_file
from service.scoring import Score, score


def _score_table(result: Score) -> Table:
    table = Table(title="candidate vs reference")
    for col in ("aspect", "precision", "recall", "F1"):
        table.add_column(col, justify="left" if col == "aspect" else "right")
    for aspect, m in (
        ("objects", result.objects),
        ("attributes", result.attributes),
        ("references", result.references),
    ):
        table.add_row(aspect, f"{m.precision:.3f}", f"{m.recall:.3f}", f"{m.f1:.3f}")
    return table


@app.command("score")
def score_command(
    metamodel: MetamodelOption,
    reference: Annotated[Path, typer.Argument(help="The reference model (CIM .json or .xmi).")],
    candidate: Annotated[Path, typer.Argument(help="The model to grade (CIM .json or .xmi).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Precision, recall and F1 of a candidate model's objects, attributes and references.

    Objects are aligned one-to-one by class and content, never by id.

    Example:  instancegen score -m bank.ecore reference.json generated.xmi
    """
    mm = load_metamodel(metamodel)
    result = score(mm, read_model_file(reference, mm), read_model_file(candidate, mm))
    if as_json:
        out.print_json(json.dumps(result.to_json()))
    else:
        out.print(_score_table(result))
