"""A job's files over HTTP, and what a job reports: `Location` on the 202, RFC 3339 times, the
strategy as a value beside its reason, events numbered to the end, and
`GET /v1/jobs/{id}/artifacts/{format}` (one model, a set member, a set as a zip), through a
real uvicorn server with scripted LLMs."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest
from http_support import (
    BANK_ECORE,
    ServerThread,
    VaryingBackend,
    scripted_app,
    scripted_client,
    sse,
)
from test_http_api import _Failing, assert_problem
from typer.testing import CliRunner

from instancegen import compilers
from instancegen.service.cli import app
from instancegen.service.generation.strategy import Strategy
from instancegen.service.http import Settings, create_app

ECORE = BANK_ECORE.read_text()
BODY: dict[str, Any] = {"metamodel": {"ecore": ECORE}, "spec": "A bank.", "model": "scripted"}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    db = tmp_path_factory.mktemp("files") / "api.db"
    with scripted_client(Settings(db_path=db)) as c:
        yield c


def _finished(client: httpx.Client, body: dict[str, Any]) -> tuple[str, list[Any]]:
    """A job made from `body` and followed to its end: its id and its events."""
    r = client.post("/v1/jobs", json=body)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    return job_id, sse(client, f"/v1/jobs/{job_id}/events")


def test_a_queued_job_answers_with_its_location(client: httpx.Client) -> None:
    r = client.post("/v1/jobs", json=BODY)
    assert r.status_code == 202
    assert r.headers["Location"] == f"/v1/jobs/{r.json()['id']}"
    assert client.get(r.headers["Location"]).json()["id"] == r.json()["id"]


def test_job_times_are_rfc3339_and_the_epoch_stays(client: httpx.Client) -> None:
    job_id, _ = _finished(client, BODY)
    view = client.get(f"/v1/jobs/{job_id}").json()
    for name in ("created", "updated"):
        assert RFC3339.match(view[name]), view[name]
        stamp = datetime.fromisoformat(view[name])
        assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 0
        assert abs(stamp.timestamp() - view[f"{name}_epoch"]) < 1e-3
    assert view["created"] <= view["updated"]


def test_strategy_is_a_value_and_its_reason_a_sentence(client: httpx.Client) -> None:
    job_id, _ = _finished(client, BODY)
    result = client.get(f"/v1/jobs/{job_id}").json()["result"]
    assert result["strategy"] in get_args(Strategy)
    assert result["strategy_reason"].startswith(f"strategy {result['strategy']} (")


def test_the_finished_event_carries_the_last_attempt(client: httpx.Client) -> None:
    _, events = _finished(client, BODY)
    started = [e[2]["attempt"] for e in events if e[1] == "attempt_started"]
    assert started and started == sorted(started)
    assert events[-1][1] == "finished" and events[-1][2]["attempt"] == started[-1] >= 1


def test_a_failed_job_finishes_on_the_attempt_that_failed(tmp_path: Path) -> None:
    app_ = create_app(
        Settings(db_path=tmp_path / "f.db"),
        backend_factory=lambda model, api_base: _Failing(timeout=False),
    )
    with ServerThread(app_) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        job_id, events = _finished(c, BODY)
        assert [e[1] for e in events] == ["attempt_started", "phase_started", "finished"]
        assert events[-1][2]["attempt"] == events[0][2]["attempt"] == 1
        assert_problem(c.get(f"/v1/jobs/{job_id}/artifacts/xmi"), 409, "failed")


def test_artifacts_are_the_files_compile_writes(
    client: httpx.Client, tmp_path: Path, emf: Any
) -> None:
    job_id, _ = _finished(client, BODY | {"format": ["xmi", "json"]})
    cim = client.get(f"/v1/jobs/{job_id}").json()["result"]["cim"]
    model = tmp_path / "bank.json"
    model.write_text(json.dumps(cim), encoding="utf-8")
    for fmt in ("xmi", "json"):
        r = client.get(f"/v1/jobs/{job_id}/artifacts/{fmt}")
        assert r.status_code == 200, r.text
        compiler = compilers.get(fmt)
        assert r.headers["content-type"].split(";")[0] == compiler.media_type
        disposition = f'attachment; filename="bank.{compiler.extension}"'
        assert r.headers["content-disposition"] == disposition
        out = tmp_path / f"compiled.{compiler.extension}"
        done = CliRunner().invoke(
            app, ["compile", "-m", str(BANK_ECORE), str(model), "-f", fmt, "-o", str(out)]
        )
        assert done.exit_code == 0, done.stderr
        assert r.content == out.read_bytes()
    downloaded = tmp_path / "downloaded.xmi"
    downloaded.write_bytes(client.get(f"/v1/jobs/{job_id}/artifacts/xmi").content)
    (judged,) = emf([BANK_ECORE], [downloaded])
    assert judged.errors == []
    assert_problem(client.get(f"/v1/jobs/{job_id}/artifacts/svg"), 404, "json, xmi")
    assert_problem(client.get(f"/v1/jobs/{job_id}/artifacts/nope"), 404, "nope")
    assert_problem(client.get(f"/v1/jobs/{job_id}/artifacts/xmi?member=1"), 422, "member")
    assert_problem(client.get("/v1/jobs/absent/artifacts/xmi"), 404, "absent")
    whole = zipfile.ZipFile(io.BytesIO(client.get(f"/v1/jobs/{job_id}/artifacts/zip").content))
    assert sorted(whole.namelist()) == ["bank.json", "bank.xmi"]
    assert whole.read("bank.xmi") == (tmp_path / "compiled.xmi").read_bytes()


def test_a_set_gives_each_member_and_a_zip_of_all(tmp_path: Path) -> None:
    backend = VaryingBackend()
    app_ = create_app(Settings(db_path=tmp_path / "s.db"), backend_factory=lambda m, b: backend)
    with ServerThread(app_) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        job_id, events = _finished(c, BODY | {"count": 3, "format": ["xmi", "svg"]})
        assert events[-1][1] == "finished" and events[-1][2]["attempt"] >= 1
        members = c.get(f"/v1/jobs/{job_id}").json()["result"]["members"]
        assert [m["index"] for m in members] == [1, 2, 3]
        assert_problem(c.get(f"/v1/jobs/{job_id}/artifacts/xmi"), 422, "member=N", "zip")
        assert_problem(c.get(f"/v1/jobs/{job_id}/artifacts/xmi?member=4"), 404, "1, 2, 3")
        second = c.get(f"/v1/jobs/{job_id}/artifacts/xmi", params={"member": 2})
        assert second.status_code == 200
        assert second.headers["content-disposition"] == 'attachment; filename="bank-002.xmi"'
        assert second.content == members[1]["artifacts"]["xmi"].encode()
        r = c.get(f"/v1/jobs/{job_id}/artifacts/zip")
        assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
        assert r.headers["content-disposition"] == 'attachment; filename="bank.zip"'
        archive = zipfile.ZipFile(io.BytesIO(r.content))
        names = archive.namelist()
        assert names[0] == "bank-manifest.json"
        manifest = json.loads(archive.read(names[0]))
        assert manifest["status"] == "complete" and manifest["spec"] == BODY["spec"]
        for member, entry in zip(members, manifest["models"], strict=True):
            assert entry["files"] == {
                "xmi": f"bank-{member['index']:03d}.xmi",
                "svg": f"bank-{member['index']:03d}.svg",
            }
            for fmt, name in entry["files"].items():
                assert archive.read(name) == member["artifacts"][fmt].encode()
        assert_problem(c.get(f"/v1/jobs/{job_id}/artifacts/zip?member=1"), 422, "member")


def test_a_job_not_finished_has_no_files_yet(tmp_path: Path) -> None:
    app_ = scripted_app(Settings(db_path=tmp_path / "slow.db"), delay=2.0)
    with ServerThread(app_) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        job_id = c.post("/v1/jobs", json=BODY).json()["id"]
        assert_problem(c.get(f"/v1/jobs/{job_id}/artifacts/xmi"), 409, "events")
        sse(c, f"/v1/jobs/{job_id}/events")
        assert c.get(f"/v1/jobs/{job_id}/artifacts/xmi").status_code == 200
