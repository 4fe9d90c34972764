"""Generations off the event loop: a bounded number at once, an in-process model in one worker.

LLM calls block for seconds to minutes, so they run in threads. llama.cpp is not re-entrant,
so a model whose backend does not take concurrent calls (the bundled one) goes through a
single-thread executor (its queue is the wait line); other models share a pool. Above
`max_generations` in flight, callers get 429 + Retry-After. Job progress is written to the
store and wakes SSE followers on the event loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from instancegen.service import backends
from instancegen.service.app.jobstore import TERMINAL, Store
from instancegen.service.app.problems import Refused, problem_for
from instancegen.service.app.request import GenerationRequest
from instancegen.service.app.run import Outcome, run
from instancegen.service.app.settings import Settings
from instancegen.service.backends.base import Backend
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.result import Event, GenerationResult

BackendFactory = Callable[[str, str | None], Backend]
"""(model, api_base) -> the backend to use; None in the app means `run` picks one."""

_T = TypeVar("_T")


@dataclass(frozen=True)
class JobOutcome:
    """How a job ended: its status, result or problem, and the `finished` event to store
    with it (held back so a store can write both at once: see the broker's `finish`)."""

    status: Literal["finished", "failed"]
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    last_event: Event


def execute_job(
    work: Callable[[Callable[[Event], None]], Outcome],
    record: Callable[[Event], None],
) -> JobOutcome:
    """Run a generation as a job: progress events go to `record` as they happen, except the
    final `finished` one, returned in the outcome. A failure becomes the problem a
    synchronous request would get (embedded runner and broker workers alike)."""

    held: list[Event] = []
    last_attempt = 0  # the `finished` event carries the last attempt's number, never 0 after one

    def progress(event: Event) -> None:
        nonlocal last_attempt
        last_attempt = max(last_attempt, event.attempt)
        if event.type == "finished":
            held.append(event)
        else:
            record(event)

    try:
        result = work(progress)
    except Exception as exc:
        problem: dict[str, Any] = problem_for(exc)[0].model_dump(exclude_none=True)
        return JobOutcome(
            "failed",
            None,
            problem,
            Event(
                type="finished",
                attempt=last_attempt,
                data={"status": "failed", "error": problem},
            ),
        )
    one_model = isinstance(result, GenerationResult) and held
    finished = (
        held[-1]
        if one_model
        else Event(type="finished", attempt=last_attempt, data={"status": result.status})
    )
    return JobOutcome("finished", result.model_dump(mode="json"), None, finished)


class Runner(Protocol):
    """How the routes run generations: `GenerationRunner` here, in threads, or
    `service.broker.runner.BrokerRunner` on Celery workers."""

    def start(self, loop: asyncio.AbstractEventLoop) -> None: ...
    def shutdown(self) -> None: ...
    async def generate(self, request: GenerationRequest, metamodel: Metamodel) -> Outcome: ...
    async def call(
        self, model: str, api_base: str | None, work: Callable[[Backend | None], _T]
    ) -> _T: ...
    def submit(self, request: GenerationRequest, metamodel: Metamodel) -> str: ...
    async def wait_for_change(self, job_id: str, after: int, timeout: float) -> bool: ...


class GenerationRunner:
    """Runs generate calls (synchronous requests and jobs) within the concurrency limits."""

    def __init__(
        self, store: Store, settings: Settings, backend_factory: BackendFactory | None
    ) -> None:
        self._store = store
        self._settings = settings
        self._backend_factory = backend_factory
        self._local = ThreadPoolExecutor(1, thread_name_prefix="instancegen-local")
        self._pool = ThreadPoolExecutor(
            settings.max_generations, thread_name_prefix="instancegen-llm"
        )
        self._in_flight = 0
        self._count_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._followers: dict[str, set[asyncio.Future[None]]] = {}

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Bind to the server's event loop (where SSE followers wait)."""
        self._loop = loop

    def shutdown(self) -> None:
        """Drop queued work (its jobs read `interrupted` on the next start); let running end."""
        for executor in (self._local, self._pool):
            executor.shutdown(wait=False, cancel_futures=True)

    async def generate(self, request: GenerationRequest, metamodel: Metamodel) -> Outcome:
        """One synchronous generation, awaited without blocking the loop. The slot is freed
        when the work ends, even if the caller went away before."""
        self._acquire()
        try:
            future = self._executor(request.model).submit(
                self._counted, self._generate, request, metamodel, None
            )
        except BaseException:
            self._release()
            raise
        return await asyncio.wrap_future(future)

    async def call(
        self, model: str, api_base: str | None, work: Callable[[Backend | None], _T]
    ) -> _T:
        """Any other LLM work (an edit request) within the same limits and executors; `work`
        gets the backend the factory makes, or None to pick one by model string."""
        self._acquire()
        try:
            backend = (
                self._backend_factory(model, api_base)
                if self._backend_factory is not None
                else None
            )
            future = self._executor(model).submit(self._counted, work, backend)
        except BaseException:
            self._release()
            raise
        return await asyncio.wrap_future(future)

    def submit(self, request: GenerationRequest, metamodel: Metamodel) -> str:
        """Record a queued job and hand it to a worker; returns the job id. A model string
        that cannot work is refused here, not by a job that fails later."""
        if self._backend_factory is None:
            backends.check_model(request.model, request.api_base, api_key_env=request.api_key_env)
        self._acquire()
        try:
            job_id = self._store.create_job(request.model_dump(mode="json"))
            self._executor(request.model).submit(
                self._counted, self._run_job, job_id, request, metamodel
            )
        except BaseException:
            self._release()
            raise
        return job_id

    def _counted(self, work: Callable[..., _T], *args: Any) -> _T:
        """Run `work` in a worker, freeing its generation slot when it is over."""
        try:
            return work(*args)
        finally:
            self._release()

    def follow(self, job_id: str) -> asyncio.Future[None]:
        """A future the next change of the job (event, status) completes; call on the loop."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._followers.setdefault(job_id, set()).add(future)
        return future

    async def wait_for_change(self, job_id: str, after: int, timeout: float) -> bool:
        """Until the job has an event after `after` or is over (True), or `timeout` (False)."""
        changed = self.follow(job_id)  # before looking, so no change slips through
        try:
            job = await asyncio.to_thread(self._store.get_job, job_id)
            if job is None or job.status in TERMINAL:
                return True
            if await asyncio.to_thread(self._store.events_after, job_id, after):
                return True
            await asyncio.wait_for(asyncio.shield(changed), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self.unfollow(job_id, changed)

    def unfollow(self, job_id: str, future: asyncio.Future[None]) -> None:
        followers = self._followers.get(job_id)
        if followers is not None:
            followers.discard(future)
            if not followers:
                del self._followers[job_id]

    def _acquire(self) -> None:
        with self._count_lock:
            if self._in_flight >= self._settings.max_generations:
                raise Refused(
                    429,
                    "too-many-generations",
                    f"{self._in_flight} generations are already queued or running, the "
                    f"server's limit; retry in {self._settings.retry_after_seconds} seconds.",
                    headers={"Retry-After": str(self._settings.retry_after_seconds)},
                )
            self._in_flight += 1

    def _release(self) -> None:
        with self._count_lock:
            self._in_flight -= 1

    def _executor(self, model: str) -> Executor:
        try:
            concurrent = backends.plugin_for(model).concurrent
        except InputError:
            concurrent = True  # no backend serves it: the generation says so, in the pool
        return self._pool if concurrent else self._local

    def _generate(
        self,
        request: GenerationRequest,
        metamodel: Metamodel,
        on_event: Callable[[Event], None] | None,
    ) -> Outcome:
        backend = (
            self._backend_factory(request.model, request.api_base)
            if self._backend_factory is not None
            else None
        )
        return run(request, on_event, metamodel=metamodel, backend=backend)

    def _run_job(self, job_id: str, request: GenerationRequest, metamodel: Metamodel) -> None:
        def record(event: Event) -> None:
            self._store.add_event(job_id, event.model_dump(mode="json"))
            self._wake(job_id)

        try:
            self._store.set_status(job_id, "running")
            self._wake(job_id)
            outcome = execute_job(
                lambda on_event: self._generate(request, metamodel, on_event), record
            )
            record(outcome.last_event)
            self._store.set_status(
                job_id, outcome.status, result=outcome.result, error=outcome.error
            )
        finally:
            self._wake(job_id)

    def _wake(self, job_id: str) -> None:
        """Thread-safe: completes the job's follower futures on the loop."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake_on_loop, job_id)

    def _wake_on_loop(self, job_id: str) -> None:
        for future in self._followers.pop(job_id, set()):
            if not future.done():
                future.set_result(None)
