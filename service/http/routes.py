"""The `/v1` endpoints: each parses its body, calls the Python API, and shapes the answer.

CPU-bound handlers are plain `def` (FastAPI runs them in its thread pool); generation goes
through `GenerationRunner`, so nothing here blocks the event loop for long.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from instancegen import compilers
from instancegen.service.app.jobs import Runner
from instancegen.service.app.jobstore import TERMINAL, JobStore, StoredJob
from instancegen.service.app.problems import Refused
from instancegen.service.app.registry import MetamodelInfo, MetamodelRegistry
from instancegen.service.app.request import (
    LlmOptions,
    MetamodelRef,
    MetamodelUpload,
    check,
    resolve,
)
from instancegen.service.app.run import Outcome, edit, parse_outcome
from instancegen.service.backends import DEFAULT_MODEL, local_models, sent_schema
from instancegen.service.core import limits as limits_mod
from instancegen.service.core.cim import Cim, parse_cim
from instancegen.service.core.errors import InputError
from instancegen.service.core.issues import has_errors
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.ocl.sources import with_constraints
from instancegen.service.core.validator import validate
from instancegen.service.core.version import installed_version
from instancegen.service.core.xmlsafe import xml_bytes
from instancegen.service.generation.editing import EditResult, ModelSource, apply_to, read_source
from instancegen.service.generation.strategy import plan_for
from instancegen.service.http.artifacts import ARCHIVE_MEDIA_TYPE, artifact_download
from instancegen.service.http.guards import ApiKeys
from instancegen.service.http.models import (
    CompileRequest,
    CompilerInfo,
    EditRequest,
    GenerateRequest,
    Health,
    ImportRequest,
    Instance,
    JobAccepted,
    JobView,
    ValidateRequest,
    ValidateResponse,
)
from instancegen.service.resources.model_io import read_model

KEEPALIVE_SECONDS = 15.0


def build_router(
    store: JobStore,
    registry: MetamodelRegistry,
    runner: Runner,
    keys: ApiKeys,
    api_bases: tuple[str, ...] = (),
    key_envs: tuple[str, ...] = (),
    gguf_dirs: tuple[Path, ...] = (),
) -> APIRouter:
    """All `/v1` routes; with API keys set, every one but `/healthz` behind the key guard."""
    # One router unless keys guard the API: each level of included routers is matched again
    # on every request (a third of a small request's CPU with three levels).
    open_routes = APIRouter(prefix="/v1")
    api = APIRouter(dependencies=[Depends(keys)]) if keys.keys else open_routes

    # Rendered once: the liveness probe is the most frequent request, and the floor of all.
    health = Health(version=installed_version()).model_dump_json().encode()

    @open_routes.get("/healthz", tags=["service"], response_model=Health)
    async def healthz() -> Response:
        """Liveness: answers without an API key."""
        return Response(health, media_type="application/json")

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
        model: Annotated[str, Query(max_length=200)] = DEFAULT_MODEL,
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
        _check_model(model, gguf_dirs)
        chosen = plan_for(
            registry.by_id(mm_id),
            spec,
            model,
            api_base=api_base,
            strategy="strict" if strict else strategy,
        )
        return sent_schema(model, chosen.first_request()[1])[0]

    def check_model(body: ValidateRequest, mm: Metamodel | None = None) -> ValidateResponse:
        mm = mm or _with_constraints(registry, body.metamodel, body.constraints)
        issues = validate(mm, _instance(body.instance, mm), realism=body.realism)
        return ValidateResponse(valid=not has_errors(issues), issues=issues)

    @api.post("/validate", tags=["models"])
    async def validate_model(body: ValidateRequest) -> ValidateResponse:
        """Check an instance (CIM or XMI) against the metamodel."""
        if _small(body.instance) and not body.constraints and registry.loaded(body.metamodel):
            # A small model against a loaded metamodel takes a fraction of a millisecond:
            # less than the hop to a worker thread, which halved throughput when every
            # request paid it. Not so with OCL invariants, whose budget is seconds.
            mm = registry.resolve(body.metamodel)
            if not mm.invariants:
                return check_model(body, mm)
        return await run_in_threadpool(check_model, body)

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
        mm = _with_constraints(registry, body.metamodel, body.constraints)
        compiler = compilers.get(body.format)
        cim = _instance(body.instance, mm)
        issues = validate(mm, cim, realism="off")  # only errors stop a compile
        if has_errors(issues):
            raise Refused(
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
        return read_model(xml_bytes(body.instance, "instance"), "instance", mm)

    @api.post("/generate", tags=["generation"])
    async def generate(body: GenerateRequest) -> Outcome:
        """Generate and wait for the result (use /v1/jobs for long runs)."""
        mm = await run_in_threadpool(_prepared, registry, body, api_bases, key_envs, gguf_dirs)
        return await runner.generate(body, mm)

    @api.post("/edit", tags=["models"])
    async def edit_model(body: EditRequest) -> EditResult:
        """Edit a model: `edits` are applied as they are (a patch API, no LLM); a `request`
        is turned into edits by the LLM, then validated and repaired. Untouched elements stay
        as they were (an XMI instance keeps its xmi:ids)."""
        if body.request is not None:
            _check_llm(body.api_base, body.api_key_env, api_bases, key_envs)
            _check_model(body.model, gguf_dirs)
            limits_mod.current().check(
                "max_spec_chars", len(body.request), "the change request's length"
            )
        for name in body.formats():
            compilers.get(name)
        mm, source = await run_in_threadpool(_edit_source, registry, body)
        if body.edits is not None:
            return await run_in_threadpool(apply_to, mm, source, body.edits, formats=body.formats())
        request = body.request or ""
        options = body.model_dump(include=set(LlmOptions.model_fields))
        return await runner.call(
            body.model,
            body.api_base,
            lambda backend: edit(mm, source, request, backend=backend, **options),
        )

    @api.post(
        "/jobs",
        status_code=202,
        tags=["generation"],
        responses={
            202: {
                "description": "Queued; `Location` is the job's URL.",
                "headers": {
                    "Location": {"description": "/v1/jobs/{id}", "schema": {"type": "string"}}
                },
            }
        },
    )
    async def create_job(body: GenerateRequest, response: Response) -> JobAccepted:
        """Queue a generation; follow it at /v1/jobs/{id}/events, fetch its files at
        /v1/jobs/{id}/artifacts/{format} once it has finished."""
        mm = await run_in_threadpool(_prepared, registry, body, api_bases, key_envs, gguf_dirs)
        job_id = await run_in_threadpool(runner.submit, body, mm)  # a store write: off the loop
        response.headers["Location"] = f"/v1/jobs/{job_id}"
        return JobAccepted(id=job_id, status="queued")

    @api.get("/jobs/{job_id}", tags=["generation"])
    def get_job(job_id: str) -> JobView:
        """A job's status, and its result (or the problem it failed with) once over."""
        return JobView.of(_job(store, job_id))

    @api.get(
        "/jobs/{job_id}/artifacts/{format}",
        tags=["generation"],
        response_class=Response,
        responses={
            200: {
                "description": "The file, in its format's media type, named by "
                "`Content-Disposition`; `zip`: every file of the job in one archive.",
                "content": {
                    ARCHIVE_MEDIA_TYPE: {},
                    **{compilers.get(name).media_type: {} for name in compilers.available()},
                },
            }
        },
    )
    def job_artifact(
        job_id: str,
        format: str,
        member: Annotated[
            int | None,
            Query(ge=1, description="For a set (`count`, `kind`): which model, from 1."),
        ] = None,
    ) -> Response:
        """A finished job's file in one format (`xmi`, `json`, …, as the job's `format`
        asked); for a set, one member's (`?member=N`); `zip`: all of them in one archive,
        a set with its manifest."""
        job = _job(store, job_id)
        if job.status != "finished" or job.result is None:
            state = {"failed": "failed", "interrupted": "was interrupted"}
            raise Refused(
                409,
                "job-not-finished",
                f"job {job_id} {state.get(job.status, f'is still {job.status}')}: a job has "
                f"files once it has finished (follow /v1/jobs/{job_id}/events).",
            )
        stem = _job_stem(registry, job)
        download = artifact_download(parse_outcome(job.result), format, member, stem, job)
        return Response(
            download.data,
            media_type=download.media_type,
            headers={"Content-Disposition": f'attachment; filename="{download.filename}"'},
        )

    @api.get(
        "/jobs/{job_id}/events",
        tags=["generation"],
        response_class=StreamingResponse,
        responses={
            200: {
                "description": "Server-sent events: past ones replayed, then live until the "
                "job ends. Each `data:` is an `Event` (attempt_started, phase_started, "
                "tokens, consensus, issues_found, repair_sent, finished).",
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

    if api is not open_routes:
        open_routes.include_router(api)
    return open_routes


async def _event_stream(
    store: JobStore, runner: Runner, job_id: str, after: int
) -> AsyncIterator[str]:
    """Replay events after `after`, then follow live ones until the job is over."""
    while True:
        # store reads may wait on a lock or the network: in a thread, never on the loop;
        # the job first, so when it reads as over, its last events are already stored
        job = await run_in_threadpool(store.get_job, job_id)
        for seq, event in await run_in_threadpool(store.events_after, job_id, after):
            after = seq
            yield f"id: {seq}\nevent: {event['type']}\ndata: {json.dumps(event)}\n\n"
        if job is None or job.status in TERMINAL:
            return
        if not await runner.wait_for_change(job_id, after, KEEPALIVE_SECONDS):
            yield ": keep-alive\n\n"


def _job_stem(registry: MetamodelRegistry, job: StoredJob) -> str:
    """A job's file names start with its metamodel's name, as `compile` names its file."""
    try:
        ref = MetamodelRef.model_validate(job.request["metamodel"])
        return _file_stem(registry.resolve(ref))
    except (Refused, InputError, KeyError, ValueError):
        return "model"  # a metamodel no longer at hand names nothing


def _job(store: JobStore, job_id: str) -> StoredJob:
    job = store.get_job(job_id)
    if job is None:
        raise Refused(404, "unknown-job", f"no job has the id {job_id!r}.")
    return job


def _prepared(
    registry: MetamodelRegistry,
    body: GenerateRequest,
    api_bases: tuple[str, ...],
    key_envs: tuple[str, ...],
    gguf_dirs: tuple[Path, ...],
) -> Metamodel:
    """Check everything checkable before any LLM work: bad input is a 4xx, not a failed job.
    The metamodel is read with the request's constraints, as a worker would read it."""
    _check_llm(body.api_base, body.api_key_env, api_bases, key_envs)
    _check_model(body.model, gguf_dirs)
    check(body)
    return resolve(body, registry.resolve)


def _with_constraints(
    registry: MetamodelRegistry, ref: MetamodelRef, constraints: str | None
) -> Metamodel:
    mm = registry.resolve(ref)
    return mm if constraints is None else with_constraints(mm, {"constraints": constraints})


def _check_llm(
    api_base: str | None,
    api_key_env: str | None,
    api_bases: tuple[str, ...],
    key_envs: tuple[str, ...],
) -> None:
    """Only the LLM servers and key variables the operator listed: no request makes us
    connect elsewhere, or send a variable of the server's environment anywhere."""
    if api_base is not None and api_base.rstrip("/") not in {b.rstrip("/") for b in api_bases}:
        raise Refused(
            422,
            "api-base-not-allowed",
            "api_base: this server only connects to the LLM servers its operator listed "
            "in INSTANCEGEN_API_BASES.",
        )
    if api_key_env is not None and api_key_env not in key_envs:
        raise Refused(
            422,
            "api-key-env-not-allowed",
            "api_key_env: this server only reads the key variables its operator listed in "
            "INSTANCEGEN_API_KEY_ENVS.",
        )


def _check_model(model: str, gguf_dirs: tuple[Path, ...]) -> None:
    """A `local:PATH` model only from the directories the operator listed: no request makes
    the server read a file of the caller's choosing. A file there must be a whole GGUF."""
    if not local_models.is_local(model):
        return
    problem = local_models.local_problem(model, gguf_dirs)
    if problem is not None:
        raise Refused(422, "model-not-available", problem)


def _edit_source(registry: MetamodelRegistry, body: EditRequest) -> tuple[Metamodel, ModelSource]:
    mm = registry.resolve(body.metamodel)
    if isinstance(body.instance, str):
        return mm, read_source(xml_bytes(body.instance, "instance"), "instance", mm)
    return mm, ModelSource(parse_cim(body.instance, "instance"))


SMALL_OBJECTS = 200
SMALL_XMI_CHARS = 50_000


def _small(instance: Instance) -> bool:
    """Cheap enough to check on the event loop (bounds measured with bench_overhead.py)."""
    if isinstance(instance, str):
        return len(instance) <= SMALL_XMI_CHARS
    objects = instance.get("objects")
    return not isinstance(objects, list) or len(objects) <= SMALL_OBJECTS


def _instance(instance: Instance, mm: Metamodel) -> Cim:
    if isinstance(instance, str):
        return read_model(xml_bytes(instance, "instance"), "instance", mm)
    return parse_cim(instance, "instance")


def _compiler_info(name: str) -> CompilerInfo:
    c = compilers.get(name)
    return CompilerInfo(
        name=c.name, media_type=c.media_type, extension=c.extension, description=c.description
    )


def _file_stem(mm: Metamodel) -> str:
    """The metamodel's name, safe inside a header (package names may be any Unicode)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", mm.name) or "model"
