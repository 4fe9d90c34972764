"""Property-based check of the whole API against its own OpenAPI document (schemathesis).

Generated requests, valid and invalid, hit a real uvicorn server with a scripted LLM backend:
no answer may be a 5xx, and every answer must match the documented status codes, media
types and schemas (errors included, as application/problem+json).

`positive_data_acceptance` is left out: a body can match the JSON schema and still carry a
metamodel that is not Ecore (`{"ecore": ""}`); refusing it with a 422 problem is right.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from http_support import ServerThread, scripted_app
from hypothesis import HealthCheck, settings

from instancegen.service.http import Settings


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    db = tmp_path_factory.mktemp("schemathesis") / "api.db"
    app = scripted_app(Settings(db_path=db))
    with ServerThread(app) as server:
        yield schemathesis.openapi.from_url(f"{server.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(
        timeout=60, excluded_checks=[schemathesis.checks.positive_data_acceptance]
    )
