"""The HTTP API through a real uvicorn server on loopback, with a scripted LLM backend."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from http_support import (
    BANK_ECORE,
    BANK_REFERENCE,
    ScriptedBackend,
    ServerThread,
    scripted_app,
    sse,
)

from instancegen.service.backends.base import Message, Reply
from instancegen.service.core.errors import BackendError
from instancegen.service.http import Settings, create_app

ECORE = BANK_ECORE.read_text()
REFERENCE: dict[str, Any] = json.loads(BANK_REFERENCE.read_text())
INVALID = {"objects": [{"id": "x", "class": "Account", "attributes": {"balance": "lots"}}]}
PROBLEM = "application/problem+json"
MULTI = Path(__file__).resolve().parent / "fixtures" / "ecore" / "multi"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    db = tmp_path_factory.mktemp("http") / "api.db"
    app = scripted_app(Settings(db_path=db, max_body_bytes=200_000))
    with ServerThread(app) as running:
        yield running


@pytest.fixture
def client(server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


def assert_problem(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    """A problem+json answer with the status, a one-sentence detail mentioning `words`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:instancegen:problem:")
    assert body["title"] and body["detail"].endswith(".")
    for word in words:
        assert word in body["detail"], body["detail"]
    return body


def test_healthz(client: httpx.Client) -> None:
    r = client.get("/v1/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_register_list_and_schema(client: httpx.Client) -> None:
    r = client.post("/v1/metamodels", json={"ecore": ECORE})
    assert r.status_code == 201
    info = r.json()
    assert info["name"] == "bank" and info["nsURI"] == "http://instancegen.example/bank"
    assert {"Bank", "Account", "Person"} <= set(info["classes"])
    again = client.post("/v1/metamodels", json={"files": {"metamodel.ecore": ECORE}}).json()
    assert again["id"] == info["id"]  # same content, same id
    listed = client.get("/v1/metamodels").json()
    assert [m["id"] for m in listed].count(info["id"]) == 1
    schema = client.get(f"/v1/metamodels/{info['id']}/schema").json()
    assert "Account" in json.dumps(schema)
    strict = client.get(f"/v1/metamodels/{info['id']}/schema", params={"strict": True}).json()
    assert strict != schema


def test_validate_inline_and_by_id(client: httpx.Client) -> None:
    r = client.post("/v1/validate", json={"metamodel": {"ecore": ECORE}, "instance": REFERENCE})
    assert r.json()["valid"] is True  # its IBANs, as its spec states them, fail their checksum
    assert {(i["code"], i["feature"]) for i in r.json()["issues"]} == {("unrealistic", "iban")}
    off = {"metamodel": {"ecore": ECORE}, "instance": REFERENCE, "realism": "off"}
    assert client.post("/v1/validate", json=off).json() == {"valid": True, "issues": []}
    mm_id = client.post("/v1/metamodels", json={"ecore": ECORE}).json()["id"]
    r = client.post("/v1/validate", json={"metamodel": {"id": mm_id}, "instance": INVALID})
    body = r.json()
    assert r.status_code == 200 and body["valid"] is False
    codes = {i["code"] for i in body["issues"]}
    assert "bad-value" in codes and "multiplicity" in codes
    assert all(
        set(i) == {"code", "severity", "object", "feature", "message", "hint"}
        for i in body["issues"]
    )


def test_compile_xmi_loads_in_emf(client: httpx.Client, emf: Any, tmp_path: Path) -> None:
    r = client.post(
        "/v1/compile",
        json={"metamodel": {"ecore": ECORE}, "instance": REFERENCE, "format": "xmi"},
    )
    assert r.status_code == 200, r.text
    compiler = next(c for c in client.get("/v1/compilers").json() if c["name"] == "xmi")
    assert r.headers["content-type"].startswith(compiler["media_type"])
    out = tmp_path / "bank.xmi"
    out.write_bytes(r.content)
    from emf_check import assert_emf_valid

    assert_emf_valid([BANK_ECORE], out)


def test_compile_then_import_round_trips(client: httpx.Client) -> None:
    xmi = client.post("/v1/compile", json={"metamodel": {"ecore": ECORE}, "instance": REFERENCE})
    assert xmi.status_code == 200, xmi.text
    r = client.post("/v1/import", json={"metamodel": {"ecore": ECORE}, "instance": xmi.text})
    assert r.status_code == 200, r.text
    cim = r.json()
    assert sorted(o["class"] for o in cim["objects"]) == sorted(
        o["class"] for o in REFERENCE["objects"]
    )
    check = client.post("/v1/validate", json={"metamodel": {"ecore": ECORE}, "instance": xmi.text})
    assert check.json()["valid"] is True


def test_compile_refuses_invalid_model_listing_issues(client: httpx.Client) -> None:
    r = client.post("/v1/compile", json={"metamodel": {"ecore": ECORE}, "instance": INVALID})
    body = assert_problem(r, 422, "validation error")
    assert {i["code"] for i in body["issues"]} >= {"bad-value"}


def test_compilers_listed(client: httpx.Client) -> None:
    names = {c["name"] for c in client.get("/v1/compilers").json()}
    assert {"xmi", "json", "cim"} <= names


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"instance": REFERENCE}, 422, ["metamodel", "required"]),
        ({"metamodel": {}, "instance": REFERENCE}, 422, ["metamodel", "exactly one"]),
        ({"metamodel": {"ecore": "<nope"}, "instance": REFERENCE}, 422, ["not well-formed"]),
        ({"metamodel": {"ecore": "<a/>"}, "instance": REFERENCE}, 422, ["not an Ecore"]),
        ({"metamodel": {"id": "0000"}, "instance": REFERENCE}, 404, ["0000"]),
        ({"metamodel": {"ecore": ECORE}, "instance": {"objects": 3}}, 422, ["objects"]),
        ({"metamodel": {"ecore": ECORE}, "instance": "<x/>", "format": "xmi"}, 422, []),
        ({"metamodel": {"ecore": ECORE}, "instance": REFERENCE, "format": "pdf"}, 422, ["pdf"]),
    ],
)
def test_bad_input_is_a_4xx_problem(
    client: httpx.Client, body: dict[str, Any], status: int, words: list[str]
) -> None:
    assert_problem(client.post("/v1/compile", json=body), status, *words)


