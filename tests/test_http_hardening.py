"""Service hardening: finished jobs expire, one embedded server per database file, the
schema cache holds under threads."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from http_support import BANK_ECORE, ServerThread, bank_metamodel, scripted_app
from test_http_persistence import server_process

from instancegen.service.core.errors import InputError
from instancegen.service.generation import schema as schema_mod
from instancegen.service.generation.schema import SchemaOptions, cim_model
from instancegen.service.http.dblock import DatabaseLock
from instancegen.service.http.settings import Settings

ECORE = BANK_ECORE.read_text()


def test_finished_jobs_expire_after_the_ttl(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "jobs.db", job_ttl_seconds=1)
    with (
        ServerThread(scripted_app(settings)) as server,
        httpx.Client(base_url=server.url, timeout=30) as c,
    ):
        body = {"metamodel": {"ecore": ECORE}, "spec": "A bank.", "model": "x"}
        job_id = c.post("/v1/jobs", json=body).json()["id"]
        deadline = time.monotonic() + 30
        while c.get(f"/v1/jobs/{job_id}").json()["status"] != "finished":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        while (r := c.get(f"/v1/jobs/{job_id}")).status_code == 200:
            assert time.monotonic() < deadline, "the finished job never expired"
            time.sleep(0.2)
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")
        assert c.get(f"/v1/jobs/{job_id}/events").status_code == 404


def test_a_second_server_on_the_same_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    with server_process(db, delay=60) as (first, url), httpx.Client(base_url=url) as c:
        body = {"metamodel": {"ecore": ECORE}, "spec": "A bank.", "model": "x"}
        job_id = c.post("/v1/jobs", json=body).json()["id"]
        second = subprocess.run(
            [sys.executable, "-m", "instancegen", "serve", "--db", str(db), "--port", "0"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2
        assert "another instancegen server is already using" in second.stderr
        assert str(db) in second.stderr
        assert "Traceback" not in second.stderr
        # the first server's live job was left alone
        assert c.get(f"/v1/jobs/{job_id}").json()["status"] in ("queued", "running")
        first.kill()  # its job sleeps in a scripted LLM call; no need to wait for it
        first.wait(30)


def test_the_database_lock_is_dropped_when_released(tmp_path: Path) -> None:
    first, second = DatabaseLock(tmp_path / "a.db"), DatabaseLock(tmp_path / "a.db")
    first.acquire()
    with pytest.raises(InputError, match="already using"):
        second.acquire()
    first.release()
    second.acquire()
    second.release()


def test_schema_cache_is_consistent_under_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many threads, more keys than the cache holds: no error, and concurrent callers asking
    for the same key get the very same model class."""
    monkeypatch.setattr(schema_mod, "_CACHE_SIZE", 3)
    mm = bank_metamodel()
    options = [SchemaOptions(max_string=n) for n in range(10, 18)]

    def build(i: int) -> tuple[int, type]:
        o = options[i % len(options)]
        return i % len(options), cim_model(mm, o)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(build, range(400)))
    assert len(schema_mod._CACHE) <= 3
    assert {k for k, _ in results} == set(range(len(options)))


def test_concurrent_first_builds_share_one_model() -> None:
    """Threads racing to build the same schema from a cold cache all get one class, so
    instructor and the validators see one model, not several twins."""
    mm = bank_metamodel()
    options = SchemaOptions(max_string=4321)
    with ThreadPoolExecutor(8) as pool:
        models = set(pool.map(lambda _: cim_model(mm, options), range(8)))
    assert len(models) == 1


def test_a_body_lost_to_an_h2c_upgrade_is_said_plainly() -> None:
    """The JDK's HttpClient asks a plain-http server to upgrade to HTTP/2 (`Upgrade: h2c`);
    uvicorn's parser then drops the body. The answer names that, not a missing field."""
    body = b'{"metamodel": {"ecore": "x"}, "instance": {"objects": []}}'
    request = (
        b"POST /v1/validate HTTP/1.1\r\nHost: localhost\r\n"
        b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
        b"HTTP2-Settings: AAEAAEAAAAIAAAAA\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    with ServerThread(scripted_app(Settings())) as server:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            conn.sendall(request)
            conn.shutdown(socket.SHUT_WR)
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), head
    assert b"application/problem+json" in head
    assert "HTTP/1.1" in json.loads(payload)["detail"]
