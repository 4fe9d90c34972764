"""Jobs on Celery workers over a real Redis: two workers, two service replicas, one worker
killed with `kill -9` mid-job; every job finishes exactly once and reads the same through
either replica, SSE included. The LLM is a scripted OpenAI-compatible server on loopback,
reached through the real LiteLLM client by the workers."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from broker_support import REDIS, bank_llm, redis_server
from conftest import ROOT, require
from fault_server import FaultServer, fault_server
from http_support import BANK_ECORE, ServerThread, free_port, sse

from instancegen.service.app.settings import Settings
from instancegen.service.broker.redis_store import RedisStore
from instancegen.service.http import create_app

JOBS = 20
LEASE, VISIBILITY = 3, 6


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    require(REDIS is not None, "redis-server", "the Debian package redis-server")
    with redis_server(tmp_path) as url:
        yield url


@pytest.fixture
def llm() -> Iterator[FaultServer]:
    with fault_server() as server:
        bank_llm(server, delay=0.4)
        yield server


def _env(llm: FaultServer) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OPENAI_API_KEY": "sk-stub",
        "INSTANCEGEN_API_BASES": llm.base_url,
        "INSTANCEGEN_LEASE_SECONDS": str(LEASE),
        "INSTANCEGEN_VISIBILITY_TIMEOUT": str(VISIBILITY),
    }


@contextmanager
def _process(args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([sys.executable, "-m", "instancegen", *args], env=env)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def _worker(
    url: str, env: dict[str, str]
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    return _process(["worker", "--broker", url, "-c", "2", "--loglevel", "WARNING"], env)


def _batch(batch: Path, url: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`instancegen batch FILE --broker URL`, run to its end."""
    command = [sys.executable, "-m", "instancegen", "batch", str(batch), "--broker", url]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)


def _replica(stack: ExitStack, url: str, env: dict[str, str]) -> str:
    port = free_port()
    proc = stack.enter_context(_process(["serve", "--broker", url, "--port", str(port)], env))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, "the replica exited during start-up"
        try:
            if httpx.get(f"{base}/v1/healthz", timeout=2).status_code == 200:
                return base
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the replica did not start within 60 s"
        time.sleep(0.1)


def test_jobs_survive_a_killed_worker_and_finish_exactly_once(
    redis_url: str, llm: FaultServer
) -> None:
    env = _env(llm)
    store = RedisStore(redis_url)
    with ExitStack() as stack:
        workers = [stack.enter_context(_worker(redis_url, env)) for _ in range(2)]
        replicas = [_replica(stack, redis_url, env) for _ in range(2)]
        clients = [stack.enter_context(httpx.Client(base_url=b, timeout=60)) for b in replicas]
        mm_id = clients[0].post("/v1/metamodels", json={"ecore": BANK_ECORE.read_text()})
        assert mm_id.status_code == 201
        body = {
            "metamodel": {"id": mm_id.json()["id"]},  # registered through replica 0 only
            "spec": "A bank.",
            "model": "openai/scripted",
            "api_base": llm.base_url,
        }
        ids = []
        for n in range(JOBS):
            r = clients[n % 2].post("/v1/jobs", json=body)
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])

        # kill worker 0 while it holds a job
        victim = workers[0]
        deadline = time.monotonic() + 120
        held: list[str] = []
        while not held:
            held = [j for j in ids if f":{victim.pid}:" in (store.holder(j) or "")]
            assert time.monotonic() < deadline, "worker 0 never took a job"
            time.sleep(0.05)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        assert store.get_job(held[0]).status == "running"  # type: ignore[union-attr]

        deadline = time.monotonic() + 240
        for job_id in ids:
            while (status := clients[1].get(f"/v1/jobs/{job_id}").json()["status"]) in (
                "queued",
                "running",
            ):
                assert time.monotonic() < deadline, f"job {job_id} never finished"
                time.sleep(0.2)
            assert status == "finished"

        assert workers[1].poll() is None
        for job_id in ids:
            assert store.finishes(job_id) == 1, f"job {job_id} stored {store.finishes(job_id)}x"
            views = [c.get(f"/v1/jobs/{job_id}").json() for c in clients]
            assert views[0] == views[1]
            assert views[0]["result"]["status"] == "valid"
            streams = [sse(c, f"/v1/jobs/{job_id}/events") for c in clients]
            assert streams[0] == streams[1]
            finished = [e for e in streams[0] if e[1] == "finished"]
            assert len(finished) == 1 and finished[0] == streams[0][-1]
            assert [seq for seq, _, _ in streams[0]] == list(range(1, len(streams[0]) + 1))
        # the killed worker's job was run again to the end by the other worker
        assert all(store.get_job(j).status == "finished" for j in held)  # type: ignore[union-attr]
        # a synchronous generate through a replica runs on the remaining worker too
        sync = clients[1].post("/v1/generate", json=body)
        assert sync.status_code == 200 and sync.json()["status"] == "valid"


