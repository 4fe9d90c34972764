"""The app factory: wires settings, store, metamodel registry, generation runner and routes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from instancegen.service.app.jobs import BackendFactory, GenerationRunner, Runner
from instancegen.service.app.jobstore import JobStore, Store
from instancegen.service.app.registry import MetamodelRegistry
from instancegen.service.app.settings import Settings
from instancegen.service.generation.result import Event
from instancegen.service.http import problems
from instancegen.service.http.dblock import DatabaseLock
from instancegen.service.http.guards import ApiKeys, BodySizeLimit
from instancegen.service.http.json_response import JsonResponse
from instancegen.service.http.openapi import problem_responses
from instancegen.service.http.playground import playground_router
from instancegen.service.http.routes import build_router

log = logging.getLogger("instancegen.http")


def create_app(
    settings: Settings | None = None, *, backend_factory: BackendFactory | None = None
) -> FastAPI:
    """A ready app. `backend_factory` replaces model-string backend selection (tests,
    benchmarks, embedding a custom LLM client); None lets `generate` pick by model string."""
    settings = settings or Settings.from_env()
    if settings.broker_url is not None:
        store, runner, lifespan = _brokered(settings)
    else:
        store, runner, lifespan = _embedded(settings, backend_factory)

    app = FastAPIOffline(  # /docs and /redoc with assets served from that package: offline
        static_url="/docs-assets",
        title="instancegen",
        summary="Ecore metamodel + natural-language spec -> instance model that EMF loads.",
        version="1",
        lifespan=lifespan,
        default_response_class=JsonResponse,
    )
    problems.install(app)
    app.include_router(
        build_router(
            store,
            MetamodelRegistry(store, settings.metamodel_cache_size),
            runner,
            ApiKeys(settings.api_keys),
            settings.api_bases,
            settings.api_key_envs,
            settings.gguf_dirs,
        )
    )
    app.include_router(playground_router(settings))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
        )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            schema = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes
            )
            app.openapi_schema = problem_responses(schema, auth=bool(settings.api_keys))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def _embedded(
    settings: Settings, backend_factory: BackendFactory | None
) -> tuple[JobStore, Runner, Lifespan]:
    """SQLite and in-process threads: one server owns the database file."""
    store = Store(settings.db_path)
    runner = GenerationRunner(store, settings, backend_factory)
    db_lock = DatabaseLock(settings.db_path)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if str(settings.db_path) != ":memory:":
            db_lock.acquire()  # before touching jobs: they may be another live server's
        interrupted = store.interrupt_unfinished(
            Event(type="finished", data={"status": "interrupted"}).model_dump(mode="json")
        )
        if interrupted:
            log.warning("%d job(s) of a previous run were marked interrupted", len(interrupted))
        runner.start(asyncio.get_running_loop())
        expiry = asyncio.create_task(_expire_jobs(store, settings.job_ttl_seconds))
        yield
        expiry.cancel()
        runner.shutdown()
        store.close()
        db_lock.release()

    return store, runner, lifespan


def _brokered(settings: Settings) -> tuple[JobStore, Runner, Lifespan]:
    """Redis and Celery workers: any number of replicas share the jobs (Redis expires them)."""
    from instancegen.service.broker.redis_store import RedisStore
    from instancegen.service.broker.runner import BrokerRunner

    assert settings.broker_url is not None
    store = RedisStore(settings.broker_url, job_ttl_seconds=settings.job_ttl_seconds)
    runner = BrokerRunner(store, settings.broker_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await store.aclose()
        store.close()

    return store, runner, lifespan


async def _expire_jobs(store: Store, ttl: float) -> None:
    """Delete jobs over for longer than `ttl` seconds, checking a few times per TTL (at
    least once a minute), in a worker thread so the event loop never waits on SQLite."""
    interval = min(60.0, max(0.5, ttl / 4))
    while True:
        removed = await asyncio.to_thread(store.purge_finished, time.time() - ttl)
        if removed:
            log.info("%d finished job(s) expired (INSTANCEGEN_JOB_TTL=%ss)", removed, ttl)
        await asyncio.sleep(interval)