def test_xxe_metamodel_is_refused_without_reading_files(client: httpx.Client) -> None:
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        '<ecore:EPackage xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" name="&e;"/>'
    )
    body = assert_problem(client.post("/v1/metamodels", json={"ecore": xxe}), 422, "DOCTYPE")
    assert "root:" not in json.dumps(body)


def test_malformed_json_and_unknown_routes(client: httpx.Client) -> None:
    r = client.post("/v1/validate", content=b"{", headers={"content-type": "application/json"})
    assert_problem(r, 422, "not valid JSON")
    assert_problem(client.get("/v1/nowhere"), 404, "/v1/nowhere")
    r = client.delete("/v1/healthz")
    assert_problem(r, 405, "GET")
    assert_problem(client.get("/v1/jobs/nope"), 404, "nope")
    assert_problem(client.get("/v1/metamodels/nope/schema"), 404, "nope")


def test_body_limit_before_reading(client: httpx.Client) -> None:
    big = b'{"spec": "' + b"x" * 300_000 + b'"}'
    r = client.post("/v1/generate", content=big, headers={"content-type": "application/json"})
    assert_problem(r, 413, "200,000")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        yield b'{"spec": "'
        for _ in range(40):
            yield b"x" * 10_000
        yield b'"}'

    r = client.post("/v1/validate", content=chunks(), headers={"content-type": "application/json"})
    assert_problem(r, 413, "INSTANCEGEN_MAX_BODY_BYTES")


def test_generate_sync(client: httpx.Client) -> None:
    r = client.post(
        "/v1/generate",
        json={
            "metamodel": {"ecore": ECORE},
            "spec": "A bank with three accounts and three clients.",
            "model": "scripted",
            "format": ["xmi", "json"],
        },
    )
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["status"] == "valid"
    assert set(result["artifacts"]) == {"xmi", "json"}
    assert len(result["cim"]["objects"]) == len(REFERENCE["objects"])
    assert result["attempts"] and result["attempts"][0]["kind"] == "generate"


