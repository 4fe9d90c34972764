"""The HTTP service's runner with a broker: jobs go to Celery workers, state is in Redis.

`POST /v1/jobs` stores the job and sends the task; `POST /v1/generate` does the same and
waits for the job to end, so every generation runs on a worker whichever replica took it.
SSE followers and waiting generate calls block on the job's Redis stream with an asyncio
client: on the event loop without blocking it, and without holding a thread each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from celery import Celery

from instancegen.service import backends
from instancegen.service.app.jobstore import TERMINAL, StoredJob
from instancegen.service.app.problems import Refused
from instancegen.service.app.request import GenerationRequest
from instancegen.service.app.run import Outcome, parse_outcome
from instancegen.service.backends.base import Backend
from instancegen.service.broker.celery_app import TASK, make_celery
from instancegen.service.broker.redis_store import RedisStore
from instancegen.service.core.metamodel import Metamodel

WAIT_SECONDS = 15.0
_T = TypeVar("_T")


class BrokerRunner:
    """Dispatches generations to Celery workers through the broker."""

    def __init__(self, store: RedisStore, broker_url: str) -> None:
        self._store = store
        self._celery: Celery = make_celery(broker_url)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Nothing to bind: followers wait on Redis, not on this process."""

    def shutdown(self) -> None:
        """Queued and running jobs belong to the workers; they go on without this replica."""

    def submit(self, request: GenerationRequest, metamodel: Metamodel) -> str:
        """Store the job and send its task. An unknown model is refused here; keys are the
        workers' (they hold their own environment), checked where the job runs."""
        backends.check_model(request.model, request.api_base, keys=False)
        job_id = self._store.create_job(request.model_dump(mode="json"))
        try:
            self._celery.send_task(TASK, args=[job_id])
        except Exception as exc:
            detail = f"the job could not be queued on the broker ({type(exc).__name__})."
            self._store.set_status(job_id, "failed", error=_unavailable(detail))
            raise Refused(503, "broker-unavailable", detail) from exc
        return job_id

    async def generate(self, request: GenerationRequest, metamodel: Metamodel) -> Outcome:
        """Run as a job on a worker and wait for it (on the loop, holding no thread); a
        failure is the problem the job stored."""
        job_id = await asyncio.to_thread(self.submit, request, metamodel)
        after = 0
        while True:
            job = await asyncio.to_thread(self._store.get_job, job_id)
            if job is None or job.status in TERMINAL:
                return _outcome(job_id, job)
            if await self.wait_for_change(job_id, after, WAIT_SECONDS):
                after = (await asyncio.to_thread(self._store.events_after, job_id, after))[-1][0]

    async def call(
        self, model: str, api_base: str | None, work: Callable[[Backend | None], _T]
    ) -> _T:
        """Other LLM work (an edit request) runs in this replica, in a thread: it is one
        synchronous answer, not a job the workers share."""
        return await asyncio.to_thread(work, None)

    def outcome(self, job_id: str) -> Outcome:
        """Block until the job is over (for callers without an event loop: `batch`)."""
        after = 0
        while (job := self._store.get_job(job_id)) is not None and job.status not in TERMINAL:
            if self._store.wait_for_events(job_id, after, WAIT_SECONDS):
                after = self._store.events_after(job_id, after)[-1][0]
        return _outcome(job_id, job)

    async def wait_for_change(self, job_id: str, after: int, timeout: float) -> bool:
        return await self._store.wait_for_events_async(job_id, after, timeout)


def _outcome(job_id: str, job: StoredJob | None) -> Outcome:
    """A job that is over: its result, or its problem raised as `Refused`."""
    if job is None:
        raise Refused(404, "unknown-job", f"the job {job_id!r} expired or was removed.")
    if job.status == "finished" and job.result is not None:
        return parse_outcome(job.result)
    problem = job.error or {}
    raise Refused(
        int(problem.get("status", 502)),
        str(problem.get("type", "generation-failed")).rpartition(":")[2],
        str(problem.get("detail", "the generation failed on the worker.")),
        issues=problem.get("issues"),
    )


def _unavailable(detail: str) -> dict[str, Any]:
    return {
        "type": "urn:instancegen:problem:broker-unavailable",
        "title": "Service Unavailable",
        "status": 503,
        "detail": detail,
    }
