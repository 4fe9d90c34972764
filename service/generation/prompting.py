"""The messages sent to the LLM, rendered from the plain-text templates in `prompts/`.

Templates are read with importlib.resources so an installed wheel finds them, and filled with
`string.Template` (`$name`), which leaves the JSON braces in them alone. Each request carries
one worked example from a different bundled metamodel, as a user/assistant pair in the same
shape as the real request: a small model copies a demonstrated answer far more reliably than
it follows a description of one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from string import Template
from typing import Any

from instancegen import compilers
from instancegen.service.backends.base import Message
from instancegen.service.core.cim import Cim, parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.emfatic import render_metamodel
from instancegen.service.generation.two_phase.links_schema import LinksPlan, plan_links
from instancegen.service.generation.two_phase.objects_schema import declared_objects, objects_answer


@dataclass(frozen=True)
class Example:
    """A bundled case: metamodel, specification and a reference model that fits both."""

    name: str
    metamodel: Metamodel
    spec: str
    cim: Cim


@cache
def template(name: str) -> Template:
    """A template from the `prompts` package (e.g. `generate.md`)."""
    return Template(files("instancegen.prompts").joinpath(name).read_text(encoding="utf-8"))


def render(name: str, **values: str) -> str:
    return template(name).substitute(values).strip()


@cache
def _examples() -> tuple[Example, ...]:
    listed = files("instancegen.prompts").joinpath("examples.txt").read_text(encoding="utf-8")
    cases = [ln.strip() for ln in listed.splitlines() if ln.strip() and not ln.startswith("#")]
    result = []
    for case in cases:
        folder = files("instancegen.metamodels").joinpath(case)
        ecores = {f.name: f.read_bytes() for f in folder.iterdir() if f.name.endswith(".ecore")}
        result.append(
            Example(
                name=case,
                metamodel=load_metamodel(ecores),
                spec=folder.joinpath("spec.txt").read_text(encoding="utf-8").strip(),
                cim=parse_cim(folder.joinpath("reference.json").read_bytes(), case),
            )
        )
    return tuple(result)


def worked_example(mm: Metamodel) -> Example | None:
    """The first listed example whose packages share no namespace with `mm`'s."""
    uris = {p.ns_uri for p in mm.packages}
    for example in _examples():
        if not uris & {p.ns_uri for p in example.metamodel.packages}:
            return example
    return None


@dataclass(frozen=True)
class Fit:
    """How much of a prompt is kept when the whole does not fit the model's context: the
    worked example or not, and every finding or only the first `findings`. The spec, the
    metamodel shown and the latest answer are always kept."""

    example: bool = True
    findings: int | None = None

    def describe(self) -> str:
        cuts = ([] if self.example else ["without the worked example"]) + (
            [] if self.findings is None else [f"findings capped at {self.findings}"]
        )
        return ", ".join(cuts)


WHOLE = Fit()
FITS = (WHOLE, Fit(findings=20), Fit(example=False, findings=20), Fit(example=False, findings=5))
"""What the engine tries, in order, until a prompt leaves room for its answer."""


def render_issues(issues: Sequence[Issue], most: int | None = None) -> str:
    """One line per issue: where, what, and the hint; past `most`, how many more there are."""
    lines = []
    for i in issues[:most]:
        where = ".".join(x for x in (i.object, i.feature) if x)
        hint = f" ({i.hint})" if i.hint else ""
        lines.append(f"- [{i.code}] {where + ': ' if where else ''}{i.message}{hint}")
    if most is not None and len(issues) > most:
        lines.append(f"- … and {len(issues) - most} more, reported again once these are fixed")
    return "\n".join(lines)


def objects_json(mm: Metamodel, cim: Cim) -> str:
    """Phase 1's answer form of a model: per class, objects with id and attributes."""
    return json.dumps(objects_answer(mm, cim), ensure_ascii=False)


# --- two-step: phase 1 (objects) --------------------------------------------------------------