def test_generate_with_samples_votes_and_reports_the_consensus(client: httpx.Client) -> None:
    body = {"metamodel": {"ecore": ECORE}, "spec": "A bank.", "model": "scripted"}
    one = client.post("/v1/generate", json=body).json()
    three = client.post("/v1/generate", json={**body, "samples": 3})
    assert three.status_code == 200, three.text
    result = three.json()
    n = len(REFERENCE["objects"])
    assert result["status"] == "valid" and result["samples"] == 3
    assert result["consensus"] == f"consensus of 3 samples: kept {n} of {n} objects"
    assert result["usage"]["prompt_tokens"] == 3 * one["usage"]["prompt_tokens"]
    for bad, words in [(0, "samples"), (10, "samples"), ("three", "samples")]:
        assert_problem(client.post("/v1/generate", json={**body, "samples": bad}), 422, words)
    direct = {**body, "samples": 3, "mode": "direct"}
    assert_problem(client.post("/v1/jobs", json=direct), 422, "two-step")


def test_job_followed_through_sse(client: httpx.Client) -> None:
    r = client.post(
        "/v1/jobs",
        json={"metamodel": {"ecore": ECORE}, "spec": "A bank.", "model": "scripted"},
    )
    assert r.status_code == 202
    job = r.json()
    assert job["status"] == "queued"
    events = sse(client, f"/v1/jobs/{job['id']}/events")
    kinds = [e[1] for e in events]
    assert kinds[0] == "attempt_started" and kinds[-1] == "finished"
    assert [e[0] for e in events] == list(range(1, len(events) + 1))
    assert all(e[2]["type"] == e[1] for e in events)
    view = client.get(f"/v1/jobs/{job['id']}").json()
    assert view["status"] == "finished" and view["result"]["status"] == "valid"
    # a late follower gets the same events replayed; Last-Event-ID resumes after one
    assert sse(client, f"/v1/jobs/{job['id']}/events") == events
    assert sse(client, f"/v1/jobs/{job['id']}/events", last_id=1) == events[1:]


def test_job_with_bad_input_is_refused_up_front(client: httpx.Client) -> None:
    r = client.post("/v1/jobs", json={"metamodel": {"ecore": "<x/>"}, "spec": "A bank."})
    assert_problem(r, 422, "not an Ecore")
    r = client.post("/v1/jobs", json={"metamodel": {"ecore": ECORE}, "spec": ""})
    assert_problem(r, 422, "spec")


