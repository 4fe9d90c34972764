"""Request and response bodies of the HTTP API, in the CLI's words (DESIGN.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Self, cast

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from instancegen.service.app.instance_sets import MAX_COUNT, InstanceSet, Kind
from instancegen.service.app.jobstore import StoredJob
from instancegen.service.core.checks.audit import Realism
from instancegen.service.core.edits import Edit
from instancegen.service.core.issues import Issue
from instancegen.service.generation.loop import MAX_SAMPLES, SAMPLE_TEMPERATURE
from instancegen.service.generation.result import GenerationResult
from instancegen.service.generation.strategy import StrategyChoice
from instancegen.service.http.problems import Problem

JobStatus = Literal["queued", "running", "finished", "failed", "interrupted"]
Mode = Literal["two-step", "direct"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _source(description: str, **schema: Any) -> Any:
    """An optional field documented as present-or-absent (never null), like the API uses it."""

    def shape(field_schema: dict[str, Any]) -> None:
        field_schema.pop("default", None)
        field_schema.update(schema)

    return Field(None, description=description, json_schema_extra=shape)


class MetamodelUpload(_Strict):
    """Metamodel source: one `.ecore` document, or several files by name."""

    # Exactly one source: the schema says so too (one property), so clients know up front.
    model_config = ConfigDict(json_schema_extra={"minProperties": 1, "maxProperties": 1})
    sources: ClassVar[tuple[str, ...]] = ("ecore", "files")

    ecore: str | SkipJsonSchema[None] = _source("One .ecore document (XML).")
    files: dict[str, str] | SkipJsonSchema[None] = _source(
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

    id: str | SkipJsonSchema[None] = _source("An id from POST /v1/metamodels.")


Instance = dict[str, Any] | str


def _constraints() -> Any:
    return Field(
        None,
        description="A Complete OCL document (`context Patient inv AgeInRange: self.age <= 130`) "
        "whose invariants are checked as well as the metamodel's own, like --constraints.",
    )


class GenerateRequest(_Strict):
    """Generate an instance model from a spec (sync on /v1/generate, async on /v1/jobs)."""

    metamodel: MetamodelRef
    spec: str = Field(min_length=1, description="What the instance model should contain.")
    model: str = Field("local", min_length=1, description="The LLM: `local` or a LiteLLM string.")
    api_base: str | None = Field(None, description="Base URL of an OpenAI-compatible server.")
    format: list[str] | str = Field(
        default_factory=lambda: ["xmi"], description="Artifact format(s) to compile."
    )
    max_repairs: int = Field(3, ge=0, le=10)
    samples: int = Field(
        1,
        ge=1,
        le=MAX_SAMPLES,
        description=f"Self-consistency (as --samples): first answers drawn at temperature "
        f"{SAMPLE_TEMPERATURE} and voted into one; the result's `consensus` says what was kept.",
    )
    mode: Mode = "two-step"
    constraints: str | None = _constraints()
    strategy: StrategyChoice = Field(
        "auto", description="How the LLM is asked (as `instancegen generate --strategy`)."
    )
    max_output_tokens: int | None = Field(
        None, ge=256, description="Most tokens per answer, for a model LiteLLM does not know."
    )
    context_tokens: int | None = Field(
        None, ge=256, description="The context window, for a model LiteLLM does not know."
    )
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

    @model_validator(mode="after")
    def _voted_in_two_step(self) -> Self:
        if self.samples > 1 and self.mode == "direct":
            raise ValueError(
                '"samples" above 1 needs "mode" two-step: direct answers are not voted'
            )
        return self

    def wants_set(self) -> bool:
        return self.count > 1 or self.kind != "typical"

    def formats(self) -> tuple[str, ...]:
        return (self.format,) if isinstance(self.format, str) else tuple(self.format)


class EditRequest(_Strict):
    """Edit a model: `edits` applied as they are (no LLM), or a change `request` in words
    that the LLM turns into edits (then validated and repaired like a generation)."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["edits"]}, {"required": ["request"]}]}
    )

    metamodel: MetamodelRef
    instance: Instance = Field(description="The model to edit: a CIM (JSON object) or XMI text.")
    edits: list[Edit] | SkipJsonSchema[None] = _source(
        "CIM edits (add/set/delete), applied in order; no LLM is called."
    )
    request: str | SkipJsonSchema[None] = _source(
        "A change request in words; the LLM answers with edits.", minLength=1
    )
    model: str = Field("local", min_length=1, description="The LLM for `request`.")
    api_base: str | None = Field(None, description="Base URL of an OpenAI-compatible server.")
    format: list[str] | str = Field(
        default_factory=lambda: ["xmi"], description="Artifact format(s) of the edited model."
    )
    max_repairs: int = Field(3, ge=0, le=10)

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if (self.edits is None) == (self.request is None):
            raise ValueError('give exactly one of "edits" or "request"')
        if self.request is not None and not self.request.strip():
            raise ValueError('"request" is empty')
        return self

    def formats(self) -> tuple[str, ...]:
        return (self.format,) if isinstance(self.format, str) else tuple(self.format)


