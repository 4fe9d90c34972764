"""One typed request for every entry point: what a generation needs, in the CLI's words.

The CLI builds a `GenerationRequest` from its options, the HTTP API takes one as its body
(`POST /v1/generate`, `/v1/jobs`), a batch line is one with an output stem, a Celery task
carries one as JSON, and eval and the Python API build one; `app.run.run` serves them all.
`LlmOptions` are the part every LLM request carries (an edit request too): the model, how it
is reached, how it is asked, its limits and repairs.

The metamodel is named inline (`ecore`, `files`), by a registered `id`, or, for callers on
this machine (CLI, batch), by `paths` to `.ecore` files; HTTP bodies narrow it to the first
three, since no request may make the service read its own files. `resolve` is the one place a
request's metamodel is read and its Complete OCL `constraints` added, whichever entry point
asked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Self, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from instancegen import compilers
from instancegen.service.app.instance_sets import MAX_COUNT, Kind
from instancegen.service.backends import DEFAULT_MODEL, MIN_TOKENS
from instancegen.service.core import limits as limits_mod
from instancegen.service.core.checks.audit import Realism
from instancegen.service.core.cim import describe_validation_error
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import InputError
from instancegen.service.core.json_text import check_sendable
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.ocl.sources import with_constraints
from instancegen.service.core.scope import Scope, check_scopes, parse_scopes
from instancegen.service.generation.options import MAX_SAMPLES, SAMPLE_TEMPERATURE, Mode
from instancegen.service.generation.strategy import StrategyChoice

_R = TypeVar("_R", bound=BaseModel)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @classmethod
    def of(cls, **fields: Any) -> Self:
        """The request from Python values; a bad one is an InputError in one sentence."""
        return checked(cls, fields)


def checked(cls: type[_R], data: Any) -> _R:
    """`data` validated as `cls`, or an InputError naming the first bad field."""
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise InputError(describe_validation_error(exc).rstrip(".") + ".") from None


def present_or_absent(description: str, **schema: Any) -> Any:
    """An optional field documented as present-or-absent (never null), like the API uses it."""

    def shape(field_schema: dict[str, Any]) -> None:
        field_schema.pop("default", None)
        field_schema.update(schema)

    return Field(None, description=description, json_schema_extra=shape)


class MetamodelUpload(Strict):
    """Metamodel source: one `.ecore` document, or several files by name."""

    # Exactly one source: the schema says so too (one property), so clients know up front.
    model_config = ConfigDict(json_schema_extra={"minProperties": 1, "maxProperties": 1})
    sources: ClassVar[tuple[str, ...]] = ("ecore", "files")

    ecore: str | SkipJsonSchema[None] = present_or_absent("One .ecore document (XML).")
    files: dict[str, str] | SkipJsonSchema[None] = present_or_absent(
        "Several .ecore files by file name, for cross-file references.", minProperties=1
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        given = [n for n in self.sources if getattr(self, n) is not None]
        if len(given) != 1:
            names = ", ".join(f'"{n}"' for n in self.sources)
            raise ValueError(f"give exactly one of {names}")
        if self.files == {}:
            raise ValueError('"files" must name at least one .ecore file')
        return self

    def as_files(self) -> dict[str, str]:
        """The upload as name -> text, the shape `load_metamodel` takes from memory."""
        return self.files if self.files is not None else {"metamodel.ecore": self.ecore or ""}


class MetamodelRef(MetamodelUpload):
    """A metamodel inline (`ecore` or `files`) or registered earlier (`id`)."""

    sources: ClassVar[tuple[str, ...]] = ("ecore", "files", "id")

    id: str | SkipJsonSchema[None] = present_or_absent("An id from POST /v1/metamodels.")


class MetamodelPaths(Strict):
    """`.ecore` files on this machine, read with the files they refer to by relative path
    (the CLI's `-m`, a batch line's `metamodel`); never accepted over HTTP."""

    paths: list[str] = Field(min_length=1)


MetamodelSource = MetamodelRef | MetamodelPaths
Lookup = Callable[[MetamodelRef], Metamodel]
"""How a service finds the metamodel a reference names (its registry: ids, a cache)."""


def constraints_field() -> Any:
    return Field(
        None,
        description="A Complete OCL document (`context Patient inv AgeInRange: self.age <= 130`) "
        "whose invariants are checked as well as the metamodel's own, like --constraints.",
    )


class LlmOptions(Strict):
    """How the LLM is reached and asked: the part of every request that calls one."""

    model: str = Field(
        DEFAULT_MODEL, min_length=1, description="The LLM: `local` or a LiteLLM string."
    )
    api_base: str | None = Field(None, description="Base URL of an OpenAI-compatible server.")
    api_key_env: str | None = Field(
        None,
        min_length=1,
        description="The environment variable holding the API key, when not the provider's "
        "usual one (as --api-key-env); a server reads only those its operator lists in "
        "INSTANCEGEN_API_KEY_ENVS.",
    )
    format: list[str] | str = Field(
        default_factory=lambda: ["xmi"], description="Artifact format(s) to compile."
    )
    max_repairs: int = Field(3, ge=0)
    strategy: StrategyChoice = Field(
        "auto", description="How the LLM is asked (as `instancegen generate --strategy`)."
    )
    max_output_tokens: int | None = Field(
        None,
        ge=MIN_TOKENS,
        description="Most tokens per answer, for a model its backend does not know.",
    )
    context_tokens: int | None = Field(
        None,
        ge=MIN_TOKENS,
        description="The context window, for a model its backend does not know.",
    )
    realism: Realism = Field(
        "warn",
        description="What a value failing a realism check (IBAN checksum, e-mail syntax, "
        "birth date, …) is: warn (a warning, shown in repairs), strict (an error that must "
        "be fixed) or off (not checked). A value the spec (or an edited model, or its change "
        "request) states is kept as it is, with its warning.",
    )

    def formats(self) -> tuple[str, ...]:
        return (self.format,) if isinstance(self.format, str) else tuple(self.format)


class GenerationRequest(LlmOptions):
    """Generate an instance model, or a set of them, from a spec."""

    # None only from the Python API, which hands `run` a metamodel it loaded itself.
    metamodel: MetamodelSource | None = None
    spec: str = Field(min_length=1, description="What the instance model should contain.")
    constraints: str | dict[str, str] | None = Field(
        None,
        description="Complete OCL: one document, or several by file name (as --constraints).",
    )
    samples: int = Field(
        1,
        ge=1,
        le=MAX_SAMPLES,
        description=f"Self-consistency (as --samples): first answers drawn at temperature "
        f"{SAMPLE_TEMPERATURE} and voted into one; the result's `consensus` says what was kept.",
    )
    mode: Mode = "two-step"
    count: int = Field(
        1,
        ge=1,
        le=MAX_COUNT,
        description="Distinct models to generate; above 1 (or a kind other than typical) "
        "the answer is an instance set.",
    )
    kind: Kind = Field(
        "typical",
        description="typical, boundary (limits), edge (minimal), or invalid (one rule "
        "broken, the expected finding given per model).",
    )
    scope: list[str] = Field(
        default_factory=list,
        description="Class counts the model must have, as --scope: `Account=12`, "
        "`Student=20..30`, `Course=3..`, `Course=..5` (a class's count includes its "
        "subclasses' objects). A scope the metamodel's multiplicities contradict is refused.",
    )

    @field_validator("scope")
    @classmethod
    def _scopes_parse(cls, value: list[str]) -> list[str]:
        try:
            parse_scopes(value)
        except InputError as exc:
            raise ValueError(exc.message.rstrip(".")) from None
        return value

    def scopes(self) -> tuple[Scope, ...]:
        return parse_scopes(self.scope)

    @model_validator(mode="after")
    def _voted_in_two_step(self) -> Self:
        if self.samples > 1 and self.mode == "direct":
            raise ValueError(
                '"samples" above 1 needs "mode" two-step: direct answers are not voted'
            )
        return self

    def wants_set(self) -> bool:
        return self.count > 1 or self.kind != "typical"

    def constraint_documents(self) -> dict[str, str]:
        if self.constraints is None:
            return {}
        if isinstance(self.constraints, str):
            return {"constraints": self.constraints}
        return self.constraints


def check(request: GenerationRequest) -> None:
    """What can be checked before any metamodel is read or LLM called: the spec's length
    and the formats asked for (bad input fails now, not part way through a job)."""
    if not request.spec.strip():
        raise InputError("the specification is empty.")
    limits_mod.current().check("max_spec_chars", len(request.spec), "the spec length in characters")
    check_sendable(request.spec, "the specification")
    for name in request.formats():
        compilers.get(name)


def resolve(
    request: GenerationRequest, lookup: Lookup | None = None, loaded: Metamodel | None = None
) -> Metamodel:
    """The metamodel `request` names (or `loaded`, read by the caller), with the invariants
    of its constraints added: the one place they are, for every entry point; its scopes are
    checked against it here too (refused when its multiplicities contradict them). `lookup`
    finds a reference (a service's registry); without one, inline files are read from
    memory."""
    mm = loaded if loaded is not None else _read(request.metamodel, lookup)
    check_scopes(mm, request.scopes())
    return with_constraints(mm, request.constraint_documents())


def _read(source: MetamodelSource | None, lookup: Lookup | None) -> Metamodel:
    if source is None:
        raise InputError("the request names no metamodel.")
    if isinstance(source, MetamodelPaths):
        return load_metamodel(source.paths)
    if lookup is not None:
        return lookup(source)
    if source.id is not None:
        raise InputError(
            f"metamodel id {source.id!r}: registered metamodels are the service's; "
            "name the .ecore files instead."
        )
    return load_metamodel(source.as_files())
