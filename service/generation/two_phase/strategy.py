"""Two phases: objects (ids, attributes), then links (containers, references) among them.

Each phase's schema leaves a small model nothing to get wrong that a schema can rule out
(`two_phase.objects_schema`). A small model (the bundled one) gets bounded schemas: objects per
class by what the spec describes and what fits 3,072 tokens (or the model's output limit, if
smaller), capped strings and lists; a cut-off answer is asked again with fewer objects per class.
Any other model gets unbounded ones and its own output budget.

A repair gives each phase only the issues it can fix: attribute and object issues to phase 1
(with its previous answer), reference issues to phase 2 (with its previous links, which it keeps
except where an issue says otherwise). Phase 1 is asked again only when it has something to
fix, or when a required reference lacks objects to point at.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from instancegen.service.backends import Message
from instancegen.service.core.cim import Cim
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import Metamodel, Reference
from instancegen.service.generation.budget import Budget, prompt_tokens
from instancegen.service.generation.caller import Caller
from instancegen.service.generation.prompting import links_messages, objects_messages
from instancegen.service.generation.two_phase.links_schema import plan_links
from instancegen.service.generation.two_phase.objects_schema import (
    declared_objects,
    object_cap,
    objects_model,
)
from instancegen.service.generation.two_phase.spec_facts import Grounding, ground

SMALL_OBJECTS_TOKENS = 3072  # a small model's phase-1 answers are bounded to fit this
SMALL_LINKS_TOKENS = 1024


@dataclass
class TwoPhase:
    mm: Metamodel
    spec: str
    budget: Budget

    def objects_schemas(self) -> list[type[Any]]:
        """Phase 1's schemas, most objects first (a small model's cut-off answer is asked again
        with the next)."""
        first = self.first_objects_schema()
        if not self.budget.small:
            return [first]
        fewer = [c for c in dict.fromkeys((max(1, self._cap // 3), 1)) if c != self._cap]
        return [first, *(objects_model(self.mm, c, grounding=self.grounding) for c in fewer)]

    def first_objects_schema(self) -> type[Any]:
        """`objects_schemas()[0]` without building the others (what `schema` shows)."""
        if not self.budget.small:
            return objects_model(self.mm, None, bounded=False)
        return objects_model(self.mm, self._cap, grounding=self.grounding)

    @cached_property
    def grounding(self) -> Grounding:
        """What the spec states, read once for both phases of every attempt."""
        return ground(self.mm, self.spec)

    @cached_property
    def _cap(self) -> int:
        """A small model's objects per class in phase 1: what fits SMALL_OBJECTS_TOKENS, or
        the model's own output limit if that is less."""
        room = self.budget.answer_tokens(prompt_tokens(self.first_messages()))
        return object_cap(self.mm, self.spec, min(SMALL_OBJECTS_TOKENS, room))

    def first_messages(self) -> list[Message]:
        return objects_messages(self.mm, self.spec)

    def answer(
        self, caller: Caller, previous: Cim | None, issues: Sequence[Issue], notes: list[Issue]
    ) -> Cim:
        """The new model; in a repair, `previous` is the last one and `issues` its findings.
        What had to be changed in the answers is added to `notes` (`normalised` warnings)."""
        object_issues, link_issues = split_issues(self.mm, previous, issues)
        if previous is None or object_issues:
            messages = objects_messages(self.mm, self.spec, previous=previous, issues=object_issues)
            answer = caller.ask(messages, self.objects_schemas(), self._tokens(messages, True))
            declared = declared_objects(self.mm, answer.to_cim(), notes)
        else:
            declared = declared_objects(self.mm, previous, notes)
        plan = plan_links(self.mm, declared, self.grounding if self.budget.small else None)
        links_model = plan.model()
        links: dict[str, Any] = {}
        if links_model is not None:
            if previous is None:
                messages = links_messages(self.mm, self.spec, plan)
            else:
                shown = plan.answer_of(previous)
                messages = links_messages(
                    self.mm, self.spec, plan, issues=link_issues, previous=shown
                )
            reply = caller.ask(messages, [links_model], self._tokens(messages, False))
            links = reply.model_dump(by_alias=True)
        return plan.apply(links, notes)

    def _tokens(self, messages: list[Message], objects: bool) -> int:
        prompt = prompt_tokens(messages)
        if self.budget.small:
            most = SMALL_OBJECTS_TOKENS if objects else SMALL_LINKS_TOKENS
            return min(most, self.budget.answer_tokens(prompt))
        return self.budget.answer_tokens(prompt)


def split_issues(
    mm: Metamodel, previous: Cim | None, issues: Sequence[Issue]
) -> tuple[list[Issue], list[Issue]]:
    """The issues phase 1 can fix (objects, attributes, missing objects) and those phase 2
    can (references)."""
    if previous is None:
        return [], []
    by_id = {o.id: o for o in previous.objects}
    pool = Counter(o.class_ for o in previous.objects)
    objects, links = [], []
    for issue in issues:
        obj = by_id.get(issue.object or "")
        cls = mm.classes.get(obj.class_) if obj is not None else None
        ref = cls.feature_map.get(issue.feature or "") if cls is not None else None
        if not isinstance(ref, Reference):
            objects.append(issue)
            continue
        links.append(issue)
        available = sum(pool[s] for s in mm.concrete_subtypes(ref.target))
        if issue.code == "multiplicity" and available < ref.lower:
            objects.append(issue)  # too few objects to point at: phase 1 must add some
    return objects, links
