"""`instancegen inspect` and `instancegen schema`: look at a metamodel the way the LLM will."""

from __future__ import annotations

from rich.table import Table

from service.cli.app import MetamodelOption, app, out
from service.ecore_loader import load_metamodel
from service.metamodel import Attribute, EClassView, Feature


def _multiplicity(f: Feature) -> str:
    upper = "*" if f.upper == -1 else str(f.upper)
    return f"[{f.lower}..{upper}]"


def _feature_text(f: Feature) -> str:
    if isinstance(f, Attribute):
        return f"{f.name}: {f.type.name}{_multiplicity(f)}"
    kind = "contains" if f.containment else "refers"
    return f"{f.name}: {kind} {f.target}{_multiplicity(f)}"


def _kind(c: EClassView) -> str:
    return "interface" if c.interface else "abstract" if c.abstract else ""


@app.command()
def inspect(metamodel: MetamodelOption) -> None:
    """Show a metamodel's classes, supertypes and features.

    Example:  instancegen inspect -m metamodels/bank/bank.ecore
    """
    mm = load_metamodel(metamodel)
    table = Table(title=mm.name)
    for col in ("class", "kind", "supertypes", "features"):
        table.add_column(col)
    for c in mm.classes.values():
        table.add_row(
            c.key, _kind(c), ", ".join(c.supertypes), "\n".join(map(_feature_text, c.features))
        )
    out.print(table)
