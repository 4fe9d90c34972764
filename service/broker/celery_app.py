"""The Celery application: one task, `instancegen.run_job`, that runs a job stored in Redis.

Delivery is at least once: the message is acknowledged only after the task returns
(`task_acks_late`), and the Redis transport hands a message a worker took but never
acknowledged (the worker was killed) to another worker once `visibility_timeout` passes.
So the task is idempotent: a job already over is skipped, a job another live worker holds
(its lease is fresh) is retried after a lease period, and the result is stored by the
store's exactly-once `finish`.

Tuning (environment): `INSTANCEGEN_VISIBILITY_TIMEOUT` (seconds a taken message may stay
unacknowledged before it is handed out again; default 300) and `INSTANCEGEN_LEASE_SECONDS`
(how long a worker's hold on a job lasts without a heartbeat; default 30). A job running
longer than the visibility timeout is handed out again, finds the lease held, and waits.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from celery import Celery, Task

from instancegen.service.app.jobs import execute_job
from instancegen.service.app.registry import MetamodelRegistry
from instancegen.service.app.request import GenerationRequest
from instancegen.service.app.run import run as run_request
from instancegen.service.app.settings import Settings
from instancegen.service.broker.redis_store import RedisStore
from instancegen.service.generation.result import Event

TASK = "instancegen.run_job"
QUEUE = "instancegen"
log = logging.getLogger("instancegen.worker")


def make_celery(broker_url: str) -> Celery:
    """The Celery app for `broker_url` (redis://…), with at-least-once delivery settings."""
    visibility = Settings.from_env().visibility_timeout_seconds
    app = Celery("instancegen", broker=broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,  # results live in the job store, written exactly once
        task_default_queue=QUEUE,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": visibility,
            # sweep for abandoned messages often enough that they wait about `visibility`
            "unacked_restore_interval": max(1, min(10, visibility // 5)),
            "unacked_restore_throttle": 1,
        },
        worker_hijack_root_logger=False,
    )
    app.conf.instancegen_broker_url = broker_url

    @app.task(name=TASK, bind=True, max_retries=None)
    def run_job(self: Task, job_id: str) -> None:
        run(self, broker_url, job_id)

    return app


@cache
def _store(broker_url: str) -> RedisStore:
    return RedisStore(broker_url, job_ttl_seconds=Settings.from_env().job_ttl_seconds)


@cache
def _registry(broker_url: str) -> MetamodelRegistry:
    return MetamodelRegistry(_store(broker_url), Settings.from_env().metamodel_cache_size)


def worker_token() -> str:
    """Names this run of a job: host, process, and a nonce (a retried task is a new run)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run(task: Task, broker_url: str, job_id: str) -> None:
    """One delivery of a job's message: claim, generate, finish exactly once."""
    store, lease = _store(broker_url), Settings.from_env().lease_seconds
    token = worker_token()
    claim = store.claim(job_id, token, lease)
    if claim in ("done", "gone"):
        log.info("job %s is %s; message dropped", job_id, "over" if claim == "done" else "gone")
        return
    if claim == "busy":  # a live worker has it; come back when its lease could have lapsed
        raise task.retry(countdown=lease)
    job = store.get_job(job_id)
    if job is None:
        return
    with _heartbeat(store, job_id, token, lease):

        def work(on_event: Any) -> Any:
            request = GenerationRequest.model_validate(job.request)
            return run_request(request, on_event, lookup=_registry(broker_url).resolve)

        def record(event: Event) -> None:
            store.add_event(job_id, event.model_dump(mode="json"))

        outcome = execute_job(work, record)
        stored = store.finish(
            job_id,
            token,
            outcome.status,
            outcome.result,
            outcome.error,
            outcome.last_event.model_dump(mode="json"),
        )
    if not stored:
        log.warning("job %s: lease lost before finishing; the other worker's result stands", job_id)


@contextmanager
def _heartbeat(store: RedisStore, job_id: str, token: str, lease: int) -> Iterator[None]:
    """Renew the lease every third of its length while the job runs."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(lease / 3):
            if not store.renew(job_id, token, lease):
                log.warning("job %s: lease lapsed; another worker may take it", job_id)
                return

    thread = threading.Thread(target=beat, name=f"lease-{job_id[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def start_worker(broker_url: str, concurrency: int, loglevel: str = "INFO") -> None:
    """Run a Celery worker in this process until it is stopped (`instancegen worker`).

    Threads, not processes: an LLM call waits on the network (or on llama.cpp, which holds
    its own lock), and one process means a killed worker takes its jobs' runs with it, for
    the broker to hand out again.
    """
    app = make_celery(broker_url)
    _store(broker_url).ping()
    app.worker_main(
        [
            "worker",
            "--pool=threads",
            f"--concurrency={concurrency}",
            f"--loglevel={loglevel}",
            f"--queues={QUEUE}",
            f"--hostname=instancegen-{os.getpid()}@{socket.gethostname()}",
            "--without-gossip",
            "--without-mingle",
        ]
    )