def objects_messages(
    mm: Metamodel,
    spec: str,
    *,
    previous: Cim | None = None,
    issues: Sequence[Issue] = (),
    fit: Fit = WHOLE,
) -> list[Message]:
    """Ask for the objects; a repair round shows the previous answer and what was wrong."""
    messages = [_system(), *(_objects_example(mm) if fit.example else [])]
    messages.append(_user(_generate_text(mm, spec)))
    if previous is not None:
        messages.append({"role": "assistant", "content": objects_json(mm, previous)})
        messages.append(_user(render("repair.md", issues=render_issues(issues, fit.findings))))
    return messages


def _objects_example(mm: Metamodel) -> list[Message]:
    ex = worked_example(mm)
    if ex is None:
        return []
    return [
        _user(_generate_text(ex.metamodel, ex.spec)),
        {"role": "assistant", "content": objects_json(ex.metamodel, ex.cim)},
    ]


def _generate_text(mm: Metamodel, spec: str) -> str:
    return render("generate.md", metamodel=render_metamodel(mm), spec=spec)


# --- two-step: phase 2 (links) ----------------------------------------------------------------


def links_messages(
    mm: Metamodel,
    spec: str,
    plan: LinksPlan,
    *,
    issues: Sequence[Issue] = (),
    previous: dict[str, Any] | None = None,
    fit: Fit = WHOLE,
) -> list[Message]:
    """Ask for containers and references of the declared objects. A repair with `previous`
    links (the last answer, in this plan's form) shows them and asks to fix only the issues;
    without, the issues are notes to avoid."""
    messages = [_system(), *(_links_example(mm) if fit.example else [])]
    found = render_issues(issues, fit.findings)
    if previous is not None:
        messages.append(_user(_links_text(mm, spec, plan, "")))
        messages.append({"role": "assistant", "content": json.dumps(previous, ensure_ascii=False)})
        shown = found if issues else "- none in the links; the objects changed"
        messages.append(_user(render("links_repair.md", issues=shown)))
        return messages
    notes = render("links_notes.md", issues=found) if issues else ""
    messages.append(_user(_links_text(mm, spec, plan, notes)))
    return messages


def _links_example(mm: Metamodel) -> list[Message]:
    ex = worked_example(mm)
    if ex is None:
        return []
    plan = plan_links(ex.metamodel, declared_objects(ex.metamodel, ex.cim))
    if plan.model() is None:
        return []
    return [
        _user(_links_text(ex.metamodel, ex.spec, plan, "")),
        {"role": "assistant", "content": json.dumps(plan.answer_of(ex.cim), ensure_ascii=False)},
    ]


def _links_text(mm: Metamodel, spec: str, plan: LinksPlan, notes: str) -> str:
    objects = objects_json(mm, Cim(objects=plan.objects))
    return render(
        "links.md",
        metamodel=render_metamodel(mm),
        spec=spec,
        objects=objects,
        outline=plan.outline(),
        notes=notes,
    )


# --- direct (the XMI baseline) ----------------------------------------------------------------


def direct_messages(
    mm: Metamodel,
    spec: str,
    *,
    previous: str | None = None,
    issues: Sequence[Issue] = (),
    fit: Fit = WHOLE,
) -> list[Message]:
    """Ask for XMI itself; a repair round shows the previous XMI and what was wrong."""
    messages = [_system(), *(_direct_example(mm) if fit.example else [])]
    messages.append(_user(_direct_text(mm, spec)))
    if previous is not None:
        messages.append({"role": "assistant", "content": previous})
        found = render_issues(issues, fit.findings)
        messages.append(_user(render("direct_repair.md", issues=found)))
    return messages


def _direct_example(mm: Metamodel) -> list[Message]:
    ex = worked_example(mm)
    if ex is None:
        return []
    xmi = compilers.get("xmi").compile(ex.cim, ex.metamodel).decode("utf-8")
    return [_user(_direct_text(ex.metamodel, ex.spec)), {"role": "assistant", "content": xmi}]


def _direct_text(mm: Metamodel, spec: str) -> str:
    pkg = mm.packages[0]
    return render(
        "direct.md",
        metamodel=render_metamodel(mm),
        spec=spec,
        ns_uri=pkg.ns_uri,
        ns_prefix=pkg.ns_prefix,
    )


def _system() -> Message:
    return {"role": "system", "content": render("system.txt")}


def _user(text: str) -> Message:
    return {"role": "user", "content": text}