def test_serve_refuses_a_broker_that_does_not_answer() -> None:
    port = free_port()
    r = subprocess.run(
        [sys.executable, "-m", "instancegen", "serve", "--broker", f"redis://127.0.0.1:{port}/0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert r.returncode == 2
    assert "does not answer" in r.stderr and "Traceback" not in r.stderr


def test_batch_lines_run_on_workers_through_the_broker(
    redis_url: str, llm: FaultServer, tmp_path: Path
) -> None:
    env = _env(llm)
    (tmp_path / "bank.ecore").write_text(BANK_ECORE.read_text())
    lines = [
        {"metamodel": "bank.ecore", "spec": "A bank.", "model": "openai/scripted",
         "api_base": llm.base_url, "output": "out/one"},
        {"metamodel": "bank.ecore", "spec": "A bank.", "model": "openai/scripted",
         "api_base": llm.base_url, "output": "out/set", "count": 2, "kind": "invalid"},
    ]  # fmt: skip
    batch = tmp_path / "jobs.jsonl"
    batch.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with _worker(redis_url, env):
        run = _batch(batch, redis_url, env)
    # the scripted LLM always writes the same bank: one valid model, and a set of two
    # distinct models it cannot complete (the second is the first again)
    assert (tmp_path / "out" / "one.xmi").read_text().startswith("<?xml")
    manifest = json.loads((tmp_path / "out" / "set-manifest.json").read_text())
    assert manifest["status"] == "incomplete" and manifest["written"] == 1
    assert manifest["models"][0]["expected"]["severity"] == "error"
    assert run.returncode == 1 and "incomplete" in run.stderr


def test_store_finishes_once_only_for_the_lease_holder_and_expires(redis_url: str) -> None:
    store = RedisStore(redis_url, job_ttl_seconds=1)
    job_id = store.create_job({"spec": "x"})
    event = {"type": "finished", "attempt": 1, "data": {"status": "valid"}}
    assert store.claim(job_id, "a", 10) == "claimed"
    assert store.claim(job_id, "b", 10) == "busy"
    assert not store.finish(job_id, "b", "finished", {"n": 2}, None, event)  # not its lease
    assert store.finish(job_id, "a", "finished", {"n": 1}, None, event)
    assert not store.finish(job_id, "a", "finished", {"n": 3}, None, event)  # already over
    assert store.claim(job_id, "b", 10) == "done"
    job = store.get_job(job_id)
    assert job is not None and job.result == {"n": 1} and store.finishes(job_id) == 1
    assert [e["type"] for _, e in store.events_after(job_id, 0)] == ["finished"]
    deadline = time.monotonic() + 10
    while store.get_job(job_id) is not None:
        assert time.monotonic() < deadline, "the finished job never expired"
        time.sleep(0.2)
    assert store.events_after(job_id, 0) == []


class _Task:
    """Stands in for the bound Celery task: `retry` returns the exception to raise."""

    def retry(self, countdown: float) -> Exception:
        from celery.exceptions import Retry

        return Retry(when=countdown)


def test_a_redelivered_message_waits_for_a_live_holder_and_drops_a_finished_job(
    redis_url: str,
) -> None:
    from celery.exceptions import Retry

    from instancegen.service.broker.celery_app import run

    store = RedisStore(redis_url)
    held = store.create_job({"spec": "x"})
    assert store.claim(held, "another-worker", 30) == "claimed"
    with pytest.raises(Retry):
        run(_Task(), redis_url, held)  # type: ignore[arg-type]
    assert store.get_job(held).status == "running"  # type: ignore[union-attr]
    assert store.holder(held) == "another-worker" and store.finishes(held) == 0

    over = store.create_job({"spec": "x"})
    event = {"type": "finished", "attempt": 1, "data": {"status": "valid"}}
    assert store.finish(over, "", "finished", {"n": 1}, None, event)
    run(_Task(), redis_url, over)  # type: ignore[arg-type]
    assert store.finishes(over) == 1 and len(store.events_after(over, 0)) == 1


# No single edit mends it (the accounts are contained, and the search changes no containment),
# so the loop's last-resort search leaves it for the result to report.
MANY_ACCOUNTS = "context Bank inv ManyAccounts: self.accounts->size() > 5"


def _job_result(client: httpx.Client, body: dict[str, object]) -> dict[str, object]:
    job = client.post("/v1/jobs", json=body)
    assert job.status_code == 202, job.text
    sse(client, f"/v1/jobs/{job.json()['id']}/events")  # returns when the job is over
    view = client.get(f"/v1/jobs/{job.json()['id']}").json()
    assert view["status"] == "finished", view
    return dict(view["result"])


def _bank_job(llm: FaultServer, **extra: object) -> dict[str, object]:
    """A job body for the scripted bank LLM, no repairs, with `extra` fields."""
    return {
        "metamodel": {"ecore": BANK_ECORE.read_text()},
        "spec": "A bank.",
        "model": "openai/scripted",
        "api_base": llm.base_url,
        "max_repairs": 0,
        **extra,
    }


def test_constraints_reach_the_workers_as_they_reach_the_embedded_runner(
    redis_url: str, llm: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job whose request carries a Complete OCL document gets the same `invariant`
    findings on a Celery worker as in the embedded runner; so does a batch line."""
    env = _env(llm)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")
    body = _bank_job(llm, constraints=MANY_ACCOUNTS)
    embedded_app = create_app(Settings(db_path=tmp_path / "e.db", api_bases=(llm.base_url,)))
    with ServerThread(embedded_app) as server, httpx.Client(base_url=server.url, timeout=60) as c:
        embedded = _job_result(c, body)
    assert embedded["status"] == "invalid"
    errors = [i for i in embedded["issues"] if i["severity"] == "error"]  # type: ignore[attr-defined]
    assert [(i["code"], i["object"]) for i in errors] == [("invariant", "db")]

    (tmp_path / "bank.ecore").write_text(BANK_ECORE.read_text())
    line = {"metamodel": "bank.ecore", "spec": "A bank.", "model": "openai/scripted",
            "api_base": llm.base_url, "max_repairs": 0}  # fmt: skip
    batch = tmp_path / "jobs.jsonl"
    batch.write_text(
        json.dumps({**line, "output": "out/plain"})
        + "\n"
        + json.dumps({**line, "output": "out/ruled", "constraints": MANY_ACCOUNTS})
        + "\n"
    )
    with ExitStack() as stack:
        stack.enter_context(_worker(redis_url, env))
        client = stack.enter_context(
            httpx.Client(base_url=_replica(stack, redis_url, env), timeout=60)
        )
        brokered = _job_result(client, body)
        run = _batch(batch, redis_url, env)
    assert brokered["issues"] == embedded["issues"]
    assert brokered["status"] == "invalid"
    # the batch line without constraints is valid and written; the one with them is not
    assert (tmp_path / "out" / "plain.xmi").is_file()
    assert not (tmp_path / "out" / "ruled.xmi").exists()
    done = [
        json.loads(raw) for raw in (tmp_path / "jobs.jsonl.done.jsonl").read_text().splitlines()
    ]
    assert sorted((d["line"], d["status"]) for d in done) == [(1, "valid"), (2, "invalid")]
    assert run.returncode == 1, run.stderr


def test_scope_and_realism_reach_the_workers_as_they_reach_the_embedded_runner(
    redis_url: str, llm: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job's `scope` (here one the validator checks: spread over two concrete classes, so
    no list can hold it) and `realism` give a Celery worker the findings they give the
    embedded runner; a scope the metamodel contradicts is refused before any job exists."""
    env = _env(llm)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")
    body = _bank_job(llm, scope=["NamedElement=50.."], realism="strict")
    embedded_app = create_app(Settings(db_path=tmp_path / "e.db", api_bases=(llm.base_url,)))
    with ServerThread(embedded_app) as server, httpx.Client(base_url=server.url, timeout=60) as c:
        embedded = _job_result(c, body)
    assert embedded["status"] == "invalid"
    assert "scope" in {i["code"] for i in embedded["issues"]}  # type: ignore[attr-defined]
    with ExitStack() as stack:
        stack.enter_context(_worker(redis_url, env))
        client = stack.enter_context(
            httpx.Client(base_url=_replica(stack, redis_url, env), timeout=60)
        )
        brokered = _job_result(client, body)
        refused = client.post("/v1/jobs", json={**body, "scope": ["NamedElement=..2", "Person=3"]})
    assert brokered["issues"] == embedded["issues"]
    assert refused.status_code in (400, 422) and "contradicts the metamodel" in refused.text
