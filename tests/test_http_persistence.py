"""Jobs and metamodels live in SQLite: results survive a restart, a killed job reads
`interrupted`. The server runs as a real process (uvicorn) so it can be stopped and killed."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from http_support import BANK_ECORE, free_port, sse

SUPPORT = Path(__file__).resolve().parent / "http_support.py"
ECORE = BANK_ECORE.read_text()


@contextmanager
def server_process(db: Path, delay: float = 0.0) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`http_support.py` (scripted LLM) serving on a fresh port."""
    with started([str(SUPPORT), "--db", str(db), "--delay", str(delay)]) as running:
        yield running


@contextmanager
def started(args: list[str]) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`python *args --port <free>` until it answers; stopped (gracefully) on exit if still up."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, *args, "--port", str(port)])
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "the server process exited during start-up"
            try:
                if httpx.get(f"{url}/v1/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            time.sleep(0.1)
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(30)


def test_results_and_metamodels_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    with server_process(db) as (proc, url), httpx.Client(base_url=url, timeout=60) as c:
        mm_id = c.post("/v1/metamodels", json={"ecore": ECORE}).json()["id"]
        job_id = c.post(
            "/v1/jobs", json={"metamodel": {"id": mm_id}, "spec": "A bank.", "model": "x"}
        ).json()["id"]
        events = sse(c, f"/v1/jobs/{job_id}/events")
        before = c.get(f"/v1/jobs/{job_id}").json()
        assert before["status"] == "finished"
    assert proc.returncode is not None
    with server_process(db) as (_, url), httpx.Client(base_url=url, timeout=60) as c:
        assert c.get(f"/v1/jobs/{job_id}").json() == before
        assert sse(c, f"/v1/jobs/{job_id}/events") == events
        assert mm_id in [m["id"] for m in c.get("/v1/metamodels").json()]
        check = c.post(
            "/v1/validate",
            json={"metamodel": {"id": mm_id}, "instance": before["result"]["cim"]},
        )
        assert check.json()["valid"] is True


def test_job_running_when_killed_is_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    with server_process(db, delay=120) as (proc, url), httpx.Client(base_url=url) as c:
        body = {"metamodel": {"ecore": ECORE}, "spec": "A bank.", "model": "x"}
        running = c.post("/v1/jobs", json=body).json()["id"]
        queued = c.post("/v1/jobs", json=body).json()["id"]
        with c.stream("GET", f"/v1/jobs/{running}/events", timeout=30) as stream:
            first = next(line for line in stream.iter_lines() if line.startswith("event:"))
        assert first == "event: attempt_started"
        assert c.get(f"/v1/jobs/{running}").json()["status"] == "running"
        proc.kill()
        proc.wait(30)
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with server_process(db) as (_, url), httpx.Client(base_url=url, timeout=60) as c:
        for job_id in (running, queued):
            view = c.get(f"/v1/jobs/{job_id}").json()
            assert view["status"] == "interrupted" and view["result"] is None
        # following an interrupted job replays what it got to and ends, instead of hanging
        events = sse(c, f"/v1/jobs/{running}/events")
        assert [e[1] for e in events] == ["attempt_started", "phase_started", "finished"]
        assert events[-1][2]["data"]["status"] == "interrupted"


def test_serve_command(tmp_path: Path) -> None:
    db = tmp_path / "served.db"
    with started(["-m", "instancegen", "serve", "--db", str(db), "--workers-limit", "2"]) as (
        _,
        url,
    ):
        r = httpx.post(f"{url}/v1/metamodels", json={"ecore": ECORE}, timeout=60)
        assert r.status_code == 201
        assert db.is_file()
        assert "/v1/jobs/{job_id}/events" in httpx.get(f"{url}/openapi.json").json()["paths"]
    with started(["-m", "instancegen", "serve", "--db", str(db)]) as (_, url):
        assert [m["id"] for m in httpx.get(f"{url}/v1/metamodels").json()] == [r.json()["id"]]
