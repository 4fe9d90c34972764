"""Two phases: objects (ids, attributes), then links (containers, references) among them.

Each phase's schema leaves a small model nothing to get wrong that a schema can rule out
(`service.phased_schema`). A small model (the bundled one) gets bounded schemas: objects per
class by what the spec describes and what fits 3,072 tokens (more, as far as the context allows,
when the spec names or counts more objects), capped strings and lists; a cut-off answer is asked
again with fewer objects per class. Any other model gets unbounded ones and its
own output budget.

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

from service.backends import Message
from service.cim import Cim
from service.generation.budget import Budget, prompt_tokens
from service.generation.caller import Caller
from service.grounding import Grounding, ground
from service.issues import Issue
from service.links_schema import plan_links
from service.metamodel import Metamodel, Reference
from service.phased_schema import answer_tokens, declared_objects, object_cap, objects_model
from service.prompting import links_messages, objects_messages

SMALL_OBJECTS_TOKENS = 3072  # a small model's phase-1 answers are bounded to fit this
SMALL_LINKS_TOKENS = 1024


@dataclass
class TwoPhase:
    mm: Metamodel
    spec: str
    budget: Budget

    def objects_schemas(self, repair: bool = False) -> list[type[Any]]:
        """Phase 1's schemas, most objects first (a small model's cut-off answer is asked again
        with the next); a `repair`'s may leave out what a first answer had to write."""
        if not self.budget.small:
            return [objects_model(self.mm, None, bounded=False)]
        cap, tokens, _ = self._phase_one
        caps = dict.fromkeys((cap, max(1, cap // 3), 1))
        return [
            objects_model(
                self.mm,
                c,
                grounding=self.grounding,
                tokens=tokens if c == cap else None,
                repair=repair,
            )
            for c in caps
        ]

    @cached_property
    def grounding(self) -> Grounding:
        """What the spec states, read once for both phases of every attempt."""
        return ground(self.mm, self.spec)

    @cached_property
    def _phase_one(self) -> tuple[int, int, int]:
        """A small model's objects per class, the tokens its entries may take, and max_tokens
        for phase 1: SMALL_OBJECTS_TOKENS (or less, if the model cannot write that much), more
        where the spec states more objects, as far as the first prompt leaves room."""
        room = self.budget.answer_tokens(prompt_tokens(self.first_messages()))
        usual = min(SMALL_OBJECTS_TOKENS, room)
        cap = object_cap(self.mm, self.spec, usual)
        tokens = answer_tokens(self.mm, self.grounding, cap, room)
        return cap, tokens, max(usual, tokens)

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
            schemas = self.objects_schemas(repair=previous is not None)
            answer = caller.ask(messages, schemas, self._tokens(messages, True))
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
            most = self._phase_one[2] if objects else SMALL_LINKS_TOKENS
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
