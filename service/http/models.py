"""Request and response bodies of the HTTP API, in the CLI's words (DESIGN.md).

A generation's body is the application's `GenerationRequest`, narrowed to what a server
accepts from the network: a metamodel inline or by id (never paths on the server), one
constraints document, at most ten repairs. An edit's body carries the same LLM options.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, Self, cast

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from instancegen.service.app.instance_sets import InstanceSet
from instancegen.service.app.jobstore import JobStatus, StoredJob
from instancegen.service.app.problems import Problem
from instancegen.service.app.request import (
    GenerationRequest,
    LlmOptions,
    MetamodelRef,
    Strict,
    constraints_field,
    present_or_absent,
)
from instancegen.service.app.run import parse_outcome
from instancegen.service.core.checks.audit import Realism
from instancegen.service.core.edits import Edit
from instancegen.service.core.issues import Issue
from instancegen.service.generation.result import GenerationResult

MAX_REPAIRS = 10  # a server's bound on one request's LLM calls


class GenerateRequest(GenerationRequest):
    """Generate an instance model from a spec (sync on /v1/generate, async on /v1/jobs)."""

    metamodel: MetamodelRef
    constraints: str | None = constraints_field()
    max_repairs: int = Field(3, ge=0, le=MAX_REPAIRS)


Instance = dict[str, Any] | str


class EditRequest(LlmOptions):
    """Edit a model: `edits` applied as they are (no LLM), or a change `request` in words
    that the LLM turns into edits (then validated and repaired like a generation)."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["edits"]}, {"required": ["request"]}]}
    )

    metamodel: MetamodelRef
    instance: Instance = Field(description="The model to edit: a CIM (JSON object) or XMI text.")
    edits: list[Edit] | SkipJsonSchema[None] = present_or_absent(
        "CIM edits (add/set/delete), applied in order; no LLM is called."
    )
    request: str | SkipJsonSchema[None] = present_or_absent(
        "A change request in words; the LLM answers with edits.", minLength=1
    )
    max_repairs: int = Field(3, ge=0, le=MAX_REPAIRS)

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if (self.edits is None) == (self.request is None):
            raise ValueError('give exactly one of "edits" or "request"')
        if self.request is not None and not self.request.strip():
            raise ValueError('"request" is empty')
        return self


class ValidateRequest(Strict):
    metamodel: MetamodelRef
    instance: Instance = Field(description="A CIM (JSON object) or an XMI document (text).")
    constraints: str | None = constraints_field()
    realism: Realism = Field(
        "warn",
        description="What a value failing a realism check (IBAN checksum, e-mail syntax, …) "
        "is: warn (an `unrealistic` warning), strict (an error) or off (not checked).",
    )


class ValidateResponse(BaseModel):
    valid: bool
    issues: list[Issue]


class CompileRequest(Strict):
    metamodel: MetamodelRef
    instance: Instance = Field(description="A CIM (JSON object) or an XMI document (text).")
    format: str = Field("xmi", description="A compiler name from GET /v1/compilers.")
    constraints: str | None = constraints_field()


class ImportRequest(Strict):
    metamodel: MetamodelRef
    instance: str = Field(description="The model document (XMI text) to turn into a CIM.")


class CompilerInfo(BaseModel):
    name: str
    media_type: str
    extension: str
    description: str


class JobAccepted(BaseModel):
    """A queued job; the answer's `Location` header is its URL, `/v1/jobs/{id}`."""

    id: str
    status: JobStatus


class JobView(BaseModel):
    """A job as the API shows it: its status, times, and its result or problem once over."""

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
