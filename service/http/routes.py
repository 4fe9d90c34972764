"""The `/v1` endpoints: each parses its body, calls the Python API, and shapes the answer.

CPU-bound handlers are plain `def` (FastAPI runs them in its thread pool); generation goes
through `GenerationRunner`, so nothing here blocks the event loop for long.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import AsyncIterator
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

import compilers
from service import limits as limits_mod
from service.cim import Cim, parse_cim
from service.generation.strategy import plan_for, schema_as_sent
from service.generation_result import GenerationResult
from service.http.guards import ApiKeys
from service.http.jobs import GenerationRunner
from service.http.models import (
    CompileRequest,
    CompilerInfo,
    GenerateRequest,
    Health,
    ImportRequest,
    Instance,
    JobAccepted,
    JobView,
    MetamodelInfo,
    MetamodelUpload,
    ValidateRequest,
    ValidateResponse,
)
from service.http.problems import ApiError
from service.http.registry import MetamodelRegistry
from service.http.store import TERMINAL, Store, StoredJob
from service.issues import has_errors
from service.metamodel import Metamodel
from service.model_io import read_model
from service.validator import validate

KEEPALIVE_SECONDS = 15.0


def build_router(
    store: Store,
    registry: MetamodelRegistry,
    runner: GenerationRunner,
    keys: ApiKeys,
    api_bases: tuple[str, ...] = (),
) -> APIRouter:
    """All `/v1` routes; with API keys set, every one but `/healthz` behind the key guard."""
    open_routes = APIRouter()
    api = APIRouter(dependencies=[Depends(keys)] if keys.keys else [])

    @open_routes.get("/healthz", tags=["service"])
    def healthz() -> Health:
        """Liveness: answers without an API key."""
        return Health(version=_version())

    @api.get("/compilers", tags=["service"])
    def list_compilers() -> list[CompilerInfo]:
        """The output formats `compile` and `generate` accept."""
        return [_compiler_info(name) for name in compilers.available()]

    @api.post("/metamodels", status_code=201, tags=["metamodels"])
    def register_metamodel(body: MetamodelUpload) -> MetamodelInfo:
        """Register a metamodel; later requests name it by the returned id."""
        return registry.register(body)

    @api.get("/metamodels", tags=["metamodels"])
    def list_metamodels() -> list[MetamodelInfo]:
        return registry.registered()

    @api.get("/metamodels/{mm_id}/schema", tags=["metamodels"])
    def metamodel_schema(
        mm_id: str,
        model: Annotated[str, Query(max_length=200)] = "local",
        api_base: Annotated[str | None, Query(max_length=2000)] = None,
        strategy: Annotated[str, Query(max_length=20)] = "auto",
        spec: Annotated[str, Query(max_length=10_000)] = "",
        strict: Annotated[bool, Query()] = False,
    ) -> dict[str, Any]:
        """The JSON schema `model`'s first call is held to for this metamodel, exactly as
        `generate` sends it (`strict=true`: the strict strategy). The strategy is chosen as
        for `generate` (see `instancegen generate --help`; `api_base` only tells an
        OpenAI-compatible server from OpenAI, nothing is fetched); `spec` matters where the
        schema depends on it (a small model's objects per class, a sliced metamodel)."""
        chosen = plan_for(
            registry.by_id(mm_id),
            spec,
            model,
            api_base=api_base,
            strategy="strict" if strict else strategy,
        )
        return schema_as_sent(model, chosen.first_request()[1])[0]

    @api.post("/validate", tags=["models"])
    def validate_model(body: ValidateRequest) -> ValidateResponse:
        """Check an instance (CIM or XMI) against the metamodel."""
        mm = registry.resolve(body.metamodel)
        issues = validate(mm, _instance(body.instance, mm))
        return ValidateResponse(valid=not has_errors(issues), issues=issues)

    @api.post(
        "/compile",
        tags=["models"],
        response_class=Response,
        responses={
            200: {
                "description": "The artifact, in the compiler's media type.",
                "content": {compilers.get(name).media_type: {} for name in compilers.available()},
            }
        },
    )
    def compile_model(body: CompileRequest) -> Response:
        """Compile a valid instance into a format; an invalid one is a 422 listing issues."""
        mm = registry.resolve(body.metamodel)
        compiler = compilers.get(body.format)
        cim = _instance(body.instance, mm)
        issues = validate(mm, cim)
        if has_errors(issues):
            raise ApiError(
                422,
                "invalid-model",
                f"the instance has {sum(i.severity == 'error' for i in issues)} validation "
                "error(s); fix them (see `issues`) before compiling.",
                issues=issues,
            )
        data = compiler.compile(cim, mm)
        filename = f"{_file_stem(mm)}.{compiler.extension}"
        return Response(
            data,
            media_type=compiler.media_type,
            headers={"Content-Disposition": f'inline; filename="{filename}"'},
        )

    @api.post("/import", tags=["models"])
    def import_model(body: ImportRequest) -> Cim:
        """Turn a model document (XMI or EMF-JSON) into a CIM."""
        mm = registry.resolve(body.metamodel)
        return read_model(body.instance.encode("utf-8"), "instance", mm)

    @api.post("/generate", tags=["generation"])
    async def generate(body: GenerateRequest) -> GenerationResult:
        """Generate and wait for the result (use /v1/jobs for long runs)."""
        mm = await run_in_threadpool(_prepared, registry, body, api_bases)
        return await runner.generate(body, mm)

    @api.post("/jobs", status_code=202, tags=["generation"])
    async def create_job(body: GenerateRequest) -> JobAccepted:
        """Queue a generation; follow it at /v1/jobs/{id}/events."""
        mm = await run_in_threadpool(_prepared, registry, body, api_bases)
        return JobAccepted(id=runner.submit(body, mm), status="queued")

    @api.get("/jobs/{job_id}", tags=["generation"])
    def get_job(job_id: str) -> JobView:
        """A job's status, and its result (or the problem it failed with) once over."""
        job = _job(store, job_id)
        return JobView.model_validate(
            {k: v for k, v in dataclasses.asdict(job).items() if k != "request"}
        )

    @api.get(
        "/jobs/{job_id}/events",
        tags=["generation"],
        response_class=StreamingResponse,
        responses={
            200: {
                "description": "Server-sent events: past ones replayed, then live until the "
                "job ends. Each `data:` is an `Event` (attempt_started, issues_found, "
                "repair_sent, finished).",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            }
        },
    )
    def job_events(
        job_id: str,
        last_event_id: Annotated[int, Header(alias="Last-Event-ID", ge=0)] = 0,
    ) -> StreamingResponse:
        _job(store, job_id)
        return StreamingResponse(
            _event_stream(store, runner, job_id, last_event_id),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    root = APIRouter(prefix="/v1")
    root.include_router(open_routes)
    root.include_router(api)
    return root


async def _event_stream(
    store: Store, runner: GenerationRunner, job_id: str, after: int
) -> AsyncIterator[str]:
    """Replay events after `after`, then follow live ones until the job is over."""
    while True:
        changed = runner.follow(job_id)  # before reading, so no change slips through
        try:
            job = store.get_job(job_id)
            for seq, event in store.events_after(job_id, after):
                after = seq
                yield f"id: {seq}\nevent: {event['type']}\ndata: {json.dumps(event)}\n\n"
            if job is None or job.status in TERMINAL:
                return
            try:
                await asyncio.wait_for(asyncio.shield(changed), KEEPALIVE_SECONDS)
            except TimeoutError:
                yield ": keep-alive\n\n"
        finally:
            runner.unfollow(job_id, changed)


def _job(store: Store, job_id: str) -> StoredJob:
    job = store.get_job(job_id)
    if job is None:
        raise ApiError(404, "unknown-job", f"no job has the id {job_id!r}.")
    return job


def _prepared(
    registry: MetamodelRegistry, body: GenerateRequest, api_bases: tuple[str, ...]
) -> Metamodel:
    """Check everything checkable before any LLM work: bad input is a 4xx, not a failed job."""
    if body.api_base is not None and body.api_base.rstrip("/") not in {
        b.rstrip("/") for b in api_bases
    }:
        raise ApiError(
            422,
            "api-base-not-allowed",
            "api_base: this server only connects to the LLM servers its operator listed "
            "in INSTANCEGEN_API_BASES.",
        )
    limits_mod.current().check("max_spec_chars", len(body.spec), "the spec length in characters")
    for name in body.formats():
        compilers.get(name)
    return registry.resolve(body.metamodel)


def _instance(instance: Instance, mm: Metamodel) -> Cim:
    if isinstance(instance, str):
        return read_model(instance.encode("utf-8"), "instance", mm)
    return parse_cim(instance, "instance")


def _compiler_info(name: str) -> CompilerInfo:
    c = compilers.get(name)
    return CompilerInfo(
        name=c.name, media_type=c.media_type, extension=c.extension, description=c.description
    )


def _file_stem(mm: Metamodel) -> str:
    """The metamodel's name, safe inside a header (package names may be any Unicode)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", mm.name) or "model"


def _version() -> str:
    try:
        return version("instancegen")
    except PackageNotFoundError:
        return "0+unknown"