class ValidateRequest(_Strict):
    metamodel: MetamodelRef
    instance: Instance = Field(description="A CIM (JSON object) or an XMI document (text).")
    constraints: str | None = _constraints()
    realism: Realism = Field(
        "warn",
        description="What a value failing a realism check (IBAN checksum, e-mail syntax, …) "
        "is: warn (an `unrealistic` warning), strict (an error) or off (not checked).",
    )


class ValidateResponse(BaseModel):
    valid: bool
    issues: list[Issue]


class CompileRequest(_Strict):
    metamodel: MetamodelRef
    instance: Instance = Field(description="A CIM (JSON object) or an XMI document (text).")
    format: str = Field("xmi", description="A compiler name from GET /v1/compilers.")
    constraints: str | None = _constraints()


class ImportRequest(_Strict):
    metamodel: MetamodelRef
    instance: str = Field(description="The model document (XMI text) to turn into a CIM.")


class MetamodelInfo(BaseModel):
    id: str
    name: str
    nsURI: str | None
    classes: list[str]


class CompilerInfo(BaseModel):
    name: str
    media_type: str
    extension: str
    description: str


Outcome = GenerationResult | InstanceSet
"""What a generation request answers: one model, or a set (`count`, `kind`)."""


def parse_outcome(data: dict[str, Any]) -> Outcome:
    """A stored outcome read back (a set has `members`)."""
    if "members" in data:
        return InstanceSet.model_validate(data)
    return GenerationResult.model_validate(data)


class JobAccepted(BaseModel):
    """A queued job; the answer's `Location` header is its URL, `/v1/jobs/{id}`."""

    id: str
    status: JobStatus


class JobView(BaseModel):
    id: str
    status: JobStatus
    created: AwareDatetime = Field(description="When the job was made (RFC 3339, UTC).")
    updated: AwareDatetime = Field(description="Its last change of status (RFC 3339, UTC).")
    created_epoch: float = Field(description="`created` in seconds since the Unix epoch.")
    updated_epoch: float = Field(description="`updated` in seconds since the Unix epoch.")
    result: GenerationResult | InstanceSet | None = None
    error: Problem | None = None

    @classmethod
    def of(cls, job: StoredJob) -> JobView:
        """The job as the API shows it: its stored epoch times also as RFC 3339."""
        return cls(
            id=job.id,
            status=cast(JobStatus, job.status),
            created=datetime.fromtimestamp(job.created, UTC),
            updated=datetime.fromtimestamp(job.updated, UTC),
            created_epoch=job.created,
            updated_epoch=job.updated,
            result=parse_outcome(job.result) if job.result is not None else None,
            error=Problem.model_validate(job.error) if job.error is not None else None,
        )


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str
