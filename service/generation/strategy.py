"""Which way of asking suits this model and metamodel, and exactly what it sends.

- `two-phase` (the bundled model): objects, then links, each under a grammar that rules out
  what a schema can; bounded for a small model.
- `typed` (any other model): the whole CIM in one answer, objects grouped by class with typed
  features (`encoding.Grouped`), continued in parts when it does not fit.
- `strict` (OpenAI, reached without `--api-base`): the same in the subset OpenAI's strict
  structured outputs accept, sent in strict mode.
- `generic`: the DESIGN.md CIM with free feature maps, for a metamodel whose typed schema is
  beyond the provider's limits (properties, nesting, enum sizes; `schema.SchemaLimits`).

A metamodel whose Emfatic rendering takes more than a quarter of the model's context is sliced
to what the spec needs (`slicing.py`) before any of this. `plan()` makes the choice, says why,
and `--strategy` overrides it; `instancegen schema/prompt --model M` print what it sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from pydantic import BaseModel

from instancegen.service.backends import LOCAL, Message
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.budget import Budget, budget_for
from instancegen.service.generation.emfatic import render_metamodel
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
from instancegen.service.generation.tokens import count_tokens
from instancegen.service.generation.two_phase.strategy import TwoPhase

Strategy = Literal["typed", "strict", "generic", "two-phase"]
StrategyChoice = Literal["auto", "typed", "strict", "generic", "two-phase"]  # what users pass
STRATEGIES: tuple[str, ...] = get_args(StrategyChoice)
SLICE_SHARE = 4  # slice when the metamodel takes more than 1/SLICE_SHARE of the context


@dataclass(frozen=True)
class Plan:
    """The chosen strategy, why, the budget, and the (possibly sliced) metamodel shown."""

    strategy: Strategy
    reason: str
    budget: Budget
    full: Metamodel
    slice: Slice | None
    spec: str

    @property
    def metamodel(self) -> Metamodel:
        return self.slice.metamodel if self.slice is not None else self.full

    def describe(self) -> str:
        sliced = f"; {self.slice.describe()}" if self.slice is not None else ""
        return f"strategy {self.strategy} ({self.reason}); {self.budget.describe()}{sliced}"

    def asker(self) -> OneShot | TwoPhase:
        """The object that asks: one-shot in the chosen encoding, or two-phase."""
        mm = self.metamodel
        if self.strategy == "two-phase":
            return TwoPhase(mm, self.spec, self.budget)
        ex = worked_example(mm)
        return OneShot(
            mm,
            self.spec,
            _encoding(self.strategy, mm),
            self.budget,
            _encoding(self.strategy, ex.metamodel) if ex is not None else None,
        )

    def first_request(self) -> tuple[list[Message], type[BaseModel]]:
        """The first call's messages and response model (two-phase: the objects phase)."""
        asker = self.asker()
        if isinstance(asker, TwoPhase):
            return asker.first_messages(), asker.first_objects_schema()
        return asker.messages(), asker.encoding.response_model()


def _encoding(strategy: Strategy, mm: Metamodel) -> Encoding:
    if strategy == "generic":
        return CimForm(mm)
    return Grouped(mm, strict=strategy == "strict")


def plan(
    mm: Metamodel,
    spec: str,
    model: str,
    budget: Budget,
    *,
    api_base: str | None = None,
    strategy: str = "auto",
) -> Plan:
    """Choose how to ask `model` for an instance of `mm` (see the module docstring)."""
    if strategy not in STRATEGIES:
        raise InputError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}.")
    if not mm.concrete_classes:
        raise InputError(
            f"the metamodel {mm.name!r} has no concrete class (every class is abstract or an "
            "interface, or it declares none), so there is nothing to instantiate."
        )
    cut = None
    if count_tokens(render_metamodel(mm)) * SLICE_SHARE > budget.context_tokens:
        cut = slice_for(mm, spec)
    shown = cut.metamodel if cut is not None else mm
    if strategy != "auto":
        return Plan(cast(Strategy, strategy), "asked for", budget, mm, cut, spec)
    if model == LOCAL:
        chosen: Strategy = "two-phase"
        reason = "a small model: objects, then links, each under a grammar"
    elif _openai(model, api_base):
        chosen, reason = "strict", "OpenAI: strict structured outputs"
    else:
        chosen, reason = "typed", "one answer, objects grouped by class"
    if chosen != "two-phase":
        too_big = _beyond_limits(shown, chosen == "strict")
        if too_big:
            chosen, reason = "generic", f"the typed schema is beyond provider limits ({too_big})"
    return Plan(chosen, reason, budget, mm, cut, spec)


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
    """`plan` with the budget of `model` (given figures override what is known of it)."""
    budget = budget_for(model, max_output_tokens=max_output_tokens, context_tokens=context_tokens)
    return plan(mm, spec.strip(), model, budget, api_base=api_base, strategy=strategy)


def _openai(model: str, api_base: str | None) -> bool:
    """OpenAI's own API (strict structured outputs), not an OpenAI-compatible server."""
    if api_base is not None:
        return False
    provider, _, name = model.partition("/")
    return provider == "openai" or (not name and model.startswith(("gpt-", "o1", "o3", "o4")))


def _beyond_limits(mm: Metamodel, strict: bool) -> str:
    """The first provider limit the grouped schema of `mm` exceeds, or ''."""
    limits = SchemaLimits()
    if typed_properties(mm) > limits.max_properties:
        return f"more than {limits.max_properties} properties"
    size = measure_schema(model_schema(Grouped(mm, strict=strict).response_model()), limits)
    found = limits.violations(size)
    return found[0] if found else ""


def schema_as_sent(model: str, response_model: type[BaseModel]) -> tuple[dict[str, Any], str]:
    """The JSON schema `model` is held to for `response_model`, exactly as sent, and how it is
    sent: the local model's grammar is compiled from `model_schema`; LiteLLM models get the
    parameters of instructor's forced tool call."""
    if model == LOCAL:
        return model_schema(response_model), "compiled into a llama.cpp grammar"
    from instancegen.service.backends.litellm_backend import sent_schema

    tool = sent_schema(response_model)
    strict = " in strict mode" if tool.get("strict") else ""
    return tool["parameters"], f"the parameters of the forced tool call {tool['name']}{strict}"
