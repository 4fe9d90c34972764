"""Check a CIM against its metamodel's invariants: violations and unevaluated constraints.

Each invariant is evaluated on every object of its context class (subclasses included).
A violation is an `invariant` error on the object; a constraint that cannot be parsed or
uses something outside the supported subset is one `not-evaluated` warning, and the
others are still checked. Steps are bounded per invariant and time per validation
(`INSTANCEGEN_MAX_OCL_STEPS`, `INSTANCEGEN_MAX_OCL_MILLIS`): metamodels are untrusted.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from instancegen.service.core import limits as limits_mod
from instancegen.service.core.cim import CimObject
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import Attribute, Invariant, Metamodel
from instancegen.service.core.ocl import nodes as n
from instancegen.service.core.ocl.budget import Budget, Exhausted, Unsupported
from instancegen.service.core.ocl.evaluator import Evaluator
from instancegen.service.core.ocl.parser import OclSyntaxError, parse_expression
from instancegen.service.core.ocl.values import Invalid, Obj, Value, show, type_name
from instancegen.service.core.ocl.world import World

Status = Literal["held", "violated", "not-evaluated"]
_QUOTED_CHARS = 240
_SHOWN_VALUES = 4


@dataclass
class InvariantReport:
    """Findings as (object index, issue), model-wide ones at len(objects); each invariant's
    status for rates; each violation as (object index, invariant), for whoever must tell the
    invariants' findings apart (`service.core.ocl.search`)."""

    issues: list[tuple[int, Issue]] = field(default_factory=list)
    status: dict[Invariant, Status] = field(default_factory=dict)
    violations: list[tuple[int, Invariant]] = field(default_factory=list)

    @property
    def satisfaction_rate(self) -> float | None:
        """Evaluated invariants that hold on every object, over all evaluated ones."""
        evaluated = [s for s in self.status.values() if s != "not-evaluated"]
        if not evaluated:
            return None
        return sum(s == "held" for s in evaluated) / len(evaluated)


def check_invariants(mm: Metamodel, objects: Sequence[CimObject]) -> InvariantReport:
    """Evaluate every invariant of `mm` on `objects`."""
    report = InvariantReport()
    if not mm.invariants:
        return report
    limits = limits_mod.current()
    deadline = time.monotonic() + limits.max_ocl_millis / 1000
    world = World(mm, objects)
    for invariant in mm.invariants:
        _check_one(invariant, world, Budget(limits.max_ocl_steps, deadline), report)
    return report


def quoted(invariant: Invariant) -> str:
    """The expression on one line, shortened: how issue messages quote it."""
    one_line = invariant.one_line
    return one_line if len(one_line) <= _QUOTED_CHARS else one_line[: _QUOTED_CHARS - 1] + "…"


def _check_one(invariant: Invariant, world: World, budget: Budget, report: InvariantReport) -> None:
    model_wide = len(world.objects)
    try:
        tree = parse_expression(invariant.expression)
    except OclSyntaxError as exc:
        _not_evaluated(invariant, f"it cannot be parsed: {exc.message}", model_wide, report)
        return
    evaluator = Evaluator(world, budget)
    found: list[tuple[int, Issue]] = []
    try:
        budget.check_time()
        for obj in world.instances(invariant.context):
            value = evaluator.evaluate(tree, obj)
            if value is True:
                continue
            if not (value is False or value is None or isinstance(value, Invalid)):
                raise Unsupported(f"it gives {type_name(value)}, not a Boolean")
            found.append((obj.index, _violation(invariant, tree, world, obj, value)))
    except Unsupported as exc:
        _not_evaluated(invariant, exc.message, model_wide, report)
        return
    except Exhausted as exc:
        _not_evaluated(invariant, f"stopped, because {exc.message}", model_wide, report)
        _record(invariant, found, report)
        if found:
            report.status[invariant] = "violated"
        return
    _record(invariant, found, report)
    report.status[invariant] = "violated" if found else "held"


def _record(invariant: Invariant, found: list[tuple[int, Issue]], report: InvariantReport) -> None:
    report.issues.extend(found)
    report.violations.extend((i, invariant) for i, _ in found)


def _not_evaluated(invariant: Invariant, why: str, at: int, report: InvariantReport) -> None:
    report.status[invariant] = "not-evaluated"
    report.issues.append(
        (
            at,
            Issue(
                code="not-evaluated",
                severity="warning",
                message=f"Invariant {invariant.name} of {invariant.context} was not "
                f"evaluated: {why.rstrip('.')}. The invariant: {quoted(invariant)}",
                hint="Check this rule by other means; the README's 'OCL invariants' section "
                "lists the OCL this validator evaluates.",
            ),
        )
    )


def _violation(invariant: Invariant, tree: n.Node, world: World, obj: Obj, value: Value) -> Issue:
    oid = world.name_of(obj.index)
    if isinstance(value, Invalid):
        outcome = f"it is invalid here, because {value.reason}"
    elif value is None:
        outcome = "it gives null here"
    else:
        outcome = "it is false here"
    now = _current_values(tree, world, obj)
    view = world.views[obj.index]
    where = f"{oid} ({view.key})" if view is not None else oid
    return Issue(
        code="invariant",
        object=oid,
        message=f"{where} violates invariant {invariant.name} of {invariant.context}: "
        f"{quoted(invariant)} — {outcome}{f' ({now})' if now else ''}.",
        hint=f"Change {oid}, or the objects it refers to, so that {invariant.name} holds.",
    )


def _current_values(tree: n.Node, world: World, obj: Obj) -> str:
    """`age = 150, status = Status::OPEN`: the context object's attributes the invariant
    reads through `self.x` (or an implicit `x`), so the fix can start from them."""
    view = world.views[obj.index]
    if view is None:
        return ""
    names: list[str] = []
    stack: list[object] = [tree]
    while stack and len(names) < _SHOWN_VALUES:
        node = stack.pop()
        if isinstance(node, n.Navigation) and isinstance(node.source, n.SelfRef):
            names.append(node.name)
        elif isinstance(node, n.Name) and len(node.path) == 1:
            names.append(node.path[0])
        if dataclasses.is_dataclass(node):
            for f in reversed(dataclasses.fields(node)):
                child = getattr(node, f.name)
                stack.extend(reversed(child) if isinstance(child, tuple) else [child])
    shown = []
    for name in dict.fromkeys(names):
        feature = view.feature_map.get(name)
        if isinstance(feature, Attribute):
            value = world.attribute(obj.index, feature)
            shown.append(f"{name} = {show(value, world.name_of)}")
    return ", ".join(shown)