class _Gate:
    """A backend that blocks until released, counting how many calls overlap."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Semaphore(0)
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0

    def backend(self, model: str, api_base: str | None) -> Any:
        gate = self

        class Gated(ScriptedBackend):
            def complete(self, messages: list[Message], **kw: Any) -> Reply:
                with gate.lock:
                    gate.active += 1
                    gate.peak = max(gate.peak, gate.active)
                gate.entered.release()
                gate.release.wait(30)
                with gate.lock:
                    gate.active -= 1
                return super().complete(messages, **kw)

        return Gated(model=model)


def _job_body(model: str) -> dict[str, Any]:
    return {"metamodel": {"ecore": ECORE}, "spec": "A bank.", "model": model}


def test_limits_local_model_serial_and_loop_free(tmp_path: Path) -> None:
    gate = _Gate()
    app = create_app(
        Settings(db_path=tmp_path / "g.db", max_generations=3, retry_after_seconds=7),
        backend_factory=gate.backend,
    )
    with ServerThread(app) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        local = [c.post("/v1/jobs", json=_job_body("local")).json()["id"] for _ in range(2)]
        remote = c.post("/v1/jobs", json=_job_body("other")).json()["id"]
        assert gate.entered.acquire(timeout=30) and gate.entered.acquire(timeout=30)
        # one local call and the remote one run; the second local job waits its turn
        assert not gate.entered.acquire(timeout=0.5)
        assert gate.peak == 2
        assert c.get(f"/v1/jobs/{local[1]}").json()["status"] == "queued"
        # the loop still answers while generations block their threads
        assert c.get("/v1/healthz").status_code == 200
        r = c.post("/v1/generate", json=_job_body("other"))
        assert_problem(r, 429, "retry")
        assert r.headers["Retry-After"] == "7"
        gate.release.set()
        for job_id in [*local, remote]:
            sse(c, f"/v1/jobs/{job_id}/events")
            assert c.get(f"/v1/jobs/{job_id}").json()["status"] == "finished"
        assert gate.peak == 2


class _Failing:
    model = "failing"

    def __init__(self, timeout: bool) -> None:
        self.timeout = timeout

    def complete(self, messages: list[Message], **kw: Any) -> Reply:
        raise BackendError("the provider refused the request (HTTP 401).", timeout=self.timeout)


def test_backend_failures_are_502_504_and_failed_jobs(tmp_path: Path) -> None:
    app = create_app(
        Settings(db_path=tmp_path / "f.db"),
        backend_factory=lambda model, api_base: _Failing(timeout=model == "slow"),
    )
    with ServerThread(app) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        assert_problem(c.post("/v1/generate", json=_job_body("bad")), 502, "refused")
        assert_problem(c.post("/v1/generate", json=_job_body("slow")), 504)
        job_id = c.post("/v1/jobs", json=_job_body("bad")).json()["id"]
        events = sse(c, f"/v1/jobs/{job_id}/events")
        assert events[-1][1] == "finished" and events[-1][2]["data"]["status"] == "failed"
        view = c.get(f"/v1/jobs/{job_id}").json()
        assert view["status"] == "failed" and view["error"]["status"] == 502


def test_api_keys(tmp_path: Path) -> None:
    app = create_app(Settings(db_path=tmp_path / "k.db", api_keys=("s3cret", "other")))
    with ServerThread(app) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        assert c.get("/v1/healthz").status_code == 200
        r = c.get("/v1/compilers")
        assert_problem(r, 401, "Bearer")
        assert r.headers["WWW-Authenticate"] == "Bearer"
        assert_problem(
            c.get("/v1/compilers", headers={"Authorization": "Bearer wrong"}), 401, "not valid"
        )
        ok = c.get("/v1/compilers", headers={"Authorization": "Bearer other"})
        assert ok.status_code == 200


def test_cors_when_configured(tmp_path: Path) -> None:
    app = create_app(Settings(db_path=tmp_path / "c.db", cors_origins=("https://tool.example",)))
    with ServerThread(app) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        r = c.options(
            "/v1/validate",
            headers={
                "Origin": "https://tool.example",
                "Access-Control-Request-Method": "POST",
            },
        )
        assert r.headers["access-control-allow-origin"] == "https://tool.example"
        other = c.get("/v1/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_multi_file_metamodel_is_read_from_the_request_only(client: httpx.Client) -> None:
    files = {p.name: p.read_text() for p in sorted(MULTI.glob("*.ecore"))}
    r = client.post("/v1/metamodels", json={"files": files})
    assert r.status_code == 201, r.text
    assert "Shop" in r.json()["classes"] and "Named" in r.json()["classes"]
    # the file shop.ecore refers to is not read from disk, even though it exists there
    alone = {"shop.ecore": files["shop.ecore"]}
    assert_problem(client.post("/v1/metamodels", json={"files": alone}), 422, "base.ecore")
    outside = {"x.ecore": files["shop.ecore"].replace("base.ecore#", "../../../etc/passwd#")}
    assert_problem(client.post("/v1/metamodels", json={"files": outside}), 422, "passwd")


def test_compile_names_the_file_safely_for_any_package_name(client: httpx.Client) -> None:
    ecore = ECORE.replace('name="bank"', 'name="银行&quot;x"', 1)
    body = {"metamodel": {"ecore": ecore}, "instance": REFERENCE, "format": "cim"}
    r = client.post("/v1/compile", json=body)
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == 'inline; filename="___x.json"'
    assert r.json()["objects"] == REFERENCE["objects"]
