"""Generation: spec → valid CIM. One module per job (DESIGN.md):

- `loop`: ask → validate → repair → result; knows no strategy's internals
- `budget`: output and context budgets from the model in use
- `strategy`: which way of asking suits the model and metamodel, and what it sends
- `one_shot`: the CIM in one answer (typed, strict, generic), in parts when large
- `phased`: objects, then links (constrained decoding for small models)
- `encoding`: the answer forms and their way back to the CIM
- `parts`: cut-off answers salvaged, parts and repairs merged
- `slicing`: the metamodel cut to what the spec needs
- `caller`: calls, token accounting, retries
- `consensus`: k sampled answers voted into one (`samples`)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from instancegen.service.backends import DEFAULT_MODEL, Backend, create_backend
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.loop import MAX_SAMPLES, MODES, Mode, extract_xmi, run
from instancegen.service.generation.result import Event, GenerationResult
from instancegen.service.generation.strategy import STRATEGIES

__all__ = [
    "MAX_SAMPLES",
    "MODES",
    "STRATEGIES",
    "Mode",
    "create_backend",
    "extract_xmi",
    "generate",
]


def generate(
    metamodel: Metamodel,
    spec: str,
    *,
    model: str = DEFAULT_MODEL,
    api_base: str | None = None,
    formats: Sequence[str] = ("xmi",),
    max_repairs: int = 3,
    mode: Mode = "two-step",
    on_event: Callable[[Event], None] | None = None,
    backend: Backend | None = None,
    strategy: str = "auto",
    max_output_tokens: int | None = None,
    context_tokens: int | None = None,
    api_key_env: str | None = None,
    samples: int = 1,
) -> GenerationResult:
    """Generate an instance model of `metamodel` for `spec`, repairing up to `max_repairs`
    times. `strategy` overrides the automatic choice (`auto`, `typed`, `strict`, `generic`,
    `two-phase`); `max_output_tokens`/`context_tokens` give the budget of a model LiteLLM does
    not know. `samples` k > 1 draws k first answers warm and keeps what most of them agree
    on (self-consistency; k times the first answer's tokens). Raises InputError for bad
    arguments and BackendError when the LLM fails."""
    if backend is None:
        # without the keyword when unused: stand-ins for create_backend may not take it
        backend = (
            create_backend(model, api_base)
            if api_key_env is None
            else create_backend(model, api_base, api_key_env=api_key_env)
        )
    return run(
        metamodel,
        spec,
        backend,
        model=model,
        api_base=api_base,
        formats=formats,
        max_repairs=max_repairs,
        mode=mode,
        on_event=on_event,
        strategy=strategy,
        max_output_tokens=max_output_tokens,
        context_tokens=context_tokens,
        samples=samples,
    )
