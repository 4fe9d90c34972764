"""Generations off the event loop: a bounded number at once, the local model in one worker.

LLM calls block for seconds to minutes, so they run in threads. llama.cpp is not re-entrant,
so `model == "local"` goes through a single-thread executor (its queue is the wait line);
other models share a pool. Above `max_generations` in flight, callers get 429 + Retry-After.
Job progress is written to the store and wakes SSE followers on the event loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, TypeVar

from service.backends.base import Backend
from service.generation_result import Event, GenerationResult
from service.http.models import GenerateRequest
from service.http.problems import ApiError, problem_for
from service.http.settings import Settings
from service.http.store import Store
from service.metamodel import Metamodel

BackendFactory = Callable[[str, str | None], Backend]
"""(model, api_base) -> the backend to use; None in the app means `generate` picks one."""

LOCAL_MODEL = "local"
_T = TypeVar("_T")


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

    async def generate(self, request: GenerateRequest, metamodel: Metamodel) -> GenerationResult:
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

    def submit(self, request: GenerateRequest, metamodel: Metamodel) -> str:
        """Record a queued job and hand it to a worker; returns the job id."""
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

    def unfollow(self, job_id: str, future: asyncio.Future[None]) -> None:
        followers = self._followers.get(job_id)
        if followers is not None:
            followers.discard(future)
            if not followers:
                del self._followers[job_id]

    def _acquire(self) -> None:
        with self._count_lock:
            if self._in_flight >= self._settings.max_generations:
                raise ApiError(
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
        return self._local if model == LOCAL_MODEL else self._pool

    def _generate(
        self,
        request: GenerateRequest,
        metamodel: Metamodel,
        on_event: Callable[[Event], None] | None,
    ) -> GenerationResult:
        from service.generation import generate  # imports the LLM clients: slow, so on first use

        backend = (
            self._backend_factory(request.model, request.api_base)
            if self._backend_factory is not None
            else None
        )
        return generate(
            metamodel,
            request.spec,
            model=request.model,
            api_base=request.api_base,
            formats=request.formats(),
            max_repairs=request.max_repairs,
            mode=request.mode,
            on_event=on_event,
            backend=backend,
            strategy=request.strategy,
            max_output_tokens=request.max_output_tokens,
            context_tokens=request.context_tokens,
        )

    def _run_job(self, job_id: str, request: GenerateRequest, metamodel: Metamodel) -> None:
        finished = False

        def record(event: Event) -> None:
            nonlocal finished
            finished = finished or event.type == "finished"
            self._store.add_event(job_id, event.model_dump(mode="json"))
            self._wake(job_id)

        try:
            self._store.set_status(job_id, "running")
            self._wake(job_id)
            result = self._generate(request, metamodel, record)
            if not finished:
                record(Event(type="finished", data={"status": result.status}))
            self._store.set_status(job_id, "finished", result=result.model_dump(mode="json"))
        except Exception as exc:  # the job records the same problem a sync request would get
            problem: dict[str, Any] = problem_for(exc).model_dump(exclude_none=True)
            record(Event(type="finished", data={"status": "failed", "error": problem}))
            self._store.set_status(job_id, "failed", error=problem)
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
