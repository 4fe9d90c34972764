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

from instancegen.service.backends import Capabilities, Message
from instancegen.service.core.cim import Cim
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import Metamodel, Reference
from instancegen.service.core.scope import Scope
from instancegen.service.generation import budget
from instancegen.service.generation.budget import prompt_tokens
from instancegen.service.generation.caller import Caller
from instancegen.service.generation.two_phase.links_schema import plan_links
from instancegen.service.generation.two_phase.objects_schema import (
    declared_objects,
    object_cap,
    objects_model,
)
from instancegen.service.generation.two_phase.prompts import (
    links_messages,
    objects_messages,
    same_objects,
)
from instancegen.service.generation.two_phase.spec_facts import SpecFacts

SMALL_OBJECTS_TOKENS = 3072  # a small model's phase-1 answers are bounded to fit this
SMALL_LINKS_TOKENS = 1024


@dataclass
class TwoPhase:
    """Two-phase asking of a model that can do `caps`, with what the user's `spec` states
    about `mm` read once (`facts`); the prompts show `shown` (the spec, and a set member's
    note after it); phase 1's lists hold the `scopes` asked for."""

    mm: Metamodel
    caps: Capabilities
    facts: SpecFacts
    shown: str
    named_entries: bool = True
    scopes: tuple[Scope, ...] = ()

    def objects_schemas(self) -> list[type[Any]]:
        """Phase 1's schemas, most objects first (a small model's cut-off answer is asked again
        with the next)."""
        first = self.first_objects_schema()
        if not self.caps.small:
            return [first]
        fewer = [c for c in dict.fromkeys((max(1, self._cap // 3), 1)) if c != self._cap]
        return [first, *(self._bounded(c) for c in fewer)]

    def first_objects_schema(self) -> type[Any]:
        """`objects_schemas()[0]` without building the others (what `schema` shows)."""
        if not self.caps.small:
            return objects_model(self.mm, None, bounded=False, scopes=self.scopes)
        return self._bounded(self._cap)

    def _bounded(self, cap: int) -> type[Any]:
        return objects_model(
            self.mm, cap, facts=self.facts, named_entries=self.named_entries, scopes=self.scopes
        )

    @cached_property
    def _cap(self) -> int:
        """A small model's objects per class in phase 1: what fits SMALL_OBJECTS_TOKENS, or
        the model's own output limit if that is less."""
        room = budget.answer_tokens(self.caps, prompt_tokens(self.first_messages()))
        return object_cap(self.mm, self.facts, min(SMALL_OBJECTS_TOKENS, room))

    def first_messages(self) -> list[Message]:
        return objects_messages(self.mm, self.shown)

    def answer(
        self, caller: Caller, previous: Cim | None, issues: Sequence[Issue], notes: list[Issue]
    ) -> Cim:
        """The new model; in a repair, `previous` is the last one and `issues` its findings.
        What had to be changed in the answers is added to `notes` (`normalised` warnings)."""
        object_issues, link_issues = split_issues(self.mm, previous, issues)
        given: tuple[Cim, str] | None = None  # phase 1's answer, and as the model wrote it
        if previous is None or object_issues:
            caller.phase = "objects"
            messages = caller.fitted(
                lambda fit: objects_messages(
                    self.mm, self.shown, previous=previous, issues=object_issues, fit=fit
                )
            )
            with caller.profiler.phase("objects"):
                answer, written = caller.ask_text(
                    messages, self.objects_schemas(), self._tokens(objects=True)
                )
            given = answer.to_cim(), written
            declared = declared_objects(self.mm, given[0], notes)
        else:
            declared = declared_objects(self.mm, previous, notes)
        plan = plan_links(self.mm, declared, self.facts if self.caps.small else None)
        links_model = plan.model()
        links: dict[str, Any] = {}
        if links_model is not None:
            # The objects as declared: as the model wrote them if that says the same.
            shown = given[1] if given and same_objects(self.mm, given[0], plan.objects) else None
            before = plan.answer_of(previous) if previous is not None else None
            caller.phase = "links"
            messages = caller.fitted(
                lambda fit: links_messages(
                    self.mm,
                    self.shown,
                    plan,
                    issues=link_issues,
                    previous=before,
                    written=shown,
                    fit=fit,
                )
            )
            with caller.profiler.phase("links"):
                reply = caller.ask(messages, [links_model], self._tokens(objects=False))
            links = reply.model_dump(by_alias=True)
        return plan.apply(links, notes)

    def _tokens(self, *, objects: bool) -> int:
        """Most tokens a phase's answer is asked for (the caller asks no more than the
        context leaves): a small model's are bounded, any other gets its output limit."""
        if self.caps.small:
            most = SMALL_OBJECTS_TOKENS if objects else SMALL_LINKS_TOKENS
            return min(most, self.caps.output_tokens)
        return self.caps.output_tokens


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
