"""Make the OpenAPI document say what the API really answers: problems, not FastAPI's defaults.

Every error response is documented as `application/problem+json` with the `Problem` schema,
per the statuses each operation can produce, so clients (and schemathesis) can rely on it.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from instancegen.service.http.problems import MEDIA_TYPE, Problem

_GENERATION_PATHS = {
    "/v1/generate": (429, 502, 504),
    "/v1/jobs": (429,),
    "/v1/edit": (429, 502, 504),
}
# A job's files exist once it has finished: before that (or when it failed), a 409.
_JOB_STATE_PATHS = {"/v1/jobs/{job_id}/artifacts/{format}": (409,)}
_METAMODEL_BODIES = {
    "/v1/validate",
    "/v1/compile",
    "/v1/import",
    "/v1/generate",
    "/v1/jobs",
    "/v1/edit",
}
_OPEN_PATHS = {"/v1/healthz"}


def problem_responses(schema: dict[str, Any], *, auth: bool) -> dict[str, Any]:
    """Document problem responses on every operation (in place; returns `schema`)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in _statuses(path, method, operation, auth):
                content: dict[str, Any] = {
                    MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
                }
                if status == 400:
                    # The HTTP server itself refuses a request it cannot read (a request line
                    # too long or malformed) before the app sees it, in plain text.
                    content["text/plain"] = {"schema": {"type": "string"}}
                responses[str(status)] = {
                    "description": HTTPStatus(status).phrase,
                    "content": content,
                }
    return schema


def _statuses(path: str, method: str, operation: dict[str, Any], auth: bool) -> list[int]:
    statuses: list[int] = []
    if auth and path not in _OPEN_PATHS:
        statuses.append(401)
    if "{" in path or path in _METAMODEL_BODIES:
        statuses.append(404)
    if method == "post":
        statuses.extend((400, 413))
    elif operation.get("parameters"):
        statuses.append(400)  # a request line the HTTP server cannot read
    if method == "post" or operation.get("parameters"):
        statuses.append(422)
    statuses.extend(_GENERATION_PATHS.get(path, ()) if method == "post" else ())
    statuses.extend(_JOB_STATE_PATHS.get(path, ()) if method == "get" else ())
    return sorted(statuses)
