"""The two-phase strategy's messages, from the templates in `prompts/`: phase 1 asks for the
objects (`generate.md`, a repair: `repair.md`), phase 2 for their links (`links.md`, a repair:
`links_repair.md`).

Both phases are one conversation: the system text, a worked example of phase 1 from another
bundled metamodel (`prompting.worked_example`), the request for the objects; phase 2 goes on
from there with the objects as declared, the worked example's links asked and answered, and
the request for these objects' links. So every call of a generation begins with what the one
before it sent, and a model that keeps what it has read (llama.cpp's context, a provider's
prompt cache) reads only what is new. Phase 1's messages are what they were when each phase
had a conversation of its own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from instancegen.service.backends.base import Message
from instancegen.service.core.cim import Cim, CimObject
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.emfatic import render_metamodel
from instancegen.service.generation.prompting import (
    WHOLE,
    Fit,
    conversation,
    render,
    render_issues,
    user,
    worked_example,
)
from instancegen.service.generation.two_phase.links_schema import LinksPlan, plan_links
from instancegen.service.generation.two_phase.objects_schema import declared_objects, objects_answer


def objects_json(mm: Metamodel, cim: Cim) -> str:
    """Phase 1's answer form of a model: per class, objects with id and attributes."""
    return json.dumps(objects_answer(mm, cim), ensure_ascii=False)


def same_objects(mm: Metamodel, given: Cim, declared: Sequence[CimObject]) -> bool:
    """Whether phase 1's answer `given` says just what the `declared` objects are, so that
    phase 2 may show the answer as the model wrote it."""
    return objects_answer(mm, given) == objects_answer(mm, Cim(objects=list(declared)))


# --- phase 1: objects ------------------------------------------------------------------------


def objects_messages(
    mm: Metamodel,
    spec: str,
    *,
    previous: Cim | None = None,
    issues: Sequence[Issue] = (),
    fit: Fit = WHOLE,
) -> list[Message]:
    """Ask for the objects; a repair round shows the previous answer and what was wrong."""
    return conversation(
        lambda: _objects_example(mm),
        _generate_text(mm, spec),
        fit,
        answer=objects_json(mm, previous) if previous is not None else None,
        repair="repair.md",
        issues=issues,
    )


def _objects_example(mm: Metamodel) -> list[Message]:
    ex = worked_example(mm)
    if ex is None:
        return []
    return [
        user(_generate_text(ex.metamodel, ex.spec)),
        {"role": "assistant", "content": objects_json(ex.metamodel, ex.cim)},
    ]


def _generate_text(mm: Metamodel, spec: str) -> str:
    return render("generate.md", metamodel=render_metamodel(mm), spec=spec)


# --- phase 2: links --------------------------------------------------------------------------


def links_messages(
    mm: Metamodel,
    spec: str,
    plan: LinksPlan,
    *,
    issues: Sequence[Issue] = (),
    previous: dict[str, Any] | None = None,
    written: str | None = None,
    fit: Fit = WHOLE,
) -> list[Message]:
    """Ask for containers and references of the declared objects, after phase 1's request
    and the objects as declared (`written`: phase 1's answer as the model wrote it, when it
    declares just these objects). A repair with `previous` links (the last answer, in this
    plan's form) shows them and asks to fix only the issues; without, the issues are notes
    to avoid."""
    messages = conversation(lambda: _objects_example(mm), _generate_text(mm, spec), fit)
    declared = written if written is not None else objects_json(mm, Cim(objects=plan.objects))
    messages.append({"role": "assistant", "content": declared})
    if fit.example:
        messages += _links_example(mm)
    found = render_issues(issues, fit.findings)
    if previous is not None:
        messages.append(user(_links_text("links.md", plan, "")))
        messages.append({"role": "assistant", "content": json.dumps(previous, ensure_ascii=False)})
        shown = found if issues else "- none in the links; the objects changed"
        messages.append(user(render("links_repair.md", issues=shown)))
        return messages
    notes = render("links_notes.md", issues=found) if issues else ""
    messages.append(user(_links_text("links.md", plan, notes)))
    return messages


def _links_example(mm: Metamodel) -> list[Message]:
    """The worked example's links, asked of its objects (phase 1's example) and answered."""
    ex = worked_example(mm)
    if ex is None:
        return []
    plan = plan_links(ex.metamodel, declared_objects(ex.metamodel, ex.cim))
    if plan.model() is None:
        return []
    return [
        user(_links_text("links_example.md", plan, "")),
        {"role": "assistant", "content": json.dumps(plan.answer_of(ex.cim), ensure_ascii=False)},
    ]


def _links_text(template: str, plan: LinksPlan, notes: str) -> str:
    return render(template, outline=plan.outline(), notes=notes)
