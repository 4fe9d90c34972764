"""Which way of asking suits this model and metamodel, and exactly what it sends.

The choice reads what the model's backend declares (`Capabilities`), never the model string:
- `two-phase` (a backend that decodes under a grammar, like the bundled model): objects, then
  links, each under a grammar that rules out what a schema can; bounded for a small model.
- `typed` (any other model): the whole CIM in one answer, objects grouped by class with typed
  features (`encoding.Grouped`), continued in parts when it does not fit.
- `strict` (a backend taking strict tool calls: OpenAI's own API): the same in the subset
  OpenAI's strict structured outputs accept, sent in strict mode.
- `generic`: the DESIGN.md CIM with free feature maps, for a metamodel whose typed schema is
  beyond the provider's limits (properties, nesting, enum sizes; `schema.SchemaLimits`).

A metamodel is sliced to what the spec needs (`slicing.py`) only when the first prompt with
the whole of it would not leave its answer room (the output limit, or a quarter of the
context if less). `plan()` makes the choice, says why, and `--strategy` overrides it;
`instancegen schema/prompt --model M` print what it sends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, cast, get_args

from pydantic import BaseModel, PydanticUserError

from instancegen.service import backends
from instancegen.service.backends import Capabilities, Message
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.scope import Scope, scopes_note
from instancegen.service.generation.budget import prompt_tokens, room
from instancegen.service.generation.encoding import CimForm, Encoding, Grouped
from instancegen.service.generation.one_shot import OneShot
from instancegen.service.generation.prompting import worked_example
from instancegen.service.generation.schema import (
    SchemaLimits,
    measure_schema,
    model_schema,
    typed_properties,
)
from instancegen.service.generation.slicing import Slice, slice_for
from instancegen.service.generation.two_phase.prompts import objects_messages
from instancegen.service.generation.two_phase.spec_facts import SpecFacts, read_facts
from instancegen.service.generation.two_phase.strategy import TwoPhase

Strategy = Literal["typed", "strict", "generic", "two-phase"]
StrategyChoice = Literal["auto", "typed", "strict", "generic", "two-phase"]  # what users pass
STRATEGIES: tuple[str, ...] = get_args(StrategyChoice)
ANSWER_SHARE = 4  # the first answer's room: the output limit, or 1/ANSWER_SHARE of the context


@dataclass(frozen=True)
class Plan:
    """The chosen strategy, why, the model's capabilities, and the (possibly sliced)
    metamodel shown."""

    strategy: Strategy
    reason: str
    caps: Capabilities
    full: Metamodel
    slice: Slice | None
    spec: str
    note: str | None = None  # a set member's: how it should differ, shown after the spec
    named_entries: bool = True  # two-phase: names the spec gives pin entries (not in a set)
    scopes: tuple[Scope, ...] = ()  # class counts asked for: in the prompt, and the schema

    @property
    def metamodel(self) -> Metamodel:
        return self.slice.metamodel if self.slice is not None else self.full

    @property
    def shown(self) -> str:
        """The spec as the prompt shows it: the user's, the counts its scopes ask for, and a
        set member's note after it."""
        return "\n\n".join(t for t in (self.spec, scopes_note(self.scopes), self.note) if t)

    def describe(self) -> str:
        sliced = f"; {self.slice.describe()}" if self.slice is not None else ""
        return f"strategy {self.strategy} ({self.reason}); {self.caps.describe()}{sliced}"

    def asker(self, facts: Callable[[Metamodel], SpecFacts]) -> OneShot | TwoPhase:
        """The object that asks: one-shot in the chosen encoding, or two-phase (reading the
        spec's `facts` about the metamodel shown)."""
        mm = self.metamodel
        if self.strategy == "two-phase":
            return TwoPhase(mm, self.caps, facts(mm), self.shown, self.named_entries, self.scopes)
        return self._one_shot()

    def _one_shot(self) -> OneShot:
        mm = self.metamodel
        ex = worked_example(mm)
        return OneShot(
            mm,
            self.shown,
            _encoding(self.strategy, mm, self.scopes),
            self.caps,
            _encoding(self.strategy, ex.metamodel) if ex is not None else None,
        )

    def first_request(self) -> tuple[list[Message], type[BaseModel]]:
        """The first call's messages and response model (two-phase: the objects phase)."""
        asker = self.asker(lambda mm: read_facts(mm, self.spec))
        if isinstance(asker, TwoPhase):
            return asker.first_messages(), asker.first_objects_schema()
        return asker.messages(), asker.encoding.response_model()

    def first_messages(self) -> list[Message]:
        """The first call's messages, without reading the spec's facts or building a schema."""
        if self.strategy == "two-phase":
            return objects_messages(self.metamodel, self.shown)
        return self._one_shot().messages()


def _encoding(strategy: Strategy, mm: Metamodel, scopes: tuple[Scope, ...] = ()) -> Encoding:
    """The answer form; a grouped one holds `scopes` in its lists' lengths (the generic form,
    one list of every object, leaves them to the validator)."""
    if strategy == "generic":
        return CimForm(mm)
    return Grouped(mm, strict=strategy == "strict", scopes=scopes)


def plan(
    mm: Metamodel,
    spec: str,
    caps: Capabilities,
    *,
    strategy: str = "auto",
    note: str | None = None,
    scopes: tuple[Scope, ...] = (),
) -> Plan:
    """Choose how to ask a model that can do `caps` for an instance of `mm` (see the module
    docstring); `note` is a set member's, shown after the spec, and `scopes` the class counts
    asked for."""
    if strategy not in STRATEGIES:
        raise InputError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}.")
    if not mm.concrete_classes:
        raise InputError(
            f"the metamodel {mm.name!r} has no concrete class (every class is abstract or an "
            "interface, or it declares none), so there is nothing to instantiate."
        )
    chosen: Strategy
    if strategy != "auto":
        chosen, reason = cast(Strategy, strategy), "asked for"
    elif caps.grammar:
        chosen = "two-phase"
        reason = "grammar-constrained decoding: objects, then links, each under a grammar"
    elif caps.strict_tools:
        chosen, reason = "strict", "strict tool calls: strict structured outputs"
    else:
        chosen, reason = "typed", "one answer, objects grouped by class"
    whole = Plan(chosen, reason, caps, mm, None, spec, note, scopes=scopes)
    wanted = min(caps.output_tokens, caps.context_tokens // ANSWER_SHARE)
    fits = room(caps, prompt_tokens(whole.first_messages())) >= wanted
    cut = None if fits else slice_for(mm, spec)
    asked = cut.metamodel if cut is not None else mm
    limits = SchemaLimits()
    grouped = strategy == "auto" and chosen in ("typed", "strict")
    if grouped and typed_properties(asked) > limits.max_properties:  # known without building
        too_many = f"more than {limits.max_properties} properties"
        chosen, reason = "generic", f"the typed schema is beyond provider limits ({too_many})"
    if chosen in ("typed", "strict") and (broken := _unbuildable(asked, chosen == "strict")):
        if strategy != "auto":
            raise InputError(f"the {chosen} schema of {mm.name!r} cannot be built ({broken}).")
        chosen, reason = "generic", f"the typed schema cannot be built ({broken})"
    if strategy == "auto" and chosen in ("typed", "strict"):
        too_big = _beyond_limits(asked, chosen == "strict")
        if too_big:
            chosen, reason = "generic", f"the typed schema is beyond provider limits ({too_big})"
    return Plan(chosen, reason, caps, mm, cut, spec, note, scopes=scopes)


def plan_for(
    mm: Metamodel,
    spec: str,
    model: str,
    *,
    api_base: str | None = None,
    strategy: str = "auto",
    max_output_tokens: int | None = None,
    context_tokens: int | None = None,
) -> Plan:
    """`plan` with what `model`'s backend declares (given limits override what it knows)."""
    caps = backends.capabilities(
        model, api_base, max_output_tokens=max_output_tokens, context_tokens=context_tokens
    )
    return plan(mm, spec.strip(), caps, strategy=strategy)


def _unbuildable(mm: Metamodel, strict: bool) -> str:
    """Why the grouped answer form of `mm` cannot be built, or ''. Its nested object models
    refer to each other by name; on some public metamodels (class names pydantic resolves to
    its own, containment hundreds of classes deep) building them fails. Such a metamodel is
    asked with the generic form instead of ending in an internal error."""
    try:
        Grouped(mm, strict=strict).response_model()
    except (NameError, RecursionError, TypeError, PydanticUserError) as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    return ""


def _beyond_limits(mm: Metamodel, strict: bool) -> str:
    """The first provider limit the grouped schema of `mm` exceeds, or ''."""
    limits = SchemaLimits()
    size = measure_schema(model_schema(Grouped(mm, strict=strict).response_model()), limits)
    found = limits.violations(size)
    return found[0] if found else ""
